// The verified-token cache: keyed by digest, never outlives the token, bounded, thread-safe.
#include "identity/jwt/token_cache.h"

#include <thread>

#include <gtest/gtest.h>

namespace kubegate::identity::jwt {
namespace {

using Clock = std::chrono::system_clock;
using std::chrono::seconds;

const Clock::time_point kNow{seconds(1'750'000'000)};

std::shared_ptr<const VerifiedToken> tokenExpiringAt(Clock::time_point expiry, std::string subject = "agent") {
  auto token = std::make_shared<VerifiedToken>();
  token->subject = std::move(subject);
  token->expiry = expiry;
  return token;
}

TEST(TokenCache, DigestIsSha256OfTheExactBytes) {
  const TokenDigest empty = digestToken("");
  EXPECT_EQ(empty[0], 0xe3);  // SHA-256("") = e3b0c442...
  EXPECT_EQ(empty[1], 0xb0);
  EXPECT_NE(digestToken("a.b.c"), digestToken("a.b.c "));
}

TEST(TokenCache, HitsUntilTheTokenExpires) {
  VerifiedTokenCache cache;
  cache.insert(digestToken("t1"), tokenExpiringAt(kNow + seconds(60)), kNow);
  auto hit = cache.find("t1", kNow + seconds(59));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->subject, "agent");
  EXPECT_FALSE(cache.find("t2", kNow));
  EXPECT_FALSE(cache.find("t1", kNow + seconds(60)));  // at exp: gone, and removed
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, EntriesAgeOutBeforeLongTokensExpire) {
  VerifiedTokenCache cache({.capacity = 10, .maxEntryAge = seconds(30)});
  cache.insert(digestToken("t"), tokenExpiringAt(kNow + seconds(3600)), kNow);
  EXPECT_TRUE(cache.find("t", kNow + seconds(29)));
  EXPECT_FALSE(cache.find("t", kNow + seconds(30)));
}

TEST(TokenCache, DoesNotKeepExpiredTokens) {
  VerifiedTokenCache cache;
  cache.insert(digestToken("t"), tokenExpiringAt(kNow), kNow);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, IsBoundedAndEvictsTheLeastRecentlyUsed) {
  VerifiedTokenCache cache({.capacity = 16 * 4, .maxEntryAge = seconds(300)});
  for (int i = 0; i < 1000; ++i) {
    cache.insert(digestToken("token-" + std::to_string(i)), tokenExpiringAt(kNow + seconds(600)), kNow);
    ASSERT_TRUE(cache.find("token-0", kNow)) << i;  // kept warm: never the eviction victim
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_TRUE(cache.find("token-999", kNow));
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find("token-0", kNow));
}

TEST(TokenCache, ReinsertReplaces) {
  VerifiedTokenCache cache;
  cache.insert(digestToken("t"), tokenExpiringAt(kNow + seconds(60), "first"), kNow);
  cache.insert(digestToken("t"), tokenExpiringAt(kNow + seconds(60), "second"), kNow);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("t", kNow)->subject, "second");
}

TEST(TokenCache, ConcurrentUse) {
  VerifiedTokenCache cache({.capacity = 256, .maxEntryAge = seconds(300)});
  std::vector<std::thread> threads;
  std::atomic<int> hits{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string token = "token-" + std::to_string((i * 7 + t) % 300);
        if (cache.find(token, kNow)) {
          ++hits;
        } else {
          cache.insert(digestToken(token), tokenExpiringAt(kNow + seconds(600)), kNow);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_GT(hits.load(), 0);
  EXPECT_LE(cache.size(), 256u);
}

}  // namespace
}  // namespace kubegate::identity::jwt
