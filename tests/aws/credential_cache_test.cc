// Credentials kept and refreshed: single-flight (one fetch for many callers, across threads too),
// the advisory/mandatory windows for base credentials and half-life refresh for role sessions,
// all under an injected clock.
#include "aws/credential_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "aws/aws_stand_ins.h"

namespace kubegate::aws {
namespace {

using testing::runUntilDone;
using CredentialsResult = boost::system::result<Credentials, AwsError>;
using RoleResult = boost::system::result<AssumedRole, AwsError>;
using std::chrono::minutes;
using std::chrono::seconds;

const Clock::time_point kStart{seconds(1795960800)};

// Blocks every fetch that starts while closed, until open() (on the io_context it was made for).
struct Gate {
  explicit Gate(asio::io_context& io) : timer(io, asio::steady_timer::time_point::max()) {}
  asio::awaitable<void> pass() {
    while (closed) co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  void open() {
    closed = false;
    timer.cancel();
  }
  void close() { closed = true; }
  asio::steady_timer timer;
  bool closed = false;
};

// Hands out AKID1, AKID2, … each living `lifetime` from the fake clock's now.
class FakeProvider final : public CredentialProvider {
 public:
  FakeProvider(Clock::time_point* now, Clock::duration lifetime) : now_(now), lifetime_(lifetime) {}
  std::string name() const override { return "fake"; }
  asio::awaitable<CredentialsResult> fetch() override {
    const int n = ++fetches;
    if (gate) co_await gate->pass();
    if (delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (failFrom && n >= failFrom) {
      AwsError e;
      e.kind = AwsError::Kind::transport;
      e.message = "source unreachable";
      co_return e;
    }
    Credentials c;
    c.accessKeyId = "AKID" + std::to_string(n);
    c.secretAccessKey = "secret";
    if (lifetime_.count() > 0) c.expiration = (now_ ? *now_ : Clock::now()) + lifetime_;
    co_return c;
  }
  std::atomic<int> fetches{0};
  Gate* gate = nullptr;
  std::chrono::milliseconds delay{0};
  int failFrom = 0;

 private:
  Clock::time_point* now_;
  Clock::duration lifetime_;
};

struct CacheFixture : ::testing::Test {
  asio::io_context io;
  Clock::time_point now = kStart;
  std::shared_ptr<FakeProvider> provider = std::make_shared<FakeProvider>(&now, minutes(60));
  std::unique_ptr<RefreshingCredentials> cache;

