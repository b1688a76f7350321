#include "identity/oidc_authenticator.h"

#include <algorithm>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "net/https_client.h"
#include "admin/json_log.h"

namespace kubegate::identity {
namespace {

using Clock = std::chrono::system_clock;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kDefaultFresh{300};
constexpr std::chrono::seconds kMinFresh{30};
constexpr std::chrono::seconds kMaxFresh{24 * 3600};
constexpr std::chrono::seconds kRetryAfterFailure{5};
constexpr std::size_t kMaxDocumentBytes = 256 * 1024;

k8s::GatewayError unauthorized(std::string message) { return k8s::makeError(k8s::ErrorKind::Unauthorized, std::move(message)); }

AuthenticationFailure refused(k8s::GatewayError error, std::string_view reason, std::shared_ptr<KeyFetch> pendingKeys = nullptr) {
  return AuthenticationFailure{std::move(error), "oidc", reason, std::move(pendingKeys)};
}

// Cache-Control: max-age=N, bounded; without one, kDefaultFresh.
std::chrono::seconds freshness(const net::HttpsResponse& res) {
  auto it = res.headers.find("cache-control");
  if (it == res.headers.end()) return kDefaultFresh;
  const auto pos = it->second.find("max-age=");
  if (pos == std::string::npos) return kDefaultFresh;
  try {
    const auto secs = std::chrono::seconds(std::stoll(it->second.substr(pos + 8)));
    return std::clamp(secs, kMinFresh, kMaxFresh);
  } catch (...) {
    return kDefaultFresh;
  }
}

bool isReserved(std::string_view name) { return name.starts_with("system:"); }

jwt::IssuerPolicy policyFor(const config::OidcIssuer& c) {
  jwt::IssuerPolicy p;
  p.issuer = c.issuer;
  p.audiences = c.audiences;
  p.usernameClaim = c.usernameClaim;
  p.usernamePrefix = c.usernamePrefix;
  p.groupsClaim = c.groupsClaim;
  p.groupsPrefix = c.groupsPrefix;
  for (const auto& [k, v] : c.requiredClaims) p.requiredClaims.emplace(k, v);
  p.algorithms = c.algorithms;
  p.acceptedTypes = c.acceptedTypes;
  p.clockSkew = c.clockSkew;
  p.maxLifetime = c.maxLifetime;
  p.maxTokenBytes = c.maxTokenBytes;
  return p;
}

}  // namespace

// A waiting request: its timer runs on the request's worker and expires at the request's
// deadline; the control thread cancels it (on the worker) when the awaited fetch lands.
struct IssuerKeyCache::Waiter {
  explicit Waiter(asio::any_io_executor worker, std::uint64_t awaited) : timer(std::move(worker)), fetch(awaited) {}
  asio::steady_timer timer;
  std::uint64_t fetch;  // the fetch (by start number) whose landing ends the wait
};

class IssuerKeyCache::PendingFetch final : public KeyFetch {
 public:
  PendingFetch(std::shared_ptr<IssuerKeyCache> cache, std::uint64_t fetch) : cache_(std::move(cache)), fetch_(fetch) {}

  asio::awaitable<void> landed(std::chrono::steady_clock::time_point deadline) override {
    auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor, fetch_);
    {
      std::lock_guard lock(cache_->fetchMutex_);
      if (cache_->stopped_ || cache_->fetchesLanded_ >= fetch_) co_return;
      cache_->waiters_.push_back(waiter);
    }
    // The cancel the control thread posts to this executor cannot run before this wait starts:
    // the executor is single-threaded and busy with this coroutine until it suspends here.
    waiter->timer.expires_at(deadline);
    co_await waiter->timer.async_wait(kAsTuple);
  }

 private:
  std::shared_ptr<IssuerKeyCache> cache_;
  std::uint64_t fetch_;
};

IssuerKeyCache::IssuerKeyCache(config::OidcIssuer cfg, DocumentFetch fetch) : cfg_(std::move(cfg)), fetch_(std::move(fetch)) {}

void IssuerKeyCache::start(asio::any_io_executor control) {
  if (!fetch_) {
    try {
      tls_ = net::makeClientTlsContext(cfg_.caFile);
    } catch (const boost::system::system_error& e) {
      throw config::ConfigError("authentication.oidc " + cfg_.issuer + ": cannot load caFile: " + e.what());
    }
    fetch_ = [tls = tls_](net::HttpsRequest request) { return net::httpsFetch(std::move(request), *tls); };
  }
  wake_ = std::make_unique<asio::steady_timer>(control);
  asio::co_spawn(control, [self = shared_from_this()] { return self->refreshLoop(); }, asio::detached);
}

