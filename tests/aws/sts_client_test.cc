// The STS client against a local TLS stand-in: signed AssumeRole and unsigned
// AssumeRoleWithWebIdentity POSTs, awsQuery XML answers and errors, and the SDK standard retry rules.
#include "aws/sts_client.h"

#include <gtest/gtest.h>

#include <deque>

#include "aws/aws_stand_ins.h"
#include "aws/fixture_values.h"  // beside this file

namespace kubegate::aws {
namespace {

using testing::LocalServer;
using testing::RecordedRequest;
using testing::Reply;
using testing::reply;
using testing::runUntilDone;
using Outcome = boost::system::result<AssumedRole, AwsError>;

constexpr const char* kCallerSecret = fixture::kSecretAccessKey;
constexpr const char* kCallerToken = "kubegate/fixture+session=caller";
constexpr const char* kWebIdentityToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnYXRld2F5In0.c2lnbmF0dXJl";
constexpr const char* kRoleArn = "arn:aws:iam::123456789012:role/kg-eks-agent";

std::string successXml(const std::string& operation, const std::string& extra = "") {
  return "<" + operation + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
         "  <" + operation + "Result>\n"
         "    <SourceIdentity>agent-k9q2</SourceIdentity>\n" + extra +
         "    <AssumedRoleUser><AssumedRoleId>AROA3XFRBF535PLBIFPI4:agent-k9q2</AssumedRoleId>\n"
         "      <Arn>arn:aws:sts::123456789012:assumed-role/kg-eks-agent/agent-k9q2</Arn></AssumedRoleUser>\n"
         "    <Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
         "      <SecretAccessKey>assumed/secret/key/EXAMPLE</SecretAccessKey>\n"
         "      <SessionToken>assumed-session-token-EXAMPLE</SessionToken>\n"
         "      <Expiration>2026-11-29T15:00:00Z</Expiration></Credentials>\n"
         "    <PackedPolicySize>6</PackedPolicySize>\n"
         "  </" + operation + "Result>\n"
         "  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>\n"
         "</" + operation + "Response>\n";
}

std::string errorXml(const std::string& code, const std::string& message, bool withNamespace = true) {
  return std::string("<ErrorResponse") + (withNamespace ? " xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"" : "") +
         "><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>req-" + code + "</RequestId></ErrorResponse>";
}

Credentials callerCredentials() {
  Credentials c;
  c.accessKeyId = fixture::kAccessKeyId;
  c.secretAccessKey = kCallerSecret;
  c.sessionToken = kCallerToken;
  c.source = "environment";
  return c;
}

AssumeRoleParams roleParams() {
  AssumeRoleParams p;
  p.roleArn = kRoleArn;
  p.roleSessionName = "agent-k9q2";
  p.sourceIdentity = "agent-k9q2";
  return p;
}

AssumeRoleWithWebIdentityParams webParams() {
  AssumeRoleWithWebIdentityParams p;
  p.roleArn = kRoleArn;
  p.roleSessionName = "gateway";
  p.webIdentityToken = kWebIdentityToken;
  return p;
}

// A TLS STS stand-in answering from a script (the last answer repeats), and a client whose sleeps
// are recorded instead of waited.
struct StsFixture : ::testing::Test {
  asio::io_context io;
  testing::ThrowawayTls tls;
  std::deque<Reply> script;
  LocalServer server{io, [this](const RecordedRequest&) {
                       Reply next = script.front();
                       if (script.size() > 1) script.pop_front();
                       return next;
                     },
                     tls.server};
  std::vector<std::chrono::milliseconds> sleeps;

  StsClientOptions options() {
    StsClientOptions o;
    o.endpoint.region = "us-west-2";
    o.endpoint.host = server.hostPort();
    o.tls = tls.client;
    o.timeout = std::chrono::seconds(5);
    o.retry.jitter = [] { return 0.5; };
    o.retry.sleep = [this](std::chrono::milliseconds d) -> asio::awaitable<void> {
      sleeps.push_back(d);
      co_return;
    };
    o.now = [] { return fixture::kTime; };
    return o;
  }
  Outcome assume(StsClientOptions o) {
    auto client = std::make_shared<StsClient>(std::move(o));
    return runUntilDone(io, client->assumeRole(roleParams(), callerCredentials()));
  }
  Outcome assume() { return assume(options()); }
};

void expectNoSecret(const AwsError& e) {
  for (const char* secret : {kCallerSecret, kCallerToken, kWebIdentityToken}) {
    EXPECT_EQ(e.message.find(secret), std::string::npos) << e.message;
    EXPECT_EQ(e.code.find(secret), std::string::npos);
  }
}

TEST_F(StsFixture, AssumeRoleSendsASignedPostAndReadsTheCredentials) {
  script = {reply(200, successXml("AssumeRole"), "text/xml")};
  Outcome result = assume();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->credentials.accessKeyId, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(result->credentials.secretAccessKey, "assumed/secret/key/EXAMPLE");
  EXPECT_EQ(result->credentials.sessionToken, "assumed-session-token-EXAMPLE");
  ASSERT_TRUE(result->credentials.expiration);
  EXPECT_EQ(result->credentials.expiration->time_since_epoch(), std::chrono::seconds(1795964400));
  EXPECT_EQ(result->credentials.source, std::string("sts:") + kRoleArn);
  EXPECT_EQ(result->assumedRoleArn, "arn:aws:sts::123456789012:assumed-role/kg-eks-agent/agent-k9q2");
  EXPECT_EQ(result->assumedRoleId, "AROA3XFRBF535PLBIFPI4:agent-k9q2");
  EXPECT_EQ(result->sourceIdentity, "agent-k9q2");
  EXPECT_EQ(result->requestId, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");

  ASSERT_EQ(server.requests().size(), 1u);
  const auto& sent = server.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/");
  EXPECT_EQ(sent.header("host"), server.hostPort());
  EXPECT_EQ(sent.header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(sent.body.rfind("Action=AssumeRole&Version=2011-06-15&", 0), 0u) << sent.body;
  EXPECT_EQ(sent.header("x-amz-date"), fixture::kAmzDate);
  EXPECT_EQ(sent.header("x-amz-security-token"), kCallerToken);
  EXPECT_EQ(sent.header("authorization").rfind(std::string("AWS4-HMAC-SHA256 Credential=") + fixture::kAccessKeyId + "/20261129/us-west-2/sts/aws4_request", 0), 0u)
      << sent.header("authorization");
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(StsFixture, AssumeRoleWithWebIdentityIsUnsignedAndCarriesTheToken) {
  script = {reply(200, successXml("AssumeRoleWithWebIdentity",
                                  "    <SubjectFromWebIdentityToken>gateway</SubjectFromWebIdentityToken>\n"
                                  "    <Provider>https://idp.example</Provider><Audience>sts.amazonaws.com</Audience>\n"))};
  auto client = std::make_shared<StsClient>(options());
  Outcome result = runUntilDone(io, client->assumeRoleWithWebIdentity(webParams()));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->credentials.accessKeyId, "ASIAIOSFODNN7EXAMPLE");
  ASSERT_EQ(server.requests().size(), 1u);
  const auto& sent = server.requests()[0];
  EXPECT_FALSE(sent.hasHeader("authorization"));
  EXPECT_NE(sent.body.find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
  EXPECT_NE(sent.body.find(std::string("WebIdentityToken=") + kWebIdentityToken), std::string::npos) << sent.body;
}

TEST_F(StsFixture, AThrottledCallIsRetriedAfterAJitteredBackoff) {
  script = {reply(400, errorXml("Throttling", "Rate exceeded")), reply(200, successXml("AssumeRole"))};
  Outcome result = assume();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(server.requests().size(), 2u);
  // jitter 0.5 * min(2^0 s, 20 s)
  EXPECT_EQ(sleeps, std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(500)});
}

TEST_F(StsFixture, AccessDeniedIsNotRetried) {
  script = {reply(403, errorXml("AccessDenied", "User: arn:aws:iam::123456789012:user/gw is not authorized")),
            reply(200, successXml("AssumeRole"))};
  Outcome result = assume();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, AwsError::Kind::service);
  EXPECT_EQ(result.error().code, "AccessDenied");
  EXPECT_EQ(result.error().httpStatus, 403u);
  EXPECT_EQ(result.error().requestId, "req-AccessDenied");
  EXPECT_NE(result.error().message.find("not authorized"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(sleeps.empty());
  expectNoSecret(result.error());
}

TEST_F(StsFixture, NoMoreThanThreeAttempts) {
  script = {reply(503, errorXml("ServiceUnavailable", "try later"))};
  Outcome result = assume();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "ServiceUnavailable");
  EXPECT_EQ(result.error().httpStatus, 503u);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(500), std::chrono::milliseconds(1000)}));
}

TEST_F(StsFixture, BackoffIsCappedAtTwentySeconds) {
  script = {reply(500, "<html>internal</html>")};
  auto o = options();
  o.retry.maxAttempts = 7;
  o.retry.jitter = [] { return 1.0; };
  Outcome result = assume(o);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, AwsError::Kind::malformed);  // not an STS error document
  EXPECT_EQ(server.requests().size(), 7u);
  using std::chrono::milliseconds;
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(4000),
                                               milliseconds(8000), milliseconds(16000), milliseconds(20000)}));
}

