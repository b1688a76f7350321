#include "approvals/approval_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <barrier>
#include <filesystem>
#include <random>
#include <regex>
#include <thread>

namespace kubegate::approvals {
namespace {

using namespace std::chrono_literals;

class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("h8-approvals-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// 2023-11-14T22:13:20Z, whole microseconds so that stored times compare equal.
const Clock::time_point t0 = Clock::time_point(std::chrono::seconds(1'700'000'000));
const std::string kIssuer = "https://idp.example";
const std::string kDigest = std::string(64, 'a');

Person person(std::string subject, std::vector<std::string> groups, std::string issuer = kIssuer) {
  Person p;
  p.issuer = std::move(issuer);
  p.subject = std::move(subject);
  p.groups = std::move(groups);
  return p;
}

const Person kAgent = person("agent-1", {"agents"});
const Person kAlice = person("alice", {"sre"});
const Person kBob = person("bob", {"platform", "dev"});

NewApproval newApproval(int approvalsNeeded = 1) {
  NewApproval n;
  n.digest = kDigest;
  n.requester = kAgent;
  n.purpose = "clean up the crashed web pod";
  n.cluster = "staging";
  n.summaryJson = R"({"method":"DELETE","path":"/api/v1/namespaces/web/pods/web-1"})";
  n.ruleId = "review-deletes";
  n.ruleMessage = "deletes need a second pair of eyes";
  n.approverGroups = {"sre", "platform"};
  n.approvalsNeeded = approvalsNeeded;
  n.hold = true;
  n.expiresAt = t0 + 10min;
  n.ttl = 15min;
  n.requestId = "req-1";
  return n;
}

Decision approveBy(const Person& reviewer, std::string reason = "looks right") {
  Decision d;
  d.reviewer = reviewer;
  d.approve = true;
  d.reason = std::move(reason);
  return d;
}

Decision denyBy(const Person& reviewer, std::string reason = "not during the freeze") {
  Decision d = approveBy(reviewer, std::move(reason));
  d.approve = false;
  return d;
}

class ApprovalStoreTest : public ::testing::Test {
 protected:
  Approval created(const NewApproval& request = newApproval(), Clock::time_point at = t0) {
    auto r = store->create(request, at);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Approval{};
  }
  Approval decided(const std::string& id, const Decision& d, Clock::time_point at) {
    auto r = store->decide(id, d, at);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Approval{};
  }
  void expectError(const auto& result, StoreError::Kind kind, const std::string& message = {}) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, kind) << result.error().message;
    if (!message.empty()) {
      EXPECT_EQ(result.error().message, message);
    }
  }

  ScratchDir dir;
  std::string path = dir.file("approvals.db");
  std::unique_ptr<ApprovalStore> store = ApprovalStore::open(path);
};

TEST_F(ApprovalStoreTest, CreateThenGetReturnsEveryField) {
  NewApproval request = newApproval(2);
  request.hold = false;
  request.ttl = 123s;
  request.expiresAt = t0 + 7min + 250us;
  request.approverGroups = {"sre", "platform", "db-admins"};
  Approval a = created(request);
  EXPECT_TRUE(std::regex_match(a.id, std::regex("apr-[0-9a-f]{16}"))) << a.id;

  auto got = store->get(a.id, t0 + 1s);
  ASSERT_TRUE(got) << got.error().message;
  const NewApproval& r = got->request;
  EXPECT_EQ(got->id, a.id);
  EXPECT_EQ(r.digest, request.digest);
  EXPECT_EQ(r.requester.issuer, kAgent.issuer);
  EXPECT_EQ(r.requester.subject, kAgent.subject);
  EXPECT_EQ(r.requester.groups, kAgent.groups);
  EXPECT_EQ(r.purpose, request.purpose);
  EXPECT_EQ(r.cluster, request.cluster);
  EXPECT_EQ(r.summaryJson, request.summaryJson);
  EXPECT_EQ(r.ruleId, request.ruleId);
  EXPECT_EQ(r.ruleMessage, request.ruleMessage);
  EXPECT_EQ(r.approverGroups, request.approverGroups);
  EXPECT_EQ(r.approvalsNeeded, 2);
  EXPECT_FALSE(r.hold);
  EXPECT_EQ(r.expiresAt, request.expiresAt);
  EXPECT_EQ(r.ttl, 123s);
  EXPECT_EQ(r.requestId, "req-1");
  EXPECT_EQ(got->state, State::pending);
  EXPECT_EQ(got->createdAt, t0);
  EXPECT_FALSE(got->decidedAt);
  EXPECT_FALSE(got->usableUntil);
  EXPECT_FALSE(got->usedAt);
  EXPECT_TRUE(got->decisions.empty());
  EXPECT_EQ(got->denyReason, "");

  EXPECT_NE(created().id, a.id);
  expectError(store->get("apr-0000000000000000", t0), StoreError::Kind::notFound);
}

TEST_F(ApprovalStoreTest, OneApprovalOfOneNeededApproves) {
  Approval a = created();
  Approval after = decided(a.id, approveBy(kAlice), t0 + 1min);
  EXPECT_EQ(after.state, State::approved);
  EXPECT_EQ(after.decidedAt, t0 + 1min);
  EXPECT_EQ(after.usableUntil, t0 + 1min + 15min);
  ASSERT_EQ(after.decisions.size(), 1u);
  const Decision& d = after.decisions[0];
  EXPECT_EQ(d.reviewer.issuer, kIssuer);
  EXPECT_EQ(d.reviewer.subject, "alice");
  EXPECT_EQ(d.reviewer.groups, kAlice.groups);
  EXPECT_TRUE(d.approve);
  EXPECT_EQ(d.reason, "looks right");
  EXPECT_EQ(d.at, t0 + 1min);
  EXPECT_EQ(store->get(a.id, t0 + 2min)->state, State::approved);
}

TEST_F(ApprovalStoreTest, SamePersonApprovingTwiceCountsOnce) {
  Approval a = created(newApproval(2));
  EXPECT_EQ(decided(a.id, approveBy(kAlice), t0 + 1min).state, State::pending);
  // Again, under other groups (a second client of the same subject): still one person.
  Approval again = decided(a.id, approveBy(person("alice", {"platform"}), "really"), t0 + 2min);
  EXPECT_EQ(again.state, State::pending);
  ASSERT_EQ(again.decisions.size(), 1u);
  EXPECT_EQ(again.decisions[0].reason, "looks right");

  Approval after = decided(a.id, approveBy(kBob), t0 + 3min);
  EXPECT_EQ(after.state, State::approved);
  EXPECT_EQ(after.decisions.size(), 2u);
}

TEST_F(ApprovalStoreTest, PersonInTwoApproverGroupsCountsOnce) {
  Approval a = created(newApproval(2));
  Approval after = decided(a.id, approveBy(person("carol", {"sre", "platform"})), t0 + 1min);
  EXPECT_EQ(after.state, State::pending);
  EXPECT_EQ(after.decisions.size(), 1u);
}

TEST_F(ApprovalStoreTest, RequesterCannotDecideOnOwnRequest) {
  Approval a = created();
  const std::string refusal = "you cannot decide on your own request";
  expectError(store->decide(a.id, approveBy(person("agent-1", {"sre"})), t0 + 1min), StoreError::Kind::forbidden,
              refusal);
  // The same subject under another client with other groups, and denying too.
  expectError(store->decide(a.id, approveBy(person("agent-1", {"platform", "admins"})), t0 + 1min),
              StoreError::Kind::forbidden, refusal);
  expectError(store->decide(a.id, denyBy(person("agent-1", {"sre"})), t0 + 1min), StoreError::Kind::forbidden,
              refusal);
  auto got = store->get(a.id, t0 + 2min);
  EXPECT_EQ(got->state, State::pending);
  EXPECT_TRUE(got->decisions.empty());
}

TEST_F(ApprovalStoreTest, ReviewerOutsideApproverGroupsIsRefused) {
  Approval a = created();
  const std::string refusal = "only members of sre, platform may decide on this approval";
  expectError(store->decide(a.id, approveBy(person("dave", {"dev"})), t0), StoreError::Kind::forbidden, refusal);
  expectError(store->decide(a.id, denyBy(person("dave", {})), t0), StoreError::Kind::forbidden, refusal);
  // Group names match exactly.
  expectError(store->decide(a.id, approveBy(person("dave", {"SRE", "sre "})), t0), StoreError::Kind::forbidden);
  EXPECT_TRUE(store->get(a.id, t0)->decisions.empty());
}

TEST_F(ApprovalStoreTest, DenyWinsAfterOneOfTwoApprovals) {
  Approval a = created(newApproval(2));
  decided(a.id, approveBy(kAlice), t0 + 1min);
  Approval after = decided(a.id, denyBy(kBob), t0 + 2min);
  EXPECT_EQ(after.state, State::denied);
  EXPECT_EQ(after.denyReason, "not during the freeze");
  EXPECT_EQ(after.decidedAt, t0 + 2min);
  EXPECT_FALSE(after.usableUntil);
  ASSERT_EQ(after.decisions.size(), 2u);
  EXPECT_FALSE(after.decisions[1].approve);
  expectError(store->consume(kDigest, kAgent, std::nullopt, t0 + 3min), StoreError::Kind::notFound);
}

TEST_F(ApprovalStoreTest, DenyWithoutReasonNamesTheReviewer) {
  Approval a = created();
  EXPECT_EQ(decided(a.id, denyBy(kBob, ""), t0 + 1min).denyReason, "denied by bob");
}

TEST_F(ApprovalStoreTest, ApproverWhoChangesTheirMindDenies) {
  Approval a = created(newApproval(2));
  decided(a.id, approveBy(kAlice), t0 + 1min);
  Approval after = decided(a.id, denyBy(kAlice, "wrong pod"), t0 + 2min);
  EXPECT_EQ(after.state, State::denied);
  EXPECT_EQ(after.denyReason, "wrong pod");
  ASSERT_EQ(after.decisions.size(), 1u);
  EXPECT_FALSE(after.decisions[0].approve);
  EXPECT_EQ(after.decisions[0].at, t0 + 2min);
}

TEST_F(ApprovalStoreTest, DecidingADecidedApprovalConflicts) {
  Approval approved = created();
  decided(approved.id, approveBy(kAlice), t0 + 1min);
  expectError(store->decide(approved.id, denyBy(kBob), t0 + 2min), StoreError::Kind::conflict,
              "approval " + approved.id + " is already approved");

  Approval denied = created();
  decided(denied.id, denyBy(kAlice), t0 + 1min);
  expectError(store->decide(denied.id, approveBy(kBob), t0 + 2min), StoreError::Kind::conflict,
              "approval " + denied.id + " is already denied");

  ASSERT_TRUE(store->consume(kDigest, kAgent, approved.id, t0 + 3min));
  expectError(store->decide(approved.id, approveBy(kBob), t0 + 4min), StoreError::Kind::conflict,
              "approval " + approved.id + " is already used");
  expectError(store->decide("apr-ffffffffffffffff", approveBy(kBob), t0), StoreError::Kind::notFound);
  EXPECT_EQ(store->get(approved.id, t0 + 5min)->decisions.size(), 1u);
}

TEST_F(ApprovalStoreTest, PendingPastExpiryIsExpired) {
  Approval a = created();  // expires at t0 + 10 min = 2023-11-14T22:23:20Z
  EXPECT_EQ(store->get(a.id, t0 + 10min - 1us)->state, State::pending);
  auto got = store->get(a.id, t0 + 10min + 1s);
  EXPECT_EQ(got->state, State::expired);
  EXPECT_EQ(got->denyReason, "expired: no decision before 2023-11-14T22:23:20Z");
  EXPECT_EQ(got->decidedAt, t0 + 10min);
  expectError(store->decide(a.id, approveBy(kAlice), t0 + 11min), StoreError::Kind::conflict,
              "approval " + a.id + " is already expired");
  expectError(store->consume(kDigest, kAgent, std::nullopt, t0 + 11min), StoreError::Kind::notFound);
  EXPECT_FALSE(*store->findPending(kDigest, kAgent, t0 + 11min));
  EXPECT_TRUE(store->list(false, 10, t0 + 11min)->empty());
}

TEST_F(ApprovalStoreTest, DecideExpiresWithoutAnEarlierRead) {
  Approval a = created();
  expectError(store->decide(a.id, approveBy(kAlice), t0 + 10min), StoreError::Kind::conflict,
              "approval " + a.id + " is already expired");
  // The refusal kept the expiry: a read before the expiry time does not bring it back.
  EXPECT_EQ(store->get(a.id, t0)->state, State::expired);
}

TEST_F(ApprovalStoreTest, ApprovedRequestIsConsumedExactlyOnce) {
  Approval a = created();
  decided(a.id, approveBy(kAlice), t0 + 1min);
  auto used = store->consume(kDigest, kAgent, std::nullopt, t0 + 2min);
  ASSERT_TRUE(used) << used.error().message;
  EXPECT_EQ(used->id, a.id);
  EXPECT_EQ(used->state, State::used);
  EXPECT_EQ(used->usedAt, t0 + 2min);
  expectError(store->consume(kDigest, kAgent, std::nullopt, t0 + 3min), StoreError::Kind::notFound);
  expectError(store->consume(kDigest, kAgent, a.id, t0 + 3min), StoreError::Kind::notFound);
  auto got = store->get(a.id, t0 + 4min);
  EXPECT_EQ(got->state, State::used);
  EXPECT_EQ(got->usedAt, t0 + 2min);
}

TEST_F(ApprovalStoreTest, ConsumeNeedsTheSameDigestRequesterAndId) {
  Approval a = created();
  decided(a.id, approveBy(kAlice), t0 + 1min);
  const auto later = t0 + 2min;
  expectError(store->consume(std::string(64, 'b'), kAgent, std::nullopt, later), StoreError::Kind::notFound);
  expectError(store->consume(kDigest, person("agent-2", {"agents"}), std::nullopt, later), StoreError::Kind::notFound);
  expectError(store->consume(kDigest, person("agent-1", {"agents"}, "x509"), std::nullopt, later),
              StoreError::Kind::notFound);
  expectError(store->consume(kDigest, kAgent, std::string("apr-0123456789abcdef"), later), StoreError::Kind::notFound);
  // None of those used it up. Groups are not part of who the requester is.
  auto used = store->consume(kDigest, person("agent-1", {"other"}), a.id, later);
  ASSERT_TRUE(used) << used.error().message;
  EXPECT_EQ(used->id, a.id);
}

TEST_F(ApprovalStoreTest, ConsumeAfterUsableUntilIsRefused) {
  Approval a = created();
  decided(a.id, approveBy(kAlice), t0 + 1min);  // usable until t0 + 16 min
  expectError(store->consume(kDigest, kAgent, std::nullopt, t0 + 16min), StoreError::Kind::notFound);
  EXPECT_EQ(store->get(a.id, t0 + 17min)->state, State::approved);

  Approval b = created();
  decided(b.id, approveBy(kAlice), t0 + 1min);
  EXPECT_TRUE(store->consume(kDigest, kAgent, std::nullopt, t0 + 16min - 1us));
}

TEST_F(ApprovalStoreTest, PendingOrDeniedApprovalsCannotBeConsumed) {
  created();
  Approval denied = created();
  decided(denied.id, denyBy(kAlice), t0 + 1min);
  expectError(store->consume(kDigest, kAgent, std::nullopt, t0 + 2min), StoreError::Kind::notFound);
}

TEST_F(ApprovalStoreTest, ConsumeTakesTheNewestUnlessAnIdIsGiven) {
  Approval older = created(newApproval(), t0);
  Approval newer = created(newApproval(), t0 + 1s);
  decided(older.id, approveBy(kAlice), t0 + 1min);
  decided(newer.id, approveBy(kAlice), t0 + 1min);
  EXPECT_EQ(store->consume(kDigest, kAgent, older.id, t0 + 2min)->id, older.id);
  Approval third = created(newApproval(), t0 + 2s);
  decided(third.id, approveBy(kAlice), t0 + 1min);
  EXPECT_EQ(store->consume(kDigest, kAgent, std::nullopt, t0 + 2min)->id, third.id);
  EXPECT_EQ(store->consume(kDigest, kAgent, std::nullopt, t0 + 2min)->id, newer.id);
}

TEST_F(ApprovalStoreTest, FindPendingReturnsTheNewestPendingOfThatRequester) {
  EXPECT_FALSE(*store->findPending(kDigest, kAgent, t0));
  Approval older = created(newApproval(), t0);
  Approval newer = created(newApproval(), t0 + 1s);
  NewApproval otherAgent = newApproval();
  otherAgent.requester = person("agent-2", {"agents"});
  created(otherAgent, t0 + 2s);

  auto found = store->findPending(kDigest, kAgent, t0 + 3s);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, newer.id);
  decided(newer.id, denyBy(kAlice), t0 + 4s);
  EXPECT_EQ((*store->findPending(kDigest, kAgent, t0 + 5s))->id, older.id);
  EXPECT_FALSE(*store->findPending(std::string(64, 'c'), kAgent, t0 + 5s));
  EXPECT_FALSE(*store->findPending(kDigest, person("agent-1", {}, "x509"), t0 + 5s));
}

TEST_F(ApprovalStoreTest, ListShowsPendingOrAllNewestFirst) {
  Approval first = created(newApproval(), t0);
  Approval second = created(newApproval(), t0 + 1s);
  Approval third = created(newApproval(), t0 + 2s);
  decided(second.id, approveBy(kAlice), t0 + 3s);

  auto pending = store->list(false, 10, t0 + 4s);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, third.id);
  EXPECT_EQ((*pending)[1].id, first.id);

