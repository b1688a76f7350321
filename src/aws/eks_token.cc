#include "aws/eks_token.h"

#include <algorithm>

#include "aws/sigv4.h"
#include "http/base64.h"

namespace kubegate::aws {
namespace {

constexpr std::string_view kTokenPrefix = "k8s-aws-v1.";
constexpr std::string_view kClusterIdHeader = "x-k8s-aws-id";
// X-Amz-Expires is ignored by STS for this call (presigned GetCallerIdentity URLs live 15 minutes);
// 60 is what awscli and aws-iam-authenticator send.
constexpr std::chrono::seconds kPresignExpires{60};
constexpr std::chrono::minutes kTokenLifetime{14};
constexpr std::chrono::minutes kCredentialMargin{1};

AwsError failure(AwsError::Kind kind, std::string message) {
  AwsError error;
  error.kind = kind;
  error.code = "EksToken";
  error.message = std::move(message);
  return error;
}

}  // namespace

boost::system::result<EksToken, AwsError> mintEksToken(const Credentials& credentials, std::string_view clusterName,
                                                      const StsEndpoint& endpoint, Clock::time_point now) {
  if (clusterName.empty()) return failure(AwsError::Kind::invalidInput, "cluster name is empty");
  if (endpoint.region.empty() || endpoint.host.empty())
    return failure(AwsError::Kind::invalidInput, "STS endpoint needs a region and a host");
  if (credentials.empty()) return failure(AwsError::Kind::noCredentials, "no credentials to sign the EKS token with");

  Clock::time_point expiresAt = now + kTokenLifetime;
  if (credentials.expiration) expiresAt = std::min(expiresAt, *credentials.expiration - kCredentialMargin);
  // A token whose credentials die first is refused by EKS; better no token than a 401 later.
  if (expiresAt <= now)
    return failure(AwsError::Kind::noCredentials, "credentials expire within a minute; refresh them first");

  SigningRequest request;
  request.method = "GET";
  request.path = "/";
  request.query = {{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}};
  // Exactly these two signed headers: EKS re-sends the URL with only x-k8s-aws-id, so anything else
  // signed would fail STS's signature check.
  request.headers = {{"host", endpoint.host}, {std::string(kClusterIdHeader), std::string(clusterName)}};
  SigningOptions options;
  options.expires = kPresignExpires;
  auto presigned = presignWithQuery(request, credentials, SigningScope{endpoint.region, "sts", now}, options);
  if (!presigned) return presigned.error();

  const std::string url = "https://" + endpoint.host + "/?" + presigned->queryString;
  EksToken token{std::string(kTokenPrefix) + encodeBase64Url(url), expiresAt};
  if (token.token.size() > kMaxEksTokenBytes)
    return failure(AwsError::Kind::invalidInput, "EKS token would be " + std::to_string(token.token.size()) +
                                                     " bytes; EKS accepts at most 4096 (session token too large)");
  return token;
}

}  // namespace kubegate::aws
