#include "identity/identity.h"

namespace kubegate::identity {

boost::system::result<Identity, k8s::GatewayError> AuthenticatorChain::authenticate(const Credentials& c) const {
  for (const auto& a : chain_) {
    auto result = a->authenticate(c);
    if (!result) return result.error();
    if (*result) return std::move(**result);
  }
  return k8s::makeError(k8s::ErrorKind::Unauthorized,
                        "Unauthorized: send a bearer token from a trusted identity provider, or a client certificate "
                        "issued by the gateway's client CA");
}

boost::system::result<std::optional<Identity>, k8s::GatewayError> ClientCertAuthenticator::authenticate(
    const Credentials& c) const {
  if (!c.clientCertSubjectCN || c.clientCertSubjectCN->empty()) return std::optional<Identity>{};
  Identity id;
  id.authenticator = "x509";
  id.username = *c.clientCertSubjectCN;
  id.groups = c.clientCertSubjectO;
  return std::optional<Identity>{std::move(id)};
}

}  // namespace kubegate::identity
