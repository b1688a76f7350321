#include "mask/tunnel_masker.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "audit/spdy_frames.h"
#include "audit/websocket_frames.h"
#include "http/base64.h"
#include "net/byte_order.h"

namespace kubegate::mask {

namespace {

// The last bytes the client sent on stdin. A terminal echoes them, so a word found among them may
// leave after a pause: the client knows it already.
class RecentInput {
 public:
  static constexpr std::size_t kWindow = 4096;

  void add(std::string_view bytes) {
    if (bytes.size() > kWindow) bytes.remove_prefix(bytes.size() - kWindow);
    const std::size_t overflow = bytes_.size() + bytes.size() > kWindow ? bytes_.size() + bytes.size() - kWindow : 0;
    bytes_.erase(0, overflow);
    bytes_.append(bytes);
  }
  std::string_view view() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

// One implementation per framing; the error and the client's recent stdin are shared so
// TunnelMasker::error() needs no dispatch and each framing only says where stdin is.
struct TunnelMasker::Impl {
  virtual ~Impl() = default;
  virtual bool fromServer(std::span<const char> bytes, std::string& out) = 0;
  virtual void fromClient(std::span<const char> bytes) = 0;
  // Releases held output; `ended`: everything, else what a pause may release.
  virtual void release(std::string& out, bool ended) = 0;
  virtual bool pauseWouldRelease() const = 0;

  bool failed() const { return !error.empty(); }
  void fail(std::string reason) {
    if (error.empty()) error = std::move(reason);
  }

  // Releases what one stream's redactor holds.
  void releaseFrom(StreamRedactor& redactor, std::string& released, bool ended) const {
    if (ended) {
      redactor.flush(released);
    } else {
      redactor.releaseAfterPause(released, clientInput.view());
    }
  }

  std::string error;
  RecentInput clientInput;
};

namespace {

using audit::SpdyControlType;
using audit::SpdyFrameReader;
using audit::SpdyHeaderBlock;
using audit::WebSocketFrameReader;
using audit::WebSocketOpcode;

// A whole, unmasked frame as a server sends it (RFC 6455 §5.2, shortest length encoding).
void appendWebSocketFrame(std::string& out, WebSocketOpcode opcode, std::string_view prefix,
                          std::string_view payload) {
  const std::size_t length = prefix.size() + payload.size();
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  if (length < 126) {
    out.push_back(static_cast<char>(length));
  } else if (length <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    net::appendBigEndian<2>(out, length);
  } else {
    out.push_back(static_cast<char>(127));
    net::appendBigEndian<8>(out, length);
  }
  out.append(prefix);
  out.append(payload);
}

constexpr std::size_t kMaxSpdyDataLength = 0xFFFFFF;

// DATA frames for `payload`: split at the 24-bit length limit, `flags` only on the last one.
void appendSpdyData(std::string& out, std::uint32_t streamId, std::uint8_t flags, std::string_view payload) {
  do {
    const std::string_view part = payload.substr(0, kMaxSpdyDataLength);
    payload.remove_prefix(part.size());
    net::appendBigEndian<4>(out, streamId & 0x7FFFFFFF);
    out.push_back(static_cast<char>(payload.empty() ? flags : 0));
    net::appendBigEndian<3>(out, part.size());
    out.append(part);
  } while (!payload.empty());
}

// Decodes one base64 message that arrives in pieces. Go encodes each message on its own, padded,
// so padding may only end the message.
class Base64Pieces {
 public:
  void reset() {
    pending_.clear();
    padded_ = false;
  }
  bool feed(std::string_view text, std::string& decoded) {
    if (text.empty()) return true;
    if (padded_) return false;
    pending_.append(text);
    const std::size_t whole = pending_.size() / 4 * 4;
    if (whole == 0) return true;
    auto bytes = decodeBase64(std::string_view(pending_).substr(0, whole));
    if (!bytes) return false;
    padded_ = pending_[whole - 1] == '=';
    pending_.erase(0, whole);
    decoded += *bytes;
    return !padded_ || pending_.empty();
  }
  bool complete() const { return pending_.empty(); }

