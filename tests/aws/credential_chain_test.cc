// The gateway's default credential chain, each source against a local stand-in: environment,
// profiles (static keys, role_arn + source_profile), web identity (token file re-read), the
// container endpoint (authorization token file re-read, CR/LF refused), IMDSv2 (no v1), precedence.
#include "aws/credential_chain.h"

#include <gtest/gtest.h>

#include "aws/aws_stand_ins.h"
#include "aws/credential_cache.h"

namespace kubegate::aws {
namespace {

using testing::LocalServer;
using testing::RecordedRequest;
using testing::reply;
using testing::runUntilDone;
using CredentialsResult = boost::system::result<Credentials, AwsError>;

constexpr const char* kEnvSecret = "env/secret/KEY/EXAMPLE";
constexpr const char* kFileSecret = "file/secret/KEY/EXAMPLE";
constexpr const char* kContainerToken = "pod-identity-token-1";

std::string credentialsJson(const std::string& keyId, const std::string& extra = "") {
  return "{\"Code\":\"Success\",\"AccessKeyId\":\"" + keyId +
         "\",\"SecretAccessKey\":\"metadata/secret\",\"Token\":\"metadata-token\","
         "\"Expiration\":\"2026-11-29T15:00:00Z\"" + extra + "}";
}

std::string stsSuccess(const std::string& operation, const std::string& keyId) {
  return "<" + operation + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + operation +
         "Result><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:"
         "assumed-role/r/s</Arn></AssumedRoleUser><Credentials><AccessKeyId>" + keyId +
         "</AccessKeyId><SecretAccessKey>sts/secret</SecretAccessKey><SessionToken>sts-token</SessionToken>"
         "<Expiration>2026-11-29T15:00:00Z</Expiration></Credentials></" + operation + "Result><ResponseMetadata>"
         "<RequestId>r-1</RequestId></ResponseMetadata></" + operation + "Response>";
}

struct ChainFixture : ::testing::Test {
  asio::io_context io;
  testing::TempDir dir;
  testing::ThrowawayTls tls;
  std::vector<std::chrono::milliseconds> sleeps;
  // Isolated from the machine: no real ~/.aws files, no real IMDS.
  Environment env{{"HOME", dir.path()},
                  {"AWS_CONFIG_FILE", dir.path() + "/no-config"},
                  {"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/no-credentials"},
                  {"AWS_EC2_METADATA_DISABLED", "true"}};

  ChainOptions options(const std::string& stsHost = "") {
    ChainOptions o;
    o.env = env;
    o.sts.region = "us-west-2";
    o.sts.endpointOverride = stsHost;
    o.sts.tls = tls.client;
    o.sts.retry.jitter = [] { return 0.0; };
    o.sts.retry.sleep = [this](std::chrono::milliseconds d) -> asio::awaitable<void> {
      sleeps.push_back(d);
      co_return;
    };
    o.now = [] { return Clock::time_point(std::chrono::seconds(1795960800)); };  // 2026-11-29T14:00:00Z
    return o;
  }
  CredentialsResult fetch(const std::shared_ptr<CredentialProvider>& provider) {
    return runUntilDone(io, provider->fetch());
  }
};

void expectNoSecretIn(const CredentialsResult& r) {
  if (r) return;
  for (const char* secret : {kEnvSecret, kFileSecret, kContainerToken, "metadata/secret", "web-token-"})
    EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------------

TEST_F(ChainFixture, EnvironmentKeysWithTokenAndExpiration) {
  env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env["AWS_SECRET_ACCESS_KEY"] = kEnvSecret;
  env["AWS_SESSION_TOKEN"] = "env-token";
  env["AWS_CREDENTIAL_EXPIRATION"] = "2026-11-29T16:00:00+01:00";
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->accessKeyId, "AKIDENV");
  EXPECT_EQ(c->secretAccessKey, kEnvSecret);
  EXPECT_EQ(c->sessionToken, "env-token");
  EXPECT_EQ(c->source, "environment");
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(c->expiration->time_since_epoch(), std::chrono::seconds(1795964400));
}

TEST_F(ChainFixture, AnAccessKeyWithoutSecretIsAnErrorNotAFallThrough) {
  env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  dir.write("credentials", std::string("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = ") + kFileSecret + "\n");
  env["AWS_SHARED_CREDENTIALS_FILE"] = dir.path() + "/credentials";
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::invalidInput);
  expectNoSecretIn(c);
}

TEST_F(ChainFixture, PrecedenceEnvironmentThenProfileThenContainer) {
  LocalServer container(io, [](const RecordedRequest&) { return reply(200, credentialsJson("ASIACONTAINER")); });
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url("/v1/credentials");
  env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env["AWS_SECRET_ACCESS_KEY"] = kEnvSecret;
  env["AWS_SHARED_CREDENTIALS_FILE"] =
      dir.write("credentials", std::string("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = ") +
                                   kFileSecret + "\n[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = x/y\n");
  EXPECT_EQ(fetch(makeDefaultCredentialChain(options()))->accessKeyId, "AKIDENV");

  // An explicitly chosen profile skips the environment, as botocore does.
  auto explicitProfile = options();
  explicitProfile.profile = "other";
  EXPECT_EQ(fetch(makeDefaultCredentialChain(explicitProfile))->source, "profile:other");

  env.erase("AWS_ACCESS_KEY_ID");
  env.erase("AWS_SECRET_ACCESS_KEY");
  auto fromFile = fetch(makeDefaultCredentialChain(options()));
  ASSERT_TRUE(fromFile);
  EXPECT_EQ(fromFile->accessKeyId, "AKIDFILE");
  EXPECT_EQ(fromFile->source, "profile:default");
  EXPECT_FALSE(fromFile->expiration);

  env["AWS_PROFILE"] = "other";
  EXPECT_EQ(fetch(makeDefaultCredentialChain(options()))->accessKeyId, "AKIDOTHER");
  env.erase("AWS_PROFILE");

  env["AWS_SHARED_CREDENTIALS_FILE"] = dir.path() + "/no-credentials";
  auto fromContainer = fetch(makeDefaultCredentialChain(options()));
  ASSERT_TRUE(fromContainer) << fromContainer.error().message;
  EXPECT_EQ(fromContainer->accessKeyId, "ASIACONTAINER");
  EXPECT_EQ(fromContainer->source, "container");
  EXPECT_EQ(container.requests().size(), 1u);  // asked only once the earlier sources had nothing
}

TEST_F(ChainFixture, ANamedProfileThatDoesNotExistIsAnError) {
  env["AWS_PROFILE"] = "missing";
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::invalidInput);
  EXPECT_NE(c.error().message.find("missing"), std::string::npos);
}

