#include "admin/approvals_api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fake_approval_store.h"

namespace kubegate::admin {
namespace {

namespace json = boost::json;
using approvals::Clock;
using testing::FakeApprovalStore;

class ApprovalsApiTest : public ::testing::Test {
 protected:
  ApprovalsApiTest()
      : store_(std::make_shared<FakeApprovalStore>()),
        api_(store_, testing::fakeAuthenticate(), [this](const approvals::Approval& a) { decided_.push_back(a); },
             [this] { return now_; }) {}

  std::string create(approvals::NewApproval request) { return store_->create(request, now_)->id; }
  std::string createDeletePod() { return create(testing::deletePodRequest(now_)); }

  http::response<http::string_body> call(http::verb method, const std::string& target, const std::string& token,
                                         const std::string& body = "") {
    http::request<http::string_body> request(method, target, 11);
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    asio::io_context io;
    http::response<http::string_body> response;
    asio::co_spawn(io, api_.handle(request), [&](std::exception_ptr e, http::response<http::string_body> r) {
      if (e) std::rethrow_exception(e);
      response = std::move(r);
    });
    io.run();
    return response;
  }

  static json::object jsonOf(const http::response<http::string_body>& response) {
    return json::parse(response.body()).as_object();
  }

  static std::vector<std::string> idsOf(const http::response<http::string_body>& response) {
    std::vector<std::string> ids;
    const auto body = jsonOf(response);
    for (const auto& item : body.at("items").as_array()) ids.emplace_back(item.at("id").as_string());
    return ids;
  }

