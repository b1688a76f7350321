// An AssumeRole call that uses every parameter kubegate sends (session policy, tags, transitive
// tags, policy ARNs, source identity, external id), with the project's own values: the botocore and
// awscli parity tests sign it with both and compare byte for byte. The shared vectors are checked
// with the parameters read from their own bodies (eks_token_test.cc), never copied here.
#pragma once

#include "aws/sts_requests.h"

namespace kubegate::aws {

inline AssumeRoleParams everyAssumeRoleParameter() {
  AssumeRoleParams params;
  params.roleArn = "arn:aws:iam::111122223333:role/kubegate-fixture-agent";
  params.roleSessionName = "kg-fixture-1";
  params.durationSeconds = 1200;
  params.sourceIdentity = "fixture-agent";
  params.externalId = "kubegate-fixture-ext";
  params.tags = {{"agent", "fixture-agent"}, {"team", "platform/infra"}};
  params.transitiveTagKeys = {"agent"};
  params.policyArns = {"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"};
  params.policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:ListClusters","eks:DescribeCluster"],"Resource":"*"}]})";
  return params;
}

}  // namespace kubegate::aws
