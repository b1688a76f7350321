#include "net/byte_order.h"

#include <gtest/gtest.h>

#include <string>

namespace kubegate::net {
namespace {

TEST(ByteOrder, BigEndianPutsTheMostSignificantByteFirstAndKeepsOnlyTheLowBytes) {
  std::string out;
  appendBigEndian<2>(out, 0x0102);
  appendBigEndian<3>(out, 0xFF0A0B0C);  // a SPDY length: the top byte is not part of it
  appendBigEndian<8>(out, 0x1122334455667788ULL);
  EXPECT_EQ(out, std::string("\x01\x02\x0A\x0B\x0C\x11\x22\x33\x44\x55\x66\x77\x88", 13));
}

TEST(ByteOrder, LittleEndianPutsTheLeastSignificantByteFirst) {
  std::string out;
  appendLittleEndian<1>(out, 0x1FF);
  appendLittleEndian<4>(out, 0xA1B2C3D4);
  EXPECT_EQ(out, std::string("\xFF\xD4\xC3\xB2\xA1", 5));
}

TEST(ByteOrder, LoadsReadBackWhatWasAppended) {
  for (std::uint64_t value : {0ULL, 1ULL, 0x80ULL, 0xFEDCBA9876543210ULL}) {
    std::string big, little;
    appendBigEndian<8>(big, value);
    appendLittleEndian<8>(little, value);
    EXPECT_EQ(loadBigEndian<8>(big.data()), value);
    EXPECT_EQ(loadLittleEndian<8>(little.data()), value);
  }
  const unsigned char websocketLength[] = {0x01, 0x00};
  EXPECT_EQ(loadBigEndian<2>(websocketLength), 256u);
  const unsigned char protobufFixed32[] = {0x01, 0x00, 0x00, 0x80};
  EXPECT_EQ(loadLittleEndian<4>(protobufFixed32), 0x80000001u);
}

}  // namespace
}  // namespace kubegate::net