TEST_F(ChainFixture, NothingConfiguredSaysSo) {
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::noCredentials);
}

// ---------------------------------------------------------------------------------------------

TEST_F(ChainFixture, ProfileRoleAssumedWithTheSourceProfilesKeys) {
  LocalServer sts(io, [](const RecordedRequest&) { return reply(200, stsSuccess("AssumeRole", "ASIAFROMSTS")); }, tls.server);
  env["AWS_SHARED_CREDENTIALS_FILE"] =
      dir.write("credentials", std::string("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = ") + kFileSecret + "\n");
  env["AWS_CONFIG_FILE"] = dir.write("config",
                                     "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n"
                                     "role_session_name = dev-session\nexternal_id = ext-1234\nduration_seconds = 1200\n");
  env["AWS_PROFILE"] = "dev";
  auto c = fetch(makeDefaultCredentialChain(options(sts.hostPort())));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->accessKeyId, "ASIAFROMSTS");
  EXPECT_EQ(c->source, "profile:dev");
  ASSERT_EQ(sts.requests().size(), 1u);
  const auto& sent = sts.requests()[0];
  EXPECT_NE(sent.header("authorization").find("Credential=AKIDBASE/20261129/us-west-2/sts/aws4_request"), std::string::npos);
  EXPECT_NE(sent.body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdev"), std::string::npos) << sent.body;
  EXPECT_NE(sent.body.find("RoleSessionName=dev-session"), std::string::npos);
  EXPECT_NE(sent.body.find("DurationSeconds=1200"), std::string::npos);
  EXPECT_NE(sent.body.find("ExternalId=ext-1234"), std::string::npos);
}

