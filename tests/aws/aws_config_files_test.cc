// ~/.aws/config and ~/.aws/credentials read as botocore reads them.
#include "aws/aws_config_files.h"

#include <gtest/gtest.h>

#include "aws/aws_stand_ins.h"

namespace kubegate::aws {
namespace {

ProfileMap parse(const std::string& text, AwsFileKind kind) {
  auto parsed = parseAwsProfileFile(text, kind, "/test/file");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : ProfileMap{};
}

TEST(AwsConfigFile, ProfilesCommentsKeysAndContinuations) {
  const auto profiles = parse(
      "# leading comment\n"
      "[default]\n"
      "region = us-west-2\n"
      "  ; indented comment\n"
      "[profile dev]\r\n"
      "Role_ARN=arn:aws:iam::123456789012:role/dev\r\n"
      "source_profile : base\n"
      "s3 =\n"
      "  max_concurrent_requests = 10\n"
      "duration_seconds = 1200   \n"
      "[profile   \"two words\"]\n"
      "region = eu-west-1\n"
      "[sso-session corp]\n"
      "sso_region = us-east-1\n"
      "[services local]\n"
      "region = nowhere\n"
      "[profilex]\n"
      "region = nowhere\n",
      AwsFileKind::config);
  ASSERT_EQ(profiles.size(), 3u);
  EXPECT_EQ(profiles.at("default").at("region"), "us-west-2");
  const auto& dev = profiles.at("dev");
  EXPECT_EQ(dev.at("role_arn"), "arn:aws:iam::123456789012:role/dev");
  EXPECT_EQ(dev.at("source_profile"), "base");
  EXPECT_EQ(dev.at("s3"), "\nmax_concurrent_requests = 10");
  EXPECT_EQ(dev.at("duration_seconds"), "1200");
  EXPECT_EQ(profiles.at("two words").at("region"), "eu-west-1");
}

TEST(AwsConfigFile, CredentialsFileSectionsAreProfileNamesAsWritten) {
  const auto profiles = parse(
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secret/one\n"
      "[base]\nAWS_ACCESS_KEY_ID = AKIDBASE\n"
      "[profile odd]\naws_access_key_id = AKIDODD\n",
      AwsFileKind::credentials);
  EXPECT_EQ(profiles.at("default").at("aws_secret_access_key"), "secret/one");
  EXPECT_EQ(profiles.at("base").at("aws_access_key_id"), "AKIDBASE");
  EXPECT_EQ(profiles.at("profile odd").at("aws_access_key_id"), "AKIDODD");
}

TEST(AwsConfigFile, UpperCaseDefaultSectionIsInheritedByAll) {
  const auto profiles = parse("[DEFAULT]\nregion = us-east-2\n[profile a]\n[profile b]\nregion = eu-north-1\n",
                              AwsFileKind::config);
  EXPECT_EQ(profiles.count("DEFAULT"), 0u);
  EXPECT_EQ(profiles.at("a").at("region"), "us-east-2");
  EXPECT_EQ(profiles.at("b").at("region"), "eu-north-1");
}

TEST(AwsConfigFile, BrokenFilesAreRefusedWithoutQuotingTheirContent) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  struct Case {
    std::string text;
    std::string where;
  };
  for (const auto& c : {Case{"aws_secret_access_key = " + secret + "\n", ":1:"},
                        Case{"[default]\naws_secret_access_key " + secret + "\n", ":2:"},
                        Case{"[default]\naws_secret_access_key = " + secret + "\nAWS_SECRET_ACCESS_KEY = x\n", ":3:"},
                        Case{"[a]\n[b]\n[a]\n", ":3:"}, Case{"[default\nx = 1\n", ":1:"}}) {
    auto parsed = parseAwsProfileFile(c.text, AwsFileKind::credentials, "/home/u/.aws/credentials");
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.error().message.find("/home/u/.aws/credentials" + c.where), std::string::npos)
        << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find(secret), std::string::npos);
    EXPECT_EQ(parsed.error().kind, AwsError::Kind::invalidInput);
  }
}

TEST(AwsConfigFiles, PathsComeFromTheEnvironmentOrHome) {
  Environment env{{"HOME", "/home/gw"}};
  EXPECT_EQ(awsConfigPaths(env).config, "/home/gw/.aws/config");
  EXPECT_EQ(awsConfigPaths(env).credentials, "/home/gw/.aws/credentials");
  env["AWS_CONFIG_FILE"] = "~/other/config";
  env["AWS_SHARED_CREDENTIALS_FILE"] = "/etc/gw/credentials";
  EXPECT_EQ(awsConfigPaths(env).config, "/home/gw/other/config");
  EXPECT_EQ(awsConfigPaths(env).credentials, "/etc/gw/credentials");
}

TEST(AwsConfigFiles, LoadsBothFilesAndTheCredentialsFileWinsPerKey) {
  testing::TempDir dir;
  Environment env{{"HOME", dir.path()},
                  {"AWS_CONFIG_FILE", dir.write("config", "[profile dev]\nregion = us-west-2\naws_access_key_id = FROMCONFIG\n")},
                  {"AWS_SHARED_CREDENTIALS_FILE", dir.write("credentials", "[dev]\naws_access_key_id = FROMCREDENTIALS\n")}};
  auto files = loadAwsConfigFiles(env);
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(files->hasProfile("dev"));
  EXPECT_EQ(files->value("dev", "aws_access_key_id"), "FROMCREDENTIALS");
  EXPECT_EQ(files->value("dev", "region"), "us-west-2");
  EXPECT_FALSE(files->value("dev", "role_arn"));
  EXPECT_FALSE(files->profile("nope"));
}

TEST(AwsConfigFiles, MissingFilesReadAsEmptyButBrokenOnesAreErrors) {
  testing::TempDir dir;
  Environment env{{"HOME", dir.path()}};
  auto empty = loadAwsConfigFiles(env);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->config.empty());
  EXPECT_TRUE(empty->credentials.empty());
  env["AWS_CONFIG_FILE"] = dir.write("config", "region = before-any-section\n");
  EXPECT_FALSE(loadAwsConfigFiles(env));
}

}  // namespace
}  // namespace kubegate::aws
