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
  sync: normal
  onFailure: warn
  retention: {maxAge: 90d, maxBytes: 1000000}
)");
  EXPECT_TRUE(cfg.audit.configured);
  EXPECT_EQ(cfg.audit.database, "/var/lib/kubegate/audit.db");
  EXPECT_FALSE(cfg.audit.syncFull);
  EXPECT_FALSE(cfg.audit.failClosed);
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
