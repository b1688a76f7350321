// Fixed-width integers as the wire formats kubegate reads and writes lay them out: big-endian in
// RFC 6962 leaves, SPDY, WebSocket and the port-forward stream headers; little-endian in the audit
// journal and protobuf's fixed fields. Boost.Endian does the byte order; these only say how many
// bytes, and append to or read from the buffers the callers already hold.
#pragma once

#include <boost/endian/conversion.hpp>

#include <cstdint>
#include <string>

namespace kubegate::net {
namespace detail {

template <boost::endian::order Order, int Bytes>
void append(std::string& out, std::uint64_t value) {
  static_assert(Bytes >= 1 && Bytes <= 8);
  unsigned char bytes[Bytes];
  boost::endian::endian_store<std::uint64_t, Bytes, Order>(bytes, value);
  out.append(reinterpret_cast<const char*>(bytes), Bytes);
}

template <boost::endian::order Order, int Bytes>
std::uint64_t load(const void* p) {
  static_assert(Bytes >= 1 && Bytes <= 8);
  return boost::endian::endian_load<std::uint64_t, Bytes, Order>(static_cast<const unsigned char*>(p));
}

}  // namespace detail

// Appends the low Bytes bytes of value, most significant first.
template <int Bytes>
void appendBigEndian(std::string& out, std::uint64_t value) { detail::append<boost::endian::order::big, Bytes>(out, value); }

// Appends the low Bytes bytes of value, least significant first.
template <int Bytes>
void appendLittleEndian(std::string& out, std::uint64_t value) {
  detail::append<boost::endian::order::little, Bytes>(out, value);
}

// Read Bytes bytes at p (the caller has checked that they are there).
template <int Bytes>
std::uint64_t loadBigEndian(const void* p) { return detail::load<boost::endian::order::big, Bytes>(p); }

template <int Bytes>
std::uint64_t loadLittleEndian(const void* p) { return detail::load<boost::endian::order::little, Bytes>(p); }

}  // namespace kubegate::net
