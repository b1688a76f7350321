// A config mistake must be named precisely and never fall back to a default silently.
#include "config/config.h"

#include <gtest/gtest.h>

namespace kubegate::config {
namespace {

const char* kMinimal = R"(
listen: 127.0.0.1:8443
tls: {certFile: /tmp/c.pem, keyFile: /tmp/k.pem}
clusters:
  - name: demo
    server: https://127.0.0.1:6443
    caFile: /tmp/ca.crt
    credentials: {tokenFile: /tmp/token}
)";

std::string errorOf(const std::string& yaml) {
  try {
    parseConfig(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ParsesAMinimalConfigWithDefaults) {
  auto cfg = parseConfig(kMinimal);
  ASSERT_EQ(cfg.clusters.size(), 1u);
  EXPECT_EQ(cfg.clusters[0].name, "demo");
  EXPECT_TRUE(cfg.clusters[0].impersonate);
  EXPECT_EQ(cfg.limits.maxBodyBytes, 3u * 1024 * 1024);
  EXPECT_EQ(cfg.drainTimeout, Seconds(20));
  EXPECT_NE(cfg.findCluster("demo"), nullptr);
  EXPECT_EQ(cfg.findCluster("other"), nullptr);
}

TEST(Config, NamesTheFieldOfEveryMistake) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "lisen: x\n"), "lisen: unknown field");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "limits: {idleTimeout: soon}\n"),
            "limits.idleTimeout: must be a positive duration such as 30s, 15m or 4h");
  EXPECT_EQ(errorOf(R"(
tls: {certFile: a, keyFile: b}
clusters: [{name: demo, server: "http://x:1", caFile: c, credentials: {tokenFile: t}}])"),
            "clusters[0].server: must be an https:// URL with a host and no path");
  EXPECT_EQ(errorOf(R"(
tls: {certFile: a, keyFile: b}
clusters: [{name: demo, server: "https://x:1", credentials: {tokenFile: t}}])"),
            "clusters[0].caFile: is required (the cluster's CA bundle)");
  EXPECT_EQ(errorOf(R"(
tls: {certFile: a, keyFile: b}
clusters: [{name: Demo, server: "https://x:1", caFile: c, credentials: {tokenFile: t}}])"),
            "clusters[0].name: must be lowercase letters, digits and '-' (it is a URL path segment)");
}

TEST(Config, InsecureSkipVerifyMustBeSpelledOut) {
  auto cfg = parseConfig(R"(
tls: {certFile: a, keyFile: b}
clusters: [{name: demo, server: "https://x:1", insecureSkipTLSVerify: true, credentials: {tokenFile: t}}])");
  EXPECT_TRUE(cfg.clusters[0].insecureSkipTlsVerify);
}

TEST(Config, DurationsAcceptSecondsMinutesHoursDays) {
  EXPECT_EQ(parseDuration("90s"), Seconds(90));
  EXPECT_EQ(parseDuration("15m"), Seconds(900));
  EXPECT_EQ(parseDuration("4h"), Seconds(14400));
  EXPECT_EQ(parseDuration("90d"), Seconds(90 * 86400));  // audit retention is counted in days
  EXPECT_EQ(parseDuration("7"), Seconds(7));
  EXPECT_EQ(parseDuration("1w"), std::nullopt);
  EXPECT_EQ(parseDuration("1.5h"), std::nullopt);
}

TEST(Config, TheAuditSectionIsReadAndCheckedWhenPresent) {
  const std::string base = R"(
tls: {certFile: a, keyFile: b}
clusters: [{name: demo, server: "https://x:1", insecureSkipTLSVerify: true, credentials: {tokenFile: t}}]
)";
  EXPECT_FALSE(parseConfig(base).audit.configured);
  const auto cfg = parseConfig(base + R"(audit:
  database: /var/lib/kubegate/audit.db
  signingKeyFile: /etc/kubegate/audit.pem
  sync: full
  commitInterval: 8ms
  onFailure: warn
  retention: {maxAge: 90d, maxBytes: 1000000}
)");
  EXPECT_TRUE(cfg.audit.configured);
  EXPECT_EQ(cfg.audit.database, "/var/lib/kubegate/audit.db");
  EXPECT_TRUE(cfg.audit.syncFull);
  EXPECT_EQ(cfg.audit.commitInterval, std::chrono::milliseconds(8));
  EXPECT_FALSE(cfg.audit.failClosed);
  // The defaults journal requests and commit every 5 ms (ADR 0012).
  const auto defaults = parseConfig(base + "audit: {database: x}\n").audit;
  EXPECT_FALSE(defaults.syncFull);
  EXPECT_EQ(defaults.commitInterval, std::chrono::milliseconds(5));
  EXPECT_EQ(parseConfig(base + "audit: {database: x, commitInterval: 0ms}\n").audit.commitInterval.count(), 0);
  EXPECT_THROW(parseConfig(base + "audit: {database: x, commitInterval: 2s}\n"), ConfigError);
  EXPECT_THROW(parseConfig(base + "audit: {database: x, commitInterval: 5xs}\n"), ConfigError);
  EXPECT_EQ(cfg.audit.retention.maxAge, Seconds(90 * 86400));
  EXPECT_EQ(cfg.audit.retention.maxBytes, 1000000u);
  EXPECT_THROW(parseConfig(base + "audit: {enabled: true}\n"), ConfigError);  // no database
  EXPECT_THROW(parseConfig(base + "audit: {database: x, onFailure: ignore}\n"), ConfigError);
  EXPECT_THROW(parseConfig(base + "audit: {database: x, databse: y}\n"), ConfigError);
  EXPECT_FALSE(parseConfig(base + "audit: {enabled: false}\n").audit.enabled);
}

