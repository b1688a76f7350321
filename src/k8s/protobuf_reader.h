// A bounds-checked reader for the protobuf wire format (varints, length-delimited fields, fixed
// 32/64-bit fields), enough to decode the Kubernetes protobuf encoding without generated code
// (Debian's libprotobuf is not among the project's libraries, and kube-apiserver's messages are
// plain proto2). Every read checks the buffer first: truncated varints, lengths past the end and
// unsupported wire types are errors, never over-reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kubegate::k8s {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5 };

struct FieldTag {
  std::uint32_t number = 0;
  WireType wireType = WireType::varint;
};

class ProtobufReader {
 public:
  explicit ProtobufReader(std::string_view bytes) : bytes_(bytes) {}

  bool atEnd() const { return pos_ >= bytes_.size(); }
  std::size_t offset() const { return pos_; }

  // Each read returns nullopt on malformed input and leaves the reason in error(); the reader must
  // not be used after a failure.
  std::optional<FieldTag> readTag();
  std::optional<std::uint64_t> readVarint();
  std::optional<std::string_view> readLengthDelimited();
  std::optional<std::uint64_t> readFixed64();
  std::optional<std::uint32_t> readFixed32();
  // Skips the value of a field this reader does not model, as generated Go code does for unknown
  // fields. Groups (deprecated, never written by Kubernetes) are refused.
  bool skip(WireType wireType);

  // Why the last read failed: a fixed phrase, never input bytes.
  std::string_view error() const { return error_; }

 private:
  bool fail(std::string_view what) {
    error_ = what;
    return false;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::string_view error_;
};

}  // namespace kubegate::k8s
