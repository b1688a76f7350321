// The OIDC authenticator with its key cache, against a stand-in IdP that serves discovery and a
// JWK Set the test changes (a key rotation) and answers after a delay (the network). Requests run on
// a worker loop, key fetches on a control thread, as in the gateway.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "admin/metrics.h"
#include "identity/oidc_authenticator.h"
#include "jwt_test_keys.h"

namespace kubegate::identity {
namespace {

using jwt::testing::jwkSet;
using jwt::testing::publicJwk;
using jwt::testing::TestKeys;
using namespace std::chrono_literals;

constexpr const char* kIssuer = "https://idp.test";
using FetchResult = boost::system::result<net::HttpsResponse, net::FetchError>;

// What the stand-in IdP serves, and how it behaves.
struct IdpState {
  std::mutex mutex;
  std::string jwks;
  std::chrono::milliseconds delay{0};
  std::atomic<int> jwksFetches{0};

  void publish(std::string set) {
    std::lock_guard lock(mutex);
    jwks = std::move(set);
  }
};

asio::awaitable<FetchResult> serveIdp(std::shared_ptr<IdpState> idp, net::HttpsRequest request) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(idp->mutex);
    delay = idp->delay;
  }
  if (delay.count() > 0) {
    asio::steady_timer network(co_await asio::this_coro::executor, delay);
    co_await network.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  net::HttpsResponse res;
  res.status = 200;
  res.headers["cache-control"] = "max-age=300";
  if (request.url == std::string(kIssuer) + "/.well-known/openid-configuration") {
    res.body = std::string(R"({"issuer":")") + kIssuer + R"(","jwks_uri":")" + kIssuer + R"(/jwks"})";
  } else if (request.url == std::string(kIssuer) + "/jwks") {
    std::lock_guard lock(idp->mutex);
    res.body = idp->jwks;
    ++idp->jwksFetches;
  } else {
    res.status = 404;
  }
  co_return res;
}

std::string token(std::string_view alg, std::string_view kid, EVP_PKEY* key) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  boost::json::object claims{{"iss", kIssuer}, {"aud", "kubegate"}, {"sub", "agent-1"},
                             {"exp", now + 600}, {"iat", now}, {"groups", boost::json::array{"agents"}}};
  return jwt::testing::signCompact(boost::json::object{{"alg", alg}, {"kid", kid}, {"typ", "at+jwt"}}, claims, key);
}

std::string failures(std::string_view reason) {
  const auto text = admin::metrics().renderPrometheus();
  const std::string series = std::string(R"(kubegate_authentication_failures_total{authenticator="oidc",reason=")") +
                             std::string(reason) + "\"} ";
  const auto at = text.find(series);
  if (at == std::string::npos) return "0";
  return text.substr(at + series.size(), text.find('\n', at) - at - series.size());
}

class OidcAuthenticatorTest : public ::testing::Test {
 protected:
  OidcAuthenticatorTest() { idp_->publish(jwkSet({publicJwk(TestKeys::get().rsa.get(), "k1")})); }

