#include "mask/profile.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "mask/detectors.h"

namespace kubegate::mask {
namespace {

std::string compileError(const std::map<std::string, ProfileSpec>& specs, std::string defaultProfile = "default") {
  try {
    ProfileSet::compile(specs, std::move(defaultProfile));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(compiled)";
}

ProfileSpec revealing() {
  ProfileSpec spec;
  spec.secretValues = false;
  spec.lastAppliedConfiguration = false;
  spec.envNames.clear();
  spec.configMapKeys.clear();
  spec.detectors.clear();
  return spec;
}

TEST(MaskProfile, BuiltinNamesInDocumentedOrder) {
  const auto& names = builtinDetectorNames();
  ASSERT_EQ(names.size(), 11u);
  EXPECT_EQ(names.front(), "aws-access-key");
  EXPECT_EQ(names.back(), "card-number");
}

TEST(MaskProfile, DefaultEnvGlobsIgnoreCase) {
  const auto set = ProfileSet::compile({});
  const Profile& profile = set->defaultProfile();
  EXPECT_TRUE(profile.envNameMasked("DB_PASSWORD"));
  EXPECT_TRUE(profile.envNameMasked("github_token"));
  EXPECT_TRUE(profile.envNameMasked("AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(profile.envNameMasked("Stripe_ApiKey"));
  EXPECT_FALSE(profile.envNameMasked("PATH"));
  EXPECT_FALSE(profile.envNameMasked("LOG_LEVEL"));
}

TEST(MaskProfile, DefaultConfigMapKeyGlobs) {
  const auto set = ProfileSet::compile({});
  const Profile& profile = set->defaultProfile();
  EXPECT_TRUE(profile.configMapKeyMasked("tls.key"));
  EXPECT_TRUE(profile.configMapKeyMasked("server.PEM"));
  EXPECT_TRUE(profile.configMapKeyMasked("admin-Password"));
  EXPECT_FALSE(profile.configMapKeyMasked("keys.txt"));
  EXPECT_FALSE(profile.configMapKeyMasked("nginx.conf"));
}

TEST(MaskProfile, GlobStarMatchesAnyRunIncludingNone) {
  ProfileSpec spec;
  spec.envNames = {"FOO*BAR", "EXACT", "*_SUFFIX"};
  const auto set = ProfileSet::compile({{"custom", spec}});
  const Profile& profile = *set->find("custom");
  EXPECT_TRUE(profile.envNameMasked("foobar"));
  EXPECT_TRUE(profile.envNameMasked("FOO_x_BAR"));
  EXPECT_TRUE(profile.envNameMasked("FOOBARBAR"));
  EXPECT_FALSE(profile.envNameMasked("FOOBA"));
  EXPECT_FALSE(profile.envNameMasked("XFOOBAR"));
  EXPECT_TRUE(profile.envNameMasked("exact"));
  EXPECT_FALSE(profile.envNameMasked("EXACTLY"));
  EXPECT_TRUE(profile.envNameMasked("A_SUFFIX"));
  EXPECT_FALSE(profile.envNameMasked("A_SUFFIXES"));
}

TEST(MaskProfile, RevealsEverythingOnlyWhenNothingIsMasked) {
  ProfileSpec withPattern = revealing();
  withPattern.patterns = {PatternSpec{"ticket", "TICKET-[0-9]+"}};
  ProfileSpec withEnvGlob = revealing();
  withEnvGlob.envNames = {"*TOKEN*"};
  const auto set = ProfileSet::compile({{"open", revealing()}, {"pattern", withPattern}, {"env", withEnvGlob}});
  EXPECT_TRUE(set->find("open")->revealsEverything());
  EXPECT_EQ(set->find("open")->detectors(), nullptr);
  EXPECT_FALSE(set->find("pattern")->revealsEverything());
  EXPECT_NE(set->find("pattern")->detectors(), nullptr);
  EXPECT_FALSE(set->find("env")->revealsEverything());
  EXPECT_FALSE(set->defaultProfile().revealsEverything());
}

TEST(MaskProfile, SetAlwaysHasTheSafeDefault) {
  const auto set = ProfileSet::compile({{"open", revealing()}});
  const Profile* fallback = set->find("default");
  ASSERT_NE(fallback, nullptr);
  EXPECT_EQ(&set->defaultProfile(), fallback);
  EXPECT_TRUE(fallback->spec().secretValues);
  ASSERT_NE(fallback->detectors(), nullptr);
  EXPECT_TRUE(fallback->detectors()->any("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
}

TEST(MaskProfile, ForDecisionPicksTheRuleProfileElseTheDefault) {
  const auto set = ProfileSet::compile({{"open", revealing()}, {"strict", ProfileSpec{}}}, "strict");
  EXPECT_EQ(&set->forDecision(""), set->find("strict"));
  EXPECT_EQ(&set->forDecision("open"), set->find("open"));
  EXPECT_EQ(&set->forDecision("no-such-profile"), &set->defaultProfile());
  EXPECT_EQ(set->find("no-such-profile"), nullptr);
}

TEST(MaskProfile, UnknownDetectorIsRefusedNamingTheProfile) {
  ProfileSpec spec;
  spec.detectors = {"jwt", "x"};
  EXPECT_EQ(compileError({{"agents", spec}}), "masking.profiles.agents: unknown detector \"x\"");
}

TEST(MaskProfile, BadPatternIsRefusedNamingTheProfile) {
  ProfileSpec spec;
  spec.patterns = {PatternSpec{"order", "ORDER-(\\d+"}};
  const std::string error = compileError({{"ops", spec}});
  EXPECT_TRUE(error.starts_with("masking.profiles.ops: pattern \"order\": ")) << error;
}

TEST(MaskProfile, MalformedGlobIsRefused) {
  ProfileSpec spec;
  spec.configMapKeys = {".*secret.?"};
  const std::string error = compileError({{"ops", spec}});
  EXPECT_TRUE(error.starts_with("masking.profiles.ops: configMapKeys: malformed glob")) << error;
  spec.configMapKeys = {""};
  EXPECT_NE(compileError({{"ops", spec}}), "(compiled)");
}

TEST(MaskProfile, MissingDefaultProfileIsRefused) {
  EXPECT_EQ(compileError({{"open", revealing()}}, "strict"), "masking.defaultProfile: unknown profile \"strict\"");
}

}  // namespace
}  // namespace kubegate::mask
