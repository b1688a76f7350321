// OpenID Connect bearer tokens as agent identities. Each configured issuer has a key cache
// (IssuerKeyCache) that the control thread keeps fresh from the issuer's discovery document and
// JWK Set; workers verify tokens against the current keys without touching the network. Only a
// token naming a key not fetched yet makes its request wait, bounded, for the refetch (ADR 0005).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/system/result.hpp>

#include "config/config.h"
#include "identity/identity.h"
#include "identity/jwt/jwk.h"
#include "identity/jwt/token_cache.h"
#include "identity/jwt/verifier.h"
#include "net/asio.h"
#include "net/https_client.h"

namespace kubegate::identity {

// The JWK Set of one issuer: fetched over verified HTTPS, refreshed at the Cache-Control max-age,
// refreshed early (at a bounded rate) when a token names an unknown key, and kept through an IdP
// outage for jwksMaxStale past its max-age. With no usable keys every token fails closed.
// Fetches run on the control thread; requests on workers may wait for one (KeyFetch).
class IssuerKeyCache : public std::enable_shared_from_this<IssuerKeyCache> {
 public:
  // How a document is fetched; by default verified HTTPS with the issuer's caFile (a seam for tests).
  using DocumentFetch = std::function<asio::awaitable<boost::system::result<net::HttpsResponse, net::FetchError>>(
      net::HttpsRequest)>;

  explicit IssuerKeyCache(config::OidcIssuer cfg, DocumentFetch fetch = {});

  // Starts fetching and refreshing on `control`. Throws config::ConfigError for an unreadable CA.
  void start(asio::any_io_executor control);
  void stop();

  std::shared_ptr<const jwt::KeySet> keys(std::chrono::system_clock::time_point now) const;
  // A token needs keys we do not have: asks for a fetch. Early fetches stay jwksMinRefreshInterval
  // apart; one that may start within kMaxKeyFetchWait is booked. Returns the fetch the caller may
  // wait for (the one asked for, or one already under way), or nullptr when none is coming soon.
  std::shared_ptr<KeyFetch> refreshSoon();
  const config::OidcIssuer& config() const { return cfg_; }

 private:
  class PendingFetch;
  struct Waiter;

  asio::awaitable<void> refreshLoop();
  asio::awaitable<std::chrono::seconds> fetchOnce();  // returns how long the keys are fresh; 0 on failure
  // Control thread: how long until the next fetch is due (zero: now), nothing once stopped.
  std::optional<std::chrono::steady_clock::duration> untilNextFetch();
  void beginFetch();
  void fetchLanded(std::chrono::seconds fresh);  // wakes the requests waiting for this fetch
  void wake(std::vector<std::shared_ptr<Waiter>> waiters);

  config::OidcIssuer cfg_;
  DocumentFetch fetch_;
  std::shared_ptr<ssl::context> tls_;
  std::unique_ptr<asio::steady_timer> wake_;

  mutable std::mutex mutex_;
  std::shared_ptr<const jwt::KeySet> keys_;
  std::chrono::system_clock::time_point usableUntil_{};

  // Fetch bookkeeping, shared by the control thread and workers asking for a refresh.
  std::mutex fetchMutex_;
  bool stopped_ = false;
  bool refreshRequested_ = false;  // a fetch was asked for and has not started yet
  std::chrono::steady_clock::time_point requestedNotBefore_{};  // ... and may start then (the rate limit)
  std::chrono::steady_clock::time_point nextScheduledFetch_{};  // at the keys' max-age, or a retry
  bool fetching_ = false;
  std::uint64_t fetchesStarted_ = 0;
  std::uint64_t fetchesLanded_ = 0;
  std::chrono::steady_clock::time_point lastEarlyRefresh_{};
  std::vector<std::weak_ptr<Waiter>> waiters_;
};

class OidcAuthenticator final : public Authenticator {
 public:
  explicit OidcAuthenticator(std::vector<std::shared_ptr<IssuerKeyCache>> issuers);
  boost::system::result<std::optional<Identity>, AuthenticationFailure> authenticate(const Credentials& c) const override;

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