  // Starts the issuer's key cache on the control thread and waits for its first JWK Set.
  void startIssuer(std::chrono::seconds minRefreshInterval = std::chrono::seconds(10)) {
    config::OidcIssuer cfg;
    cfg.issuer = kIssuer;
    cfg.audiences = {"kubegate"};
    cfg.groupsClaim = "groups";
    cfg.jwksMinRefreshInterval = minRefreshInterval;
    cache_ = std::make_shared<IssuerKeyCache>(cfg, [idp = idp_](net::HttpsRequest r) { return serveIdp(idp, std::move(r)); });
    chain_.add(std::make_unique<OidcAuthenticator>(std::vector{cache_}));
    cache_->start(control_.get_executor());
    controlThread_ = std::thread([this] { control_.run(); });
    for (int i = 0; i < 500 && !cache_->keys(std::chrono::system_clock::now()); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(cache_->keys(std::chrono::system_clock::now())) << "the initial JWK Set was never fetched";
  }

  void setDelay(std::chrono::milliseconds delay) {
    std::lock_guard lock(idp_->mutex);
    idp_->delay = delay;
  }

  ~OidcAuthenticatorTest() override {
    if (!cache_) return;
    cache_->stop();
    controlWork_.reset();
    control_.stop();
    controlThread_.join();
  }

  // Authenticates on a worker loop, as a request would; returns the outcome and how long it took.
  std::pair<boost::system::result<Identity, k8s::GatewayError>, std::chrono::milliseconds> authenticate(
      std::string bearer, std::chrono::milliseconds maxKeyWait = kMaxKeyFetchWait) {
    Credentials creds;
    creds.bearerToken = std::move(bearer);
    asio::io_context worker;
    const auto started = std::chrono::steady_clock::now();
    auto outcome = asio::co_spawn(worker, chain_.authenticate(creds, maxKeyWait), asio::use_future);
    worker.run();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return {outcome.get(), took};
  }

  std::shared_ptr<IdpState> idp_ = std::make_shared<IdpState>();
  asio::io_context control_;
  asio::executor_work_guard<asio::io_context::executor_type> controlWork_ = asio::make_work_guard(control_);
  std::thread controlThread_;
  std::shared_ptr<IssuerKeyCache> cache_;
  AuthenticatorChain chain_;
};

TEST_F(OidcAuthenticatorTest, ATokenFromARotatedKeyVerifiesOnItsFirstRequest) {
  startIssuer();
  const int fetchesBefore = idp_->jwksFetches;
  setDelay(150ms);  // the refetch takes a while: the request must wait for it, not race it
  idp_->publish(jwkSet({publicJwk(TestKeys::get().rsa.get(), "k1"), publicJwk(TestKeys::get().p256.get(), "k2")}));

  auto [id, took] = authenticate(token("ES256", "k2", TestKeys::get().p256.get()));
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->username, "agent-1");
  EXPECT_EQ(id->groups, std::vector<std::string>{"agents"});
  EXPECT_EQ(idp_->jwksFetches - fetchesBefore, 1) << "exactly one refetch";
  EXPECT_GE(took, 150ms);
  // The old key still verifies, from the refetched set, without another fetch.
  EXPECT_TRUE(authenticate(token("RS256", "k1", TestKeys::get().rsa.get())).first);
  EXPECT_EQ(idp_->jwksFetches - fetchesBefore, 1);
}

TEST_F(OidcAuthenticatorTest, AnUnknownKeyFailsClosedAfterOneRefetchAndRefetchesStayRateLimited) {
  startIssuer();
  const int fetchesBefore = idp_->jwksFetches;
  const auto unknownBefore = std::stoi(failures("unknown_key"));
  auto [first, firstTook] = authenticate(token("RS256", "not-published", TestKeys::get().attacker.get()));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, k8s::ErrorKind::Unauthorized);
  EXPECT_EQ(idp_->jwksFetches - fetchesBefore, 1);
  // Within jwksMinRefreshInterval another unknown kid asks for nothing and does not wait.
  auto [second, secondTook] = authenticate(token("RS256", "also-unknown", TestKeys::get().attacker.get()));
  ASSERT_FALSE(second);
  EXPECT_LT(secondTook, 100ms);
  EXPECT_EQ(idp_->jwksFetches - fetchesBefore, 1);
  // Each refused request is counted once, under its reason, not once per attempt.
  EXPECT_EQ(std::stoi(failures("unknown_key")) - unknownBefore, 2);
}

TEST_F(OidcAuthenticatorTest, ARotationSoonAfterAnotherWaitsForTheNextAllowedRefetch) {
  startIssuer(std::chrono::seconds(1));
  const int fetchesBefore = idp_->jwksFetches;
  idp_->publish(jwkSet({publicJwk(TestKeys::get().rsa.get(), "k1"), publicJwk(TestKeys::get().p256.get(), "k2")}));
  ASSERT_TRUE(authenticate(token("ES256", "k2", TestKeys::get().p256.get())).first);
  // Rotated again at once: the refetch may only start a second after the previous one, which is
  // within the wait, so the request waits for it rather than failing.
  idp_->publish(jwkSet({publicJwk(TestKeys::get().p256.get(), "k2"), publicJwk(TestKeys::get().rsaOther.get(), "k3")}));
  auto [id, took] = authenticate(token("RS256", "k3", TestKeys::get().rsaOther.get()));
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_GE(took, 700ms) << "the rate limit held";
  EXPECT_EQ(idp_->jwksFetches - fetchesBefore, 2);
}

TEST_F(OidcAuthenticatorTest, AnIdpSlowerThanTheWaitCostsTheRequestNoMoreThanTheWait) {
  startIssuer();
  setDelay(3000ms);
  idp_->publish(jwkSet({publicJwk(TestKeys::get().rsa.get(), "k1"), publicJwk(TestKeys::get().p256.get(), "k2")}));
  auto [id, took] = authenticate(token("ES256", "k2", TestKeys::get().p256.get()), 300ms);
  ASSERT_FALSE(id);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2000ms);
}

TEST_F(OidcAuthenticatorTest, StoppingTheCacheReleasesWaitingRequests) {
  startIssuer();
  setDelay(3000ms);
  auto stopper = std::async(std::launch::async, [this] {
    std::this_thread::sleep_for(200ms);
    cache_->stop();
  });
  auto [id, took] = authenticate(token("ES256", "k2", TestKeys::get().p256.get()), 5000ms);
  stopper.get();
  ASSERT_FALSE(id);
  EXPECT_LT(took, 2000ms) << "a reload or shutdown does not leave requests waiting for the old runtime's keys";
}

}  // namespace
}  // namespace kubegate::identity
