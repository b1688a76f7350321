// Masks what an exec or attach session prints: the server-to-client bytes of an upgraded tunnel
// are read frame by frame (WebSocket channel protocols v1-v5 and their base64 variants, or
// SPDY/3.1), the stdout and stderr payloads go through a StreamRedactor per channel, and the frames
// are written anew around the masked payloads. Everything else (stdin echo, the error and resize
// channels, control frames, SPDY header frames) passes unchanged and in order.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mask/detectors.h"

namespace kubegate::mask {

enum class TunnelFraming { websocket, spdy };

class TunnelMasker {
 public:
  // `subprotocol`: the negotiated Sec-WebSocket-Protocol (e.g. v5.channel.k8s.io,
  // base64.channel.k8s.io) or, for SPDY, X-Stream-Protocol-Version.
  TunnelMasker(const Detectors& detectors, TunnelFraming framing, std::string_view subprotocol);
  ~TunnelMasker();

  // Takes the next bytes the server sent; appends to `out` the bytes to send the client now.
  // False when the bytes cannot be understood (malformed or oversized frames): the tunnel must
  // then be closed, never relayed unmasked. `error()` says why.
  bool fromServer(std::span<const char> bytes, std::string& out);
  // Observes the next bytes the client sent, before they are forwarded unchanged: for SPDY, the
  // client's SYN_STREAM frames name which stream is stdout or stderr; for both framings, what the
  // client types on stdin may be echoed back by a terminal (StreamRedactor::releaseAfterPause).
  void fromClient(std::span<const char> bytes);
  // The server paused: releases held output as complete frames, except what may be the first
  // part of a secret (StreamRedactor::releaseAfterPause).
  void releaseAfterPause(std::string& out);
  // The output ended: releases everything held, masked.
  void flush(std::string& out);
  // Whether releaseAfterPause would release anything now.
  bool pauseWouldRelease() const;
  const std::string& error() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubegate::mask
