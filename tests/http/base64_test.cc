// The one base64 codec: RFC 4648 test vectors, and strictness where a repaired value would hide tampering.
#include <gtest/gtest.h>

#include "http/base64.h"

namespace kubegate {
namespace {

TEST(Base64, EncodesTheRfc4648Vectors) {
  EXPECT_EQ(encodeBase64(""), "");
  EXPECT_EQ(encodeBase64("f"), "Zg==");
  EXPECT_EQ(encodeBase64("fo"), "Zm8=");
  EXPECT_EQ(encodeBase64("foo"), "Zm9v");
  EXPECT_EQ(encodeBase64("foob"), "Zm9vYg==");
  EXPECT_EQ(encodeBase64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encodeBase64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encodeBase64("\xFF\xFE\xFD"), "//79");
}

TEST(Base64, DecodesExactlyAndRefusesAnythingElse) {
  EXPECT_EQ(decodeBase64("Zm9vYg=="), "foob");
  EXPECT_EQ(decodeBase64("Zm9vYmE="), "fooba");
  EXPECT_EQ(decodeBase64("//79"), "\xFF\xFE\xFD");
  EXPECT_FALSE(decodeBase64("Zm9"));
  EXPECT_FALSE(decodeBase64("Zm=v"));
  EXPECT_FALSE(decodeBase64("Zm9*"));
  EXPECT_FALSE(decodeBase64("Zm9v\n"));
  EXPECT_FALSE(decodeBase64("Zm-_"));  // the URL alphabet is another encoding
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (std::size_t n = 0; n <= all.size(); n += 37) EXPECT_EQ(decodeBase64(encodeBase64(all.substr(0, n))), all.substr(0, n));
}

}  // namespace
}  // namespace kubegate
