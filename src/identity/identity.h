// Who the agent is, as the gateway established it. Only authenticators create identities; nothing a
// client sends in a header can.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/result.hpp>

#include "k8s/gateway_error.h"
#include "net/asio.h"

namespace kubegate::identity {

struct Identity {
  std::string authenticator;  // "x509" or "oidc"
  std::string username;
  std::vector<std::string> groups;
  std::string issuer;   // oidc: the token's iss
  std::string subject;  // oidc: the token's sub
  std::string tokenId;  // oidc: jti, when present
  // When the credential stops being valid; the session and its open streams end then.
  std::optional<std::chrono::system_clock::time_point> expiry;
  std::string sessionId;  // the gateway session this request belongs to
  std::string purpose;    // what the agent says the session is for (policy can match on it)
};

// What an authenticator sees of a request. Connection-level facts (the verified client certificate)
// and the request's own credentials.
struct Credentials {
  std::optional<std::string> clientCertSubjectCN;
  std::vector<std::string> clientCertSubjectO;
  std::string bearerToken;  // empty when none was sent
};

// Signing keys an authenticator has asked its identity provider for. A request refused only for want
// of them (a token naming a key the gateway has not fetched yet) may wait for that fetch and be
// decided again, so an agent's first token after a key rotation is not refused.
class KeyFetch {
 public:
  virtual ~KeyFetch() = default;
  // Completes once the fetch has landed, whatever it brought, or at `deadline`, whichever is first.
  // Must be awaited on a single-threaded executor (a worker's loop).
  virtual asio::awaitable<void> landed(std::chrono::steady_clock::time_point deadline) = 0;
};

// Why credentials did not authenticate: the 401 the client gets, and the labels it is counted under
// (kubegate_authentication_failures_total).
struct AuthenticationFailure {
  k8s::GatewayError error;
  std::string_view authenticator;  // "oidc", "x509", or "none" when no authenticator took the credentials
  std::string_view reason;         // snake_case, from a fixed set ("expired", "unknown_key", "no_credentials")
  std::shared_ptr<KeyFetch> pendingKeys;  // set when a key fetch under way may change the answer
};

// Returns an identity, nothing when these credentials are not for it, or a failure when they are
// for it but do not verify.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual boost::system::result<std::optional<Identity>, AuthenticationFailure> authenticate(const Credentials& c) const = 0;
};

// How long a request waits for signing keys it triggered a fetch of. Within the header timeout, and
// long enough for a JWKS fetch from a healthy IdP; an IdP slower than this costs the agent a retry.
inline constexpr std::chrono::milliseconds kMaxKeyFetchWait{2000};

// Tries each authenticator in order; the first that recognises the credentials decides.
class AuthenticatorChain {
 public:
  void add(std::unique_ptr<Authenticator> authenticator) { chain_.push_back(std::move(authenticator)); }

  // One attempt, nothing awaited and nothing counted.
  boost::system::result<Identity, AuthenticationFailure> authenticateOnce(const Credentials& c) const;

  // The request path. When the first attempt failed only for keys being fetched, waits up to
  // `maxKeyWait` for that fetch and decides once more. A final failure is counted in the metrics.
  asio::awaitable<boost::system::result<Identity, k8s::GatewayError>> authenticate(
      const Credentials& c, std::chrono::milliseconds maxKeyWait = kMaxKeyFetchWait) const;

 private:
  std::vector<std::unique_ptr<Authenticator>> chain_;
};

// Client certificates as kube-apiserver reads them: CN is the user, each O a group. The TLS layer has
// already verified the chain against the configured client CA.
class ClientCertAuthenticator final : public Authenticator {
 public:
  boost::system::result<std::optional<Identity>, AuthenticationFailure> authenticate(const Credentials& c) const override;
};

}  // namespace kubegate::identity