void IssuerKeyCache::stop() {
  std::vector<std::shared_ptr<Waiter>> waiting;
  {
    std::lock_guard lock(fetchMutex_);
    stopped_ = true;
    for (auto& w : waiters_) {
      if (auto waiter = w.lock()) waiting.push_back(std::move(waiter));
    }
    waiters_.clear();
  }
  wake(std::move(waiting));
  if (wake_) asio::post(wake_->get_executor(), [self = shared_from_this()] { self->wake_->cancel(); });
}

std::shared_ptr<const jwt::KeySet> IssuerKeyCache::keys(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (!keys_ || now >= usableUntil_) return nullptr;
  return keys_;
}

std::shared_ptr<KeyFetch> IssuerKeyCache::refreshSoon() {
  std::lock_guard lock(fetchMutex_);
  if (stopped_ || !wake_) return nullptr;
  // A fetch already asked for serves this request too, without spending the rate limit.
  if (refreshRequested_) return std::make_shared<PendingFetch>(shared_from_this(), fetchesStarted_ + 1);
  // Early fetches are at least jwksMinRefreshInterval apart. When the next allowed one is close
  // enough for a request to wait for, it is booked; further off, waiting would only hold the request.
  const auto now = std::chrono::steady_clock::now();
  const bool never = lastEarlyRefresh_ == std::chrono::steady_clock::time_point{};
  const auto slot = never ? now : std::max(now, lastEarlyRefresh_ + cfg_.jwksMinRefreshInterval);
  if (slot - now <= kMaxKeyFetchWait) {
    lastEarlyRefresh_ = slot;
    refreshRequested_ = true;
    requestedNotBefore_ = slot;
    asio::post(wake_->get_executor(), [self = shared_from_this()] { self->wake_->cancel(); });
    return std::make_shared<PendingFetch>(shared_from_this(), fetchesStarted_ + 1);
  }
  // A fetch under way (a scheduled one) may still bring the key.
  if (fetching_) return std::make_shared<PendingFetch>(shared_from_this(), fetchesStarted_);
  return nullptr;
}

