#include "approvals/grant.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "approvals/approval_json.h"
#include "k8s/request_info.h"

namespace kubegate::approvals {
namespace {

using namespace std::chrono_literals;

GrantLimits limits() { return GrantLimits{1h}; }

GrantScope parsed(std::string_view json) {
  auto r = parseGrantRequest(json, limits());
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? *r : GrantScope{};
}

std::string refusal(std::string_view json) {
  auto r = parseGrantRequest(json, limits());
  EXPECT_FALSE(r);
  return r ? std::string() : r.error();
}

k8s::RequestInfo request(std::string verb, std::string group, std::string resource, std::string ns,
                         std::string name = "web", std::string subresource = "") {
  k8s::RequestInfo i;
  i.isResourceRequest = true;
  i.verb = verb;
  i.effectiveVerb = verb;
  i.apiGroup = std::move(group);
  i.resource = std::move(resource);
  i.subresource = std::move(subresource);
  i.namespace_ = std::move(ns);
  i.name = std::move(name);
  return i;
}

constexpr std::string_view kPatchDeployments =
    R"({"cluster":"demo","namespace":"staging","verbs":"get,patch","resources":["deployments"],"duration":"15m","reason":"scale web"})";

TEST(GrantRequest, ReadsWhatAnAgentTypesAndWhatAProgramSends) {
  const auto g = parsed(kPatchDeployments);
  EXPECT_EQ(g.cluster, "demo");
  EXPECT_EQ(g.namespace_, "staging");
  EXPECT_EQ(g.verbs, (std::vector<std::string>{"get", "patch"}));
  EXPECT_EQ(g.resources, (std::vector<std::string>{"deployments"}));
  EXPECT_EQ(g.duration, 15min);
  EXPECT_EQ(g.reason, "scale web");
  const auto again = parsed(
      R"({"cluster":"demo","namespace":"staging","verbs":["patch","get","patch"],"resources":"deployments","duration":900,"reason":"scale web"})");
  EXPECT_EQ(grantSummaryJson(again), grantSummaryJson(g)) << "same scope, same canonical form";
}

TEST(GrantRequest, RefusesWhatWouldWidenAGrantByAccident) {
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"*","resources":"pods","duration":"5m","reason":"x"})").find("'*'"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"get","resources":"*","duration":"5m","reason":"x"})").find("'*'"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"escalate","resources":"roles","duration":"5m","reason":"x"})").find("cannot be granted"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"get","resources":"Pods","duration":"5m","reason":"x"})").find("lower case"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"get","resources":"pods","duration":"2h","reason":"x"})").find("above the longest"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"get","resources":"pods","duration":"0s","reason":"x"})").find("duration"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"get","resources":"pods","duration":"5m"})").find("reason"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"","resources":"pods","duration":"5m","reason":"x"})").find("verbs"), std::string::npos);
  EXPECT_NE(refusal(R"({"cluster":"demo","verbs":"get","resources":"pods","duration":"5m","reason":"x","groups":["admins"]})").find("unknown field \"groups\""), std::string::npos);
  EXPECT_NE(refusal(R"(["not","an","object"])").find("JSON object"), std::string::npos);
}

TEST(GrantDuration, ReadsGoStyleDurations) {
  EXPECT_EQ(parseGrantDuration("15m"), 15min);
  EXPECT_EQ(parseGrantDuration("1h30m"), 90min);
  EXPECT_EQ(parseGrantDuration("90s"), 90s);
  EXPECT_EQ(parseGrantDuration("120"), 120s);
  EXPECT_FALSE(parseGrantDuration("1h30"));
  EXPECT_FALSE(parseGrantDuration("15 minutes"));
  EXPECT_FALSE(parseGrantDuration("-5m"));
  EXPECT_FALSE(parseGrantDuration(""));
}

TEST(GrantCovers, ExactlyTheVerbsResourcesNamespaceAndClusterGranted) {
  const auto g = parsed(kPatchDeployments);
  EXPECT_TRUE(grantCovers(g, "demo", request("patch", "apps", "deployments", "staging")));
  EXPECT_TRUE(grantCovers(g, "demo", request("get", "apps", "deployments", "staging")));
  EXPECT_FALSE(grantCovers(g, "demo", request("delete", "apps", "deployments", "staging")));
  EXPECT_FALSE(grantCovers(g, "demo", request("patch", "apps", "deployments", "production")));
  EXPECT_FALSE(grantCovers(g, "other", request("patch", "apps", "deployments", "staging")));
  EXPECT_FALSE(grantCovers(g, "demo", request("patch", "apps", "statefulsets", "staging")));
  EXPECT_FALSE(grantCovers(g, "demo", request("patch", "apps", "deployments", "staging", "web", "scale")))
      << "a subresource is covered only when named";
  EXPECT_FALSE(grantCovers(g, "demo", request("patch", "apps", "deployments", "")))
      << "a namespaced grant does not cover cluster-scoped requests";
}