TEST(Config, MaskingProfilesAreReadAndCheckedWhenPresent) {
  EXPECT_TRUE(parseConfig(kMinimal).masking.profiles.empty());
  const auto cfg = parseConfig(std::string(kMinimal) + R"(masking:
  defaultProfile: strict
  profiles:
    strict:
      envNames: ["*PASS*"]
      patterns: [{name: canary, regex: 'kgcanary-[a-z0-9]{16}'}]
    break-glass: {secretValues: false, detectors: [], streams: false}
)");
  EXPECT_EQ(cfg.masking.defaultProfile, "strict");
  ASSERT_EQ(cfg.masking.profiles.size(), 2u);
  const auto& strict = cfg.masking.profiles.at("strict");
  EXPECT_EQ(strict.envNames, std::vector<std::string>{"*PASS*"});
  ASSERT_EQ(strict.patterns.size(), 1u);
  EXPECT_EQ(strict.patterns[0].name, "canary");
  EXPECT_TRUE(strict.secretValues) << "an unnamed field keeps its safe default";
  EXPECT_FALSE(cfg.masking.profiles.at("break-glass").secretValues);
  EXPECT_EQ(errorOf(std::string(kMinimal) + "masking: {defaultProfile: nope}\n"),
            "masking.defaultProfile: names no profile in masking.profiles: nope");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "masking: {profiles: {a: {secretValue: false}}}\n"),
            "masking.profiles.a.secretValue: unknown field");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "masking: {profiles: {a: {patterns: [{name: x}]}}}\n"),
            "masking.profiles.a.patterns[0]: needs a name and a regex");
}

}  // namespace
}  // namespace kubegate::config

namespace kubegate::config {
namespace {

const char* kEksCluster = R"(
tls: {certFile: a, keyFile: b}
clusters:
  - name: prod
    server: https://eks.example:443
    caFile: /tmp/ca.crt
    eks:
      clusterName: prod-eks
      region: us-west-2
      roles:
        - {roleArn: "arn:aws:iam::111122223333:role/kg-deployers", rules: [allow-writes], sessionPolicy: "{}"}
        - {roleArn: "arn:aws:iam::111122223333:role/kg-readers", groups: [agents], externalId: ext-1}
)";

TEST(Config, AnEksClusterNeedsNoCredentialAndDoesNotImpersonateByDefault) {
  auto cfg = parseConfig(kEksCluster);
  const auto& c = cfg.clusters.at(0);
  EXPECT_TRUE(c.eks.enabled);
  EXPECT_FALSE(c.impersonate) << "the assumed role is the identity the cluster sees";
  EXPECT_EQ(c.eks.clusterName, "prod-eks");
  EXPECT_EQ(c.eks.sessionDuration, Seconds(900));
  ASSERT_EQ(c.eks.roles.size(), 2u);
  EXPECT_EQ(c.eks.roles[0].rules, std::vector<std::string>{"allow-writes"});
  EXPECT_EQ(c.eks.roles[1].externalId, "ext-1");
}

TEST(Config, EksMistakesAreNamed) {
  auto with = [](std::string from, std::string to) {
    std::string yaml = kEksCluster;
    yaml.replace(yaml.find(from), from.size(), to);
    return errorOf(yaml);
  };
  EXPECT_EQ(with("clusterName: prod-eks", "clusterName: \"\""),
            "clusters[0].eks.clusterName: is required (the EKS cluster's name, which its tokens are bound to)");
  EXPECT_EQ(with("arn:aws:iam::111122223333:role/kg-readers", "kg-readers"),
            "clusters[0].eks.roles[1].roleArn: must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
  EXPECT_EQ(with(", groups: [agents]", ""), "clusters[0].eks.roles[1]: needs groups or rules: which agents get this role");
  EXPECT_EQ(with("region: us-west-2", "region: us-west-2\n      sessionDuration: 5m"),
            "clusters[0].eks.sessionDuration: must be 15m to 12h (STS's limits)");
  EXPECT_EQ(with("caFile: /tmp/ca.crt", "caFile: /tmp/ca.crt\n    credentials: {tokenFile: /tmp/t}"),
            "clusters[0].credentials: is not used with eks: the gateway mints the cluster's token itself");
}

TEST(Config, GrantsAreOffUntilConfiguredAndNeedApprovers) {
  const std::string base = std::string(kMinimal) + "approvals:\n  database: /tmp/a.db\n";
  EXPECT_FALSE(parseConfig(base).approvals.grants.enabled);
  auto cfg = parseConfig(base + "  grants: {approverGroups: [sre], maxDuration: 30m}\n");
  EXPECT_TRUE(cfg.approvals.grants.enabled);
  EXPECT_EQ(cfg.approvals.grants.maxDuration, Seconds(1800));
  EXPECT_EQ(cfg.approvals.grants.approvals, 1);
  EXPECT_EQ(errorOf(base + "  grants: {maxDuration: 30m}\n"), "approvals.grants.approverGroups: must name who decides on grants");
  EXPECT_EQ(errorOf(base + "  grants: {approverGroups: [sre], approvals: 0}\n"), "approvals.grants.approvals: must be 1 to 10");
}

}  // namespace
}  // namespace kubegate::config
