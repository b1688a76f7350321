// The documents the data path writes and the Kubernetes audit events exported from them.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <thread>

#include "audit/k8s_event.h"
#include "audit/request_record.h"
#include "policy/policy.h"

namespace kubegate::audit {
namespace {

namespace json = boost::json;

k8s::RequestInfo podCreate() {
  auto info = k8s::classify("POST", "/api/v1/namespaces/team-a/pods", {});
  EXPECT_TRUE(info);
  return *info;
}

identity::Identity agent() {
  identity::Identity id;
  id.authenticator = "oidc";
  id.username = "agent-1";
  id.groups = {"agents"};
  id.issuer = "https://idp.example";
  id.subject = "client-agent-1";
  id.purpose = "deploy-fix";
  return id;
}

TEST(RequestRecord, RequestEntryIndexesWhoAndWhatAndKeepsTheBody) {
  const auto info = podCreate();
  const auto id = agent();
  policy::Decision decision;
  decision.effect = policy::Effect::allow;
  decision.ruleId = "allow-pods";
  decision.policyDigest = "sha256:abc";
  RequestFacts f;
  f.requestId = "r1";
  f.sessionId = "s1";
  f.received = std::chrono::system_clock::time_point(std::chrono::microseconds(1764424800123456));
  f.method = "POST";
  f.uri = "/clusters/prod/api/v1/namespaces/team-a/pods";
  f.cluster = "prod";
  f.identity = &id;
  f.info = &info;
  f.decision = &decision;
  f.upstreamUser = "agent-1";
  f.body = keepBody(R"({"kind":"Pod"})", 1024, &info);
  const auto e = requestEntry(f);
  EXPECT_EQ(e.kind, EntryKind::request);
  EXPECT_EQ(e.index.username, "agent-1");
  EXPECT_EQ(e.index.subject, "client-agent-1");
  EXPECT_EQ(e.index.namespace_, "team-a");
  EXPECT_EQ(e.index.resource, "pods");
  EXPECT_EQ(e.index.verb, "create");
  EXPECT_EQ(e.index.decision, "allow");
  EXPECT_EQ(e.attachment, R"({"kind":"Pod"})");
  const auto doc = json::parse(e.document).as_object();
  EXPECT_EQ(doc.at("time").as_string(), "2025-11-29T14:00:00.123456Z");
  EXPECT_EQ(doc.at("identity").at("purpose").as_string(), "deploy-fix");
  EXPECT_EQ(doc.at("decision").at("rule").as_string(), "allow-pods");
  EXPECT_EQ(doc.at("request").at("classified").at("namespace").as_string(), "team-a");
}

// Masking (src/proxy/request_audit.cc) keeps secrets' bodies masked; a token review's token is no
// object value a profile describes, so its body is never kept.
TEST(RequestRecord, TimesAreRfc3339InUtcWithMicroseconds) {
  EXPECT_EQ(rfc3339Micros(1764424800123456), "2025-11-29T14:00:00.123456Z");
  // The same second again (the calendar part is cached per thread), then the next one.
  EXPECT_EQ(rfc3339Micros(1764424800000007), "2025-11-29T14:00:00.000007Z");
  EXPECT_EQ(rfc3339Micros(1764424801999999), "2025-11-29T14:00:01.999999Z");
  EXPECT_EQ(rfc3339Micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339Micros(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(RequestRecord, TheFirstTimeAThreadFormatsIsWholeWhateverTheSecond) {
  // The calendar cache starts empty on every thread; no second may be mistaken for a cached one.
  for (std::int64_t micros : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{-1000000}}) {
    std::string formatted;
    std::thread([&] { formatted = rfc3339Micros(micros); }).join();
    EXPECT_EQ(formatted.size(), std::string("1970-01-01T00:00:00.000000Z").size()) << micros << ": " << formatted;
  }
}

TEST(RequestRecord, TokenReviewBodiesAreWithheld) {
  auto review = k8s::classify("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {});
  ASSERT_TRUE(review);
  const auto body = keepBody(R"({"spec":{"token":"eyJhbGciOi"}})", 1024, &*review);
  EXPECT_TRUE(body.kept.empty());
  EXPECT_FALSE(body.withheld.empty());
  EXPECT_EQ(body.size, 31u);
}

TEST(RequestRecord, LongBodiesAreCutAtTheLimitAndSaySo) {
  const auto info = podCreate();
  const auto body = keepBody(std::string(100, 'x'), 10, &info);
  EXPECT_EQ(body.kept.size(), 10u);
  EXPECT_TRUE(body.truncated);
}

TEST(KubernetesAuditEvent, ARefusalIsAForbidWithTheRuleAndNoObjects) {
  const auto info = podCreate();
  const auto id = agent();
  policy::Decision decision;
  decision.effect = policy::Effect::deny;
  decision.ruleId = "no-privileged";
  decision.message = "privileged pods are refused";
  RequestFacts f;
  f.requestId = "r2";
  f.method = "POST";
  f.uri = "/clusters/prod/purpose/deploy-fix/api/v1/namespaces/team-a/pods?fieldManager=kubectl";
  f.cluster = "prod";
  f.sourceAddress = "10.0.0.7";
  f.identity = &id;
  f.info = &info;
  f.decision = &decision;
  f.body = keepBody(R"({"kind":"Pod","spec":{"containers":[{"name":"c"}]}})", 1024, &info);
  f.refusal = RequestFacts::Refusal{403, "Forbidden", "forbidden by policy"};
  StoredEntry stored;
  stored.seq = 7;
  stored.entry = requestEntry(f);
  const auto event = json::parse(kubernetesAuditEvent({stored, std::nullopt})).as_object();
  EXPECT_EQ(event.at("kind").as_string(), "Event");
  EXPECT_EQ(event.at("stage").as_string(), "ResponseComplete");
  EXPECT_EQ(event.at("requestURI").as_string(), "/api/v1/namespaces/team-a/pods?fieldManager=kubectl");
  EXPECT_EQ(event.at("verb").as_string(), "create");
  EXPECT_EQ(event.at("user").at("username").as_string(), "agent-1");
  EXPECT_EQ(event.at("user").at("extra").at("kubegate.dev/purpose").as_array().at(0).as_string(), "deploy-fix");
  EXPECT_EQ(event.at("objectRef").at("namespace").as_string(), "team-a");
  EXPECT_EQ(event.at("responseStatus").at("code").as_int64(), 403);
  EXPECT_EQ(event.at("annotations").at("authorization.k8s.io/decision").as_string(), "forbid");
  EXPECT_NE(std::string(event.at("annotations").at("authorization.k8s.io/reason").as_string()).find("no-privileged"),
            std::string::npos);
  EXPECT_EQ(event.at("sourceIPs").as_array().at(0).as_string(), "10.0.0.7");
  EXPECT_EQ(event.at("level").as_string(), "RequestResponse");
  EXPECT_EQ(event.at("requestObject").at("spec").at("containers").as_array().size(), 1u);
}

TEST(KubernetesAuditEvent, UnauthenticatedCallersAreAnonymous) {
  RequestFacts f;
  f.requestId = "r3";
  f.method = "GET";
  f.uri = "/clusters/prod/api";
  f.cluster = "prod";
  f.authenticationFailure = "token has expired";
  f.refusal = RequestFacts::Refusal{401, "Unauthorized", "Unauthorized"};
  StoredEntry stored;
  stored.seq = 1;
  stored.entry = requestEntry(f);
  const auto event = json::parse(kubernetesAuditEvent({stored, std::nullopt})).as_object();
  EXPECT_EQ(event.at("user").at("username").as_string(), "system:anonymous");
  EXPECT_EQ(event.at("verb").as_string(), "get");
  EXPECT_EQ(event.at("level").as_string(), "Metadata");
  EXPECT_FALSE(event.contains("objectRef"));
}

}  // namespace
}  // namespace kubegate::audit