TEST(GrantCovers, GroupsSubresourcesAndNames) {
  const auto exec = parsed(R"({"cluster":"demo","namespace":"staging","verbs":"create","resources":"pods/exec","names":"shell","duration":"5m","reason":"x"})");
  EXPECT_TRUE(grantCovers(exec, "demo", request("create", "", "pods", "staging", "shell", "exec")));
  EXPECT_FALSE(grantCovers(exec, "demo", request("create", "", "pods", "staging", "other", "exec")));
  EXPECT_FALSE(grantCovers(exec, "demo", request("create", "", "pods", "staging", "shell")));
  const auto grouped = parsed(R"({"cluster":"demo","namespace":"staging","verbs":"get","resources":"deployments.apps","duration":"5m","reason":"x"})");
  EXPECT_TRUE(grantCovers(grouped, "demo", request("get", "apps", "deployments", "staging")));
  EXPECT_FALSE(grantCovers(grouped, "demo", request("get", "extensions", "deployments", "staging")));
  k8s::RequestInfo nonResource;
  nonResource.verb = nonResource.effectiveVerb = "get";
  nonResource.path = "/version";
  EXPECT_FALSE(grantCovers(grouped, "demo", nonResource));
}

TEST(GrantSummary, RoundTripsAndReadsForAReviewer) {
  const auto g = parsed(kPatchDeployments);
  const auto back = grantFromSummary(grantSummaryJson(g));
  ASSERT_TRUE(back);
  EXPECT_EQ(grantSummaryJson(*back), grantSummaryJson(g));
  EXPECT_FALSE(grantFromSummary(R"({"method":"DELETE","path":"/api/v1/namespaces/a/pods/b"})"));
  Approval a;
  a.request.cluster = "demo";
  a.request.summaryJson = grantSummaryJson(g);
  EXPECT_EQ(humanSummary(a), "grant get,patch deployments in staging on demo for 15m");
}

TEST(GrantDigest, DiffersByRequesterAndScopeAndNeverLooksLikeARequestDigest) {
  Person agent{"https://idp", "agent-1", {"agents"}};
  Person other{"https://idp", "agent-2", {"agents"}};
  const auto g = parsed(kPatchDeployments);
  auto wider = g;
  wider.verbs.push_back("delete");
  EXPECT_TRUE(grantDigest(agent, g).value().starts_with("grant:"));
  EXPECT_EQ(grantDigest(agent, g).value(), grantDigest(agent, parsed(kPatchDeployments)).value());
  EXPECT_NE(grantDigest(agent, g).value(), grantDigest(other, g).value());
  EXPECT_NE(grantDigest(agent, g).value(), grantDigest(agent, wider).value());
}

class GrantStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("kg-grants-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    store_ = ApprovalStore::open((dir_ / "approvals.db").string());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Approval ask(const Person& who, const GrantScope& g, Clock::time_point now) {
    NewApproval n;
    n.digest = grantDigest(who, g).value();
    n.requester = who;
    n.cluster = g.cluster;
    n.summaryJson = grantSummaryJson(g);
    n.ruleId = std::string(kGrantRuleId);
    n.approverGroups = {"reviewers"};
    n.hold = false;
    n.expiresAt = now + 1h;
    n.ttl = g.duration;
    return store_->create(n, now).value();
  }
  std::filesystem::path dir_;
  std::unique_ptr<ApprovalStore> store_;
};

TEST_F(GrantStore, AnApprovedGrantIsActiveForItsWindowFromTheApproval) {
  const Clock::time_point t0{std::chrono::seconds(1'700'000'000)};
  const Person agent{"https://idp", "agent-1", {"agents"}};
  const Person reviewer{"https://idp", "rita", {"reviewers"}};
  const auto g = parsed(kPatchDeployments);
  const auto asked = ask(agent, g, t0);
  EXPECT_TRUE(store_->activeGrants(agent, "demo", t0 + 1s).value().empty()) << "pending is not active";
  ASSERT_TRUE(store_->decide(asked.id, Decision{reviewer, true, "ok", t0 + 10min}, t0 + 10min));
  EXPECT_EQ(store_->activeGrants(agent, "demo", t0 + 10min + 14min).value().size(), 1u) << "window starts at the approval";
  EXPECT_TRUE(store_->activeGrants(agent, "demo", t0 + 10min + 15min).value().empty()) << "and ends with it";
  EXPECT_TRUE(store_->activeGrants(agent, "other", t0 + 11min).value().empty());
  const Person sameSubjectOtherIssuer{"https://other-idp", "agent-1", {"agents"}};
  EXPECT_TRUE(store_->activeGrants(sameSubjectOtherIssuer, "demo", t0 + 11min).value().empty());
  EXPECT_FALSE(store_->consume(asked.request.digest, agent, std::nullopt, t0 + 11min))
      << "a grant is not a one-request approval";
}

}  // namespace
}  // namespace kubegate::approvals
