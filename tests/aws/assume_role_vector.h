// The AssumeRole parameters of shared/notes/aws-eks-auth.md §2.1, whose serialised body and
// signature the shared vectors and Debian's botocore both pin down. In the order botocore writes
// them (the caller's order), which is the vectors' order.
#pragma once

#include "aws/sts_requests.h"

namespace kubegate::aws {

inline AssumeRoleParams noteSectionTwoParams() {
  AssumeRoleParams params;
  params.roleArn = "arn:aws:iam::123456789012:role/eks-gw-agent";
  params.roleSessionName = "agent-7f3a";
  params.durationSeconds = 900;
  params.sourceIdentity = "agent-7f3a";
  params.externalId = "gw-ext-1";
  params.tags = {{"agent", "agent-7f3a"}, {"tenant", "acme"}};
  params.transitiveTagKeys = {"agent"};
  params.policyArns = {"arn:aws:iam::aws:policy/ReadOnlyAccess"};
  params.policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"*"}]})";
  return params;
}

}  // namespace kubegate::aws
