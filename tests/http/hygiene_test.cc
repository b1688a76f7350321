// The gateway must read a request one way only, and refuse what a backend could read differently
// (shared/notes/security.md catalogue C and F).
#include "http/hygiene.h"

#include <gtest/gtest.h>

namespace kubegate::http_hygiene {
namespace {

const RawHeaderLimits kLimits{8192, 100};

k8s::ErrorKind scanError(std::string_view block) {
  auto r = scanRawHeader(block, kLimits);
  EXPECT_FALSE(r) << block;
  return r ? k8s::ErrorKind::BadRequest : r.error().kind;
}

TEST(HygieneScan, AcceptsAnOrdinaryRequest) {
  EXPECT_TRUE(scanRawHeader("GET /api HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", kLimits));
}

TEST(HygieneScan, RefusesObsFoldBareLineEndsNulAndSpaceBeforeColon) {
  EXPECT_EQ(scanError("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n"), k8s::ErrorKind::BadRequest);
  EXPECT_EQ(scanError("GET / HTTP/1.1\r\nContent-Length:\r\n 5\r\n\r\n"), k8s::ErrorKind::BadRequest);
  EXPECT_EQ(scanError("GET / HTTP/1.1\nHost: x\r\n\r\n"), k8s::ErrorKind::BadRequest);
  EXPECT_EQ(scanError("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"), k8s::ErrorKind::BadRequest);
  EXPECT_EQ(scanError(std::string_view("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 29)), k8s::ErrorKind::BadRequest);
  EXPECT_EQ(scanError("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), k8s::ErrorKind::BadRequest);
}

TEST(HygieneScan, LimitsUriLengthAndHeaderCount) {
  const std::string longUri = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(scanError(longUri), k8s::ErrorKind::UriTooLong);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(scanError(many + "\r\n"), k8s::ErrorKind::HeaderTooLarge);
}

TEST(HygieneTarget, KeepsCanonicalPathsAndDecodesTheQuery) {
  auto t = parseTarget("/clusters/demo/api/v1/namespaces/d/pods?fieldSelector=metadata.name%3Dx&watch=1&label=a+b");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/clusters/demo/api/v1/namespaces/d/pods");
  ASSERT_EQ(t->query.size(), 3u);
  EXPECT_EQ(t->query[0].second, "metadata.name=x");
  EXPECT_EQ(t->query[2].second, "a b");
  EXPECT_EQ(*firstValue(t->query, "watch"), "1");
}

TEST(HygieneTarget, RefusesEveryNonCanonicalPath) {
  for (const char* bad : {"//api/v1/secrets", "/api//v1/secrets", "/api/v1/secrets/", "/api/./v1", "/api/v1/pods/../secrets/x",
                          "/api/v1/%2e%2e/secrets", "/api%2Fv1", "/api/v1/secrets%2fx", "/a/..\\c", "/api;a=b/v1", "/api/v1#frag",
                          "/%c0%af", "https://other.example/api", "*", "/api/v1/pods?x=%zz", "/api/v1/pods?a=1;b=2",
                          "/api/v1/pods?x=%00"}) {
    EXPECT_FALSE(parseTarget(bad)) << bad;
  }
}

TEST(HygieneTarget, ReencodesTheQueryCanonically) {
  auto t = parseTarget("/x?command=sh&command=-c&command=echo%20hi&watch=");
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeQuery(t->query), "command=sh&command=-c&command=echo%20hi&watch=");
}

TEST(HygieneHeaders, ForwardsOnlyKnownClientHeaders) {
  EXPECT_TRUE(isForwardableRequestHeader("accept"));
  EXPECT_TRUE(isForwardableRequestHeader("x-stream-protocol-version"));
  for (const char* identity : {"authorization", "impersonate-user", "impersonate-group", "impersonate-extra-scopes",
                               "x-remote-user", "x-forwarded-for", "connection", "transfer-encoding", "content-length",
                               "audit-id", "x-http-method-override", "proxy-authorization"}) {
    EXPECT_FALSE(isForwardableRequestHeader(identity)) << identity;
  }
}

TEST(HygieneHeaders, WebSocketSubprotocolsKeepCaseAndRefuseBearerTokens) {
  auto kept = filterWebSocketProtocols("v5.channel.k8s.io, v4.channel.k8s.io, chat, SPDY/3.1+portforward.k8s.io");
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, (std::vector<std::string>{"v5.channel.k8s.io", "v4.channel.k8s.io", "SPDY/3.1+portforward.k8s.io"}));
  EXPECT_FALSE(filterWebSocketProtocols("base64url.bearer.authorization.k8s.io.dG9rZW4, v4.channel.k8s.io"));
}

}  // namespace
}  // namespace kubegate::http_hygiene

namespace kubegate::http_hygiene {
namespace {

TEST(BearerAuthorization, TakesTheTokenOfAnyCaseOfBearerAndRefusesEverythingElse) {
  auto plain = parseBearerAuthorization("Bearer abc.def");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "abc.def");
  auto spaced = parseBearerAuthorization("bEaReR   abc  ");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(*spaced, "abc");
  for (const char* refused : {"Basic YWdlbnQ6c2VjcmV0", "Bearer", "Bearer    ", "Bearerabc", "", "Token abc"}) {
    auto r = parseBearerAuthorization(refused);
    ASSERT_FALSE(r) << refused;
    EXPECT_EQ(r.error().kind, k8s::ErrorKind::Unauthorized) << refused;
  }
}

}  // namespace
}  // namespace kubegate::http_hygiene
