#include "identity/jwt/base64url.h"

#include <array>
#include <cstdint>

namespace kubegate::identity::jwt {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> makeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecodeTable = makeDecodeTable();

}  // namespace

std::optional<std::string> decodeBase64Url(std::string_view encoded) {
  const std::size_t tail = encoded.size() % 4;
  if (tail == 1) return std::nullopt;  // one character carries only 6 bits: never a whole byte
  const std::size_t wholeGroups = encoded.size() / 4;
  std::string out(wholeGroups * 3 + (tail == 0 ? 0 : tail - 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(encoded.data());
  auto* write = reinterpret_cast<unsigned char*>(out.data());
  // Four characters make three bytes; an invalid character sets the table's high bit, so one OR
  // per group detects it.
  for (std::size_t group = 0; group < wholeGroups; ++group, in += 4, write += 3) {
    const std::uint32_t a = kDecodeTable[in[0]], b = kDecodeTable[in[1]], c = kDecodeTable[in[2]], d = kDecodeTable[in[3]];
    if ((a | b | c | d) & 0x80) return std::nullopt;
    const std::uint32_t bits = (a << 18) | (b << 12) | (c << 6) | d;
    write[0] = static_cast<unsigned char>(bits >> 16);
    write[1] = static_cast<unsigned char>(bits >> 8);
    write[2] = static_cast<unsigned char>(bits);
  }
  if (tail == 0) return out;
  const std::uint32_t a = kDecodeTable[in[0]], b = kDecodeTable[in[1]], c = tail == 3 ? kDecodeTable[in[2]] : 0;
  if ((a | b | c) & 0x80) return std::nullopt;
  // The bits after the last whole byte must be zero: an encoder never sets them, so non-zero ones
  // are a second spelling of the same bytes.
  if (tail == 2) {
    if (b & 0x0f) return std::nullopt;
    write[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else {
    if (c & 0x03) return std::nullopt;
    write[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
    write[1] = static_cast<unsigned char>((b << 4) | (c >> 2));
  }
  return out;
}

std::string encodeBase64Url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    accumulator = (accumulator << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(accumulator >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(accumulator << (6 - bits)) & 0x3f]);
  return out;
}

}  // namespace kubegate::identity::jwt
