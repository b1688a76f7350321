// EKS tokens and AssumeRole POSTs against the cross-checked vectors of
// $KUBEGATE_SHARED_DIR/testdata/aws/eks-token-vectors.json (awscli, botocore, aws-iam-authenticator agree on
// them), read where they lie; the 4096-byte limit and the expiry bound with the project's own keys.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <regex>
#include <sstream>

#include "aws/eks_token.h"
#include "aws/sigv4.h"
#include "aws/sts_requests.h"
#include "http/base64.h"
#include "http/hygiene.h"
#include "aws/fixture_values.h"  // beside this file

namespace kubegate::aws {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const Clock::time_point kFixtureTime = fixture::kTime;

// The project's own fixture keys (aws/fixture_values.h); the shared vectors' inputs and outputs are
// read from $KUBEGATE_SHARED_DIR by EksTokenVectors below, never copied here.
Credentials fixtureCredentials() { return fixture::credentials(); }

// The url alphabet without padding, decoded back through the strict standard decoder.
std::string decodeBase64Url(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text.push_back('=');
  return decodeBase64(text).value_or("<not base64>");
}

TEST(EksToken, Base64UrlUsesTheUrlAlphabetWithoutPadding) {
  EXPECT_EQ(encodeBase64Url("\xFB\xFF"), "-_8");
  EXPECT_EQ(encodeBase64Url("f"), "Zg");
  EXPECT_EQ(encodeBase64Url(""), "");
}

TEST(EksToken, SignsAHostWithAPortAsGiven) {
  const auto token = mintEksToken(fixtureCredentials(), "c", StsEndpoint{"us-east-1", "127.0.0.1:8443"}, kFixtureTime);
  ASSERT_TRUE(token);
  const std::string url = decodeBase64Url(token->token.substr(std::string_view("k8s-aws-v1.").size()));
  EXPECT_TRUE(url.starts_with("https://127.0.0.1:8443/?Action=GetCallerIdentity&Version=2011-06-15&")) << url;
}

TEST(EksToken, FailsClosedAboveFourKilobytes) {
  // Grow the session token until the token no longer fits: the last one that fits is at most 4096 bytes
  // and within a base64 quantum of it, the next one is refused.
  Credentials credentials = fixtureCredentials();
  std::size_t lastFit = 0;
  for (std::size_t length = 2000; length < 3000; ++length) {
    credentials.sessionToken = std::string(length, 'A');
    const auto token = mintEksToken(credentials, fixture::kCluster, regionalStsEndpoint("us-west-2"), kFixtureTime);
    if (!token) {
      EXPECT_EQ(token.error().kind, AwsError::Kind::invalidInput);
      EXPECT_NE(token.error().message.find("4096"), std::string::npos);
      break;
    }
    lastFit = token->token.size();
  }
  EXPECT_LE(lastFit, kMaxEksTokenBytes);
  EXPECT_GE(lastFit, kMaxEksTokenBytes - 2);
}

TEST(EksToken, ExpiresBeforeItsCredentials) {
  Credentials credentials = fixtureCredentials();
  credentials.sessionToken = "token";
  credentials.expiration = kFixtureTime + 10min;
  const auto early = mintEksToken(credentials, fixture::kCluster, regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->expiresAt, kFixtureTime + 9min);

  credentials.expiration = kFixtureTime + 1h;
  const auto full = mintEksToken(credentials, fixture::kCluster, regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->expiresAt, kFixtureTime + 14min);

  credentials.expiration = kFixtureTime + 30s;
  const auto dying = mintEksToken(credentials, fixture::kCluster, regionalStsEndpoint("us-west-2"), kFixtureTime);
  ASSERT_FALSE(dying);
  EXPECT_EQ(dying.error().kind, AwsError::Kind::noCredentials);
}

TEST(EksToken, RefusesAnEmptyClusterNameOrCredentials) {
  EXPECT_FALSE(mintEksToken(fixtureCredentials(), "", regionalStsEndpoint("us-west-2"), kFixtureTime));
  EXPECT_EQ(mintEksToken(Credentials{}, "c", regionalStsEndpoint("us-west-2"), kFixtureTime).error().kind,
            AwsError::Kind::noCredentials);
}

TEST(StsEndpoints, UseThePartitionDomain) {
  EXPECT_EQ(regionalStsEndpoint("us-west-2").host, "sts.us-west-2.amazonaws.com");
  EXPECT_EQ(regionalStsEndpoint("cn-north-1").host, "sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(regionalStsEndpoint("us-gov-west-1").host, "sts.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(regionalStsEndpoint("us-iso-east-1").host, "sts.us-iso-east-1.c2s.ic.gov");
  EXPECT_EQ(regionalStsEndpoint("us-isob-east-1").host, "sts.us-isob-east-1.sc2s.sgov.gov");
  EXPECT_EQ(regionalStsEndpoint("cn-north-1").region, "cn-north-1");
}

// --- the shared vectors ----------------------------------------------------------------------------

std::optional<boost::json::object> sharedVectors(std::string* whyNot) {
  const char* shared = std::getenv("KUBEGATE_SHARED_DIR");
  if (shared == nullptr || *shared == '\0') {
    *whyNot = "KUBEGATE_SHARED_DIR is not set; the EKS token vectors live in $KUBEGATE_SHARED_DIR/testdata/aws";
    return std::nullopt;
  }
  const fs::path file = fs::path(shared) / "testdata" / "aws" / "eks-token-vectors.json";
  std::ifstream in(file);
  if (!in) {
    *whyNot = file.string() + " does not exist; EKS token vectors unavailable";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

std::string str(const boost::json::object& object, std::string_view key) {
  const auto& value = object.at(key);
  return value.is_null() ? std::string() : std::string(value.as_string().c_str());
}

// A vector's signing time (an X-Amz-Date, YYYYMMDDTHHMMSSZ) as the clock to sign at, so the test
// takes the instant from the shared file instead of repeating it.
Clock::time_point signingTimeOf(const std::string& amzDate) {
  std::tm tm{};
  std::istringstream in(amzDate);
  in >> std::get_time(&tm, "%Y%m%dT%H%M%SZ");
  EXPECT_FALSE(in.fail()) << "not an X-Amz-Date: " << amzDate;
  return Clock::time_point{std::chrono::seconds{timegm(&tm)}};
}

TEST(EksTokenVectors, AllFourTokensMatchByteForByte) {
  std::string whyNot;
  const auto vectors = sharedVectors(&whyNot);
  if (!vectors) GTEST_SKIP() << whyNot;
  const auto& cases = vectors->at("eks_token").as_array();
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& entry : cases) {
    const auto& v = entry.as_object();
    SCOPED_TRACE(str(v, "label"));
    Credentials credentials;
    credentials.accessKeyId = str(v, "access_key_id");
    credentials.secretAccessKey = str(v, "secret_access_key");
    credentials.sessionToken = str(v, "session_token");
    const auto signedAt = signingTimeOf(str(v, "signing_time"));
    const StsEndpoint endpoint{str(v, "region"), str(v, "host")};

    const auto token = mintEksToken(credentials, str(v, "cluster_id"), endpoint, signedAt);
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->token, str(v, "token"));
    EXPECT_EQ(decodeBase64Url(token->token.substr(11)), str(v, "presigned_url_botocore_order"));

    // The intermediate strings, through the signer directly, so a mismatch says which line differs.
    SigningRequest request;
    request.query = {{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}};
    request.headers = {{"host", endpoint.host}, {"x-k8s-aws-id", str(v, "cluster_id")}};
    SigningOptions options;
    options.expires = std::chrono::seconds{v.at("x_amz_expires").to_number<long>()};
    const auto presigned = presignWithQuery(request, credentials, SigningScope{endpoint.region, "sts", signedAt}, options);
    ASSERT_TRUE(presigned);
    EXPECT_EQ(presigned->canonicalRequest, str(v, "canonical_request"));
    EXPECT_EQ(presigned->stringToSign, str(v, "string_to_sign"));
  }
}

// The AssumeRole parameters a vector's body carries, so the vector's inputs are read from the shared
// file rather than copied into the repository. Serialising them again must give the body back byte
// for byte (order, escaping), and signing it the vector's signature.
AssumeRoleParams paramsFromBody(std::string_view body) {
  AssumeRoleParams params;
  auto nth = [](auto& list, std::string_view index) -> auto& {
    const auto n = static_cast<std::size_t>(std::stoul(std::string(index)));
    if (list.size() < n) list.resize(n);
    return list[n - 1];
  };
  // A form body decodes as a query string does: the gateway's own query parser reads it.
  const auto decoded = http_hygiene::parseTarget("/?" + std::string(body));
  if (!decoded) {
    ADD_FAILURE() << "the vector's body does not decode as a form";
    return params;
  }
  for (const auto& [key, value] : decoded->query) {
    std::smatch m;
    if (key == "Action" || key == "Version") continue;
    if (key == "RoleArn") params.roleArn = value;
    else if (key == "RoleSessionName") params.roleSessionName = value;
    else if (key == "DurationSeconds") params.durationSeconds = std::stoi(value);
    else if (key == "SourceIdentity") params.sourceIdentity = value;
    else if (key == "ExternalId") params.externalId = value;
    else if (key == "Policy") params.policy = value;
    else if (std::regex_match(key, m, std::regex(R"(Tags\.member\.(\d+)\.(Key|Value))")))
      (m[2] == "Key" ? nth(params.tags, m[1].str()).first : nth(params.tags, m[1].str()).second) = value;
    else if (std::regex_match(key, m, std::regex(R"(TransitiveTagKeys\.member\.(\d+))")))
      nth(params.transitiveTagKeys, m[1].str()) = value;
    else if (std::regex_match(key, m, std::regex(R"(PolicyArns\.member\.(\d+)\.arn)")))
      nth(params.policyArns, m[1].str()) = value;
    else ADD_FAILURE() << "the vector's body has a parameter this test does not know: " << key;
  }
  return params;
}

std::string headerValue(const StsHttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

TEST(EksTokenVectors, BothAssumeRolePostsMatchByteForByte) {
  std::string whyNot;
  const auto vectors = sharedVectors(&whyNot);
  if (!vectors) GTEST_SKIP() << whyNot;
  const auto& cases = vectors->at("assume_role_post").as_array();
  ASSERT_EQ(cases.size(), 2u);
  for (const auto& entry : cases) {
    const auto& v = entry.as_object();
    SCOPED_TRACE(str(v, "label"));
    Credentials caller;
    caller.accessKeyId = str(v, "access_key_id");
    caller.secretAccessKey = str(v, "secret_access_key");
    const std::string url = str(v, "url");
    const std::string host = url.substr(8, url.size() - 9);  // https://HOST/
    // The scope region: the global host signs for us-east-1.
    const std::string authorization = str(v, "authorization");
    const std::string amzDate = str(v, "signing_time");
    const auto signedAt = signingTimeOf(amzDate);
    const std::string scopeDate = "/" + amzDate.substr(0, 8) + "/";
    const auto regionAt = authorization.find(scopeDate) + scopeDate.size();
    const StsEndpoint endpoint{authorization.substr(regionAt, authorization.find('/', regionAt) - regionAt), host};

    const auto params = paramsFromBody(str(v, "body"));
    ASSERT_FALSE(params.roleArn.empty());
    ASSERT_FALSE(params.tags.empty()) << "the vector should exercise every parameter kind";
    const auto request = buildAssumeRoleRequest(params, caller, endpoint, signedAt);
    ASSERT_TRUE(request) << request.error().message;
    EXPECT_EQ(request->method, "POST");
    EXPECT_EQ(request->path, "/");
    EXPECT_EQ(request->host, host);
    EXPECT_EQ(request->body, str(v, "body"));
    EXPECT_EQ(headerValue(*request, "Content-Type"), str(v, "content_type"));
    EXPECT_EQ(headerValue(*request, "X-Amz-Date"), str(v, "signing_time"));
    EXPECT_EQ(headerValue(*request, "Authorization"), str(v, "authorization"));

    SigningRequest signing;
    signing.method = "POST";
    signing.headers = {{"Host", host}, {"Content-Type", str(v, "content_type")}};
    signing.body = str(v, "body");
    const auto signature = signWithHeaders(signing, caller, SigningScope{endpoint.region, "sts", signedAt});
    ASSERT_TRUE(signature);
    EXPECT_EQ(signature->canonicalRequest, str(v, "canonical_request"));
    EXPECT_EQ(signature->stringToSign, str(v, "string_to_sign"));
    EXPECT_EQ(signature->signature, str(v, "signature"));
  }
}

}  // namespace
}  // namespace kubegate::aws