 private:
  std::string pending_;
  bool padded_ = false;
};

// WebSocket channel protocols: each data message is [channel][payload]; for the base64 variants
// the channel is an ASCII digit and the payload base64 text.
class WebSocketMasking final : public TunnelMasker::Impl, private audit::WebSocketFrameSink {
 public:
  // Server messages on the other channels are a JSON Status or a v5 close: small. They are held
  // whole so they leave as they came; anything larger is not a tunnel we understand.
  static constexpr std::size_t kMaxPassThroughMessage = 1024 * 1024;

  WebSocketMasking(const Detectors& detectors, bool base64)
      : base64_(base64), reader_(*this), clientObserver_(*this), clientReader_(clientObserver_), stdout_(detectors),
        stderr_(detectors) {
    const WebSocketOpcode opcode = base64 ? WebSocketOpcode::text : WebSocketOpcode::binary;
    channelOpcode_.fill(opcode);
  }

  bool fromServer(std::span<const char> bytes, std::string& out) override {
    if (failed()) return false;
    out_ = &out;
    if (!reader_.feed(bytes)) fail(reader_.stopReason());
    out_ = nullptr;
    return !failed();
  }

  // A client reader that stops costs only the echo: held words then wait for more output.
  void fromClient(std::span<const char> bytes) override { clientReader_.feed(bytes); }

  void release(std::string& out, bool ended) override {
    if (failed()) return;
    out_ = &out;
    releaseChannels(ended);
    out_ = nullptr;
  }

  bool pauseWouldRelease() const override { return stdout_.pauseWouldRelease() || stderr_.pauseWouldRelease(); }

 private:
  static constexpr std::uint8_t kStdout = 1;
  static constexpr std::uint8_t kStderr = 2;
  static constexpr std::uint8_t kError = 3;
  static constexpr std::uint8_t kClose = 255;
  static constexpr std::uint8_t kStdin = 0;

  // Keeps what the client sends on stdin (channel 0), decoded, as RecentInput.
  struct ClientObserver final : audit::WebSocketFrameSink {
    explicit ClientObserver(WebSocketMasking& owner) : owner(owner) {}
    void onMessageStart(WebSocketOpcode) override {
      channel.reset();
      base64.reset();
    }
    void onMessagePayload(std::span<const char> piece) override {
      std::string_view text(piece.data(), piece.size());
      if (!channel && !text.empty()) {
        channel = static_cast<std::uint8_t>(owner.base64_ ? text.front() - '0' : text.front());
        text.remove_prefix(1);
      }
      if (channel != kStdin) return;
      if (!owner.base64_) return owner.clientInput.add(text);
      std::string decoded;
      if (base64.feed(text, decoded)) owner.clientInput.add(decoded);
    }
    WebSocketMasking& owner;
    std::optional<std::uint8_t> channel;
    Base64Pieces base64;
  };

  StreamRedactor* redactorFor(std::uint8_t channel) {
    if (channel == kStdout) return &stdout_;
    if (channel == kStderr) return &stderr_;
    return nullptr;
  }

  void onMessageStart(WebSocketOpcode opcode) override {
    opcode_ = opcode;
    channel_.reset();
    channelBytes_ = 0;
    passThrough_.clear();
    base64Pieces_.reset();
  }

  void onMessagePayload(std::span<const char> piece) override {
    if (failed() || piece.empty()) return;
    std::string_view text(piece.data(), piece.size());
    if (!channel_) {
      if (!readChannel(text.front())) return;
      text.remove_prefix(1);
    }
    channelBytes_ += text.size();
    StreamRedactor* redactor = redactorFor(*channel_);
    if (!redactor) {
      if (passThrough_.size() + text.size() > kMaxPassThroughMessage) {
        return fail("websocket message on channel " + std::to_string(*channel_) + " exceeds the masking limit");
      }
      passThrough_.append(text);
      return;
    }
    std::string decoded;
    if (base64_ && !base64Pieces_.feed(text, decoded)) return fail("malformed base64 in a websocket channel message");
    std::string released;
    redactor->write(base64_ ? std::string_view(decoded) : text, released);
    emitMasked(*channel_, released);
  }

