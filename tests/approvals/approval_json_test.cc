#include "approvals/approval_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace kubegate::approvals {
namespace {

namespace json = boost::json;

Approval sampleApproval() {
  Approval a;
  a.id = "apr-00000000000000a1";
  a.state = State::approved;
  a.createdAt = Clock::time_point(std::chrono::seconds(1'700'000'000));
  a.decidedAt = a.createdAt + std::chrono::seconds(90);
  a.usableUntil = a.createdAt + std::chrono::seconds(990);
  a.request.requester = Person{"https://idp.example", "agent-1", {"agents"}};
  a.request.purpose = "clean up";
  a.request.cluster = "demo";
  a.request.summaryJson = R"({"verb":"delete","resource":"pods","namespace":"staging","name":"web-1","body":{"k":"v"}})";
  a.request.ruleId = "review-deletes";
  a.request.ruleMessage = "needs eyes";
  a.request.approverGroups = {"sre"};
  a.request.hold = false;
  a.request.expiresAt = a.createdAt + std::chrono::hours(1);
  a.request.requestId = "req-1";
  Decision yes;
  yes.reviewer = Person{"https://idp.example", "alice", {"sre"}};
  yes.approve = true;
  yes.reason = "fine";
  yes.at = *a.decidedAt;
  a.decisions.push_back(yes);
  return a;
}

TEST(ApprovalJson, CarriesTheRequestDecisionsAndUtcTimes) {
  const auto o = json::parse(approvalJson(sampleApproval())).as_object();
  EXPECT_EQ(o.at("id"), "apr-00000000000000a1");
  EXPECT_EQ(o.at("state"), "approved");
  EXPECT_EQ(o.at("mode"), "retry");
  EXPECT_EQ(o.at("requester").at("subject"), "agent-1");
  EXPECT_EQ(o.at("request").at("body").at("k"), "v");  // embedded as an object, not a string
  EXPECT_EQ(o.at("rule").at("message"), "needs eyes");
  EXPECT_EQ(o.at("approvals").as_array().size(), 1u);
  EXPECT_EQ(o.at("approvals").at(0).at("reviewer").at("subject"), "alice");
  EXPECT_TRUE(o.at("denials").as_array().empty());
  EXPECT_EQ(o.at("createdAt"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(o.at("usableUntil"), "2023-11-14T22:29:50Z");
  EXPECT_TRUE(o.at("usedAt").is_null());
  EXPECT_EQ(o.at("approvalsNeeded"), 1);
  EXPECT_EQ(o.at("summary"), "delete pods/web-1 in staging on demo");
}

TEST(ApprovalJson, SummaryLineForSubresourcesClusterScopeAndNonResourceUrls) {
  auto a = sampleApproval();
  a.request.summaryJson = R"({"verb":"create","resource":"pods","subresource":"exec","namespace":"prod","name":"db-0"})";
  EXPECT_EQ(humanSummary(a), "create pods/db-0/exec in prod on demo");
  a.request.summaryJson = R"({"verb":"delete","resource":"namespaces","name":"prod"})";
  EXPECT_EQ(humanSummary(a), "delete namespaces/prod on demo");
  a.request.summaryJson = R"({"method":"POST","path":"/apis/x"})";
  EXPECT_EQ(humanSummary(a), "POST /apis/x on demo");
  a.request.summaryJson = "not json";
  EXPECT_EQ(humanSummary(a), "request on demo");
  EXPECT_EQ(json::parse(approvalJson(a)).at("request"), "not json");
}

TEST(ApprovalJson, DisplaySafeEscapesWhatATerminalWouldActOnOrReorder) {
  EXPECT_EQ(displaySafe("web-1\u202e1-bew"), "web-1\\u202e1-bew");
  EXPECT_EQ(displaySafe("a\x1b[2Jb"), "a\\u001b[2Jb");
  EXPECT_EQ(displaySafe("line\nbreak\r"), "line\\u000abreak\\u000d");
  EXPECT_EQ(displaySafe("\u2066x\u2069"), "\\u2066x\\u2069");
  EXPECT_EQ(displaySafe("csi\xc2\x9b"), "csi\\u009b");
  EXPECT_EQ(displaySafe("zero\u200bwidth"), "zero\\u200bwidth");
  EXPECT_EQ(displaySafe("bad\xff\xc0\xaf"), "bad\\xff\\xc0\\xaf");
  EXPECT_EQ(displaySafe("caf\u00e9 \u65e5\u672c"), "caf\u00e9 \u65e5\u672c");
}

}  // namespace
}  // namespace kubegate::approvals