  void SetUp() override {
    RefreshingCredentials::Options o;
    o.now = [this] { return now; };
    cache = std::make_unique<RefreshingCredentials>(provider, o);
  }
  std::string keyNow() {
    auto c = runUntilDone(io, cache->get());
    return c ? c->accessKeyId : "error: " + c.error().message;
  }
};

TEST_F(CacheFixture, ManyConcurrentCallersShareOneFetch) {
  provider->delay = std::chrono::milliseconds(20);
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i)
    asio::co_spawn(io, cache->get(), [&](std::exception_ptr, CredentialsResult r) { keys.push_back(r ? r->accessKeyId : "error"); });
  io.run();
  EXPECT_EQ(provider->fetches.load(), 1);
  ASSERT_EQ(keys.size(), 50u);
  for (const auto& k : keys) EXPECT_EQ(k, "AKID1");
}

TEST_F(CacheFixture, CallersOnDifferentThreadsShareOneFetch) {
  provider->delay = std::chrono::milliseconds(50);
  constexpr int kThreads = 4, kPerThread = 10;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::atomic<int> ok{0}, sameKey{0};
  for (int t = 0; t < kThreads; ++t) {
    contexts.push_back(std::make_unique<asio::io_context>());
    for (int i = 0; i < kPerThread; ++i)
      asio::co_spawn(*contexts.back(), cache->get(), [&](std::exception_ptr e, CredentialsResult r) {
        if (!e && r) ++ok;
        if (!e && r && r->accessKeyId == "AKID1") ++sameKey;
      });
  }
  std::vector<std::thread> threads;
  for (auto& ctx : contexts) threads.emplace_back([&ctx] { ctx->run(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(provider->fetches.load(), 1);
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(sameKey.load(), kThreads * kPerThread);
}

TEST_F(CacheFixture, RefreshesOnlyInsideTheAdvisoryWindow) {
  EXPECT_EQ(keyNow(), "AKID1");
  now = kStart + minutes(44);  // 16 min left
  EXPECT_EQ(keyNow(), "AKID1");
  EXPECT_EQ(provider->fetches.load(), 1);
  now = kStart + minutes(46);  // 14 min left: advisory refresh
  EXPECT_EQ(keyNow(), "AKID2");
  EXPECT_EQ(provider->fetches.load(), 2);
  now += minutes(30);  // the new ones have 30 min left
  EXPECT_EQ(keyNow(), "AKID2");
}

TEST_F(CacheFixture, DuringAnAdvisoryRefreshOthersKeepTheOldCredentials) {
  Gate gate(io);
  EXPECT_EQ(keyNow(), "AKID1");
  now = kStart + minutes(47);  // 13 min left
  provider->gate = &gate;
  gate.close();
  std::vector<std::string> order;
  asio::co_spawn(io, cache->get(), [&](std::exception_ptr, CredentialsResult r) { order.push_back("refresher:" + r->accessKeyId); });
  asio::co_spawn(io, cache->get(), [&](std::exception_ptr, CredentialsResult r) {
    order.push_back("other:" + r->accessKeyId);
    gate.open();
  });
  io.restart();
  io.run();
  EXPECT_EQ(order, (std::vector<std::string>{"other:AKID1", "refresher:AKID2"}));
  EXPECT_EQ(provider->fetches.load(), 2);
}

TEST_F(CacheFixture, DuringAMandatoryRefreshEveryoneWaitsForIt) {
  Gate gate(io);
  EXPECT_EQ(keyNow(), "AKID1");
  now = kStart + minutes(51);  // 9 min left
  provider->gate = &gate;
  gate.close();
  std::vector<std::string> results;
  for (int i = 0; i < 5; ++i)
    asio::co_spawn(io, cache->get(), [&](std::exception_ptr, CredentialsResult r) { results.push_back(r->accessKeyId); });
  asio::steady_timer opener(io, std::chrono::milliseconds(10));
  opener.async_wait([&](error_code) {
    EXPECT_TRUE(results.empty()) << "nobody may use credentials with 9 min left";
    gate.open();
  });
  io.restart();
  io.run();
  EXPECT_EQ(results, std::vector<std::string>(5, "AKID2"));
  EXPECT_EQ(provider->fetches.load(), 2);
}

TEST_F(CacheFixture, AFailedAdvisoryRefreshKeepsTheOldOnesAFailedMandatoryOneIsAnError) {
  EXPECT_EQ(keyNow(), "AKID1");
  provider->failFrom = 2;
  now = kStart + minutes(48);
  EXPECT_EQ(keyNow(), "AKID1");
  now = kStart + minutes(52);
  EXPECT_EQ(keyNow(), "error: source unreachable");
  provider->failFrom = 0;
  EXPECT_EQ(keyNow(), "AKID4");  // the next call tries again
}

TEST_F(CacheFixture, LongTermKeysAreNeverRefreshed) {
  auto forever = std::make_shared<FakeProvider>(&now, Clock::duration::zero());
  RefreshingCredentials::Options o;
  o.now = [this] { return now; };
  RefreshingCredentials longTerm(forever, o);
  ASSERT_TRUE(runUntilDone(io, longTerm.get()));
  now += std::chrono::hours(24 * 365);
  ASSERT_TRUE(runUntilDone(io, longTerm.get()));
  EXPECT_EQ(forever->fetches.load(), 1);
}

// ---------------------------------------------------------------------------------------------

struct RoleCacheFixture : ::testing::Test {
  asio::io_context io;
  Clock::time_point now = kStart;
  int assumeCalls = 0;
  Gate gate{io};
  bool fail = false;
  std::unique_ptr<RoleSessionCache> cache;

  void SetUp() override {
    RoleSessionCache::Options o;
    o.now = [this] { return now; };
    cache = std::make_unique<RoleSessionCache>(o);
  }
  RoleSessionCache::AssumeFn assume(std::string role) {
    return [this, role]() -> asio::awaitable<RoleResult> {
      const int n = ++assumeCalls;
      co_await gate.pass();
      if (fail) {
        AwsError e;
        e.code = "AccessDenied";
        e.message = "denied";
        co_return e;
      }
      AssumedRole r;
      r.credentials.accessKeyId = role + "-" + std::to_string(n);
      r.credentials.secretAccessKey = "s";
      r.credentials.sessionToken = "t";
      r.credentials.expiration = now + seconds(900);
      co_return r;
    };
  }
  static RoleSessionKey key(std::string role, std::string session = "agent-1", std::string policy = "") {
    RoleSessionKey k;
    k.roleArn = "arn:aws:iam::123456789012:role/" + role;
    k.sessionName = std::move(session);
    k.policyDigest = sessionPolicyDigest(policy);
    return k;
  }
  std::string keyNow(const RoleSessionKey& k, const std::string& role) {
    auto r = runUntilDone(io, cache->credentialsFor(k, assume(role)));
    return r ? r->credentials.accessKeyId : "error: " + r.error().code;
  }
};

TEST_F(RoleCacheFixture, ConcurrentCallersForOneKeyShareOneAssumeRole) {
  gate.close();
  std::vector<std::string> got;
  for (int i = 0; i < 20; ++i)
    asio::co_spawn(io, cache->credentialsFor(key("a"), assume("a")),
                   [&](std::exception_ptr, RoleResult r) { got.push_back(r->credentials.accessKeyId); });
  asio::co_spawn(io, cache->credentialsFor(key("b"), assume("b")),
                 [&](std::exception_ptr, RoleResult r) { got.push_back(r->credentials.accessKeyId); });
  asio::steady_timer opener(io, std::chrono::milliseconds(5));
  opener.async_wait([&](error_code) { gate.open(); });
  io.run();
  EXPECT_EQ(assumeCalls, 2);  // one per key
  ASSERT_EQ(got.size(), 21u);
  EXPECT_EQ(std::count(got.begin(), got.end(), "a-1"), 20);
  EXPECT_EQ(std::count(got.begin(), got.end(), "b-2"), 1);
  EXPECT_EQ(cache->size(), 2u);
}

TEST_F(RoleCacheFixture, RefreshedAtHalfTheirLife) {
  EXPECT_EQ(keyNow(key("a"), "a"), "a-1");
  now = kStart + seconds(449);
  EXPECT_EQ(keyNow(key("a"), "a"), "a-1");
  now = kStart + seconds(451);
  EXPECT_EQ(keyNow(key("a"), "a"), "a-2");
  EXPECT_EQ(assumeCalls, 2);
  now += seconds(400);  // a-2 obtained at 451 s, half life at 901 s
  EXPECT_EQ(keyNow(key("a"), "a"), "a-2");
}

TEST_F(RoleCacheFixture, OthersUseTheCurrentSessionWhileItIsRefreshedButNotNearExpiry) {
  EXPECT_EQ(keyNow(key("a"), "a"), "a-1");
  now = kStart + seconds(600);  // past half life, 300 s left
  gate.close();
  std::vector<std::string> order;
  asio::co_spawn(io, cache->credentialsFor(key("a"), assume("a")),
                 [&](std::exception_ptr, RoleResult r) { order.push_back("refresher:" + r->credentials.accessKeyId); });
  asio::co_spawn(io, cache->credentialsFor(key("a"), assume("a")), [&](std::exception_ptr, RoleResult r) {
    order.push_back("other:" + r->credentials.accessKeyId);
    gate.open();
  });
  io.restart();
  io.run();
  EXPECT_EQ(order, (std::vector<std::string>{"other:a-1", "refresher:a-2"}));

  now += seconds(900 - 30);  // a-2 has 30 s left: below the margin, callers wait for a new one
  EXPECT_EQ(keyNow(key("a"), "a"), "a-3");
}

TEST_F(RoleCacheFixture, ErrorsAreNotCached) {
  fail = true;
  EXPECT_EQ(keyNow(key("a"), "a"), "error: AccessDenied");
  fail = false;
  EXPECT_EQ(keyNow(key("a"), "a"), "a-2");
}

TEST_F(RoleCacheFixture, KeysDifferBySessionAndPolicy) {
  EXPECT_EQ(keyNow(key("a", "agent-1"), "a"), "a-1");
  EXPECT_EQ(keyNow(key("a", "agent-2"), "a"), "a-2");
  EXPECT_EQ(keyNow(key("a", "agent-1", "{\"Version\":\"2012-10-17\"}"), "a"), "a-3");
  EXPECT_EQ(keyNow(key("a", "agent-1"), "a"), "a-1");
  EXPECT_EQ(sessionPolicyDigest(""), "");
  EXPECT_EQ(sessionPolicyDigest("{}").size(), 64u);
  EXPECT_NE(sessionPolicyDigest("{}"), sessionPolicyDigest("{ }"));
  cache->forget(key("a", "agent-1"));
  EXPECT_EQ(keyNow(key("a", "agent-1"), "a"), "a-4");
}

TEST_F(RoleCacheFixture, EntriesAreBounded) {
  RoleSessionCache::Options o;
  o.now = [this] { return now; };
  o.maxEntries = 2;
  cache = std::make_unique<RoleSessionCache>(o);
  keyNow(key("a"), "a");
  now += seconds(10);
  keyNow(key("b"), "b");
  keyNow(key("c"), "c");
  EXPECT_EQ(cache->size(), 2u);
  EXPECT_EQ(keyNow(key("c"), "c"), "c-3");  // kept: the newest
  EXPECT_EQ(keyNow(key("a"), "a"), "a-4");  // dropped: the one expiring first
}

}  // namespace
}  // namespace kubegate::aws
