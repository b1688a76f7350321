// One generation of the gateway's configuration, with everything built from it: clusters (their
// TLS contexts and credentials), the downstream TLS context and the authenticators. A reload builds
// a new Runtime beside the old one and swaps it in whole; requests in flight keep the one they
// started with.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "identity/identity.h"
#include "identity/oidc_authenticator.h"
#include "mask/profile.h"
#include "net/asio.h"
#include "policy/policy.h"
#include "proxy/cluster.h"

namespace kubegate::proxy {

struct Runtime {
  config::Config config;
  std::map<std::string, ClusterPtr, std::less<>> clusters;
  std::shared_ptr<ssl::context> serverTls;
  identity::AuthenticatorChain authenticators;
  std::vector<std::shared_ptr<identity::IssuerKeyCache>> issuerKeys;
  // Never null: without a policy section, a policy that refuses every request.
  policy::PolicyPtr policy;
  // Never null: the config's masking profiles, compiled (the built-in default without a section).
  std::shared_ptr<const mask::ProfileSet> masking;
  std::uint64_t generation = 0;

  // Starts (and stops) the background work this generation owns: OIDC key refreshes.
  void startBackground(asio::any_io_executor control) const;
  void stopBackground() const;
  // Whether every OIDC issuer has usable keys (readiness: before that, tokens cannot verify).
  bool identityReady() const;
};

using RuntimePtr = std::shared_ptr<const Runtime>;

// Builds a runtime; throws config::ConfigError when TLS material or the policy cannot be loaded.
RuntimePtr buildRuntime(config::Config cfg, std::uint64_t generation);

}  // namespace kubegate::proxy
