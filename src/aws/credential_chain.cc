#include "aws/credential_chain.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "aws/aws_timestamp.h"
#include "net/https_client.h"
#include "net/plain_http_client.h"

extern char** environ;

namespace kubegate::aws {
namespace {

using CredentialsResult = boost::system::result<Credentials, AwsError>;

constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;
constexpr std::size_t kMaxMetadataBytes = 64 * 1024;
constexpr const char* kEcsBase = "http://169.254.170.2";

AwsError makeError(AwsError::Kind kind, std::string message, std::string code = {}) {
  AwsError e;
  e.kind = kind;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}
AwsError notConfigured(std::string message) { return makeError(AwsError::Kind::noCredentials, std::move(message)); }
AwsError invalid(std::string message) { return makeError(AwsError::Kind::invalidInput, std::move(message)); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

Clock::time_point nowFrom(const ChainOptions& options) { return options.now ? options.now() : Clock::now(); }

std::string defaultSessionName(const ChainOptions& options) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(nowFrom(options).time_since_epoch()).count();
  return "kubegate-session-" + std::to_string(seconds);
}

Credentials makeCredentials(std::string keyId, std::string secret, std::string token, std::string source) {
  Credentials c;
  c.accessKeyId = std::move(keyId);
  c.secretAccessKey = std::move(secret);
  c.sessionToken = std::move(token);
  c.source = std::move(source);
  return c;
}

net::HttpsRequest metadataRequest(std::string method, std::string url, std::chrono::seconds timeout) {
  net::HttpsRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.timeout = timeout;
  r.maxResponseBytes = kMaxMetadataBytes;
  return r;
}

// The JSON the container endpoint and IMDS answer with. Errors never quote the body.
CredentialsResult credentialsFromJson(const std::string& body, const std::string& source) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return makeError(AwsError::Kind::malformed, source + " answered something other than a JSON object");
  const auto& object = value.as_object();
  auto field = [&](const char* name) -> std::string {
    const auto* v = object.if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : std::string{};
  };
  if (const auto code = field("Code"); !code.empty() && code != "Success")
    return makeError(AwsError::Kind::service, source + " reported " + code, code);
  Credentials c = makeCredentials(field("AccessKeyId"), field("SecretAccessKey"), field("Token"), source);
  const auto expiration = parseAwsTimestamp(field("Expiration"));
  if (c.empty() || c.sessionToken.empty() || !expiration)
    return makeError(AwsError::Kind::malformed, source + " answer lacks AccessKeyId, SecretAccessKey, Token or Expiration");
  c.expiration = *expiration;
  return c;
}

asio::awaitable<void> pause(const StsRetryPolicy& retry, std::chrono::milliseconds delay) {
  if (retry.sleep) {
    co_await retry.sleep(delay);
  } else {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
}

// ---------------------------------------------------------------------------------------------

class EnvironmentProvider final : public CredentialProvider {
 public:
  explicit EnvironmentProvider(Environment env) : env_(std::move(env)) {}
  std::string name() const override { return "environment"; }

  asio::awaitable<CredentialsResult> fetch() override { co_return load(); }

 private:
  CredentialsResult load() const {
    auto keyId = envValue(env_, "AWS_ACCESS_KEY_ID");
    if (!keyId) return notConfigured("AWS_ACCESS_KEY_ID is not set");
    auto secret = envValue(env_, "AWS_SECRET_ACCESS_KEY");
    if (!secret) return invalid("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    auto token = envValue(env_, "AWS_SESSION_TOKEN");
    if (!token) token = envValue(env_, "AWS_SECURITY_TOKEN");  // the legacy name botocore still reads
    Credentials c = makeCredentials(*keyId, *secret, token.value_or(""), "environment");
    if (auto expiration = envValue(env_, "AWS_CREDENTIAL_EXPIRATION")) {
      c.expiration = parseAwsTimestamp(*expiration);
      if (!c.expiration) return invalid("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time");
    }
    return c;
  }
  Environment env_;
};

// ---------------------------------------------------------------------------------------------

bool isAllowedContainerHost(const std::string& host) {
  static const char* const kAllowed[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost"};
  if (std::any_of(std::begin(kAllowed), std::end(kAllowed), [&](const char* h) { return lower(host) == h; })) return true;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

class ContainerProvider final : public CredentialProvider {
 public:
  explicit ContainerProvider(ChainOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "container"; }

  asio::awaitable<CredentialsResult> fetch() override {
    auto target = endpoint();
    if (!target) co_return target.error();
    AwsError last;
    for (int attempt = 1; attempt <= 3; ++attempt) {  // botocore: 3 attempts, 1 s apart
      auto request = metadataRequest("GET", target->url, options_.containerTimeout);
      request.headers["accept"] = "application/json";
      auto authorization = authorizationValue();
      if (!authorization) co_return authorization.error();
      if (!authorization->empty()) request.headers["authorization"] = *authorization;
      auto response = co_await send(std::move(request), target->https);
      if (!response) {
        last = makeError(AwsError::Kind::transport, "container credentials endpoint: " + response.error().message);
      } else if (response->status != 200) {
        // The body is not quoted: an endpoint may echo the authorization token back.
        last = makeError(AwsError::Kind::service,
                         "container credentials endpoint answered HTTP " + std::to_string(response->status));
        last.httpStatus = response->status;
      } else {
        auto credentials = credentialsFromJson(response->body, "container");
        if (credentials) co_return credentials;
        last = credentials.error();
      }
      if (attempt < 3) co_await pause(options_.sts.retry, std::chrono::seconds(1));
    }
    co_return last;
  }

 private:
  struct Endpoint {
    std::string url;
    bool https = false;
  };

  boost::system::result<Endpoint, AwsError> endpoint() const {
    Endpoint e;
    if (auto relative = envValue(options_.env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      e.url = std::string(kEcsBase) + (relative->front() == '/' ? "" : "/") + *relative;
      return e;
    }
    auto full = envValue(options_.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!full) return notConfigured("no container credentials endpoint is set");
    auto parsed = boost::urls::parse_uri(*full);
    if (!parsed) return invalid("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
    std::string host(parsed->encoded_host());
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (parsed->scheme() == "https") {
      e.https = true;
    } else if (parsed->scheme() != "http" || !isAllowedContainerHost(host)) {
      return invalid("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or ECS/EKS address");
    }
    e.url = *full;
    return e;
  }

  // Read per fetch: EKS Pod Identity rotates the projected token file under a running gateway.
  boost::system::result<std::string, AwsError> authorizationValue() const {
    std::string value;
    if (auto file = envValue(options_.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      auto content = readSmallFile(*file, kMaxTokenFileBytes);
      if (!content) return content.error();
      value = std::move(*content);
    } else if (auto token = envValue(options_.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      value = *token;
    }
    // As botocore: a CR or LF would let the value smuggle extra headers; refused, not trimmed.
    if (value.find_first_of("\r\n") != std::string::npos)
      return invalid("the container authorization token contains a line break");
    return value;
  }

  asio::awaitable<boost::system::result<net::HttpsResponse, net::FetchError>> send(net::HttpsRequest request,
                                                                                   bool https) const {
    if (!https) co_return co_await net::plainHttpFetch(std::move(request));
    if (!options_.sts.tls) {
      net::FetchError e;
      e.message = "no TLS context for an https container endpoint";
      co_return e;
    }
    co_return co_await net::httpsFetch(std::move(request), *options_.sts.tls);
  }

  ChainOptions options_;
};

// ---------------------------------------------------------------------------------------------

class ImdsProvider final : public CredentialProvider {
 public:
  explicit ImdsProvider(ChainOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "imds"; }

  bool disabled() const { return lower(envValue(options_.env, "AWS_EC2_METADATA_DISABLED").value_or("")) == "true"; }

  asio::awaitable<CredentialsResult> fetch() override {
    if (disabled()) co_return notConfigured("instance metadata is disabled (AWS_EC2_METADATA_DISABLED)");
    const int attempts = std::clamp(intFromEnv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1), 1, 5);
    AwsError last;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      auto credentials = co_await fetchOnce();
      if (credentials || credentials.error().kind != AwsError::Kind::transport) co_return credentials;
      last = credentials.error();
    }
    co_return last;
  }

 private:
  int intFromEnv(const char* name, int fallback) const {
    auto text = envValue(options_.env, name);
    if (!text) return fallback;
    try {
      return std::stoi(*text);
    } catch (const std::exception&) {
      return fallback;
    }
  }

  std::string baseUrl() const {
    std::string base = envValue(options_.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("");
    if (base.empty())
      base = lower(envValue(options_.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("")) == "ipv6"
                 ? "http://[fd00:ec2::254]"
                 : "http://169.254.169.254";
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }

  asio::awaitable<boost::system::result<std::string, AwsError>> get(const std::string& path, const std::string& token,
                                                                    std::chrono::seconds timeout) const {
    auto request = metadataRequest("GET", baseUrl() + path, timeout);
    request.headers["x-aws-ec2-metadata-token"] = token;
    auto response = co_await net::plainHttpFetch(std::move(request));
    if (!response) co_return makeError(AwsError::Kind::transport, "instance metadata: " + response.error().message);
    if (response->status != 200) {
      auto e = makeError(AwsError::Kind::service, "instance metadata answered HTTP " + std::to_string(response->status));
      e.httpStatus = response->status;
      co_return e;
    }
    co_return std::move(response->body);
  }

  asio::awaitable<CredentialsResult> fetchOnce() const {
    const auto timeout = std::chrono::seconds(std::clamp(intFromEnv("AWS_METADATA_SERVICE_TIMEOUT", 1), 1, 30));
    auto tokenRequest = metadataRequest("PUT", baseUrl() + "/latest/api/token", timeout);
    tokenRequest.headers["x-aws-ec2-metadata-token-ttl-seconds"] = "21600";
    auto tokenResponse = co_await net::plainHttpFetch(std::move(tokenRequest));
    if (!tokenResponse) co_return makeError(AwsError::Kind::transport, "instance metadata: " + tokenResponse.error().message);
    if (tokenResponse->status != 200 || tokenResponse->body.empty()) {
      // botocore would fall back to IMDSv1 here; a gateway does not: v1 is what SSRF exploits.
      auto e = makeError(AwsError::Kind::service, "instance metadata refused an IMDSv2 session token (HTTP " +
                                                      std::to_string(tokenResponse->status) + "); IMDSv1 is not used");
      e.httpStatus = tokenResponse->status;
      co_return e;
    }
    const std::string token = trimmed(tokenResponse->body);
    auto roles = co_await get("/latest/meta-data/iam/security-credentials/", token, timeout);
    if (!roles) co_return roles.error();
    const std::string role = trimmed(std::string_view(*roles).substr(0, roles->find('\n')));
    if (role.empty() || role.find('/') != std::string::npos)
      co_return notConfigured("the instance has no IAM role attached");
    auto document = co_await get("/latest/meta-data/iam/security-credentials/" + role, token, timeout);
    if (!document) co_return document.error();
    co_return credentialsFromJson(*document, "imds");
  }

  ChainOptions options_;
};

// ---------------------------------------------------------------------------------------------
// Profiles and web identity: everything that ends in an STS call.

struct ChainContext {
  ChainOptions options;
  AwsConfigFiles files;
  std::string profileName;
};
using ContextPtr = std::shared_ptr<const ChainContext>;

boost::system::result<StsClientOptions, AwsError> stsOptionsFor(const ChainContext& ctx) {
  std::string region = ctx.options.sts.region;
  if (region.empty()) region = envValue(ctx.options.env, "AWS_REGION").value_or("");
  if (region.empty()) region = envValue(ctx.options.env, "AWS_DEFAULT_REGION").value_or("");
  if (region.empty()) region = ctx.files.value(ctx.profileName, "region").value_or("");
  if (region.empty()) return invalid("no region for STS: set one in the gateway's AWS settings, AWS_REGION or the profile");
  StsClientOptions sts;
  sts.endpoint = regionalStsEndpoint(region);
  if (!ctx.options.sts.endpointOverride.empty()) sts.endpoint.host = ctx.options.sts.endpointOverride;
  sts.tls = ctx.options.sts.tls;
  sts.timeout = ctx.options.sts.timeout;
  sts.retry = ctx.options.sts.retry;
  sts.now = ctx.options.now;
  return sts;
}

boost::system::result<int, AwsError> durationFor(const ChainContext& ctx, const ProfileValues& profile) {
  auto it = profile.find("duration_seconds");
  if (it == profile.end() || it->second.empty()) return ctx.options.sessionDurationSeconds;
  try {
    std::size_t used = 0;
    const int value = std::stoi(it->second, &used);
    if (used == it->second.size()) return value;
  } catch (const std::exception&) {
  }
  return invalid("duration_seconds is not a number");
}

std::string valueOr(const ProfileValues& profile, const std::string& key, std::string fallback = {}) {
  auto it = profile.find(key);
  return it == profile.end() || it->second.empty() ? fallback : it->second;
}

AssumeRoleWithWebIdentityParams webIdentityParams(std::string roleArn, std::string sessionName, std::string token,
                                                  int duration) {
  AssumeRoleWithWebIdentityParams p;
  p.roleArn = std::move(roleArn);
  p.roleSessionName = std::move(sessionName);
  p.webIdentityToken = std::move(token);
  p.durationSeconds = duration;
  return p;
}

// AssumeRoleWithWebIdentity with the token read from `tokenFile` now (not at start: it rotates).
asio::awaitable<CredentialsResult> assumeWithTokenFile(ContextPtr ctx, std::string tokenFile, std::string roleArn,
                                                       std::string sessionName, int duration, std::string source) {
  auto token = readSmallFile(tokenFile, kMaxTokenFileBytes);
  if (!token) co_return token.error();
  auto stsOptions = stsOptionsFor(*ctx);
  if (!stsOptions) co_return stsOptions.error();
  const StsClient sts(std::move(*stsOptions));
  auto assumed = co_await sts.assumeRoleWithWebIdentity(
      webIdentityParams(std::move(roleArn), std::move(sessionName), trimmed(*token), duration));
  if (!assumed) co_return assumed.error();
  assumed->credentials.source = std::move(source);
  co_return std::move(assumed->credentials);
}

CredentialsResult staticKeys(const ProfileValues& profile, const std::string& name, const std::string& source) {
  auto keyId = valueOr(profile, "aws_access_key_id");
  auto secret = valueOr(profile, "aws_secret_access_key");
  if (keyId.empty()) return notConfigured("profile " + name + " has no aws_access_key_id");
  if (secret.empty()) return invalid("profile " + name + " has aws_access_key_id but no aws_secret_access_key");
  return makeCredentials(keyId, secret, valueOr(profile, "aws_session_token"), source);
}

asio::awaitable<CredentialsResult> profileCredentials(ContextPtr ctx, std::string name, std::vector<std::string> visited);

asio::awaitable<CredentialsResult> credentialSourceCredentials(ContextPtr ctx, std::string source) {
  if (source == "Environment") co_return co_await EnvironmentProvider(ctx->options.env).fetch();
  if (source == "Ec2InstanceMetadata") co_return co_await ImdsProvider(ctx->options).fetch();
  if (source == "EcsContainer") co_return co_await ContainerProvider(ctx->options).fetch();
  co_return invalid("credential_source must be Environment, Ec2InstanceMetadata or EcsContainer");
}

AssumeRoleParams assumeRoleParams(const ChainContext& ctx, const ProfileValues& profile, int duration) {
  AssumeRoleParams p;
  p.roleArn = valueOr(profile, "role_arn");
  p.roleSessionName = valueOr(profile, "role_session_name", defaultSessionName(ctx.options));
  p.durationSeconds = duration;
  p.externalId = valueOr(profile, "external_id");
  return p;
}

// role_arn with source_profile or credential_source: the caller's credentials first, then AssumeRole.
asio::awaitable<CredentialsResult> profileRoleCredentials(ContextPtr ctx, std::string name, ProfileValues profile,
                                                          std::vector<std::string> visited) {
  const auto sourceProfile = valueOr(profile, "source_profile");
  const auto credentialSource = valueOr(profile, "credential_source");
  if (!sourceProfile.empty() && !credentialSource.empty())
    co_return invalid("profile " + name + " sets both source_profile and credential_source");
  if (sourceProfile.empty() && credentialSource.empty())
    co_return invalid("profile " + name + " has role_arn but neither source_profile nor credential_source");
  auto duration = durationFor(*ctx, profile);
  if (!duration) co_return duration.error();

  CredentialsResult caller = notConfigured("");
  if (!credentialSource.empty()) {
    caller = co_await credentialSourceCredentials(ctx, credentialSource);
  } else if (sourceProfile == name) {
    caller = staticKeys(profile, name, "profile:" + name);  // botocore allows a profile to be its own source
  } else {
    visited.push_back(name);
    caller = co_await profileCredentials(ctx, sourceProfile, visited);
  }
  if (!caller) co_return caller.error();

  auto stsOptions = stsOptionsFor(*ctx);
  if (!stsOptions) co_return stsOptions.error();
  const StsClient sts(std::move(*stsOptions));
  auto assumed = co_await sts.assumeRole(assumeRoleParams(*ctx, profile, *duration), std::move(*caller));
  if (!assumed) co_return assumed.error();
  assumed->credentials.source = "profile:" + name;
  co_return std::move(assumed->credentials);
}

// A profile's credentials as a source_profile: role, web identity or static keys.
asio::awaitable<CredentialsResult> profileCredentials(ContextPtr ctx, std::string name, std::vector<std::string> visited) {
  if (std::find(visited.begin(), visited.end(), name) != visited.end())
    co_return invalid("the source_profile chain loops back to profile " + name);
  if (visited.size() > 8) co_return invalid("the source_profile chain is deeper than 8 profiles");
  auto profile = ctx->files.profile(name);
  if (!profile) co_return invalid("profile " + name + " is not in the AWS config or credentials file");
  const auto tokenFile = valueOr(*profile, "web_identity_token_file");
  if (profile->count("role_arn") && tokenFile.empty())
    co_return co_await profileRoleCredentials(ctx, name, *profile, std::move(visited));
  if (!tokenFile.empty()) {
    auto duration = durationFor(*ctx, *profile);
    if (!duration) co_return duration.error();
    co_return co_await assumeWithTokenFile(ctx, tokenFile, valueOr(*profile, "role_arn"),
                                           valueOr(*profile, "role_session_name", defaultSessionName(ctx->options)),
                                           *duration, "profile:" + name);
  }
  auto keys = staticKeys(*profile, name, "profile:" + name);
  if (!keys && keys.error().kind == AwsError::Kind::noCredentials)
    co_return invalid("profile " + name + " has no credentials");
  co_return keys;
}

class ProfileRoleProvider final : public CredentialProvider {
 public:
  explicit ProfileRoleProvider(ContextPtr ctx) : ctx_(std::move(ctx)) {}
  std::string name() const override { return "profile-role"; }

  asio::awaitable<CredentialsResult> fetch() override {
    auto profile = ctx_->files.profile(ctx_->profileName);
    if (!profile || !profile->count("role_arn") || profile->count("web_identity_token_file"))
      co_return notConfigured("profile " + ctx_->profileName + " assumes no role");
    co_return co_await profileRoleCredentials(ctx_, ctx_->profileName, *profile, {});
  }

 private:
  ContextPtr ctx_;
};

class WebIdentityProvider final : public CredentialProvider {
 public:
  explicit WebIdentityProvider(ContextPtr ctx) : ctx_(std::move(ctx)) {}
  std::string name() const override { return "web-identity"; }

  asio::awaitable<CredentialsResult> fetch() override {
    // Each setting: the environment first, then the profile (botocore's order).
    auto setting = [&](const char* envName, const char* profileKey) {
      if (auto v = envValue(ctx_->options.env, envName)) return *v;
      return ctx_->files.value(ctx_->profileName, profileKey).value_or("");
    };
    const auto tokenFile = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
    if (tokenFile.empty()) co_return notConfigured("no web identity token file is set");
    const auto roleArn = setting("AWS_ROLE_ARN", "role_arn");
    if (roleArn.empty()) co_return invalid("a web identity token file is set but no role ARN (AWS_ROLE_ARN)");
    auto sessionName = setting("AWS_ROLE_SESSION_NAME", "role_session_name");
    if (sessionName.empty()) sessionName = defaultSessionName(ctx_->options);
    co_return co_await assumeWithTokenFile(ctx_, tokenFile, roleArn, sessionName,
                                           ctx_->options.sessionDurationSeconds, "web-identity");
  }

 private:
  ContextPtr ctx_;
};

class ProfileStaticProvider final : public CredentialProvider {
 public:
  explicit ProfileStaticProvider(ContextPtr ctx) : ctx_(std::move(ctx)) {}
  std::string name() const override { return "profile"; }

  asio::awaitable<CredentialsResult> fetch() override { co_return load(); }

 private:
  // The credentials file first, then the config file, each whole (botocore's two providers).
  CredentialsResult load() const {
    const auto& name = ctx_->profileName;
    for (const auto* file : {&ctx_->files.credentials, &ctx_->files.config}) {
      auto it = file->find(name);
      if (it == file->end()) continue;
      auto keys = staticKeys(it->second, name, "profile:" + name);
      if (keys || keys.error().kind != AwsError::Kind::noCredentials) return keys;
    }
    return notConfigured("profile " + name + " has no static keys");
  }
  ContextPtr ctx_;
};

// ---------------------------------------------------------------------------------------------

class DefaultChain final : public CredentialProvider {
 public:
  explicit DefaultChain(ChainOptions options) : options_(std::move(options)) {}
  std::string name() const override { return chosen_ ? chosen_->name() : "default-chain"; }

  asio::awaitable<CredentialsResult> fetch() override {
    if (chosen_) co_return co_await chosen_->fetch();
    auto providers = buildProviders();
    if (!providers) co_return providers.error();
    std::string tried;
    for (const auto& provider : *providers) {
      auto credentials = co_await provider->fetch();
      const bool isImds = provider->name() == "imds";
      if (credentials) {
        chosen_ = provider;
        co_return credentials;
      }
      // A configured source that fails is an error (botocore raises); only "not configured here"
      // moves on, and IMDS, which cannot tell "not on EC2" from "EC2 is down", always moves on.
      if (credentials.error().kind != AwsError::Kind::noCredentials && !isImds) co_return credentials.error();
      tried += (tried.empty() ? "" : "; ") + provider->name() + ": " + credentials.error().message;
    }
    co_return notConfigured("no AWS credentials found (" + tried + ")");
  }

 private:
  boost::system::result<std::vector<std::shared_ptr<CredentialProvider>>, AwsError> buildProviders() const {
    auto ctx = std::make_shared<ChainContext>();
    ctx->options = options_;
    auto files = loadAwsConfigFiles(options_.env);
    if (!files) return files.error();
    ctx->files = std::move(*files);
    const bool explicitProfile = !options_.profile.empty();
    ctx->profileName = explicitProfile ? options_.profile
                                       : envValue(options_.env, "AWS_PROFILE")
                                             .value_or(envValue(options_.env, "AWS_DEFAULT_PROFILE").value_or("default"));
    if (ctx->profileName != "default" && !ctx->files.hasProfile(ctx->profileName))
      return invalid("profile " + ctx->profileName + " is not in the AWS config or credentials file");
    std::vector<std::shared_ptr<CredentialProvider>> providers;
    if (!explicitProfile) providers.push_back(std::make_shared<EnvironmentProvider>(options_.env));
    providers.push_back(std::make_shared<ProfileRoleProvider>(ctx));
    providers.push_back(std::make_shared<WebIdentityProvider>(ctx));
    providers.push_back(std::make_shared<ProfileStaticProvider>(ctx));
    providers.push_back(std::make_shared<ContainerProvider>(options_));
    providers.push_back(std::make_shared<ImdsProvider>(options_));
    return providers;
  }

  ChainOptions options_;
  std::shared_ptr<CredentialProvider> chosen_;
};

}  // namespace

Environment snapshotEnvironment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env;
}

std::shared_ptr<CredentialProvider> makeDefaultCredentialChain(ChainOptions options) {
  return std::make_shared<DefaultChain>(std::move(options));
}

std::shared_ptr<CredentialProvider> makeEnvironmentProvider(Environment env) {
  return std::make_shared<EnvironmentProvider>(std::move(env));
}

std::shared_ptr<CredentialProvider> makeContainerProvider(ChainOptions options) {
  return std::make_shared<ContainerProvider>(std::move(options));
}

std::shared_ptr<CredentialProvider> makeImdsProvider(ChainOptions options) {
  return std::make_shared<ImdsProvider>(std::move(options));
}

std::shared_ptr<CredentialProvider> makeWebIdentityProvider(ChainOptions options) {
  auto ctx = std::make_shared<ChainContext>();
  ctx->options = std::move(options);
  ctx->profileName = "default";  // env settings only: no files are read
  return std::make_shared<WebIdentityProvider>(std::move(ctx));
}

}  // namespace kubegate::aws
