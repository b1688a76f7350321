// An in-memory ApprovalStore with the interface's rules (approvals/approval_store.h), for testing the
// approvals API and `kubegate review` without SQLite. Thread-safe: the CLI tests serve the API from
// a thread while the test body reads the store.
#pragma once

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "admin/approvals_api.h"
#include "approvals/approval_store.h"

namespace kubegate::testing {

class FakeApprovalStore final : public approvals::ApprovalStore {
 public:
  using Approval = approvals::Approval;
  using Clock = approvals::Clock;
  using StoreError = approvals::StoreError;
  template <typename T>
  using Result = approvals::Result<T>;

  // The next call of any kind fails with a storage error.
  void failNextCall() {
    std::lock_guard lock(mutex_);
    failNext_ = true;
  }
  int decideCalls() const {
    std::lock_guard lock(mutex_);
    return decideCalls_;
  }
  Approval snapshot(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return *find(id);
  }

  Result<Approval> create(const approvals::NewApproval& request, Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    Approval a;
    char id[32];
    std::snprintf(id, sizeof id, "apr-%016zx", approvals_.size() + 0xa000);
    a.id = id;
    a.request = request;
    a.createdAt = now;
    approvals_.push_back(a);
    return a;
  }

  Result<Approval> get(const std::string& id, Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    if (failed()) return storageError();
    auto* a = find(id);
    if (!a) return notFound(id);
    expire(*a, now);
    return *a;
  }

  Result<std::vector<Approval>> list(bool all, std::size_t limit, Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    if (failed()) return storageError();
    std::vector<Approval> out;
    for (auto it = approvals_.rbegin(); it != approvals_.rend() && out.size() < limit; ++it) {
      expire(*it, now);
      if (all || it->state == approvals::State::pending) out.push_back(*it);
    }
    return out;
  }

  Result<Approval> decide(const std::string& id, const approvals::Decision& d, Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    ++decideCalls_;
    if (failed()) return storageError();
    auto* a = find(id);
    if (!a) return notFound(id);
    expire(*a, now);
    if (a->state != approvals::State::pending) return StoreError{StoreError::Kind::conflict, "approval " + id + " is no longer pending"};
    if (same(a->request.requester, d.reviewer)) return StoreError{StoreError::Kind::forbidden, "nobody decides on their own request"};
    const auto& groups = a->request.approverGroups;
    const bool member = std::any_of(d.reviewer.groups.begin(), d.reviewer.groups.end(), [&](const std::string& g) {
      return std::find(groups.begin(), groups.end(), g) != groups.end();
    });
    if (!member) return StoreError{StoreError::Kind::forbidden, "you are not in an approver group of " + id};
    if (!d.approve) {
      a->decisions.push_back(d);
      a->state = approvals::State::denied;
      a->denyReason = d.reason;
      a->decidedAt = now;
      return *a;
    }
    const bool already = std::any_of(a->decisions.begin(), a->decisions.end(),
                                     [&](const approvals::Decision& prior) { return same(prior.reviewer, d.reviewer); });
    if (already) return *a;
    a->decisions.push_back(d);
    if (static_cast<int>(a->decisions.size()) >= a->request.approvalsNeeded) {
      a->state = approvals::State::approved;
      a->decidedAt = now;
      a->usableUntil = now + a->request.ttl;
    }
    return *a;
  }

  Result<Approval> consume(const std::string& digest, const approvals::Person& requester, std::optional<std::string> id,
                           Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    for (auto& a : approvals_) {
      if (a.request.digest != digest || !same(a.request.requester, requester) || (id && *id != a.id)) continue;
      if (a.state != approvals::State::approved || !a.usableUntil || now >= *a.usableUntil) continue;
      a.state = approvals::State::used;
      a.usedAt = now;
      return a;
    }
    return notFound(digest);
  }

  Result<std::optional<Approval>> findPending(const std::string& digest, const approvals::Person& requester,
                                              Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    for (auto it = approvals_.rbegin(); it != approvals_.rend(); ++it) {
      expire(*it, now);
      if (it->request.digest == digest && same(it->request.requester, requester) && it->state == approvals::State::pending) {
        return std::optional<Approval>(*it);
      }
    }
    return std::optional<Approval>();
  }

