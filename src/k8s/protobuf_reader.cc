#include "k8s/protobuf_reader.h"

#include "net/byte_order.h"

namespace kubegate::k8s {

std::optional<std::uint64_t> ProtobufReader::readVarint() {
  std::uint64_t value = 0;
  // Ten bytes carry 64 bits; an eleventh continuation byte is an overflow, as in Go's generated code.
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (atEnd()) {
      fail("truncated varint");
      return std::nullopt;
    }
    const auto byte = static_cast<std::uint8_t>(bytes_[pos_++]);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("varint longer than 64 bits");
  return std::nullopt;
}

std::optional<FieldTag> ProtobufReader::readTag() {
  const auto key = readVarint();
  if (!key) return std::nullopt;
  const auto number = *key >> 3;
  const auto wireType = static_cast<std::uint8_t>(*key & 7);
  if (number == 0 || number > 0x1FFFFFFF) {
    fail("invalid field number");
    return std::nullopt;
  }
  if (wireType > 5) {
    fail("invalid wire type");
    return std::nullopt;
  }
  return FieldTag{static_cast<std::uint32_t>(number), static_cast<WireType>(wireType)};
}

std::optional<std::string_view> ProtobufReader::readLengthDelimited() {
  const auto length = readVarint();
  if (!length) return std::nullopt;
  if (*length > bytes_.size() - pos_) {
    fail("length beyond the end of the message");
    return std::nullopt;
  }
  const std::string_view value = bytes_.substr(pos_, static_cast<std::size_t>(*length));
  pos_ += value.size();
  return value;
}

std::optional<std::uint64_t> ProtobufReader::readFixed64() {
  if (bytes_.size() - pos_ < 8) {
    fail("truncated fixed64");
    return std::nullopt;
  }
  const std::uint64_t value = net::loadLittleEndian<8>(bytes_.data() + pos_);
  pos_ += 8;
  return value;
}

std::optional<std::uint32_t> ProtobufReader::readFixed32() {
  if (bytes_.size() - pos_ < 4) {
    fail("truncated fixed32");
    return std::nullopt;
  }
  const auto value = static_cast<std::uint32_t>(net::loadLittleEndian<4>(bytes_.data() + pos_));
  pos_ += 4;
  return value;
}

bool ProtobufReader::skip(WireType wireType) {
  switch (wireType) {
    case WireType::varint:
      return readVarint().has_value();
    case WireType::fixed64:
      return readFixed64().has_value();
    case WireType::lengthDelimited:
      return readLengthDelimited().has_value();
    case WireType::fixed32:
      return readFixed32().has_value();
    case WireType::startGroup:
    case WireType::endGroup:
      break;
  }
  return fail("group wire type is not supported");
}

}  // namespace kubegate::k8s
