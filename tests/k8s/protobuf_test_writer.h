// Builds protobuf wire bytes by hand for tests: field numbers are written out in each test, taken
// from the generated.proto files the decoder cites, so a wrong number in the decoder's schema shows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kubegate::k8s::testing {

inline std::string varint(std::uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

// A length-delimited field (strings, bytes, nested messages, map entries).
inline std::string bytesField(std::uint32_t number, std::string_view value) {
  return varint((std::uint64_t{number} << 3) | 2) + varint(value.size()) + std::string(value);
}

inline std::string varintField(std::uint32_t number, std::uint64_t value) {
  return varint(std::uint64_t{number} << 3) + varint(value);
}

inline std::string mapEntry(std::uint32_t number, std::string_view key, std::string_view value) {
  return bytesField(number, bytesField(1, key) + bytesField(2, value));
}

// `k8s\0` + runtime.Unknown{1 typeMeta{1 apiVersion, 2 kind}, 2 raw}.
inline std::string envelope(std::string_view apiVersion, std::string_view kind, std::string_view raw) {
  return std::string("k8s\0", 4) + bytesField(1, bytesField(1, apiVersion) + bytesField(2, kind)) + bytesField(2, raw);
}

}  // namespace kubegate::k8s::testing
