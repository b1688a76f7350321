// The gateway's side of an EKS cluster (docs/eks.md, issue 9): which IAM role an agent gets, the
// role session assumed for it through STS with the gateway's own base credentials, and the EKS token
// minted from that session. The agent never holds any of it. Sessions are per (role, agent,
// session policy) and are refreshed at half their life; tokens are reminted before 14 minutes or
// before their session ends, and once after the cluster answers 401.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "aws/credential_cache.h"
#include "aws/eks_token.h"
#include "aws/sts_client.h"
#include "config/config.h"
#include "identity/identity.h"
#include "net/asio.h"

namespace kubegate::aws {

// What a request to the cluster carries and what its record names.
struct EksCredential {
  std::string authorization;   // "Bearer k8s-aws-v1...": never logged, never recorded
  std::string roleArn;
  std::string sessionName;     // RoleSessionName, as CloudTrail shows it
  std::string assumedRoleArn;  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
};

class EksSessions {
 public:
  // Throws config::ConfigError when the STS CA file cannot be loaded (control plane).
  EksSessions(const config::Eks& settings, std::shared_ptr<RefreshingCredentials> baseCredentials);

  // The role for this agent and the rule that allowed its request: the first mapping whose rules
  // name the rule or whose groups meet the agent's; null when none does (the request is refused).
  const config::EksRole* roleFor(const identity::Identity& who, std::string_view ruleId) const;

  // A token for the cluster, as `who` in `role`. With `afterUnauthorized`, the cached token and role
  // session of this agent are dropped first and both are made anew.
  asio::awaitable<boost::system::result<EksCredential, AwsError>> credentialFor(const identity::Identity& who,
                                                                                const config::EksRole& role,
                                                                                bool afterUnauthorized);

 private:
  AssumeRoleParams assumeParams(const identity::Identity& who, const config::EksRole& role) const;

  config::Eks settings_;
  StsEndpoint tokenEndpoint_;  // what tokens are signed for (always the real regional host)
  std::shared_ptr<StsClient> sts_;
  std::shared_ptr<RefreshingCredentials> base_;
  RoleSessionCache sessions_;
  std::mutex mutex_;
  std::map<RoleSessionKey, EksToken> tokens_;
};

// The base credentials for every EKS cluster of a config: the default AWS chain over a snapshot of
// the gateway's environment taken once at start (profile from the first cluster that names one).
std::shared_ptr<RefreshingCredentials> gatewayBaseCredentials(const config::Eks& settings);

}  // namespace kubegate::aws
