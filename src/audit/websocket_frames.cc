#include "audit/websocket_frames.h"

#include <algorithm>
#include <utility>

#include "net/byte_order.h"

namespace kubegate::audit {
namespace {

bool isControl(WebSocketOpcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool isKnown(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

std::size_t neededHeaderLength(const std::array<unsigned char, 14>& h, std::size_t have) {
  if (have < 2) return 2;
  std::size_t need = 2;
  const unsigned lengthCode = h[1] & 0x7F;
  if (lengthCode == 126) need += 2;
  if (lengthCode == 127) need += 8;
  if (h[1] & 0x80) need += 4;
  return need;
}

}  // namespace

bool WebSocketFrameReader::feed(std::span<const char> bytes) {
  while (!bytes.empty() && !stopped() && !closed_) {
    const std::size_t used = state_ == State::header ? consumeHeader(bytes) : consumePayload(bytes);
    bytes = bytes.subspan(used);
  }
  return !stopped();
}

bool WebSocketFrameReader::headerComplete() const {
  return headerLength_ >= 2 && headerLength_ == neededHeaderLength(header_, headerLength_);
}

std::size_t WebSocketFrameReader::consumeHeader(std::span<const char> bytes) {
  std::size_t used = 0;
  // The length of the header is only known after its second byte, so take one byte at a time
  // up to that point and then exactly what is missing.
  while (used < bytes.size() && !headerComplete()) {
    const std::size_t need = neededHeaderLength(header_, headerLength_) - headerLength_;
    const std::size_t take = std::min(need, bytes.size() - used);
    std::copy_n(reinterpret_cast<const unsigned char*>(bytes.data()) + used, take, header_.begin() + headerLength_);
    headerLength_ += take;
    used += take;
  }
  if (headerComplete()) startFrame();
  return used;
}

void WebSocketFrameReader::startFrame() {
  const unsigned char b0 = header_[0];
  const unsigned char b1 = header_[1];
  fin_ = (b0 & 0x80) != 0;
  const std::uint8_t op = b0 & 0x0F;
  masked_ = (b1 & 0x80) != 0;
  std::size_t pos = 2;
  payloadLength_ = b1 & 0x7F;
  if (payloadLength_ == 126) {
    payloadLength_ = net::loadBigEndian<2>(&header_[2]);
    pos = 4;
  } else if (payloadLength_ == 127) {
    payloadLength_ = net::loadBigEndian<8>(&header_[2]);
    pos = 10;
  }
  if (masked_) std::copy_n(header_.begin() + pos, 4, mask_.begin());
  headerLength_ = 0;
  payloadRead_ = 0;
  // Nothing negotiates extensions on these tunnels, so RSV bits mean bytes we cannot interpret.
  if (b0 & 0x70) return stop("websocket frame with reserved bits set (compressed or unknown extension)");
  if (!isKnown(op)) return stop("websocket frame with unknown opcode " + std::to_string(op));
  opcode_ = static_cast<WebSocketOpcode>(op);
  if (payloadLength_ > kMaxFrameLength) {
    return stop("websocket frame of " + std::to_string(payloadLength_) + " bytes exceeds the recording limit");
  }
  if (isControl(opcode_)) {
    if (!fin_ || payloadLength_ > 125) return stop("malformed websocket control frame");
    control_.clear();
  } else if (opcode_ == WebSocketOpcode::continuation) {
    if (!inMessage_) return stop("websocket continuation frame outside a message");
  } else {
    if (inMessage_) return stop("websocket data frame inside an unfinished message");
    inMessage_ = true;
    sink_.onMessageStart(opcode_);
  }
  state_ = State::payload;
  if (payloadLength_ == 0) finishFrame();
}

std::size_t WebSocketFrameReader::consumePayload(std::span<const char> bytes) {
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), payloadLength_ - payloadRead_));
  // Unmask through a small window so a large frame never needs a frame-sized buffer.
  std::array<char, 4096> window;
  for (std::size_t done = 0; done < take;) {
    const std::size_t n = std::min(window.size(), take - done);
    for (std::size_t i = 0; i < n; ++i) {
      const char c = bytes[done + i];
      window[i] = masked_ ? static_cast<char>(c ^ mask_[(payloadRead_ + i) & 3]) : c;
    }
    const std::span<const char> piece(window.data(), n);
    if (isControl(opcode_)) {
      control_.append(piece.data(), piece.size());
    } else {
      sink_.onMessagePayload(piece);
    }
    payloadRead_ += n;
    done += n;
  }
  if (payloadRead_ == payloadLength_) finishFrame();
  return take;
}

void WebSocketFrameReader::finishFrame() {
  ++framesRead_;
  state_ = State::header;
  if (isControl(opcode_)) {
    sink_.onControlFrame(opcode_, control_);
    if (opcode_ == WebSocketOpcode::close) closed_ = true;
    return;
  }
  if (fin_) {
    inMessage_ = false;
    sink_.onMessageEnd();
  }
}

void WebSocketFrameReader::stop(std::string reason) {
  if (stopReason_.empty()) stopReason_ = std::move(reason);
}

}  // namespace kubegate::audit