  bool readChannel(char first) {
    if (!base64_) {
      channel_ = static_cast<std::uint8_t>(first);
    } else if (first >= '0' && first <= '9') {
      channel_ = static_cast<std::uint8_t>(first - '0');
    } else {
      fail("base64 websocket message without a channel digit");
      return false;
    }
    channelOpcode_[*channel_] = opcode_;
    return true;
  }

  void onMessageEnd() override {
    if (failed()) return;
    if (!channel_) return appendWebSocketFrame(*out_, opcode_, {}, {});
    if (redactorFor(*channel_)) {
      if (base64_ && !base64Pieces_.complete()) return fail("truncated base64 in a websocket channel message");
      // The server's empty first message (readiness) carries nothing to mask: keep it.
      if (channelBytes_ == 0) appendWebSocketFrame(*out_, opcode_, channelPrefix(*channel_), {});
      return;
    }
    // The error channel and the v5 close end the output: what stdout and stderr hold goes first.
    if (*channel_ == kError || *channel_ == kClose) releaseChannels(true);
    appendWebSocketFrame(*out_, opcode_, channelPrefix(*channel_), passThrough_);
    passThrough_.clear();
  }

  void onControlFrame(WebSocketOpcode opcode, std::string_view payload) override {
    if (failed()) return;
    if (opcode == WebSocketOpcode::close) releaseChannels(true);
    appendWebSocketFrame(*out_, opcode, {}, payload);
  }

  std::string channelPrefix(std::uint8_t channel) const {
    return std::string(1, static_cast<char>(base64_ ? '0' + channel : channel));
  }

  void emitMasked(std::uint8_t channel, std::string_view released) {
    if (released.empty()) return;
    const std::string encoded = base64_ ? encodeBase64(released) : std::string();
    appendWebSocketFrame(*out_, channelOpcode_[channel], channelPrefix(channel), base64_ ? encoded : released);
  }

  void releaseChannels(bool ended) {
    for (const std::uint8_t channel : {kStdout, kStderr}) {
      std::string released;
      releaseFrom(*redactorFor(channel), released, ended);
      emitMasked(channel, released);
    }
  }

  const bool base64_;
  WebSocketFrameReader reader_;
  ClientObserver clientObserver_;
  WebSocketFrameReader clientReader_;
  StreamRedactor stdout_;
  StreamRedactor stderr_;
  std::string* out_ = nullptr;
  // The message being read.
  WebSocketOpcode opcode_ = WebSocketOpcode::binary;
  std::optional<std::uint8_t> channel_;
  std::size_t channelBytes_ = 0;
  std::string passThrough_;
  Base64Pieces base64Pieces_;
  // Masked pieces leave with the opcode their channel's last message had.
  std::array<WebSocketOpcode, 256> channelOpcode_{};
};

// SPDY/3.1: stdout and stderr are streams whose type only the client's SYN_STREAM names, so the
// client's bytes are read too. Control frames leave byte for byte (their header blocks belong to
// the connection's zlib context); DATA frames of masked streams are written anew.
class SpdyMasking final : public TunnelMasker::Impl, private audit::SpdyFrameSink {
 public:
  // Above the reader's own cap for header-carrying frames; other control frames are tiny.
  static constexpr std::size_t kMaxRelayedControlFrame = SpdyFrameReader::kMaxControlFrameLength;
  // An exec opens at most five streams; a server that makes thousands is not one we understand.
  static constexpr std::size_t kMaxMaskedStreams = 256;

  explicit SpdyMasking(const Detectors& detectors)
      : detectors_(detectors), serverReader_(*this), clientObserver_(*this), clientReader_(clientObserver_) {}