TEST_F(ChainFixture, ChainedSourceProfilesAssumeInOrderAndLoopsAreRefused) {
  LocalServer sts(io, [](const RecordedRequest& r) {
    return reply(200, stsSuccess("AssumeRole", r.body.find("role%2Fmiddle") != std::string::npos ? "ASIAMIDDLE" : "ASIATOP"));
  }, tls.server);
  env["AWS_CONFIG_FILE"] = dir.write("config",
                                     "[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = middle\n"
                                     "[profile middle]\nrole_arn = arn:aws:iam::123456789012:role/middle\nsource_profile = base\n"
                                     "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = b/s\n"
                                     "[profile loop1]\nrole_arn = arn:aws:iam::123456789012:role/l1\nsource_profile = loop2\n"
                                     "[profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/l2\nsource_profile = loop1\n");
  env["AWS_PROFILE"] = "top";
  auto c = fetch(makeDefaultCredentialChain(options(sts.hostPort())));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->accessKeyId, "ASIATOP");
  ASSERT_EQ(sts.requests().size(), 2u);
  EXPECT_NE(sts.requests()[0].header("authorization").find("Credential=AKIDBASE/"), std::string::npos);
  EXPECT_NE(sts.requests()[1].header("authorization").find("Credential=ASIAMIDDLE/"), std::string::npos);
  EXPECT_EQ(sts.requests()[1].header("x-amz-security-token"), "sts-token");

  env["AWS_PROFILE"] = "loop1";
  auto looped = fetch(makeDefaultCredentialChain(options(sts.hostPort())));
  ASSERT_FALSE(looped);
  EXPECT_EQ(looped.error().kind, AwsError::Kind::invalidInput);
  EXPECT_EQ(sts.requests().size(), 2u);
}

// ---------------------------------------------------------------------------------------------

TEST_F(ChainFixture, WebIdentityTokenFileIsReadAgainOnEveryRefresh) {
  LocalServer sts(io, [](const RecordedRequest&) {
    return reply(200, stsSuccess("AssumeRoleWithWebIdentity", "ASIAWEB"));
  }, tls.server);
  const auto tokenFile = dir.write("token", "web-token-one");
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile;
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/irsa";
  env["AWS_ROLE_SESSION_NAME"] = "gw-pod";
  auto clockNow = Clock::time_point(std::chrono::seconds(1795960800));  // credentials expire 1 h later
  RefreshingCredentials::Options cacheOptions;
  cacheOptions.now = [&] { return clockNow; };
  RefreshingCredentials cache(makeDefaultCredentialChain(options(sts.hostPort())), cacheOptions);

  auto first = runUntilDone(io, cache.get());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->source, "web-identity");
  ASSERT_EQ(sts.requests().size(), 1u);
  EXPECT_NE(sts.requests()[0].body.find("WebIdentityToken=web-token-one"), std::string::npos);
  EXPECT_NE(sts.requests()[0].body.find("RoleSessionName=gw-pod"), std::string::npos);
  EXPECT_FALSE(sts.requests()[0].hasHeader("authorization"));

  dir.write("token", "web-token-two");  // kubelet rotated the projected token
  clockNow += std::chrono::minutes(10);  // 50 min left: still fresh, no call
  ASSERT_TRUE(runUntilDone(io, cache.get()));
  EXPECT_EQ(sts.requests().size(), 1u);
  clockNow += std::chrono::minutes(40);  // 10 min left: refresh, with the new token
  ASSERT_TRUE(runUntilDone(io, cache.get()));
  ASSERT_EQ(sts.requests().size(), 2u);
  EXPECT_NE(sts.requests()[1].body.find("WebIdentityToken=web-token-two"), std::string::npos);
}

TEST_F(ChainFixture, WebIdentityWithoutRoleArnIsAnError) {
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = dir.write("token", "web-token-one");
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::invalidInput);
  expectNoSecretIn(c);
}

// ---------------------------------------------------------------------------------------------

TEST_F(ChainFixture, ContainerEndpointSendsTheTokenFileReadAtEachFetch) {
  LocalServer container(io, [](const RecordedRequest& r) {
    if (r.header("authorization").rfind("pod-identity-token-", 0) != 0) return reply(401, "no");
    return reply(200, credentialsJson("ASIACONTAINER"), "application/json");
  });
  const auto tokenFile = dir.write("pod-token", kContainerToken);
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url("/v1/credentials");
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = tokenFile;
  auto provider = makeContainerProvider(options());
  auto first = fetch(provider);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->accessKeyId, "ASIACONTAINER");
  EXPECT_EQ(first->sessionToken, "metadata-token");
  ASSERT_TRUE(first->expiration);
  dir.write("pod-token", "pod-identity-token-2");
  ASSERT_TRUE(fetch(provider));
  ASSERT_EQ(container.requests().size(), 2u);
  EXPECT_EQ(container.requests()[0].header("authorization"), kContainerToken);
  EXPECT_EQ(container.requests()[1].header("authorization"), "pod-identity-token-2");
  EXPECT_EQ(container.requests()[0].target, "/v1/credentials");
}

TEST_F(ChainFixture, ContainerTokenFromTheEnvironmentWhenNoFile) {
  LocalServer container(io, [](const RecordedRequest&) { return reply(200, credentialsJson("ASIACONTAINER")); });
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url("/creds");
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Basic static-token";
  ASSERT_TRUE(fetch(makeContainerProvider(options())));
  EXPECT_EQ(container.requests().at(0).header("authorization"), "Basic static-token");
}

