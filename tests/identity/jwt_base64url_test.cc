// Strict base64url: one accepted spelling per byte string (shared/notes/security.md catalogue A16).
#include "identity/jwt/base64url.h"

#include <gtest/gtest.h>

namespace kubegate::identity::jwt {
namespace {

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37 + 11));
    const std::string encoded = encodeBase64Url(bytes);
    EXPECT_EQ(encoded.find_first_of("=+/"), std::string::npos);
    const auto decoded = decodeBase64Url(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64Url, KnownVectors) {
  EXPECT_EQ(encodeBase64Url(""), "");
  EXPECT_EQ(encodeBase64Url("f"), "Zg");
  EXPECT_EQ(encodeBase64Url("fo"), "Zm8");
  EXPECT_EQ(encodeBase64Url("foo"), "Zm9v");
  EXPECT_EQ(encodeBase64Url("\xfb\xff"), "-_8");
  EXPECT_EQ(*decodeBase64Url("-_8"), "\xfb\xff");
}

TEST(Base64Url, RefusesPaddingStandardAlphabetAndWhitespace) {
  for (const char* bad : {"Zg==", "Zg=", "Zm8=", "+/8", "Zm 9v", "Zm9v\n", " Zm9v", "Zm9v\t", "Zm\r9v", "Zm9v.", "Z%6D"}) {
    EXPECT_FALSE(decodeBase64Url(bad)) << bad;
  }
}

TEST(Base64Url, RefusesImpossibleLengthsAndNonCanonicalTrailingBits) {
  EXPECT_FALSE(decodeBase64Url("Z"));
  EXPECT_FALSE(decodeBase64Url("Zm9vY"));
  EXPECT_TRUE(decodeBase64Url("Zg"));   // 'g' = 0b100000: the 4 unused bits are zero
  EXPECT_FALSE(decodeBase64Url("Zh"));  // same byte, unused bits set
  EXPECT_FALSE(decodeBase64Url("Zv"));
  EXPECT_TRUE(decodeBase64Url("Zm8"));  // '8' = 0b111100: the 2 unused bits are zero
  EXPECT_FALSE(decodeBase64Url("Zm9"));
  EXPECT_FALSE(decodeBase64Url("Zm-"));
}

TEST(Base64Url, RefusesNonAsciiAndNul) {
  EXPECT_FALSE(decodeBase64Url(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(decodeBase64Url("Zm\xc3\xa9v"));
}

}  // namespace
}  // namespace kubegate::identity::jwt
