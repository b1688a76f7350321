// The gateway's own base AWS credentials, found the way botocore's default chain finds them
// (shared/notes/aws-eks-auth.md §3), first source that is configured wins:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION]
//      (skipped when a profile is chosen explicitly in ChainOptions::profile, as botocore skips it);
//   2. the profile's role_arn with source_profile or credential_source: AssumeRole with the source's
//      credentials (source profiles may chain roles; cycles refused);
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME, each falling back
//      to the profile's web_identity_token_file / role_arn / role_session_name; the token file is read
//      again on every fetch (kubelet rotates it);
//   4. the profile's static keys: credentials file, then config file;
//   5. container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2) or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI (https anywhere; http only to loopback, 169.254.170.2,
//      169.254.170.23, fd00:ec2::23, localhost), Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
//      (read again on every fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   6. IMDSv2 (no IMDSv1 fallback: a metadata service that refuses the session token gives nothing),
//      unless AWS_EC2_METADATA_DISABLED=true; base URL AWS_EC2_METADATA_SERVICE_ENDPOINT.
// The chain remembers the source that answered first and asks only that one afterwards, as an SDK's
// credentials object refreshes from the provider that created it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/system/result.hpp>

#include "aws/aws_config_files.h"
#include "aws/aws_types.h"
#include "aws/sts_client.h"
#include "net/asio.h"

namespace kubegate::aws {

// A source of credentials. fetch() gives fresh credentials each time it is called (callers cache them:
// see RefreshingCredentials). "Not configured here" is an error of kind noCredentials.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual std::string name() const = 0;
  virtual asio::awaitable<boost::system::result<Credentials, AwsError>> fetch() = 0;
};

// Where the chain's own STS calls (profile roles, web identity) go.
struct StsSettings {
  std::string region;            // empty: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`
  std::string endpointOverride;  // host[:port] replacing sts.<region>.amazonaws.com (stand-ins, VPC endpoints)
  std::shared_ptr<ssl::context> tls;  // verifies STS and https container endpoints
  std::chrono::seconds timeout{10};
  StsRetryPolicy retry;  // also paces the container endpoint's 3 attempts
};

struct ChainOptions {
  Environment env;      // a snapshot: see snapshotEnvironment()
  std::string profile;  // explicit profile; empty = AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default"
  StsSettings sts;
  int sessionDurationSeconds = 3600;  // for profile/web-identity roles without duration_seconds (STS's default)
  std::chrono::seconds containerTimeout{2};  // botocore's ContainerMetadataFetcher
  std::function<Clock::time_point()> now;    // empty = Clock::now (default session names, signing)
};

// Copies the process environment once; call at start-up, before any thread could change it.
Environment snapshotEnvironment();

// Not for concurrent fetch() calls from several threads at once: wrap it in RefreshingCredentials.
std::shared_ptr<CredentialProvider> makeDefaultCredentialChain(ChainOptions options);

// Single sources, for a gateway configured to use exactly one (and for tests).
std::shared_ptr<CredentialProvider> makeEnvironmentProvider(Environment env);
std::shared_ptr<CredentialProvider> makeContainerProvider(ChainOptions options);
std::shared_ptr<CredentialProvider> makeImdsProvider(ChainOptions options);
std::shared_ptr<CredentialProvider> makeWebIdentityProvider(ChainOptions options);

}  // namespace kubegate::aws