TEST_F(ChainFixture, ContainerTokenWithALineBreakIsRefusedBeforeSending) {
  LocalServer container(io, [](const RecordedRequest&) { return reply(200, credentialsJson("ASIACONTAINER")); });
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url("/creds");
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir.write("pod-token", std::string(kContainerToken) + "\r\nX-Evil: 1");
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::invalidInput);
  EXPECT_TRUE(container.requests().empty());
  expectNoSecretIn(c);
}

TEST_F(ChainFixture, ContainerHostsOutsideTheAllowListAreRefused) {
  for (const char* uri : {"http://10.0.0.1/creds", "http://169.254.169.254/latest", "http://example.com/creds",
                          "ftp://127.0.0.1/creds"}) {
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = uri;
    auto c = fetch(makeContainerProvider(options()));
    ASSERT_FALSE(c) << uri;
    EXPECT_EQ(c.error().kind, AwsError::Kind::invalidInput) << uri;
  }
}

TEST_F(ChainFixture, ContainerEndpointIsTriedThreeTimes) {
  int calls = 0;
  LocalServer container(io, [&](const RecordedRequest&) {
    return ++calls < 3 ? reply(500, "busy") : reply(200, credentialsJson("ASIACONTAINER"));
  });
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url("/creds");
  ASSERT_TRUE(fetch(makeContainerProvider(options())));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(sleeps.size(), 2u);
  calls = -10;  // never succeeds within 3 attempts
  auto c = fetch(makeContainerProvider(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().httpStatus, 500u);
}

// ---------------------------------------------------------------------------------------------

struct ImdsStandIn {
  explicit ImdsStandIn(asio::io_context& io, bool acceptV2 = true)
      : server(io, [this, acceptV2](const RecordedRequest& r) {
          if (r.method == "PUT" && r.target == "/latest/api/token") {
            if (!acceptV2) return reply(403, "Forbidden");
            if (r.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return reply(400, "missing TTL");
            return reply(200, "imds-session-token");
          }
          // An IMDSv1-only instance answers without a token; an IMDSv2 one insists on it.
          if (acceptV2 && r.header("x-aws-ec2-metadata-token") != "imds-session-token") return reply(401, "Unauthorized");
          if (r.target == "/latest/meta-data/iam/security-credentials/") return reply(200, "gateway-role\n");
          if (r.target == "/latest/meta-data/iam/security-credentials/gateway-role")
            return reply(200, credentialsJson("ASIAIMDS", ",\"Type\":\"AWS-HMAC\""));
          return reply(404, "not found");
        }) {}
  LocalServer server;
};

TEST_F(ChainFixture, ImdsV2TokenFlow) {
  ImdsStandIn imds(io);
  env["AWS_EC2_METADATA_DISABLED"] = "false";
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.server.url("/");
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->accessKeyId, "ASIAIMDS");
  EXPECT_EQ(c->source, "imds");
  const auto& requests = imds.server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  for (std::size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].method, "GET");
    EXPECT_EQ(requests[i].header("x-aws-ec2-metadata-token"), "imds-session-token");
  }
}

TEST_F(ChainFixture, ImdsV1OnlyGivesNoCredentials) {
  ImdsStandIn imds(io, /*acceptV2=*/false);
  env["AWS_EC2_METADATA_DISABLED"] = "false";
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.server.url();
  auto direct = fetch(makeImdsProvider(options()));
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().httpStatus, 403u);
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::noCredentials);
  for (const auto& r : imds.server.requests()) EXPECT_EQ(r.method, "PUT") << "no tokenless GET: " << r.target;
}

TEST_F(ChainFixture, ImdsDisabledIsNeverContacted) {
  ImdsStandIn imds(io);
  env["AWS_EC2_METADATA_DISABLED"] = "TRUE";
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.server.url();
  auto c = fetch(makeDefaultCredentialChain(options()));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, AwsError::Kind::noCredentials);
  EXPECT_TRUE(imds.server.requests().empty());
}

TEST_F(ChainFixture, TheChainKeepsAskingTheSourceThatAnswered) {
  ImdsStandIn imds(io);
  env["AWS_EC2_METADATA_DISABLED"] = "false";
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.server.url();
  auto chain = makeDefaultCredentialChain(options());
  ASSERT_TRUE(fetch(chain));
  ASSERT_TRUE(fetch(chain));
  EXPECT_EQ(imds.server.requests().size(), 6u);
  EXPECT_EQ(chain->name(), "imds");
}

}  // namespace
}  // namespace kubegate::aws