  auto all = store->list(true, 10, t0 + 4s);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].id, second.id);
  EXPECT_EQ((*all)[1].decisions.size(), 1u);

  auto limited = store->list(true, 2, t0 + 4s);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0].id, third.id);
}

TEST_F(ApprovalStoreTest, PendingApprovalAndDecisionsSurviveReopening) {
  Approval a = created(newApproval(2));
  decided(a.id, approveBy(kBob), t0 + 1min);
  store.reset();

  store = ApprovalStore::open(path);
  auto got = store->get(a.id, t0 + 2min);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->state, State::pending);
  ASSERT_EQ(got->decisions.size(), 1u);
  EXPECT_EQ(got->decisions[0].reviewer.subject, "bob");
  EXPECT_EQ(got->decisions[0].reviewer.groups, kBob.groups);
  // The kept approval counts: bob again does not approve, alice does.
  EXPECT_EQ(decided(a.id, approveBy(kBob), t0 + 3min).state, State::pending);
  EXPECT_EQ(decided(a.id, approveBy(kAlice), t0 + 4min).state, State::approved);
}

TEST_F(ApprovalStoreTest, UnknownSchemaVersionIsRefused) {
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(ApprovalStore::open(path), std::runtime_error);
  EXPECT_THROW(ApprovalStore::open(dir.file("missing-dir/approvals.db")), std::runtime_error);
}

