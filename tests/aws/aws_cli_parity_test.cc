// Byte-for-byte parity with Debian's own AWS tools at a frozen clock (faketime 2026-11-29 14:00:00 UTC):
// `aws eks get-token` (awscli 2.9.19) and python3-botocore driven by tests/aws/botocore_parity.py, both run
// in a clean environment (no config or credentials files, no instance metadata), nothing sent anywhere.
// Skipped with a one-line reason when a tool is not installed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "aws/assume_role_params.h"
#include "aws/eks_token.h"
#include "aws/sts_requests.h"
#include "http/base64.h"
#include "aws/fixture_values.h"  // beside this file

namespace kubegate::aws {
namespace {

namespace fs = std::filesystem;

const Clock::time_point kFixtureTime = fixture::kTime;
constexpr const char* kFrozenClock = fixture::kFrozenClock;
// Explicit paths: a pyenv shim shadows python3 and aws in PATH on development machines.
constexpr const char* kAws = "/usr/bin/aws";
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kFaketime = "/usr/bin/faketime";

struct ProcessResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// fork + execve with an argument vector and exactly `environment`; stdout and stderr captured; killed
// after `timeout` so a tool that tries the network cannot hang the suite.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                         std::chrono::seconds timeout = std::chrono::seconds{60}) {
  int outPipe[2], errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC) != 0 || pipe2(errPipe, O_CLOEXEC) != 0) return {};
  std::vector<char*> args, env;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  for (const auto& var : environment) env.push_back(const_cast<char*>(var.c_str()));
  args.push_back(nullptr);
  env.push_back(nullptr);

  const pid_t child = fork();
  if (child == 0) {
    dup2(outPipe[1], STDOUT_FILENO);
    dup2(errPipe[1], STDERR_FILENO);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(outPipe[1]);
  close(errPipe[1]);
  ProcessResult result;
  pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int open = 2;
  while (open > 0 && child > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(child, SIGKILL);
      result.err += "\n(killed after timeout)";
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (const auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
  return result;
}

bool executable(const char* path) { return access(path, X_OK) == 0; }

// A private HOME with an empty config and credentials file: the tools see only what the test passes.
class CleanEnvironment {
 public:
  CleanEnvironment() {
    std::string templ = (fs::temp_directory_path() / "kubegate-aws-parity-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) home_ = templ;
    std::ofstream(home_ / "empty").close();
  }
  ~CleanEnvironment() {
    std::error_code ignored;
    fs::remove_all(home_, ignored);
  }
  CleanEnvironment(const CleanEnvironment&) = delete;
  CleanEnvironment& operator=(const CleanEnvironment&) = delete;

  std::vector<std::string> variables(const std::map<std::string, std::string>& extra = {}) const {
    std::vector<std::string> env{"PATH=/usr/bin:/bin",
                                 "HOME=" + home_.string(),
                                 "TZ=UTC",
                                 "AWS_CONFIG_FILE=" + (home_ / "empty").string(),
                                 "AWS_SHARED_CREDENTIALS_FILE=" + (home_ / "empty").string(),
                                 "AWS_EC2_METADATA_DISABLED=true",
                                 "AWS_STS_REGIONAL_ENDPOINTS=regional"};
    for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
    return env;
  }

 private:
  fs::path home_;
};

std::string missingTool(bool needsAws, bool needsBotocore) {
  if (!executable(kFaketime)) return std::string(kFaketime) + " not installed (Debian package faketime)";
  if (needsAws && !executable(kAws)) return std::string(kAws) + " not installed (Debian package awscli)";
  if (needsBotocore) {
    if (!executable(kPython)) return std::string(kPython) + " not installed";
    CleanEnvironment clean;
    if (runProcess({kPython, "-c", "import botocore"}, clean.variables()).exitCode != 0)
      return "python3-botocore not importable by /usr/bin/python3 (Debian package python3-botocore)";
  }
  return {};
}

std::string parityScript() { return std::string(KUBEGATE_SOURCE_DIR) + "/tests/aws/botocore_parity.py"; }

struct TokenCase {
  std::string region;
  std::string sessionToken;
};

const std::vector<TokenCase> kTokenCases = {{"us-west-2", ""}, {"us-east-1", "kubegate/fixture+session=token"}, {"us-east-1", ""}};

Credentials tokenCredentials(const TokenCase& c) {
  return fixture::credentials(c.sessionToken);
}

TEST(AwsCliParity, EksGetTokenMatchesByteForByte) {
  if (const auto missing = missingTool(true, false); !missing.empty()) GTEST_SKIP() << missing;
  CleanEnvironment clean;
  for (const auto& c : kTokenCases) {
    SCOPED_TRACE(c.region + (c.sessionToken.empty() ? "" : " with session token"));
    std::map<std::string, std::string> extra{{"AWS_ACCESS_KEY_ID", fixture::kAccessKeyId},
                                             {"AWS_SECRET_ACCESS_KEY", fixture::kSecretAccessKey},
                                             {"AWS_DEFAULT_REGION", c.region}};
    if (!c.sessionToken.empty()) extra["AWS_SESSION_TOKEN"] = c.sessionToken;
    const auto run = runProcess({kFaketime, "-f", kFrozenClock, kAws, "eks", "get-token", "--cluster-name",
                                 fixture::kCluster, "--output", "json"},
                                clean.variables(extra));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const auto status = boost::json::parse(run.out).at("status").as_object();

    const auto ours = mintEksToken(tokenCredentials(c), fixture::kCluster, regionalStsEndpoint(c.region), kFixtureTime);
    ASSERT_TRUE(ours) << ours.error().message;
    EXPECT_EQ(ours->token, status.at("token").as_string().c_str());
    EXPECT_EQ(status.at("expirationTimestamp").as_string(), "2026-11-29T14:14:00Z");
    EXPECT_EQ(ours->expiresAt, kFixtureTime + std::chrono::minutes{14});
  }
}

boost::json::object runBotocore(const CleanEnvironment& clean, const std::string& command,
                                const boost::json::object& spec) {
  const auto run = runProcess({kFaketime, "-f", kFrozenClock, kPython, parityScript(), command,
                               boost::json::serialize(spec)},
                              clean.variables());
  EXPECT_EQ(run.exitCode, 0) << run.err;
  if (run.exitCode != 0) return {};
  return boost::json::parse(run.out).as_object();
}

std::string urlOf(const EksToken& token) {
  std::string text = token.token.substr(std::string_view("k8s-aws-v1.").size());
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text.push_back('=');
  return decodeBase64(text).value_or("<not base64url>");
}

std::string queryOf(const std::string& url) { return url.substr(url.find('?') + 1); }

std::multiset<std::string> parameterSet(const std::string& query) {
  std::multiset<std::string> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    out.insert(query.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(BotocoreParity, PresignedEksTokenMatches) {
  if (const auto missing = missingTool(false, true); !missing.empty()) GTEST_SKIP() << missing;
  CleanEnvironment clean;
  for (const auto& c : kTokenCases) {
    const auto endpoint = regionalStsEndpoint(c.region);
    const auto ours = mintEksToken(tokenCredentials(c), fixture::kCluster, endpoint, kFixtureTime);
    ASSERT_TRUE(ours) << ours.error().message;
    for (const std::string signer : {"python", "installed"}) {
      SCOPED_TRACE(c.region + (c.sessionToken.empty() ? "" : " with session token") + ", " + signer + " signer");
      boost::json::object spec{{"signer", signer},
                               {"access_key_id", fixture::kAccessKeyId},
                               {"secret_access_key", fixture::kSecretAccessKey},
                               {"session_token", c.sessionToken},
                               {"region", c.region},
                               {"endpoint_url", "https://" + endpoint.host},
                               {"cluster", fixture::kCluster}};
      const auto theirs = runBotocore(clean, "eks-token", spec);
      ASSERT_FALSE(theirs.empty());
      if (signer == "python") {
        EXPECT_EQ(ours->token, theirs.at("token").as_string().c_str());
      } else {
        // The awscrt signer appends X-Amz-SignedHeaders before X-Amz-Expires: same parameters and
        // signature, different URL bytes (EKS accepts either).
        EXPECT_EQ(parameterSet(queryOf(theirs.at("url").as_string().c_str())), parameterSet(queryOf(urlOf(*ours))));
      }
    }
  }
}

// boto3 keyword arguments in the order our body serialises them (botocore keeps the caller's order).
boost::json::object botocoreArguments(const AssumeRoleParams& p) {
  boost::json::array tags, transitive, policyArns;
  for (const auto& [key, value] : p.tags) tags.push_back(boost::json::object{{"Key", key}, {"Value", value}});
  for (const auto& key : p.transitiveTagKeys) transitive.push_back(boost::json::value(key));
  for (const auto& arn : p.policyArns) policyArns.push_back(boost::json::object{{"arn", arn}});
  return boost::json::object{{"RoleArn", p.roleArn},       {"RoleSessionName", p.roleSessionName},
                             {"DurationSeconds", p.durationSeconds}, {"SourceIdentity", p.sourceIdentity},
                             {"ExternalId", p.externalId}, {"Tags", tags},
                             {"TransitiveTagKeys", transitive},       {"PolicyArns", policyArns},
                             {"Policy", p.policy}};
}

std::string headerOr(const StsHttpRequest& request, std::string_view name, std::string fallback) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return fallback;
}

std::string textOr(const boost::json::object& object, std::string_view key, std::string fallback) {
  const auto& value = object.at(key);
  return value.is_null() ? fallback : std::string(value.as_string().c_str());
}

TEST(BotocoreParity, AssumeRoleRequestMatches) {
  if (const auto missing = missingTool(false, true); !missing.empty()) GTEST_SKIP() << missing;
  CleanEnvironment clean;
  const auto endpoint = regionalStsEndpoint("us-west-2");
  for (const std::string sessionToken : {"", "AQoDYXdzEPT//////////wEXAMPLE+token="}) {
    for (const std::string signer : {"python", "installed"}) {
      SCOPED_TRACE(signer + " signer" + (sessionToken.empty() ? "" : ", temporary caller credentials"));
      Credentials caller = fixture::credentials(sessionToken);
      const auto ours = buildAssumeRoleRequest(everyAssumeRoleParameter(), caller, endpoint, kFixtureTime);
      ASSERT_TRUE(ours) << ours.error().message;

      const auto theirs = runBotocore(clean, "assume-role",
                                      boost::json::object{{"signer", signer},
                                                          {"access_key_id", caller.accessKeyId},
                                                          {"secret_access_key", caller.secretAccessKey},
                                                          {"session_token", sessionToken},
                                                          {"region", endpoint.region},
                                                          {"endpoint_url", "https://" + endpoint.host},
                                                          {"params", botocoreArguments(everyAssumeRoleParameter())}});
      ASSERT_FALSE(theirs.empty());
      EXPECT_EQ(textOr(theirs, "url", ""), "https://" + ours->host + ours->path);
      EXPECT_EQ(ours->body, textOr(theirs, "body", "<none>"));
      EXPECT_EQ(headerOr(*ours, "Content-Type", "<none>"), textOr(theirs, "content_type", "<none>"));
      EXPECT_EQ(headerOr(*ours, "X-Amz-Date", "<none>"), textOr(theirs, "x_amz_date", "<none>"));
      EXPECT_EQ(headerOr(*ours, "X-Amz-Security-Token", "<none>"), textOr(theirs, "x_amz_security_token", "<none>"));
      EXPECT_EQ(headerOr(*ours, "Authorization", "<none>"), textOr(theirs, "authorization", "<none>"));
    }
  }
}

TEST(BotocoreParity, AssumeRoleWithWebIdentityRequestMatches) {
  if (const auto missing = missingTool(false, true); !missing.empty()) GTEST_SKIP() << missing;
  CleanEnvironment clean;
  AssumeRoleWithWebIdentityParams params;
  params.roleArn = "arn:aws:iam::123456789012:role/eks-gw";
  params.roleSessionName = "kg-gateway";
  params.webIdentityToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnYXRld2F5In0.c2lnbmF0dXJl";
  params.policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})";
  params.durationSeconds = 3600;
  const auto endpoint = regionalStsEndpoint("eu-west-1");
  const auto ours = buildAssumeRoleWithWebIdentityRequest(params, endpoint);
  ASSERT_TRUE(ours) << ours.error().message;

  const auto theirs = runBotocore(
      clean, "assume-role-with-web-identity",
      boost::json::object{{"access_key_id", "unused"},
                          {"secret_access_key", "unused"},
                          {"region", endpoint.region},
                          {"endpoint_url", "https://" + endpoint.host},
                          {"params", boost::json::object{{"RoleArn", params.roleArn},
                                                         {"RoleSessionName", params.roleSessionName},
                                                         {"WebIdentityToken", params.webIdentityToken},
                                                         {"Policy", params.policy},
                                                         {"DurationSeconds", params.durationSeconds}}}});
  ASSERT_FALSE(theirs.empty());
  EXPECT_EQ(ours->body, textOr(theirs, "body", "<none>"));
  EXPECT_EQ(headerOr(*ours, "Content-Type", "<none>"), textOr(theirs, "content_type", "<none>"));
  // Unsigned: neither side sends a date, a token or a signature.
  EXPECT_EQ(textOr(theirs, "authorization", "<none>"), "<none>");
  EXPECT_EQ(headerOr(*ours, "Authorization", "<none>"), "<none>");
  EXPECT_EQ(headerOr(*ours, "X-Amz-Date", "<none>"), textOr(theirs, "x_amz_date", "<none>"));
}

}  // namespace
}  // namespace kubegate::aws
