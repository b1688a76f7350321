// STS requests as they go on the wire: the endpoint for a region, and AssumeRole (SigV4-signed) /
// AssumeRoleWithWebIdentity (unsigned) POSTs with awsQuery form bodies. Pure: the caller sends them.
// Every parameter is checked against STS's own rules first, so a request STS would refuse is never
// sent (and never retried).
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/aws_types.h"

namespace kubegate::aws {

struct StsEndpoint {
  std::string region;  // the SigV4 scope region (us-east-1 for the global host)
  std::string host;    // may carry a port, e.g. "127.0.0.1:8443" for a local stand-in
};

// sts.<region>.<partition domain>: amazonaws.com, amazonaws.com.cn for cn-*, and the isolated
// partitions' domains. AWS recommends regional endpoints; the global one works only in `aws`.
StsEndpoint regionalStsEndpoint(std::string_view region);

struct StsHttpRequest {
  std::string method;
  std::string host;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order to send
  std::string body;
};

struct AssumeRoleParams {
  std::string roleArn, roleSessionName;
  int durationSeconds = 900;
  std::string sourceIdentity, externalId, policy;  // empty = not sent
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> transitiveTagKeys, policyArns;
};

// Errors: invalidInput (message starts with the offending parameter's STS name, e.g.
// "RoleSessionName: ..."), noCredentials when `caller` is empty.
boost::system::result<StsHttpRequest, AwsError> buildAssumeRoleRequest(const AssumeRoleParams& params,
                                                                      const Credentials& caller,
                                                                      const StsEndpoint& endpoint,
                                                                      Clock::time_point now);

struct AssumeRoleWithWebIdentityParams {
  std::string roleArn, roleSessionName, webIdentityToken, policy;
  int durationSeconds = 900;
};

// Unsigned, as botocore sends it: STS authenticates the call by the web identity token alone.
boost::system::result<StsHttpRequest, AwsError> buildAssumeRoleWithWebIdentityRequest(
    const AssumeRoleWithWebIdentityParams& params, const StsEndpoint& endpoint);

}  // namespace kubegate::aws
