// The signer's rules that the official suites do not isolate, and the inputs it must refuse.
#include <gtest/gtest.h>

#include "aws/sigv4.h"
#include "aws/fixture_values.h"  // beside this file

namespace kubegate::aws {
namespace {

Credentials exampleCredentials(std::string token = {}) { return fixture::credentials(std::move(token)); }

SigningScope exampleScope() {
  return SigningScope{"us-east-1", "service", fixture::kTime};
}

SigningRequest vanillaGet() {
  SigningRequest request;
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

TEST(SigV4, EncodesEverythingButUnreservedWithUpperCaseHex) {
  EXPECT_EQ(uriEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(uriEncode("a b+c/d=e&f%"), "a%20b%2Bc%2Fd%3De%26f%25");
  EXPECT_EQ(uriEncode("/a b/", true), "/a%20b/");
  EXPECT_EQ(uriEncode("\xE1\x88\xB4"), "%E1%88%B4");
}

TEST(SigV4, NormalisesPathsOnlyWhenAsked) {
  EXPECT_EQ(canonicalUriPath("", true), "/");
  EXPECT_EQ(canonicalUriPath("/a/./b/../c//", true), "/a/c/");
  EXPECT_EQ(canonicalUriPath("/a/b/..", true), "/a/");
  EXPECT_EQ(canonicalUriPath("/../..", true), "/");
  EXPECT_EQ(canonicalUriPath("/a/./b/../c//", false), "/a/./b/../c//");
}

TEST(SigV4, SortsQueryByEncodedKeyThenValue) {
  EXPECT_EQ(canonicalQueryString({{"b", "2"}, {"a", "z"}, {"a", "Z"}, {"a b", ""}}), "a=Z&a=z&a%20b=&b=2");
}

TEST(SigV4, FormatsTheSigningTimeInUtcSeconds) {
  EXPECT_EQ(formatAmzDate(exampleScope().time + std::chrono::milliseconds{999}), fixture::kAmzDate);
}

TEST(SigV4, SignsTheSessionTokenAsAHeaderUnlessTold) {
  auto signedToken = signWithHeaders(vanillaGet(), exampleCredentials("tok"), exampleScope());
  ASSERT_TRUE(signedToken);
  EXPECT_NE(signedToken->authorization.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos);

  SigningOptions afterSigning;
  afterSigning.signSessionToken = false;
  auto unsignedToken = signWithHeaders(vanillaGet(), exampleCredentials("tok"), exampleScope(), afterSigning);
  ASSERT_TRUE(unsignedToken);
  EXPECT_NE(unsignedToken->authorization.find("SignedHeaders=host;x-amz-date,"), std::string::npos);
  // Still sent, after the signature was computed.
  ASSERT_EQ(unsignedToken->headersToAdd.size(), 3u);
  EXPECT_EQ(unsignedToken->headersToAdd[1], (std::pair<std::string, std::string>{"X-Amz-Security-Token", "tok"}));
}

TEST(SigV4, PresignAppendsAuthParametersInBotocoreOrder) {
  SigningRequest request = vanillaGet();
  request.query = {{"Z", "1"}, {"A", "2"}};
  auto presigned = presignWithQuery(request, exampleCredentials("t/+"), exampleScope());
  ASSERT_TRUE(presigned);
  std::vector<std::string> keys;
  for (const auto& [key, value] : presigned->query) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"Z", "A", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                            "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token",
                                            "X-Amz-Signature"}));
  EXPECT_NE(presigned->queryString.find("&X-Amz-Security-Token=t%2F%2B&"), std::string::npos);
  // The canonical query is sorted, whatever order the URL has.
  EXPECT_NE(presigned->canonicalRequest.find("\nA=2&X-Amz-Algorithm="), std::string::npos);
}

TEST(SigV4, RefusesHeadersThatWouldSmuggleOrThatItOwns) {
  SigningRequest injected = vanillaGet();
  injected.headers.emplace_back("X-Test", "a\r\nEvil: 1");
  EXPECT_EQ(signWithHeaders(injected, exampleCredentials(), exampleScope()).error().kind,
            AwsError::Kind::invalidInput);

  SigningRequest owned = vanillaGet();
  owned.headers.emplace_back("authorization", "x");
  EXPECT_FALSE(signWithHeaders(owned, exampleCredentials(), exampleScope()));

  SigningRequest hostless;
  EXPECT_FALSE(signWithHeaders(hostless, exampleCredentials(), exampleScope()));

  SigningRequest presetSignature = vanillaGet();
  presetSignature.query = {{"X-Amz-Signature", "0"}};
  EXPECT_FALSE(presignWithQuery(presetSignature, exampleCredentials(), exampleScope()));

  EXPECT_EQ(signWithHeaders(vanillaGet(), Credentials{}, exampleScope()).error().kind, AwsError::Kind::noCredentials);
}

}  // namespace
}  // namespace kubegate::aws
