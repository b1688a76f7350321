#include "net/https_client.h"

#include <gtest/gtest.h>

namespace kubegate::net {
namespace {

TEST(HttpsUrl, SplitsHostPortAndTarget) {
  auto t = parseHttpsUrl("https://idp.example:8443/realms/a/.well-known/openid-configuration?x=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "idp.example");
  EXPECT_EQ(t->port, "8443");
  EXPECT_EQ(t->target, "/realms/a/.well-known/openid-configuration?x=1");
  EXPECT_EQ(parseHttpsUrl("https://[::1]")->host, "::1");
  EXPECT_EQ(parseHttpsUrl("https://[::1]")->target, "/");
}

TEST(HttpsUrl, RefusesAHostThatIsNotWhatItSeems) {
  // Boost.URL 1.81 reads the host as 127.0.0.1 and the rest of the name as a path; the gateway must
  // never connect there for this URL.
  auto tricky = parseHttpsUrl("https://127.0.0.1.evil.example/x");
  EXPECT_TRUE(!tricky || tricky->host == "127.0.0.1.evil.example");
  EXPECT_FALSE(parseHttpsUrl("http://idp.example/"));
  EXPECT_FALSE(parseHttpsUrl("https:///nohost"));
}

}  // namespace
}  // namespace kubegate::net
