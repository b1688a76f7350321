// The EKS bearer token: `k8s-aws-v1.` + unpadded base64url of a presigned STS GetCallerIdentity URL
// whose signed headers bind it to one cluster (x-k8s-aws-id). Built exactly as awscli and
// aws-iam-authenticator build it, so tokens match theirs byte for byte. The token is a bearer
// credential for 15 minutes and carries the session token: never log it.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

#include "aws/aws_types.h"
#include "aws/sts_requests.h"

namespace kubegate::aws {

struct EksToken {
  std::string token;
  // When to stop using it: 14 minutes after signing (STS honours the URL for 15), or one minute
  // before the signing credentials expire, whichever comes first.
  Clock::time_point expiresAt;
};

inline constexpr std::size_t kMaxEksTokenBytes = 4096;  // EKS rejects longer tokens

// Errors (never a token that EKS would refuse): invalidInput for an empty cluster name or a token
// over 4096 bytes, noCredentials for empty or (nearly) expired credentials.
boost::system::result<EksToken, AwsError> mintEksToken(const Credentials& credentials, std::string_view clusterName,
                                                      const StsEndpoint& endpoint, Clock::time_point now);

}  // namespace kubegate::aws
