// The wire reader must never read past its buffer, whatever the bytes claim.
#include "k8s/protobuf_reader.h"

#include <gtest/gtest.h>

#include "protobuf_test_writer.h"

namespace kubegate::k8s {
namespace {

using testing::bytesField;
using testing::varint;
using testing::varintField;

TEST(ProtobufReader, ReadsTagsVarintsAndLengthDelimitedFields) {
  const std::string bytes = varintField(7, 300) + bytesField(2, "hunter2");
  ProtobufReader reader(bytes);
  auto tag = reader.readTag();
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->number, 7u);
  EXPECT_EQ(tag->wireType, WireType::varint);
  EXPECT_EQ(reader.readVarint(), 300u);
  tag = reader.readTag();
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->number, 2u);
  EXPECT_EQ(reader.readLengthDelimited(), "hunter2");
  EXPECT_TRUE(reader.atEnd());
}

TEST(ProtobufReader, ReadsTheLargestVarint) {
  const std::string bytes = varint(UINT64_MAX);
  ProtobufReader reader(bytes);
  EXPECT_EQ(reader.readVarint(), UINT64_MAX);
}

TEST(ProtobufReader, RefusesAVarintThatNeverEnds) {
  ProtobufReader truncated(std::string_view("\x80\x80", 2));
  EXPECT_FALSE(truncated.readVarint());
  EXPECT_EQ(truncated.error(), "truncated varint");
  const std::string eleven(11, '\x80');
  ProtobufReader overlong(eleven);
  EXPECT_FALSE(overlong.readVarint());
}

TEST(ProtobufReader, RefusesALengthBeyondTheBuffer) {
  const std::string bytes = varint((2u << 3) | 2) + varint(1000) + "short";
  ProtobufReader reader(bytes);
  ASSERT_TRUE(reader.readTag());
  EXPECT_FALSE(reader.readLengthDelimited());
  EXPECT_EQ(reader.error(), "length beyond the end of the message");
}

TEST(ProtobufReader, RefusesALengthThatWouldWrapAround) {
  const std::string bytes = varint(UINT64_MAX - 2) + "abc";
  ProtobufReader reader(bytes);
  EXPECT_FALSE(reader.readLengthDelimited());
}

TEST(ProtobufReader, RefusesFieldNumberZeroAndUnknownWireTypes) {
  ProtobufReader zero(varint(0 << 3));
  EXPECT_FALSE(zero.readTag());
  ProtobufReader wireSix(varint((1 << 3) | 6));
  EXPECT_FALSE(wireSix.readTag());
}

TEST(ProtobufReader, SkipsEveryWireTypeButGroups) {
  const std::string bytes = varint(5) + std::string(8, 'x') + std::string(4, 'y') + bytesField(1, "zz");
  ProtobufReader reader(bytes);
  EXPECT_TRUE(reader.skip(WireType::varint));
  EXPECT_TRUE(reader.skip(WireType::fixed64));
  EXPECT_TRUE(reader.skip(WireType::fixed32));
  ASSERT_TRUE(reader.readTag());
  EXPECT_TRUE(reader.skip(WireType::lengthDelimited));
  EXPECT_TRUE(reader.atEnd());
  ProtobufReader group(std::string_view("\x01", 1));
  EXPECT_FALSE(group.skip(WireType::startGroup));
}

TEST(ProtobufReader, RefusesTruncatedFixedWidthValues) {
  ProtobufReader reader(std::string_view("1234567", 7));
  EXPECT_FALSE(reader.readFixed64());
  ProtobufReader shortFixed32(std::string_view("123", 3));
  EXPECT_FALSE(shortFixed32.readFixed32());
}

}  // namespace
}  // namespace kubegate::k8s
