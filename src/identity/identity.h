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

// Returns an identity, nothing when these credentials are not for it, or an error when they are
// for it but do not verify.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual boost::system::result<std::optional<Identity>, k8s::GatewayError> authenticate(const Credentials& c) const = 0;
};

// Tries each authenticator in order; the first that recognises the credentials decides.
class AuthenticatorChain {
 public:
  void add(std::unique_ptr<Authenticator> authenticator) { chain_.push_back(std::move(authenticator)); }
  boost::system::result<Identity, k8s::GatewayError> authenticate(const Credentials& c) const;

 private:
  std::vector<std::unique_ptr<Authenticator>> chain_;
};

// Client certificates as kube-apiserver reads them: CN is the user, each O a group. The TLS layer has
// already verified the chain against the configured client CA.
class ClientCertAuthenticator final : public Authenticator {
 public:
  boost::system::result<std::optional<Identity>, k8s::GatewayError> authenticate(const Credentials& c) const override;
};

}  // namespace kubegate::identity