  bool fromServer(std::span<const char> bytes, std::string& out) override {
    if (failed()) return false;
    out_ = &out;
    if (!serverReader_.feed(bytes)) fail(serverReader_.stopReason());
    out_ = nullptr;
    return !failed();
  }

  // A client stream we cannot read the type of stays masked, so a client reader that stops
  // costs nothing but masking on the error stream.
  void fromClient(std::span<const char> bytes) override { clientReader_.feed(bytes); }

  void release(std::string& out, bool ended) override {
    if (failed()) return;
    out_ = &out;
    releaseStreams(ended);
    out_ = nullptr;
  }

  bool pauseWouldRelease() const override {
    for (const auto& [id, redactor] : redactors_) {
      if (redactor.pauseWouldRelease()) return true;
    }
    return false;
  }

 private:
  enum class StreamKind { masked, error, stdin, passThrough };

  struct ClientObserver final : audit::SpdyFrameSink {
    explicit ClientObserver(SpdyMasking& owner) : owner(owner) {}
    void onSynStream(std::uint32_t id, std::uint8_t, const SpdyHeaderBlock& headers) override {
      owner.learnStreamType(id, headers);
    }
    void onHeaders(std::uint32_t id, std::uint8_t, const SpdyHeaderBlock& headers) override {
      owner.learnStreamType(id, headers);
    }
    void onData(std::uint32_t id, std::span<const char> piece) override {
      if (owner.kindOf(id) == StreamKind::stdin) owner.clientInput.add({piece.data(), piece.size()});
    }
    SpdyMasking& owner;
  };

  // Any stream not named error, stdin or resize is masked; once masked, always masked, so a
  // second header frame cannot unmask a stream.
  void learnStreamType(std::uint32_t id, const SpdyHeaderBlock& headers) {
    const std::string_view type = audit::spdyHeaderValue(headers, "streamtype");
    auto known = kinds_.find(id);
    if (type.empty() && known != kinds_.end()) return;
    StreamKind kind = StreamKind::masked;
    if (type == "error") kind = StreamKind::error;
    if (type == "stdin") kind = StreamKind::stdin;
    if (type == "resize") kind = StreamKind::passThrough;
    if (known == kinds_.end()) {
      kinds_.emplace(id, kind);
    } else if (known->second != StreamKind::masked) {
      known->second = kind;
    }
  }

  StreamKind kindOf(std::uint32_t id) const {
    const auto known = kinds_.find(id);
    return known == kinds_.end() ? StreamKind::masked : known->second;
  }

  void onSynStream(std::uint32_t id, std::uint8_t, const SpdyHeaderBlock& headers) override {
    learnStreamType(id, headers);
  }
  void onSynReply(std::uint32_t id, std::uint8_t, const SpdyHeaderBlock& headers) override {
    learnStreamType(id, headers);
  }
  void onHeaders(std::uint32_t id, std::uint8_t, const SpdyHeaderBlock& headers) override {
    learnStreamType(id, headers);
  }
  void onRstStream(std::uint32_t id, std::uint32_t) override { redactors_.erase(id); }

  void onControlBytes(std::span<const char> piece) override {
    if (failed()) return;
    if (controlRemaining_ == 0 && control_.empty()) {
      // The reader hands over a control frame's 8-byte header whole, first.
      const auto* header = reinterpret_cast<const unsigned char*>(piece.data());
      controlType_ = static_cast<std::uint16_t>(net::loadBigEndian<2>(header + 2));
      controlRemaining_ = static_cast<std::size_t>(net::loadBigEndian<3>(header + 5));
      if (controlRemaining_ > kMaxRelayedControlFrame) return fail("SPDY control frame exceeds the masking limit");
      control_.assign(piece.data(), piece.size());
    } else {
      control_.append(piece.data(), piece.size());
      controlRemaining_ -= piece.size();
    }
    if (controlRemaining_ == 0) relayControlFrame();
  }

