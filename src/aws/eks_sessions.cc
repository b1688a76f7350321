#include "aws/eks_sessions.h"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "admin/json_log.h"
#include "aws/session_names.h"
#include "net/https_client.h"

namespace kubegate::aws {
namespace {

constexpr std::size_t kMaxCachedTokens = 10000;

bool intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const auto& x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

// Session tags are what CloudTrail and IAM conditions see of the agent; values outside STS's tag
// character set become '_' rather than failing the request.
std::string tagValue(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 256)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string_view(" _.:/=+-@").find(c) != std::string_view::npos;
    out += ok ? c : '_';
  }
  return out;
}

StsEndpoint assumeEndpoint(const config::Eks& s) {
  if (s.stsEndpoint.empty()) return regionalStsEndpoint(s.region);
  auto url = boost::urls::parse_uri(s.stsEndpoint);
  StsEndpoint e;
  e.region = s.region;
  e.host = std::string(url->encoded_host_and_port());
  return e;
}

std::shared_ptr<ssl::context> stsTls(const config::Eks& s) {
  try {
    return net::makeClientTlsContext(s.stsCaFile);
  } catch (const boost::system::system_error& e) {
    throw config::ConfigError("eks.stsCaFile: cannot load " + s.stsCaFile + ": " + e.what());
  }
}

asio::awaitable<boost::system::result<AssumedRole, AwsError>> assumeAs(std::shared_ptr<StsClient> sts,
                                                                       std::shared_ptr<RefreshingCredentials> base,
                                                                       AssumeRoleParams params) {
  auto caller = co_await base->get();
  if (!caller) co_return caller.error();
  co_return co_await sts->assumeRole(std::move(params), *caller);
}

}  // namespace

EksSessions::EksSessions(const config::Eks& settings, std::shared_ptr<RefreshingCredentials> baseCredentials)
    : settings_(settings), tokenEndpoint_(regionalStsEndpoint(settings.region)), base_(std::move(baseCredentials)) {
  StsClientOptions options;
  options.endpoint = assumeEndpoint(settings);
  options.tls = stsTls(settings);
  sts_ = std::make_shared<StsClient>(std::move(options));
}

const config::EksRole* EksSessions::roleFor(const identity::Identity& who, std::string_view ruleId) const {
  for (const auto& role : settings_.roles) {
    if (std::find(role.rules.begin(), role.rules.end(), ruleId) != role.rules.end()) return &role;
    if (intersects(role.groups, who.groups)) return &role;
  }
  return nullptr;
}

AssumeRoleParams EksSessions::assumeParams(const identity::Identity& who, const config::EksRole& role) const {
  const auto& issuer = who.issuer.empty() ? who.authenticator : who.issuer;
  const auto& subject = who.subject.empty() ? who.username : who.subject;
  AssumeRoleParams p;
  p.roleArn = role.roleArn;
  p.roleSessionName = roleSessionNameFor(issuer, subject);
  p.sourceIdentity = sourceIdentityFor(issuer, subject);
  p.durationSeconds = static_cast<int>(settings_.sessionDuration.count());
  p.externalId = role.externalId;
  p.policy = role.sessionPolicy;
  p.tags = {{"kubegate-agent", tagValue(who.username)}, {"kubegate-session", tagValue(who.sessionId)}};
  if (!who.purpose.empty()) p.tags.emplace_back("kubegate-purpose", tagValue(who.purpose));
  return p;
}

asio::awaitable<boost::system::result<EksCredential, AwsError>> EksSessions::credentialFor(
    const identity::Identity& who, const config::EksRole& role, bool afterUnauthorized) {
  auto params = assumeParams(who, role);
  // The session tags carry the gateway session: one role session per agent, not per connection.
  // Field by field, not braced: GCC 12 mishandles braced aggregates of strings in coroutine frames.
  RoleSessionKey key;
  key.roleArn = role.roleArn;
  key.sessionName = params.roleSessionName;
  key.policyDigest = sessionPolicyDigest(role.sessionPolicy);
  const auto now = Clock::now();
  EksCredential out;
  out.roleArn = role.roleArn;
  out.sessionName = params.roleSessionName;
  if (afterUnauthorized) {
    sessions_.forget(key);
    std::lock_guard lock(mutex_);
    tokens_.erase(key);
  } else {
    std::lock_guard lock(mutex_);
    if (auto it = tokens_.find(key); it != tokens_.end() && it->second.expiresAt > now) {
      out.authorization = "Bearer " + it->second.token;
    }
  }
  auto sts = sts_;
  auto base = base_;
  // Not a coroutine lambda: the cache may drop its copy of the function while the call runs, so
  // everything the call needs goes into assumeAs's own frame, by value.
  // A named function object, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
  RoleSessionCache::AssumeFn assume = [sts, base, params] { return assumeAs(sts, base, params); };
  auto session = co_await sessions_.credentialsFor(key, std::move(assume));
  if (!session) co_return session.error();
  out.assumedRoleArn = session->assumedRoleArn;
  if (!out.authorization.empty()) co_return out;
  auto token = mintEksToken(session->credentials, settings_.clusterName, tokenEndpoint_, now);
  if (!token) co_return token.error();
  out.authorization = "Bearer " + token->token;
  {
    std::lock_guard lock(mutex_);
    // One token per agent and role; agents that left leave expired ones behind, dropped here.
    if (tokens_.size() >= kMaxCachedTokens) std::erase_if(tokens_, [&](const auto& t) { return t.second.expiresAt <= now; });
    tokens_[key] = std::move(*token);
  }
  spdlog::info(R"({{"msg":"eks token minted","cluster":"{}","role":"{}","session":"{}","accessKey":"{}"}})",
               admin::JsonText{settings_.clusterName}, admin::JsonText{role.roleArn},
               admin::JsonText{params.roleSessionName}, session->credentials.accessKeyHint());
  co_return out;
}

std::shared_ptr<RefreshingCredentials> gatewayBaseCredentials(const config::Eks& settings) {
  ChainOptions options;
  options.env = snapshotEnvironment();
  options.profile = settings.profile;
  options.sts.region = settings.region;
  options.sts.tls = stsTls(settings);
  if (!settings.stsEndpoint.empty()) options.sts.endpointOverride = assumeEndpoint(settings).host;
  return std::make_shared<RefreshingCredentials>(makeDefaultCredentialChain(std::move(options)));
}

}  // namespace kubegate::aws
