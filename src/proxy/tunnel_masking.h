// Masking of an exec or attach session (docs/masking.md): what the server prints goes through the
// client's profile before the client sees it, and through the record's (the default) before the
// recording does; one masker serves both when the profiles are the same. Port-forward traffic is
// opaque and never masked.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "mask/tunnel_masker.h"
#include "proxy/response_masking.h"

namespace kubegate::proxy {

class SessionMasking {
 public:
  // Null when neither the client's nor the record's profile scans streams.
  static std::unique_ptr<SessionMasking> start(const MaskingScope& scope, bool websocket, std::string_view subprotocol);

  // The server's next bytes: what the client gets is appended to `toClient`; `forRecord()` then
  // holds what the recording gets. False when the client's masker cannot read the stream: the
  // tunnel must close.
  bool fromServer(std::span<const char> bytes, std::string& toClient);
  // The client's bytes, observed (SPDY says in them which stream is stdout and which stderr).
  void fromClient(std::span<const char> bytes);
  // Whether a pause would release anything the maskers hold.
  bool pauseWouldRelease() const;
  // The server paused: releases what a pause may (mask::StreamRedactor::releaseAfterPause).
  void releaseAfterPause(std::string& toClient);
  // The server is done: releases everything held.
  void flush(std::string& toClient);
  // What the recording takes of the last call: the client's bytes, or the record's own masking.
  // Empty while the record's masker is broken: the recording then gets nothing more.
  std::string_view forRecord(const std::string& toClient) const;
  void recordTaken() { toRecord_.clear(); }

 private:
  std::unique_ptr<mask::TunnelMasker> client_;
  std::unique_ptr<mask::TunnelMasker> record_;
  bool recordBroken_ = false;
  std::string toRecord_;
};

// The detectors the record scans streams with (the record's profile, when it scans them), for what
// the agent sends on stdin: the pod gets it as sent, the record masked. Null: none.
const mask::Detectors* recordStreamDetectors(const MaskingScope& scope);

}  // namespace kubegate::proxy
