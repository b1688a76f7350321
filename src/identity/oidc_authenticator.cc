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

IssuerKeyCache::IssuerKeyCache(config::OidcIssuer cfg) : cfg_(std::move(cfg)) {}

void IssuerKeyCache::start(asio::any_io_executor control) {
  try {
    tls_ = net::makeClientTlsContext(cfg_.caFile);
  } catch (const boost::system::system_error& e) {
    throw config::ConfigError("authentication.oidc " + cfg_.issuer + ": cannot load caFile: " + e.what());
  }
  wake_ = std::make_unique<asio::steady_timer>(control);
  asio::co_spawn(control, [self = shared_from_this()] { return self->refreshLoop(); }, asio::detached);
}

void IssuerKeyCache::stop() {
  stopped_ = true;
  if (wake_) asio::post(wake_->get_executor(), [self = shared_from_this()] { self->wake_->cancel(); });
}

std::shared_ptr<const jwt::KeySet> IssuerKeyCache::keys(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (!keys_ || now >= usableUntil_) return nullptr;
  return keys_;
}

void IssuerKeyCache::refreshSoon() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = lastEarlyRefresh_.load();
  const auto minGap = std::chrono::duration_cast<std::chrono::steady_clock::duration>(cfg_.jwksMinRefreshInterval).count();
  if (now - last < minGap || !lastEarlyRefresh_.compare_exchange_strong(last, now)) return;
  if (wake_) asio::post(wake_->get_executor(), [self = shared_from_this()] { self->wake_->cancel(); });
}

asio::awaitable<void> IssuerKeyCache::refreshLoop() {
  while (!stopped_) {
    const auto fresh = co_await fetchOnce();
    wake_->expires_after(fresh.count() > 0 ? fresh : kRetryAfterFailure);
    co_await wake_->async_wait(kAsTuple);  // cancelled early by refreshSoon() or stop()
  }
}

asio::awaitable<std::chrono::seconds> IssuerKeyCache::fetchOnce() {
  net::HttpsRequest discovery;
  discovery.url = cfg_.issuer + "/.well-known/openid-configuration";
  discovery.maxResponseBytes = kMaxDocumentBytes;
  auto doc = co_await net::httpsFetch(discovery, *tls_);
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
  auto set = co_await net::httpsFetch(jwks, *tls_);
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

boost::system::result<std::optional<Identity>, k8s::GatewayError> OidcAuthenticator::authenticate(const Credentials& c) const {
  if (c.bearerToken.empty() || issuers_.empty()) return std::optional<Identity>{};
  const auto now = Clock::now();
  const auto digest = jwt::digestToken(c.bearerToken);
  auto verified = cache_.find(digest, now);
  if (!verified) {
    auto iss = jwt::unverifiedIssuer(c.bearerToken, maxTokenBytes_);
    if (!iss) return unauthorized(std::string("Unauthorized: ") + std::string(iss.error().message));
    const Issuer* issuer = issuerFor(*iss);
    if (!issuer) return unauthorized("Unauthorized: the token's issuer is not trusted by this gateway");
    auto keys = issuer->keys->keys(now);
    if (!keys) {
      issuer->keys->refreshSoon();
      return unauthorized("Unauthorized: the identity provider's signing keys are not available; try again shortly");
    }
    auto result = jwt::verifyToken(c.bearerToken, issuer->policy, *keys, now);
    if (!result) {
      if (result.error().reason == jwt::TokenErrorReason::UnknownKey) issuer->keys->refreshSoon();
      return jwt::toGatewayError(result.error());
    }
    verified = std::make_shared<const jwt::VerifiedToken>(std::move(*result));
    cache_.insert(digest, verified, now);
  }
  // The system: namespace is the cluster's own (system:masters, system:nodes, service accounts). An
  // IdP name landing there would impersonate a built-in identity, so it is refused, not passed on.
  if (isReserved(verified->username) ||
      std::any_of(verified->groups.begin(), verified->groups.end(), [](const auto& g) { return isReserved(g); })) {
    return unauthorized("Unauthorized: the token names a reserved system: user or group; set a usernamePrefix or groupsPrefix");
  }
  Identity id;
  id.authenticator = "oidc";
  id.username = verified->username;
  id.groups = verified->groups;
  id.issuer = verified->issuer;
  id.subject = verified->subject;
  id.tokenId = verified->tokenId;
  id.expiry = verified->expiry;
  return std::optional<Identity>{std::move(id)};
}

}  // namespace kubegate::identity
