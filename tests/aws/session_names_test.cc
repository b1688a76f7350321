// Session names and source identities derived from the verified agent identity: always acceptable to STS,
// readable, stable, and distinct for distinct identities.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "aws/session_names.h"
#include "aws/sts_requests.h"
#include "aws/fixture_values.h"  // beside this file

namespace kubegate::aws {
namespace {

const std::string kIssuer = "https://issuer.example.com";

// STS's own rule for both fields, plus our prefix.
void expectStsAcceptable(const std::string& name) {
  EXPECT_GE(name.size(), 2u) << name;
  EXPECT_LE(name.size(), 64u) << name;
  EXPECT_TRUE(std::regex_match(name, std::regex("[A-Za-z0-9_+=,.@-]*"))) << name;
  EXPECT_TRUE(name.starts_with("kg-")) << name;
  // And buildAssumeRoleRequest agrees.
  AssumeRoleParams params;
  params.roleArn = "arn:aws:iam::123456789012:role/agent";
  params.roleSessionName = name;
  params.sourceIdentity = name;
  Credentials caller;
  caller.accessKeyId = fixture::kAccessKeyId;
  caller.secretAccessKey = "secret";
  EXPECT_TRUE(buildAssumeRoleRequest(params, caller, regionalStsEndpoint("us-east-1"), Clock::now())) << name;
}

TEST(SessionNames, AreReadableAndStable) {
  const std::string name = roleSessionNameFor(kIssuer, "agent-k9q2");
  EXPECT_TRUE(std::regex_match(name, std::regex("kg-agent-k9q2-[0-9a-f]{12}"))) << name;
  EXPECT_EQ(roleSessionNameFor(kIssuer, "agent-k9q2"), name);
  expectStsAcceptable(name);
}

TEST(SessionNames, SanitiseColonsSlashesAndUnicode) {
  const std::string service = roleSessionNameFor(kIssuer, "system:serviceaccount:ci/deploy bot");
  EXPECT_TRUE(service.starts_with("kg-system-serviceaccount-ci-deploy-bot-")) << service;
  expectStsAcceptable(service);
  const std::string unicode = roleSessionNameFor(kIssuer, "jos\xC3\xA9-\xE2\x9C\x93-ops");
  EXPECT_TRUE(unicode.starts_with("kg-jos-ops-")) << unicode;
  expectStsAcceptable(unicode);
}

TEST(SessionNames, StayWithinSixtyFourCharacters) {
  const std::string name = roleSessionNameFor(kIssuer, std::string(500, 'x'));
  EXPECT_EQ(name.size(), 64u);
  expectStsAcceptable(name);
  // A run of separators at the cut does not leave a dangling '-' before the hash.
  expectStsAcceptable(roleSessionNameFor(kIssuer, std::string(47, 'x') + "::::" + std::string(20, 'y')));
  EXPECT_EQ(roleSessionNameFor(kIssuer, std::string(47, 'x') + "::::y").find("--"), std::string::npos);
}

TEST(SessionNames, FallBackToTheHashWhenNothingReadableRemains) {
  for (const std::string subject : {"", ":::", "\xE2\x9C\x93\xE2\x9C\x93", "/"}) {
    const std::string name = roleSessionNameFor(kIssuer, subject);
    EXPECT_TRUE(std::regex_match(name, std::regex("kg-[0-9a-f]{12}"))) << name;
    expectStsAcceptable(name);
  }
}

TEST(SessionNames, NeverCollideWhenSubjectsSanitiseAlike) {
  std::set<std::string> names;
  for (const std::string subject : {"a:b", "a/b", "a b", "a-b", "a\xC3\xA9" "b"}) names.insert(roleSessionNameFor(kIssuer, subject));
  EXPECT_EQ(names.size(), 5u);
  // The issuer is part of the identity.
  EXPECT_NE(roleSessionNameFor("https://a.example", "bob"), roleSessionNameFor("https://b.example", "bob"));
  // And the boundary between issuer and subject is not ambiguous.
  EXPECT_NE(roleSessionNameFor("https://a", "bc"), roleSessionNameFor("https://ab", "c"));
}

TEST(SessionNames, AtSignsOnlySurviveInTheSourceIdentity) {
  const std::string session = roleSessionNameFor(kIssuer, "alice@example.com");
  const std::string source = sourceIdentityFor(kIssuer, "alice@example.com");
  EXPECT_TRUE(session.starts_with("kg-alice-example.com-")) << session;
  EXPECT_TRUE(source.starts_with("kg-alice@example.com-")) << source;
  expectStsAcceptable(source);
}

TEST(SessionNames, SourceIdentityNeverStartsWithTheReservedPrefix) {
  const std::string source = sourceIdentityFor(kIssuer, "aws:admin");
  EXPECT_FALSE(source.starts_with("aws:"));
  expectStsAcceptable(source);
}

}  // namespace
}  // namespace kubegate::aws
