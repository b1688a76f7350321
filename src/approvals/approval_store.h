// Approvals (docs/approvals.md): a request a `review` rule holds, bound to the SHA-256 digest of
// exactly that request, and the reviewers' decisions on it. State lives in its own SQLite file
// (WAL), separate from the append-only audit record, so that it survives a restart and several
// gateway processes on one host see the same decisions. Every state change is one IMMEDIATE
// transaction: two reviewers deciding at once leave one consistent outcome.
//
// Rules enforced here, not by callers:
//   - nobody decides on their own request (same issuer and subject as the requester);
//   - a reviewer must be in one of the approval's approver groups;
//   - one person (issuer + subject) counts once, whatever groups they are in or how often they ask;
//   - a deny wins at once; `approvalsNeeded` distinct approvals approve;
//   - a pending approval past `expiresAt` is expired (an expired approval counts as denied);
//   - an approved approval is usable until `usableUntil`, exactly once (consume).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/system/result.hpp>

namespace kubegate::approvals {

using Clock = std::chrono::system_clock;

enum class State { pending, approved, denied, expired, used };
std::string_view toString(State s);

struct Person {
  std::string issuer;   // the OIDC issuer, or "x509" for a client certificate
  std::string subject;  // the verified subject (user name)
  std::vector<std::string> groups;
};

// What the reviewer is shown and what the approval is bound to.
struct NewApproval {
  std::string digest;       // hex SHA-256 of the exact request (digest.h)
  Person requester;
  std::string purpose;      // the agent's stated purpose
  std::string cluster;
  std::string summaryJson;  // method, path, verb, resource, namespace, name, masked body (JSON object)
  std::string ruleId;
  std::string ruleMessage;
  std::vector<std::string> approverGroups;
  int approvalsNeeded = 1;
  bool hold = true;                  // hold mode (else retry)
  Clock::time_point expiresAt;       // when a pending approval expires
  std::chrono::seconds ttl{900};     // how long an approval stays usable once approved
  std::string requestId;             // the audit record's request id
};

struct Decision {
  Person reviewer;
  bool approve = false;
  std::string reason;
  Clock::time_point at;
};

struct Approval {
  std::string id;  // "apr-" + 16 hex
  NewApproval request;
  State state = State::pending;
  Clock::time_point createdAt;
  std::optional<Clock::time_point> decidedAt;
  std::optional<Clock::time_point> usableUntil;
  std::optional<Clock::time_point> usedAt;
  std::vector<Decision> decisions;
  std::string denyReason;  // the deciding reviewer's reason, or "expired"
};

struct StoreError {
  enum class Kind { notFound, forbidden, conflict, storage } kind = Kind::storage;
  std::string message;  // for the caller: says why, never echoes a token
};

// What boost::system::result::value() throws on an error (found by argument-dependent lookup).
[[noreturn]] inline void throw_exception_from_error(const StoreError& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

template <typename T>
using Result = boost::system::result<T, StoreError>;

class ApprovalStore {
 public:
  // Opens (creating when missing) the SQLite file. Throws std::runtime_error when it cannot.
  static std::unique_ptr<ApprovalStore> open(const std::string& path);
  virtual ~ApprovalStore() = default;

  virtual Result<Approval> create(const NewApproval& request, Clock::time_point now) = 0;
  virtual Result<Approval> get(const std::string& id, Clock::time_point now) = 0;
  // Pending (and, with `all`, every state) newest first, at most `limit`.
  virtual Result<std::vector<Approval>> list(bool all, std::size_t limit, Clock::time_point now) = 0;
  // Records the reviewer's decision and returns the approval as it now stands. forbidden: own
  // request, or not in an approver group; conflict: no longer pending (decided, expired, used).
  // A second approval by the same person is not counted again (and is not an error).
  virtual Result<Approval> decide(const std::string& id, const Decision& decision, Clock::time_point now) = 0;
  // Marks an approved, unused, still usable approval of `requester` with this digest as used and
  // returns it; notFound when there is none. With `id` set, only that approval is considered.
  virtual Result<Approval> consume(const std::string& digest, const Person& requester,
                                   std::optional<std::string> id, Clock::time_point now) = 0;
  // The newest approval for this digest and requester that is still pending, if any (so a retried
  // request does not open a second approval).
  virtual Result<std::optional<Approval>> findPending(const std::string& digest, const Person& requester,
                                                      Clock::time_point now) = 0;
  // The approved just-in-time grants (grant.h) of `requester` on `cluster` that are still in their
  // window, soonest to end first. A plain read: asked on the data path for requests no rule allowed.
  virtual Result<std::vector<Approval>> activeGrants(const Person& requester, const std::string& cluster,
                                                     Clock::time_point now) = 0;
};

}  // namespace kubegate::approvals
