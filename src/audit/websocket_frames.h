// Incremental RFC 6455 frame reader for session recording. It sees the bytes of one direction of an
// upgraded connection in whatever pieces the socket returned them and reports messages as they
// stream by, so a long message never has to be held in memory. It only observes: a malformed or
// oversized frame stops the reader with a reason, and the caller decides what that means.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kubegate::audit {

enum class WebSocketOpcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Receives what the reader finds. A data message is onMessageStart, any number of onMessagePayload
// pieces (unmasked, possibly empty-free), then onMessageEnd; control frames may come between them.
class WebSocketFrameSink {
 public:
  virtual ~WebSocketFrameSink() = default;
  virtual void onMessageStart(WebSocketOpcode opcode) {}
  virtual void onMessagePayload(std::span<const char> piece) {}
  virtual void onMessageEnd() {}
  // Control payloads are at most 125 bytes, so they are delivered whole.
  virtual void onControlFrame(WebSocketOpcode opcode, std::string_view payload) {}
};

class WebSocketFrameReader {
 public:
  // Larger declared lengths stop the reader: the peers never send them, and a recorder must not
  // be made to wait on (or believe) a 2^63-byte frame.
  static constexpr std::uint64_t kMaxFrameLength = 16 * 1024 * 1024;

  explicit WebSocketFrameReader(WebSocketFrameSink& sink) : sink_(sink) {}

  // Consumes every byte of `bytes`. Returns false once the reader has stopped (now or earlier).
  bool feed(std::span<const char> bytes);

  bool stopped() const { return !stopReason_.empty(); }
  const std::string& stopReason() const { return stopReason_; }
  // True after a close frame; later bytes are ignored.
  bool closed() const { return closed_; }
  std::uint64_t framesRead() const { return framesRead_; }

 private:
  enum class State { header, payload };

  std::size_t consumeHeader(std::span<const char> bytes);
  std::size_t consumePayload(std::span<const char> bytes);
  bool headerComplete() const;
  void startFrame();
  void finishFrame();
  void stop(std::string reason);

  WebSocketFrameSink& sink_;
  State state_ = State::header;
  std::array<unsigned char, 14> header_{};
  std::size_t headerLength_ = 0;
  bool fin_ = false;
  WebSocketOpcode opcode_ = WebSocketOpcode::continuation;
  bool masked_ = false;
  std::array<unsigned char, 4> mask_{};
  std::uint64_t payloadLength_ = 0;
  std::uint64_t payloadRead_ = 0;
  std::string control_;
  bool inMessage_ = false;
  bool closed_ = false;
  std::uint64_t framesRead_ = 0;
  std::string stopReason_;
};

}  // namespace kubegate::audit
