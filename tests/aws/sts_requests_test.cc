// AssumeRole / AssumeRoleWithWebIdentity requests: what goes on the wire, and every STS rule checked before
// anything is sent (each refusal names the parameter, so an operator can fix the configuration).
#include <gtest/gtest.h>

#include "aws/sts_requests.h"
#include "aws/fixture_values.h"  // beside this file

namespace kubegate::aws {
namespace {

const Clock::time_point kFixtureTime = fixture::kTime;

Credentials caller(std::string token = {}) { return fixture::credentials(std::move(token)); }

AssumeRoleParams minimal() {
  AssumeRoleParams params;
  params.roleArn = "arn:aws:iam::111122223333:role/kubegate-fixture-agent";
  params.roleSessionName = "kg-fixture-1";
  return params;
}

std::vector<std::string> headerNames(const StsHttpRequest& request) {
  std::vector<std::string> names;
  for (const auto& [name, value] : request.headers) names.push_back(name);
  return names;
}

// The refusal for `params`, which must be invalidInput and name `field` first.
void expectRefusal(const AssumeRoleParams& params, std::string_view field, const Credentials& who = caller()) {
  const auto request = buildAssumeRoleRequest(params, who, regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_FALSE(request) << "accepted, expected a refusal naming " << field;
  EXPECT_EQ(request.error().kind, AwsError::Kind::invalidInput);
  EXPECT_TRUE(request.error().message.starts_with(std::string(field) + ":")) << request.error().message;
}

TEST(AssumeRoleRequest, IsASignedFormPostWithHeadersInSendingOrder) {
  const auto request = buildAssumeRoleRequest(minimal(), caller("session/token+="), regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->host, "sts.us-west-2.amazonaws.com");
  EXPECT_EQ(request->path, "/");
  EXPECT_EQ(headerNames(*request),
            (std::vector<std::string>{"Host", "Content-Type", "X-Amz-Date", "X-Amz-Security-Token", "Authorization"}));
  EXPECT_EQ(request->headers[1].second, "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(request->headers[3].second, "session/token+=");
  EXPECT_NE(request->headers[4].second.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "),
            std::string::npos);
  EXPECT_EQ(request->body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fkubegate-fixture-agent"
            "&RoleSessionName=kg-fixture-1&DurationSeconds=900");
}

TEST(AssumeRoleRequest, LongTermKeysSendNoSecurityToken) {
  const auto request = buildAssumeRoleRequest(minimal(), caller(), regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_TRUE(request);
  EXPECT_EQ(headerNames(*request), (std::vector<std::string>{"Host", "Content-Type", "X-Amz-Date", "Authorization"}));
}

TEST(AssumeRoleRequest, RefusesBadSessionNames) {
  AssumeRoleParams params = minimal();
  params.roleSessionName = std::string(65, 'a');
  expectRefusal(params, "RoleSessionName");
  params.roleSessionName = "a";
  expectRefusal(params, "RoleSessionName");
  params.roleSessionName = "system:agent";
  expectRefusal(params, "RoleSessionName");
  params.roleSessionName = "agent/one";
  expectRefusal(params, "RoleSessionName");
  params.roleSessionName = std::string(64, 'a');
  EXPECT_TRUE(buildAssumeRoleRequest(params, caller(), regionalStsEndpoint("us-west-2"), kFixtureTime));
}

TEST(AssumeRoleRequest, RefusesDurationsOutsideStsLimits) {
  AssumeRoleParams params = minimal();
  params.durationSeconds = 899;
  expectRefusal(params, "DurationSeconds");
  params.durationSeconds = 43201;
  expectRefusal(params, "DurationSeconds");
  // Credentials that came from STS are a role session: chaining caps the new one at an hour.
  params.durationSeconds = 3601;
  Credentials chained = caller("token");
  chained.source = "sts:arn:aws:iam::123456789012:role/base";
  expectRefusal(params, "DurationSeconds", chained);
  params.durationSeconds = 3600;
  EXPECT_TRUE(buildAssumeRoleRequest(params, chained, regionalStsEndpoint("us-west-2"), kFixtureTime));
}

TEST(AssumeRoleRequest, RefusesTooManyOrMalformedTags) {
  AssumeRoleParams params = minimal();
  for (int i = 0; i < 51; ++i) params.tags.emplace_back("k" + std::to_string(i), "v");
  expectRefusal(params, "Tags");
  params.tags = {{std::string(129, 'k'), "v"}};
  expectRefusal(params, "Tags.Key");
  params.tags = {{"k", std::string(257, 'v')}};
  expectRefusal(params, "Tags.Value");
  params.tags = {{"k", "a;b"}};
  expectRefusal(params, "Tags.Value");
  params.tags = {{"Agent", "a"}, {"agent", "b"}};
  expectRefusal(params, "Tags");
  params.tags = {{"agent", ""}};
  params.transitiveTagKeys.assign(51, "agent");
  expectRefusal(params, "TransitiveTagKeys");
}

TEST(AssumeRoleRequest, RefusesOversizedOrNonLatin1Policies) {
  AssumeRoleParams params = minimal();
  params.policy = std::string(2049, ' ');
  expectRefusal(params, "Policy");
  params.policy = "{\"Sid\":\"\xE2\x82\xAC\"}";  // U+20AC is outside U+0020..U+00FF
  expectRefusal(params, "Policy");
  params.policy = "{\"Sid\":\"\xC3\xA9\"}";  // U+00E9 is inside, and counts as one character
  EXPECT_TRUE(buildAssumeRoleRequest(params, caller(), regionalStsEndpoint("us-west-2"), kFixtureTime));
  params.policyArns.assign(11, "arn:aws:iam::aws:policy/ReadOnlyAccess");
  expectRefusal(params, "PolicyArns");
}

TEST(AssumeRoleRequest, RefusesReservedOrMalformedSourceIdentity) {
  AssumeRoleParams params = minimal();
  params.sourceIdentity = "aws:agent";
  expectRefusal(params, "SourceIdentity");  // ':' is outside the character set too
  params.sourceIdentity = "x";
  expectRefusal(params, "SourceIdentity");
  params.sourceIdentity = std::string(65, 's');
  expectRefusal(params, "SourceIdentity");
}

TEST(AssumeRoleRequest, RefusesBadRoleArnAndExternalId) {
  AssumeRoleParams params = minimal();
  params.roleArn = "role/kg-eks-agent-without-arn";
  expectRefusal(params, "RoleArn");
  params = minimal();
  params.externalId = "x";
  expectRefusal(params, "ExternalId");
  params.externalId = "ext id";
  expectRefusal(params, "ExternalId");
  params.externalId = "urn:ext/1";
  EXPECT_TRUE(buildAssumeRoleRequest(params, caller(), regionalStsEndpoint("us-west-2"), kFixtureTime));
}

TEST(AssumeRoleRequest, NeedsCallerCredentials) {
  const auto request = buildAssumeRoleRequest(minimal(), Credentials{}, regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().kind, AwsError::Kind::noCredentials);
}

TEST(AssumeRoleWithWebIdentityRequest, IsAnUnsignedFormPost) {
  AssumeRoleWithWebIdentityParams params;
  params.roleArn = "arn:aws:iam::123456789012:role/eks-gw";
  params.roleSessionName = "kubegate";
  params.webIdentityToken = "eyJhbGciOiJSUzI1NiJ9.e30.sig";
  params.durationSeconds = 3600;
  const auto request = buildAssumeRoleWithWebIdentityRequest(params, regionalStsEndpoint("eu-west-1"));
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->host, "sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(headerNames(*request), (std::vector<std::string>{"Host", "Content-Type"}));
  EXPECT_EQ(request->body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Feks-gw"
            "&RoleSessionName=kubegate&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.e30.sig&DurationSeconds=3600");

  params.webIdentityToken = "abc";
  const auto refused = buildAssumeRoleWithWebIdentityRequest(params, regionalStsEndpoint("eu-west-1"));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().message.starts_with("WebIdentityToken:"));
  // The token is a credential: a refusal never quotes it.
  EXPECT_EQ(refused.error().message.find("abc"), std::string::npos);
}

}  // namespace
}  // namespace kubegate::aws