// Eight gateway processes (each its own connection) decide at the same moment: 4 reviewers approve
// and 4 deny an approval that needs 3 approvals. The transactions must serialize: each successful
// decision saw every earlier one, a refused one saw the approval already decided, and the final
// state follows from the recorded decisions.
TEST_F(ApprovalStoreTest, ConcurrentDecisionsLeaveOneConsistentOutcome) {
  constexpr int kThreads = 8;
  constexpr int kNeeded = 3;
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Approval a = created(newApproval(kNeeded));
    std::vector<std::optional<Result<Approval>>> results(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        auto own = ApprovalStore::open(path);
        Person reviewer = person("reviewer-" + std::to_string(i), {"sre"});
        Decision d = i < 4 ? approveBy(reviewer) : denyBy(reviewer);
        start.arrive_and_wait();
        results[i] = own->decide(a.id, d, t0 + 1min);
      });
    }
    for (auto& t : threads) t.join();

    auto final = store->get(a.id, t0 + 2min);
    ASSERT_TRUE(final);
    ASSERT_TRUE(final->state == State::approved || final->state == State::denied) << toString(final->state);
    std::vector<std::string> succeeded;
    std::vector<std::size_t> decisionsSeen;
    int returnedFinalState = 0;
    for (int i = 0; i < kThreads; ++i) {
      const auto& r = *results[i];
      if (!r) {
        EXPECT_EQ(r.error().kind, StoreError::Kind::conflict) << r.error().message;
        continue;
      }
      succeeded.push_back("reviewer-" + std::to_string(i));
      decisionsSeen.push_back(r->decisions.size());
      if (r->state == final->state) ++returnedFinalState;
      else EXPECT_EQ(r->state, State::pending);
    }
    EXPECT_EQ(returnedFinalState, 1) << "exactly one decision decided it";
    // Serialized: the k-th successful decision saw k decisions.
    std::sort(decisionsSeen.begin(), decisionsSeen.end());
    for (std::size_t k = 0; k < decisionsSeen.size(); ++k) EXPECT_EQ(decisionsSeen[k], k + 1);

    std::vector<std::string> recorded;
    int approvals = 0, denies = 0;
    for (const auto& d : final->decisions) {
      recorded.push_back(d.reviewer.subject);
      int index = d.reviewer.subject.back() - '0';
      EXPECT_EQ(d.approve, index < 4) << d.reviewer.subject;
      (d.approve ? approvals : denies)++;
    }
    std::sort(succeeded.begin(), succeeded.end());
    std::sort(recorded.begin(), recorded.end());
    EXPECT_EQ(recorded, succeeded);
    if (final->state == State::denied) {
      EXPECT_EQ(denies, 1);
      EXPECT_LT(approvals, kNeeded);
    } else {
      EXPECT_EQ(denies, 0);
      EXPECT_EQ(approvals, kNeeded);
    }
  }
}

TEST_F(ApprovalStoreTest, ConcurrentConsumersUseAnApprovalOnce) {
  constexpr int kThreads = 8;
  Approval a = created();
  decided(a.id, approveBy(kAlice), t0 + 1min);
  std::vector<std::optional<Result<Approval>>> results(kThreads);
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto own = ApprovalStore::open(path);
      start.arrive_and_wait();
      results[i] = own->consume(kDigest, kAgent, std::nullopt, t0 + 2min);
    });
  }
  for (auto& t : threads) t.join();
  int used = 0;
  for (const auto& r : results) {
    if (*r) {
      ++used;
      EXPECT_EQ((*r)->id, a.id);
    } else {
      EXPECT_EQ(r->error().kind, StoreError::Kind::notFound) << r->error().message;
    }
  }
  EXPECT_EQ(used, 1);
  EXPECT_EQ(store->get(a.id, t0 + 3min)->state, State::used);
}

}  // namespace
}  // namespace kubegate::approvals
