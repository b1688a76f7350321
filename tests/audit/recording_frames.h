// Builds the frames the audit recording tests feed in: RFC 6455 frames (masked as clients send
// them) and SPDY/3.1 frames with header blocks compressed by one deflate context per direction,
// primed with the SPDY/3 dictionary, as moby/spdystream writes them.
#pragma once

#include <zlib.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/spdy_frames.h"

namespace kubegate::audit::testing {

inline std::string bigEndian(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  return out;
}

// opcode: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
inline std::string wsFrame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                           std::optional<std::array<std::uint8_t, 4>> mask = std::nullopt) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const char maskBit = mask ? static_cast<char>(0x80) : 0;
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(maskBit | static_cast<char>(payload.size())));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(static_cast<char>(maskBit | 126));
    frame += bigEndian(payload.size(), 2);
  } else {
    frame.push_back(static_cast<char>(maskBit | 127));
    frame += bigEndian(payload.size(), 8);
  }
  if (!mask) return frame + std::string(payload);
  for (std::uint8_t b : *mask) frame.push_back(static_cast<char>(b));
  for (std::size_t i = 0; i < payload.size(); ++i) frame.push_back(static_cast<char>(payload[i] ^ (*mask)[i % 4]));
  return frame;
}

inline constexpr std::array<std::uint8_t, 4> kClientMask{0x37, 0xFA, 0x21, 0x3D};

// One client message: masked, as RFC 6455 requires of clients.
inline std::string clientMessage(std::string_view payload, std::uint8_t opcode = 2) {
  return wsFrame(opcode, payload, true, kClientMask);
}

inline std::string serverMessage(std::string_view payload, std::uint8_t opcode = 2) {
  return wsFrame(opcode, payload, true);
}

// [channel][payload], the WebSocket remote-command message.
inline std::string channelPayload(std::uint8_t channel, std::string_view data) {
  return std::string(1, static_cast<char>(channel)) + std::string(data);
}

// One direction of a SPDY connection: the deflate context lives as long as the encoder.
class SpdyEncoder {
 public:
  SpdyEncoder() {
    if (deflateInit(&z_, 9) != Z_OK) throw std::runtime_error("deflateInit");
    const std::string_view dictionary = spdyHeaderDictionary();
    deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(dictionary.data()), static_cast<uInt>(dictionary.size()));
  }
  ~SpdyEncoder() { deflateEnd(&z_); }
  SpdyEncoder(const SpdyEncoder&) = delete;
  SpdyEncoder& operator=(const SpdyEncoder&) = delete;

  std::string synStream(std::uint32_t id, const SpdyHeaderBlock& headers, std::uint8_t flags = 0) {
    return control(1, flags, bigEndian(id, 4) + bigEndian(0, 4) + std::string(2, '\0') + compress(headers));
  }
  std::string synReply(std::uint32_t id, const SpdyHeaderBlock& headers = {}, std::uint8_t flags = 0) {
    return control(2, flags, bigEndian(id, 4) + compress(headers));
  }
  std::string rstStream(std::uint32_t id, std::uint32_t status) {
    return control(3, 0, bigEndian(id, 4) + bigEndian(status, 4));
  }
  std::string ping(std::uint32_t id) { return control(6, 0, bigEndian(id, 4)); }
  std::string goAway(std::uint32_t lastGood) { return control(7, 0, bigEndian(lastGood, 4) + bigEndian(0, 4)); }
  static std::string data(std::uint32_t id, std::string_view payload, std::uint8_t flags = 0) {
    return bigEndian(id & 0x7FFFFFFF, 4) + std::string(1, static_cast<char>(flags)) + bigEndian(payload.size(), 3) +
           std::string(payload);
  }
  static std::string control(std::uint16_t type, std::uint8_t flags, std::string_view body) {
    return bigEndian(0x80030000u | type, 4) + std::string(1, static_cast<char>(flags)) + bigEndian(body.size(), 3) +
           std::string(body);
  }

  std::string compress(const SpdyHeaderBlock& headers) {
    std::string block = bigEndian(headers.size(), 4);
    for (const auto& [name, value] : headers) block += bigEndian(name.size(), 4) + name + bigEndian(value.size(), 4) + value;
    std::string out;
    std::array<unsigned char, 4096> window;
    z_.next_in = reinterpret_cast<Bytef*>(block.data());
    z_.avail_in = static_cast<uInt>(block.size());
    do {
      z_.next_out = window.data();
      z_.avail_out = static_cast<uInt>(window.size());
      deflate(&z_, Z_SYNC_FLUSH);
      out.append(reinterpret_cast<const char*>(window.data()), window.size() - z_.avail_out);
    } while (z_.avail_out == 0);
    return out;
  }

 private:
  z_stream z_{};
};

// Client-side port-forward frames as kube-sim's SPDY framer (testing/kube-sim/lib/streams/spdy.js)
// encoded them: SYN_STREAM 1 {streamtype:error, port:8080, requestid:0}, SYN_STREAM 3 {streamtype:
// data, port:8080, requestid:0}, then DATA 3 with FIN carrying "GET / HTTP/1.1\r\n\r\n".
inline std::string kubeSimPortForwardClientFrames() {
  static constexpr std::string_view kHex =
      "800300010000003e0000000100000000000078f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c60616061c0"
      "c0c0c0590489c64c50f2663400000000ffff800300010000001800000003000000000000c2aa19540e2512d60b000000ffff0000"
      "000301000012474554202f20485454502f312e310d0a0d0a";
  std::string bytes;
  for (std::size_t i = 0; i + 1 < kHex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(kHex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

inline std::span<const char> asSpan(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace kubegate::audit::testing