  Result<std::vector<Approval>> activeGrants(const approvals::Person& requester, const std::string& cluster,
                                             Clock::time_point now) override {
    std::lock_guard lock(mutex_);
    std::vector<Approval> out;
    for (const auto& a : approvals_) {
      if (a.request.digest.starts_with("grant:") && same(a.request.requester, requester) && a.request.cluster == cluster &&
          a.state == approvals::State::approved && a.usableUntil && *a.usableUntil > now)
        out.push_back(a);
    }
    return out;
  }

 private:
  static bool same(const approvals::Person& a, const approvals::Person& b) { return a.issuer == b.issuer && a.subject == b.subject; }
  static StoreError storageError() { return StoreError{StoreError::Kind::storage, "the approvals database is locked"}; }
  static StoreError notFound(const std::string& id) { return StoreError{StoreError::Kind::notFound, "no approval " + id}; }
  static void expire(Approval& a, Clock::time_point now) {
    if (a.state == approvals::State::pending && now >= a.request.expiresAt) {
      a.state = approvals::State::expired;
      a.denyReason = "expired";
    }
  }
  bool failed() {
    const bool fail = failNext_;
    failNext_ = false;
    return fail;
  }
  Approval* find(const std::string& id) {
    auto it = std::find_if(approvals_.begin(), approvals_.end(), [&](const Approval& a) { return a.id == id; });
    return it == approvals_.end() ? nullptr : &*it;
  }
  const Approval* find(const std::string& id) const { return const_cast<FakeApprovalStore*>(this)->find(id); }

  mutable std::mutex mutex_;
  std::vector<Approval> approvals_;
  bool failNext_ = false;
  int decideCalls_ = 0;
};

// Bearer tokens the fake authenticator knows: reviewer-a (alice, sre), reviewer-b (bob, sre and
// platform), agent (agent-1, agents) and outsider (eve, dev); anything else is refused.
inline boost::system::result<identity::Identity, k8s::GatewayError> fakeIdentity(const std::string& token) {
  identity::Identity id;
  id.authenticator = "oidc";
  id.issuer = "https://idp.example";
  if (token == "reviewer-a") {
    id.username = "alice";
    id.groups = {"sre"};
  } else if (token == "reviewer-b") {
    id.username = "bob";
    id.groups = {"sre", "platform"};
  } else if (token == "agent") {
    id.username = "agent-1";
    id.groups = {"agents"};
  } else if (token == "outsider") {
    id.username = "eve";
    id.groups = {"dev"};
  } else {
    return k8s::makeError(k8s::ErrorKind::Unauthorized, "Unauthorized: the token is not valid");
  }
  return id;
}

inline admin::AuthenticateCaller fakeAuthenticate() {
  return [](identity::Credentials creds) -> asio::awaitable<boost::system::result<identity::Identity, k8s::GatewayError>> {
    co_return fakeIdentity(creds.bearerToken);
  };
}

inline approvals::Person oidcPerson(std::string subject, std::vector<std::string> groups) {
  approvals::Person p;
  p.issuer = "https://idp.example";
  p.subject = std::move(subject);
  p.groups = std::move(groups);
  return p;
}

// agent-1 asks to delete pods/web-1 in staging on demo; sre approves, one approval needed.
inline approvals::NewApproval deletePodRequest(approvals::Clock::time_point now) {
  approvals::NewApproval r;
  r.digest = std::string(64, 'a');
  r.requester = oidcPerson("agent-1", {"agents"});
  r.purpose = "clean up the failed rollout";
  r.cluster = "demo";
  r.summaryJson = R"({"method":"DELETE","path":"/api/v1/namespaces/staging/pods/web-1","verb":"delete","resource":"pods","namespace":"staging","name":"web-1"})";
  r.ruleId = "review-deletes";
  r.ruleMessage = "deleting needs a second pair of eyes";
  r.approverGroups = {"sre"};
  r.expiresAt = now + std::chrono::hours(1);
  r.requestId = "req-1";
  return r;
}

}  // namespace kubegate::testing
