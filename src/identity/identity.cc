#include "identity/identity.h"

#include "admin/metrics.h"

namespace kubegate::identity {

boost::system::result<Identity, AuthenticationFailure> AuthenticatorChain::authenticateOnce(const Credentials& c) const {
  for (const auto& a : chain_) {
    auto result = a->authenticate(c);
    if (!result) return std::move(result.error());
    if (*result) return std::move(**result);
  }
  return AuthenticationFailure{
      k8s::makeError(k8s::ErrorKind::Unauthorized,
                     "Unauthorized: send a bearer token from a trusted identity provider, or a client certificate "
                     "issued by the gateway's client CA"),
      "none", "no_credentials", nullptr};
}

asio::awaitable<boost::system::result<Identity, k8s::GatewayError>> AuthenticatorChain::authenticate(
    const Credentials& c, std::chrono::milliseconds maxKeyWait) const {
  auto result = authenticateOnce(c);
  if (!result && result.error().pendingKeys && maxKeyWait.count() > 0) {
    const auto pending = std::move(result.error().pendingKeys);
    co_await pending->landed(std::chrono::steady_clock::now() + maxKeyWait);
    // Decided on what the fetch brought; a second miss is final (the fetch it asks for is the next
    // request's to wait on).
    result = authenticateOnce(c);
  }
  if (result) co_return std::move(*result);
  admin::metrics().authenticationFailure(result.error().authenticator, result.error().reason);
  co_return std::move(result.error().error);
}

boost::system::result<std::optional<Identity>, AuthenticationFailure> ClientCertAuthenticator::authenticate(
    const Credentials& c) const {
  if (!c.clientCertSubjectCN || c.clientCertSubjectCN->empty()) return std::optional<Identity>{};
  Identity id;
  id.authenticator = "x509";
  id.username = *c.clientCertSubjectCN;
  id.groups = c.clientCertSubjectO;
  return std::optional<Identity>{std::move(id)};
}

}  // namespace kubegate::identity
