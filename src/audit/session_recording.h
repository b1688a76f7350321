// Records one exec/attach or port-forward tunnel from the bytes the tunnel relays, as the client
// and the kubelet framed them (WebSocket channel protocols v1-v5 and their base64 variants, SPDY/3.1,
// SPDY tunnelled in WebSocket). Exec sessions become asciicast v2 (audit/asciicast.h); port-forward
// sessions record only per-connection byte counts. A recorder only observes: nothing here throws,
// and bytes it cannot parse stop the recording (noted in the summary), never the tunnel.
//
// Stdin is masked for the record when ExecDetails names detectors: it goes to the pod as sent, but
// the record keeps what the detectors leave of it. The unfinished last line is held (a secret may
// continue in the next piece) until a newline, 50 ms without stdin (a trailing word that may begin a
// secret waits for more), or the end; what a partial private key leaves held at the end is
// dropped, never recorded.
//
// Memory: parsers keep bounded state; produced lines wait in pendingBytes() until takeChunk(), which
// the caller does at 64 KiB or once a second. A caller that never takes them stops the recording at
// kMaxPendingBytes instead of growing without bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kubegate::mask {
class Detectors;
}

namespace kubegate::audit {

enum class TunnelProtocol { websocket, spdy };

struct ExecDetails {
  std::vector<std::string> command;  // empty for attach
  bool tty = false;
  std::string container;
  bool stdinRequested = false;
  // kubectl does not send the user's TERM; this is what a player should emulate.
  std::string term = "xterm-256color";
  // The record's detectors (the default masking profile's): what the agent types or pipes into
  // stdin is recorded with the secrets they find masked, as its output is. Null: stdin as sent.
  // Must outlive the recording.
  const mask::Detectors* stdinDetectors = nullptr;
};

class SessionRecording {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxPendingBytes = 8 * 1024 * 1024;

  // `subprotocol`: the Sec-WebSocket-Protocol of the 101, or its X-Stream-Protocol-Version for SPDY.
  // Event times count from `startedAt`; `startUnixMicros` is the same instant on the wall clock.
  SessionRecording(TunnelProtocol protocol, std::string subprotocol, bool portForward, ExecDetails exec,
                   std::int64_t startUnixMicros, Clock::time_point startedAt = Clock::now());
  ~SessionRecording();
  SessionRecording(const SessionRecording&) = delete;
  SessionRecording& operator=(const SessionRecording&) = delete;

  // The bytes one direction of the tunnel relayed, in the pieces it read them.
  void fromClient(std::span<const char> bytes, Clock::time_point at) noexcept;
  void fromServer(std::span<const char> bytes, Clock::time_point at) noexcept;

  // asciicast lines produced since the last call; the first chunk starts with the header line.
  // Always empty for port-forward.
  std::string takeChunk() noexcept;
  std::size_t pendingBytes() const noexcept;

  // After the tunnel ended: flushes what parsers still hold (take one more chunk afterwards).
  void finish() noexcept;
  // {"kind","protocol","subprotocol","bytesFromClient","bytesFromServer","streams":{name:{bytes,events}},
  //  "exitStatus":{...},"exitCode":n,"recordingStopped":"why","connections":[...],"ports":{...}}
  std::string summaryJson() const noexcept;

  bool stopped() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubegate::audit