  Clock::time_point now_ = Clock::time_point(std::chrono::seconds(1'700'000'000));
  std::shared_ptr<FakeApprovalStore> store_;
  std::vector<approvals::Approval> decided_;
  ApprovalsApi api_;
};

TEST_F(ApprovalsApiTest, ListShowsApprovalsTheCallerMayDecideOrAskedFor) {
  const auto forSre = createDeletePod();
  auto other = testing::deletePodRequest(now_);
  other.requester = testing::oidcPerson("agent-2", {"agents"});
  other.approverGroups = {"security"};
  const auto forSecurity = create(other);

  EXPECT_EQ(idsOf(call(http::verb::get, "/approvals/v1/requests", "reviewer-a")), std::vector<std::string>{forSre});
  EXPECT_EQ(idsOf(call(http::verb::get, "/approvals/v1/requests", "agent")), std::vector<std::string>{forSre});
  EXPECT_TRUE(idsOf(call(http::verb::get, "/approvals/v1/requests", "outsider")).empty());
  EXPECT_NE(forSecurity, forSre);
}

TEST_F(ApprovalsApiTest, ListAllIncludesDecidedApprovalsAndHonoursLimit) {
  const auto first = createDeletePod();
  const auto second = createDeletePod();
  ASSERT_EQ(call(http::verb::post, "/approvals/v1/requests/" + first + "/approve", "reviewer-a").result(), http::status::ok);

  EXPECT_EQ(idsOf(call(http::verb::get, "/approvals/v1/requests", "reviewer-b")), std::vector<std::string>{second});
  EXPECT_EQ(idsOf(call(http::verb::get, "/approvals/v1/requests?all=true", "reviewer-b")),
            (std::vector<std::string>{second, first}));
  EXPECT_EQ(idsOf(call(http::verb::get, "/approvals/v1/requests?all=true&limit=1", "reviewer-b")),
            std::vector<std::string>{second});
  EXPECT_EQ(call(http::verb::get, "/approvals/v1/requests?limit=0", "reviewer-b").result(), http::status::bad_request);
  EXPECT_EQ(call(http::verb::get, "/approvals/v1/requests?state=x", "reviewer-b").result(), http::status::bad_request);
}

TEST_F(ApprovalsApiTest, ShowIsNotFoundForCallersWhoMayNotSeeIt) {
  const auto id = createDeletePod();
  const auto shown = call(http::verb::get, "/approvals/v1/requests/" + id, "reviewer-a");
  ASSERT_EQ(shown.result(), http::status::ok);
  const auto approval = jsonOf(shown);
  EXPECT_EQ(approval.at("summary"), "delete pods/web-1 in staging on demo");
  EXPECT_EQ(approval.at("purpose"), "clean up the failed rollout");

  const auto hidden = call(http::verb::get, "/approvals/v1/requests/" + id, "outsider");
  const auto missing = call(http::verb::get, "/approvals/v1/requests/apr-ffffffffffffffff", "outsider");
  EXPECT_EQ(hidden.result(), http::status::not_found);
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(jsonOf(hidden).at("kind"), "Status");
  EXPECT_EQ(jsonOf(hidden).at("code"), 404);
}

TEST_F(ApprovalsApiTest, ApproveRecordsTheReviewerAndReasonAndCallsOnDecidedOnce) {
  const auto id = createDeletePod();
  const auto response = call(http::verb::post, "/approvals/v1/requests/" + id + "/approve", "reviewer-a",
                             R"({"reason":"rollout is stuck, pod is safe to delete"})");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  const auto approval = jsonOf(response);
  EXPECT_EQ(approval.at("state"), "approved");
  EXPECT_EQ(approval.at("approvals").as_array().at(0).at("reason"), "rollout is stuck, pod is safe to delete");
  EXPECT_EQ(approval.at("approvals").as_array().at(0).at("reviewer").at("subject"), "alice");
  ASSERT_EQ(decided_.size(), 1u);
  EXPECT_EQ(decided_[0].id, id);
  EXPECT_EQ(decided_[0].state, approvals::State::approved);

  // Decided already: a late second reviewer gets a conflict and nothing more is reported.
  EXPECT_EQ(call(http::verb::post, "/approvals/v1/requests/" + id + "/approve", "reviewer-b").result(), http::status::conflict);
  EXPECT_EQ(decided_.size(), 1u);
}

TEST_F(ApprovalsApiTest, ARepeatedApprovalBySamePersonIsNotReportedAgain) {
  auto request = testing::deletePodRequest(now_);
  request.approvalsNeeded = 2;
  const auto id = create(request);
  const std::string approve = "/approvals/v1/requests/" + id + "/approve";
  EXPECT_EQ(call(http::verb::post, approve, "reviewer-a").result(), http::status::ok);
  const auto again = call(http::verb::post, approve, "reviewer-a");
  EXPECT_EQ(again.result(), http::status::ok);
  EXPECT_EQ(jsonOf(again).at("state"), "pending");
  EXPECT_EQ(decided_.size(), 1u);
  const auto second = call(http::verb::post, approve, "reviewer-b");
  EXPECT_EQ(jsonOf(second).at("state"), "approved");
  EXPECT_EQ(decided_.size(), 2u);
}

TEST_F(ApprovalsApiTest, DenyNeedsAReason) {
  const auto id = createDeletePod();
  const std::string deny = "/approvals/v1/requests/" + id + "/deny";
  EXPECT_EQ(call(http::verb::post, deny, "reviewer-a").result(), http::status::bad_request);
  EXPECT_EQ(call(http::verb::post, deny, "reviewer-a", R"({"reason":"  "})").result(), http::status::bad_request);
  EXPECT_EQ(store_->snapshot(id).state, approvals::State::pending);
  EXPECT_TRUE(decided_.empty());

  const auto denied = call(http::verb::post, deny, "reviewer-a", R"({"reason":"not during the freeze"})");
  ASSERT_EQ(denied.result(), http::status::ok);
  EXPECT_EQ(jsonOf(denied).at("state"), "denied");
  EXPECT_EQ(jsonOf(denied).at("denyReason"), "not during the freeze");
  EXPECT_EQ(decided_.size(), 1u);
}

TEST_F(ApprovalsApiTest, GetOnADecisionUrlIsRefusedAndChangesNothing) {
  const auto id = createDeletePod();
  const auto response = call(http::verb::get, "/approvals/v1/requests/" + id + "/approve", "reviewer-a");
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "POST");
  EXPECT_EQ(call(http::verb::put, "/approvals/v1/requests/" + id, "reviewer-a").result(), http::status::method_not_allowed);
  EXPECT_EQ(store_->decideCalls(), 0);
  EXPECT_EQ(store_->snapshot(id).state, approvals::State::pending);
}

TEST_F(ApprovalsApiTest, CallersWithoutAValidBearerTokenAreUnauthorized) {
  const auto id = createDeletePod();
  const std::string approve = "/approvals/v1/requests/" + id + "/approve";
  EXPECT_EQ(call(http::verb::post, approve, "").result(), http::status::unauthorized);
  EXPECT_EQ(call(http::verb::post, approve, "forged").result(), http::status::unauthorized);
  EXPECT_EQ(call(http::verb::get, "/approvals/v1/requests", "").result(), http::status::unauthorized);
  http::request<http::string_body> basic(http::verb::get, "/approvals/v1/requests", 11);
  basic.set(http::field::authorization, "Basic cmV2aWV3ZXItYTp4");
  asio::io_context io;
  http::status status{};
  asio::co_spawn(io, api_.handle(basic), [&](std::exception_ptr, http::response<http::string_body> r) { status = r.result(); });
  io.run();
  EXPECT_EQ(status, http::status::unauthorized);
  EXPECT_EQ(store_->decideCalls(), 0);
}

TEST_F(ApprovalsApiTest, StoreRefusalsMapToForbiddenNotFoundConflictAndUnavailable) {
  auto own = testing::deletePodRequest(now_);
  own.requester = testing::oidcPerson("alice", {"sre"});
  const auto ownId = create(own);
  const auto id = createDeletePod();
  const auto selfApproval = call(http::verb::post, "/approvals/v1/requests/" + ownId + "/approve", "reviewer-a");
  EXPECT_EQ(selfApproval.result(), http::status::forbidden);
  EXPECT_EQ(jsonOf(selfApproval).at("reason"), "Forbidden");
  EXPECT_EQ(call(http::verb::post, "/approvals/v1/requests/" + id + "/approve", "outsider").result(), http::status::forbidden);
  EXPECT_EQ(call(http::verb::post, "/approvals/v1/requests/" + id + "/approve", "agent").result(), http::status::forbidden);
  EXPECT_EQ(call(http::verb::post, "/approvals/v1/requests/apr-ffffffffffffffff/approve", "reviewer-a").result(),
            http::status::not_found);
  store_->failNextCall();
  EXPECT_EQ(call(http::verb::post, "/approvals/v1/requests/" + id + "/approve", "reviewer-a").result(),
            http::status::service_unavailable);
  now_ += std::chrono::hours(2);  // past expiresAt
  const auto late = call(http::verb::post, "/approvals/v1/requests/" + id + "/approve", "reviewer-a");
  EXPECT_EQ(late.result(), http::status::conflict);
  EXPECT_EQ(jsonOf(late).at("reason"), "Conflict");
  EXPECT_TRUE(decided_.empty());
}

TEST_F(ApprovalsApiTest, RefusesOversizedOrMalformedBodies) {
  const auto id = createDeletePod();
  const std::string approve = "/approvals/v1/requests/" + id + "/approve";
  const std::string huge = R"({"reason":")" + std::string(kMaxApprovalsBodyBytes, 'x') + R"("})";
  EXPECT_EQ(call(http::verb::post, approve, "reviewer-a", huge).result(), http::status::payload_too_large);
  EXPECT_EQ(call(http::verb::post, approve, "reviewer-a", "reason=ok").result(), http::status::bad_request);
  EXPECT_EQ(call(http::verb::post, approve, "reviewer-a", R"({"reason":"ok","approve":true})").result(), http::status::bad_request);
  EXPECT_EQ(call(http::verb::post, approve, "reviewer-a", R"({"reason":42})").result(), http::status::bad_request);
  EXPECT_EQ(store_->decideCalls(), 0);
}

TEST_F(ApprovalsApiTest, UnknownPathsAreNotFound) {
  createDeletePod();
  EXPECT_EQ(call(http::verb::get, "/approvals/v2/requests", "reviewer-a").result(), http::status::not_found);
  EXPECT_EQ(call(http::verb::post, "/approvals/v1/requests/apr-1/approve/now", "reviewer-a").result(), http::status::not_found);
  EXPECT_EQ(call(http::verb::get, "/approvals/v1/requests/..%2f..", "reviewer-a").result(), http::status::not_found);
}

TEST(ApprovalsApiPerson, MapsOidcAndCertificateIdentities) {
  identity::Identity oidc;
  oidc.authenticator = "oidc";
  oidc.issuer = "https://idp.example";
  oidc.username = "alice";
  oidc.groups = {"sre"};
  const auto p = approvalsPerson(oidc);
  EXPECT_EQ(p.issuer, "https://idp.example");
  EXPECT_EQ(p.subject, "alice");
  EXPECT_EQ(p.groups, std::vector<std::string>{"sre"});
  identity::Identity cert;
  cert.authenticator = "x509";
  cert.username = "alice";
  EXPECT_EQ(approvalsPerson(cert).issuer, "x509");
}

}  // namespace
}  // namespace kubegate::admin