std::optional<std::chrono::steady_clock::duration> IssuerKeyCache::untilNextFetch() {
  std::lock_guard lock(fetchMutex_);
  if (stopped_) return std::nullopt;
  auto due = nextScheduledFetch_;
  if (refreshRequested_) due = std::min(due, requestedNotBefore_);
  return std::max(due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
}

void IssuerKeyCache::beginFetch() {
  std::lock_guard lock(fetchMutex_);
  refreshRequested_ = false;  // this fetch serves everything asked for until now
  fetching_ = true;
  ++fetchesStarted_;
}

void IssuerKeyCache::fetchLanded(std::chrono::seconds fresh) {
  std::vector<std::shared_ptr<Waiter>> landed;
  {
    std::lock_guard lock(fetchMutex_);
    fetching_ = false;
    fetchesLanded_ = fetchesStarted_;
    nextScheduledFetch_ = std::chrono::steady_clock::now() + (fresh.count() > 0 ? fresh : kRetryAfterFailure);
    std::erase_if(waiters_, [&](const std::weak_ptr<Waiter>& w) {
      auto waiter = w.lock();
      if (!waiter) return true;
      if (waiter->fetch > fetchesLanded_) return false;
      landed.push_back(std::move(waiter));
      return true;
    });
  }
  wake(std::move(landed));
}

void IssuerKeyCache::wake(std::vector<std::shared_ptr<Waiter>> waiters) {
  for (auto& waiter : waiters) {
    auto executor = waiter->timer.get_executor();
    asio::post(executor, [waiter = std::move(waiter)] { waiter->timer.cancel(); });
  }
}

// Every wake-up (the schedule, refreshSoon(), stop()) looks afresh at what is due.
asio::awaitable<void> IssuerKeyCache::refreshLoop() {
  for (;;) {
    const auto hold = untilNextFetch();
    if (!hold) co_return;
    if (*hold > std::chrono::steady_clock::duration::zero()) {
      wake_->expires_after(*hold);
      co_await wake_->async_wait(kAsTuple);
      continue;
    }
    beginFetch();
    fetchLanded(co_await fetchOnce());
  }
}

asio::awaitable<std::chrono::seconds> IssuerKeyCache::fetchOnce() {
  net::HttpsRequest discovery;
  discovery.url = cfg_.issuer + "/.well-known/openid-configuration";
  discovery.maxResponseBytes = kMaxDocumentBytes;
  auto doc = co_await fetch_(std::move(discovery));
  auto warn = [this](std::string_view what) {
    spdlog::warn(R"({{"msg":"OIDC keys not refreshed; cached keys stay in use until they age out","issuer":"{}","why":"{}"}})",
                 admin::JsonText{cfg_.issuer}, admin::JsonText{what});
  };
  if (!doc || doc->status != 200) { warn(doc ? "discovery answered " + std::to_string(doc->status) : doc.error().message); co_return std::chrono::seconds(0); }
  boost::system::error_code ec;
  auto parsed = boost::json::parse(doc->body, ec);
  const auto* obj = parsed.if_object();
  const auto* iss = obj ? obj->if_contains("issuer") : nullptr;
  const auto* jwksUri = obj ? obj->if_contains("jwks_uri") : nullptr;
  // The discovery document must name exactly this issuer (OIDC Discovery §4.3).
  if (ec || !iss || !iss->is_string() || iss->as_string() != cfg_.issuer || !jwksUri || !jwksUri->is_string()) {
    warn("the discovery document does not name this issuer and a jwks_uri");
    co_return std::chrono::seconds(0);
  }
  net::HttpsRequest jwks;
  jwks.url = std::string(jwksUri->as_string());
  jwks.maxResponseBytes = kMaxDocumentBytes;
  auto set = co_await fetch_(std::move(jwks));
  if (!set || set->status != 200) { warn(set ? "jwks answered " + std::to_string(set->status) : set.error().message); co_return std::chrono::seconds(0); }
  auto keys = jwt::KeySet::parse(set->body);
  if (!keys) { warn(keys.error().what); co_return std::chrono::seconds(0); }
  const auto fresh = freshness(*set);
  {
    std::lock_guard lock(mutex_);
    keys_ = std::make_shared<const jwt::KeySet>(std::move(*keys));
    usableUntil_ = Clock::now() + fresh + cfg_.jwksMaxStale;
  }
  co_return fresh;
}

OidcAuthenticator::OidcAuthenticator(std::vector<std::shared_ptr<IssuerKeyCache>> issuers) {
  for (auto& keys : issuers) {
    auto policy = policyFor(keys->config());
    if (auto ok = jwt::checkIssuerPolicy(policy); !ok) {
      throw config::ConfigError("authentication.oidc " + keys->config().issuer + ": " + ok.error());
    }
    maxTokenBytes_ = std::max(maxTokenBytes_, policy.maxTokenBytes);
    issuers_.push_back({std::move(keys), std::move(policy)});
  }
}

const OidcAuthenticator::Issuer* OidcAuthenticator::issuerFor(std::string_view iss) const {
  for (const auto& i : issuers_) {
    if (i.policy.issuer == iss) return &i;
  }
  return nullptr;
}

boost::system::result<std::optional<Identity>, AuthenticationFailure> OidcAuthenticator::authenticate(const Credentials& c) const {
  if (c.bearerToken.empty() || issuers_.empty()) return std::optional<Identity>{};
  const auto now = Clock::now();
  const auto digest = jwt::digestToken(c.bearerToken);
  auto verified = cache_.find(digest, now);
  if (!verified) {
    auto iss = jwt::unverifiedIssuer(c.bearerToken, maxTokenBytes_);
    if (!iss) return refused(jwt::toGatewayError(iss.error()), jwt::reasonName(iss.error().reason));
    const Issuer* issuer = issuerFor(*iss);
    if (!issuer) return refused(unauthorized("Unauthorized: the token's issuer is not trusted by this gateway"), "untrusted_issuer");
    auto keys = issuer->keys->keys(now);
    if (!keys) {
      return refused(unauthorized("Unauthorized: the identity provider's signing keys are not available; try again shortly"),
                     "keys_unavailable", issuer->keys->refreshSoon());
    }
    auto result = jwt::verifyToken(c.bearerToken, issuer->policy, *keys, now);
    if (!result) {
      // A key we do not know may be a rotation at the IdP: the request may wait for the refetch.
      std::shared_ptr<KeyFetch> refetch;
      if (result.error().reason == jwt::TokenErrorReason::UnknownKey) refetch = issuer->keys->refreshSoon();
      return refused(jwt::toGatewayError(result.error()), jwt::reasonName(result.error().reason), std::move(refetch));
    }
    verified = std::make_shared<const jwt::VerifiedToken>(std::move(*result));
    cache_.insert(digest, verified, now);
  }
  // The system: namespace is the cluster's own (system:masters, system:nodes, service accounts). An
  // IdP name landing there would impersonate a built-in identity, so it is refused, not passed on.
  if (isReserved(verified->username) ||
      std::any_of(verified->groups.begin(), verified->groups.end(), [](const auto& g) { return isReserved(g); })) {
    return refused(unauthorized("Unauthorized: the token names a reserved system: user or group; set a usernamePrefix or groupsPrefix"),
                   "reserved_name");
  }
  Identity id;
  id.authenticator = "oidc";
  id.username = verified->username;
  id.groups = verified->groups;
  id.issuer = verified->issuer;
  id.subject = verified->subject;
  id.tokenId = verified->tokenId;
  // The session lasts as long as the gateway accepts the token: up to exp plus the issuer's skew.
  const Issuer* issuer = issuerFor(verified->issuer);
  id.expiry = verified->expiry + (issuer ? issuer->policy.clockSkew : std::chrono::seconds(0));
  return std::optional<Identity>{std::move(id)};
}

}  // namespace kubegate::identity