  void relayControlFrame() {
    const auto type = static_cast<SpdyControlType>(controlType_);
    // After a reset or a GOAWAY the client drops a stream's data: what is held leaves first.
    if (type == SpdyControlType::rstStream || type == SpdyControlType::goAway) releaseStreams(true);
    out_->append(control_);
    control_.clear();
  }

  void onData(std::uint32_t id, std::span<const char> piece) override {
    if (failed()) return;
    if (kindOf(id) != StreamKind::masked) {
      passThrough_.append(piece.data(), piece.size());
      return;
    }
    StreamRedactor* redactor = redactorFor(id);
    if (!redactor) return;
    std::string released;
    redactor->write({piece.data(), piece.size()}, released);
    if (!released.empty()) appendSpdyData(*out_, id, 0, released);
  }

  void onDataEnd(std::uint32_t id, std::uint8_t flags) override {
    if (failed()) return;
    const StreamKind kind = kindOf(id);
    if (kind != StreamKind::masked) {
      // The error stream's Status ends the session: stdout and stderr go first.
      if (kind == StreamKind::error) releaseStreams(true);
      appendSpdyData(*out_, id, flags, passThrough_);
      passThrough_.clear();
      return;
    }
    if (!(flags & audit::kSpdyFlagFin)) return;
    std::string released;
    if (const auto held = redactors_.find(id); held != redactors_.end()) {
      held->second.flush(released);
      redactors_.erase(held);
    }
    appendSpdyData(*out_, id, flags, released);
  }

  StreamRedactor* redactorFor(std::uint32_t id) {
    auto found = redactors_.find(id);
    if (found != redactors_.end()) return &found->second;
    if (redactors_.size() >= kMaxMaskedStreams) {
      fail("SPDY connection with more than " + std::to_string(kMaxMaskedStreams) + " open output streams");
      return nullptr;
    }
    return &redactors_.try_emplace(id, detectors_).first->second;
  }

  void releaseStreams(bool ended) {
    for (auto& [id, redactor] : redactors_) {
      std::string released;
      releaseFrom(redactor, released, ended);
      if (!released.empty()) appendSpdyData(*out_, id, 0, released);
    }
  }

  const Detectors& detectors_;
  SpdyFrameReader serverReader_;
  ClientObserver clientObserver_;
  SpdyFrameReader clientReader_;
  std::map<std::uint32_t, StreamKind> kinds_;
  std::map<std::uint32_t, StreamRedactor> redactors_;
  std::string* out_ = nullptr;
  // The control frame being relayed, and the bytes of it still to come.
  std::string control_;
  std::uint16_t controlType_ = 0;
  std::size_t controlRemaining_ = 0;
  // The DATA frame of an unmasked stream, relayed whole when it ends.
  std::string passThrough_;
};

bool isBase64Subprotocol(std::string_view subprotocol) {
  return subprotocol == "base64.channel.k8s.io" || subprotocol == "v4.base64.channel.k8s.io";
}

}  // namespace

TunnelMasker::TunnelMasker(const Detectors& detectors, TunnelFraming framing, std::string_view subprotocol) {
  if (framing == TunnelFraming::spdy) {
    impl_ = std::make_unique<SpdyMasking>(detectors);
  } else {
    impl_ = std::make_unique<WebSocketMasking>(detectors, isBase64Subprotocol(subprotocol));
  }
}

TunnelMasker::~TunnelMasker() = default;

bool TunnelMasker::fromServer(std::span<const char> bytes, std::string& out) { return impl_->fromServer(bytes, out); }

void TunnelMasker::fromClient(std::span<const char> bytes) { impl_->fromClient(bytes); }

void TunnelMasker::releaseAfterPause(std::string& out) { impl_->release(out, false); }

void TunnelMasker::flush(std::string& out) { impl_->release(out, true); }

bool TunnelMasker::pauseWouldRelease() const { return impl_->pauseWouldRelease(); }

const std::string& TunnelMasker::error() const { return impl_->error; }

}  // namespace kubegate::mask