TEST_F(StsFixture, IdpCommunicationErrorIsRetriedForWebIdentity) {
  script = {reply(400, errorXml("IDPCommunicationError", "could not reach the IdP")),
            reply(200, successXml("AssumeRoleWithWebIdentity"))};
  auto client = std::make_shared<StsClient>(options());
  Outcome result = runUntilDone(io, client->assumeRoleWithWebIdentity(webParams()));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(StsFixture, InvalidIdentityTokenIsNotRetried) {
  script = {reply(400, errorXml("InvalidIdentityToken", "bad token")), reply(200, successXml("AssumeRoleWithWebIdentity"))};
  auto client = std::make_shared<StsClient>(options());
  Outcome result = runUntilDone(io, client->assumeRoleWithWebIdentity(webParams()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "InvalidIdentityToken");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(StsFixture, AnEchoedSecretNeverReachesTheErrorMessage) {
  script = {reply(400, errorXml("SignatureDoesNotMatch", std::string("secret ") + kCallerSecret + " token " + kCallerToken))};
  Outcome result = assume();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "SignatureDoesNotMatch");
  EXPECT_NE(result.error().message.find("[redacted]"), std::string::npos);
  expectNoSecret(result.error());

  script = {reply(400, errorXml("InvalidIdentityToken", std::string("token ") + kWebIdentityToken + " rejected"))};
  auto client = std::make_shared<StsClient>(options());
  Outcome web = runUntilDone(io, client->assumeRoleWithWebIdentity(webParams()));
  ASSERT_FALSE(web);
  expectNoSecret(web.error());
}

TEST_F(StsFixture, TransportFailuresAreRetriedAndReported) {
  auto o = options();
  {
    tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    o.endpoint.host = "127.0.0.1:" + std::to_string(closed.local_endpoint().port());
  }
  Outcome result = assume(o);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, AwsError::Kind::transport);
  EXPECT_EQ(sleeps.size(), 2u);
  expectNoSecret(result.error());
}

TEST_F(StsFixture, AnUntrustedServerCertificateIsATransportError) {
  script = {reply(200, successXml("AssumeRole"))};
  auto o = options();
  o.tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  o.tls->set_verify_mode(ssl::verify_peer);  // trusts nothing
  Outcome result = assume(o);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, AwsError::Kind::transport);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(StsFixture, AnInvalidRequestIsRefusedBeforeSending) {
  script = {reply(200, successXml("AssumeRole"))};
  auto client = std::make_shared<StsClient>(options());
  auto params = roleParams();
  params.roleSessionName = "has spaces: not allowed";
  Outcome result = runUntilDone(io, client->assumeRole(params, callerCredentials()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, AwsError::Kind::invalidInput);
  EXPECT_TRUE(server.requests().empty());
}

// ---------------------------------------------------------------------------------------------
// XML answers on their own.

TEST(StsXml, ErrorWithAndWithoutNamespaceAndWithUnknownElements) {
  for (bool withNamespace : {true, false}) {
    auto e = parseStsErrorResponse(403, errorXml("AccessDenied", "denied &amp; logged", withNamespace));
    EXPECT_EQ(e.kind, AwsError::Kind::service);
    EXPECT_EQ(e.code, "AccessDenied");
    EXPECT_EQ(e.message, "denied & logged");
    EXPECT_EQ(e.requestId, "req-AccessDenied");
    EXPECT_EQ(e.httpStatus, 403u);
  }
  auto extra = parseStsErrorResponse(
      400, "<?xml version=\"1.0\"?>\n<ErrorResponse><Unknown a=\"b\"><Nested/></Unknown><Error><Type>Sender</Type>"
           "<Detail/><Code>InvalidGreeting</Code><Message>Hi</Message><Extra>x</Extra></Error>"
           "<RequestId>foo-id</RequestId><!-- a comment --></ErrorResponse>");
  EXPECT_EQ(extra.code, "InvalidGreeting");
  EXPECT_EQ(extra.message, "Hi");
  EXPECT_EQ(extra.requestId, "foo-id");
  auto prefixed = parseStsErrorResponse(
      400, "<s:ErrorResponse xmlns:s=\"https://sts.amazonaws.com/doc/2011-06-15/\"><s:Error><s:Code>Throttling</s:Code>"
           "<s:Message>Rate exceeded</s:Message></s:Error><s:RequestId>r1</s:RequestId></s:ErrorResponse>");
  EXPECT_EQ(prefixed.code, "Throttling");
  EXPECT_EQ(prefixed.requestId, "r1");
  EXPECT_TRUE(isRetryableStsError(prefixed));
}

TEST(StsXml, BodiesThatAreNotErrorDocumentsAreMalformed) {
  for (const char* body : {"", "<html><body>Bad Gateway</body></html>", "not xml at all <", "<ErrorResponse><Error/></ErrorResponse>"}) {
    auto e = parseStsErrorResponse(502, body);
    EXPECT_EQ(e.kind, AwsError::Kind::malformed) << body;
    EXPECT_EQ(e.httpStatus, 502u);
    EXPECT_TRUE(isRetryableStsError(e)) << "502 is retried whatever the body";
  }
  EXPECT_FALSE(isRetryableStsError(parseStsErrorResponse(400, "<html/>")));
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  EXPECT_EQ(parseStsErrorResponse(400, deep).kind, AwsError::Kind::malformed);
}

TEST(StsXml, SuccessToleratesMissingNamespaceAndUnknownElements) {
  std::string xml = successXml("AssumeRole", "    <SomethingNew><Deep>1</Deep></SomethingNew>\n");
  xml.replace(xml.find(" xmlns="), std::string(" xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"").size(), "");
  auto parsed = parseAssumeRoleResponse(xml, "AssumeRoleResult");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->credentials.accessKeyId, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(parsed->requestId, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  EXPECT_FALSE(parseAssumeRoleResponse(xml, "AssumeRoleWithWebIdentityResult"));
}

TEST(StsXml, SuccessWithoutAUsableExpirationIsMalformed) {
  std::string xml = successXml("AssumeRole");
  xml.replace(xml.find("2026-11-29T15:00:00Z"), 20, "tomorrow");
  auto parsed = parseAssumeRoleResponse(xml, "AssumeRoleResult");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().kind, AwsError::Kind::malformed);
  EXPECT_EQ(parsed.error().message.find("assumed/secret"), std::string::npos);
}

TEST(StsRetry, OnlyTransientErrorsAreRetryable) {
  auto service = [](std::string code, unsigned status) {
    AwsError e;
    e.kind = AwsError::Kind::service;
    e.code = std::move(code);
    e.httpStatus = status;
    return e;
  };
  for (const char* code : {"Throttling", "ThrottlingException", "RequestLimitExceeded", "IDPCommunicationError",
                           "PriorRequestNotComplete", "RequestTimeout"})
    EXPECT_TRUE(isRetryableStsError(service(code, 400))) << code;
  for (unsigned status : {500u, 502u, 503u, 504u}) EXPECT_TRUE(isRetryableStsError(service("InternalFailure", status)));
  for (const char* code : {"AccessDenied", "MalformedPolicyDocument", "PackedPolicyTooLarge", "RegionDisabledException",
                           "ExpiredTokenException", "InvalidIdentityToken", "IDPRejectedClaim", "ValidationError",
                           "SignatureDoesNotMatch", "InvalidClientTokenId"})
    EXPECT_FALSE(isRetryableStsError(service(code, 400))) << code;
  EXPECT_FALSE(isRetryableStsError(service("AccessDenied", 403)));
  EXPECT_FALSE(isRetryableStsError(service("InternalFailure", 501)));
}

}  // namespace
}  // namespace kubegate::aws
