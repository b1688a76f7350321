// OpenID Connect bearer tokens as agent identities. Each configured issuer has a key cache
// (IssuerKeyCache) that the control thread keeps fresh from the issuer's discovery document and
// JWK Set; workers verify tokens against the current keys without waiting on the network.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "config/config.h"
#include "identity/identity.h"
#include "identity/jwt/jwk.h"
#include "identity/jwt/token_cache.h"
#include "identity/jwt/verifier.h"
#include "net/asio.h"

namespace kubegate::identity {

// The JWK Set of one issuer: fetched over verified HTTPS, refreshed at the Cache-Control max-age,
// refreshed early (at a bounded rate) when a token names an unknown key, and kept through an IdP
// outage for jwksMaxStale past its max-age. With no usable keys every token fails closed.
class IssuerKeyCache : public std::enable_shared_from_this<IssuerKeyCache> {
 public:
  explicit IssuerKeyCache(config::OidcIssuer cfg);

  // Starts fetching and refreshing on `control`. Throws config::ConfigError for an unreadable CA.
  void start(asio::any_io_executor control);
  void stop();

  std::shared_ptr<const jwt::KeySet> keys(std::chrono::system_clock::time_point now) const;
  // A token named a key we do not have: refresh now unless one was asked for recently.
  void refreshSoon();
  const config::OidcIssuer& config() const { return cfg_; }

 private:
  asio::awaitable<void> refreshLoop();
  asio::awaitable<std::chrono::seconds> fetchOnce();  // returns how long the keys are fresh; 0 on failure

  config::OidcIssuer cfg_;
  std::shared_ptr<ssl::context> tls_;
  std::unique_ptr<asio::steady_timer> wake_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> lastEarlyRefresh_{0};  // steady_clock ticks

  mutable std::mutex mutex_;
  std::shared_ptr<const jwt::KeySet> keys_;
  std::chrono::system_clock::time_point usableUntil_{};
};

class OidcAuthenticator final : public Authenticator {
 public:
  explicit OidcAuthenticator(std::vector<std::shared_ptr<IssuerKeyCache>> issuers);
  boost::system::result<std::optional<Identity>, k8s::GatewayError> authenticate(const Credentials& c) const override;

 private:
  struct Issuer {
    std::shared_ptr<IssuerKeyCache> keys;
    jwt::IssuerPolicy policy;
  };
  const Issuer* issuerFor(std::string_view iss) const;

  std::vector<Issuer> issuers_;
  std::size_t maxTokenBytes_ = 0;
  mutable jwt::VerifiedTokenCache cache_;
};

}  // namespace kubegate::identity
