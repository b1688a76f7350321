// The approval store on SQLite (see approval_store.h for the rules). Several gateway processes may
// open the same file: WAL lets them read while one writes, busy_timeout makes a writer wait for
// another instead of failing, and every operation runs in one BEGIN IMMEDIATE transaction, which
// takes the write lock before reading. So a decision is always made on the state it read: two
// reviewers deciding at once are serialized, never both applied to the same stale row.
#include "approvals/approval_store.h"

#include <openssl/rand.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <boost/json.hpp>

namespace kubegate::approvals {

std::string_view toString(State s) {
  switch (s) {
    case State::pending: return "pending";
    case State::approved: return "approved";
    case State::denied: return "denied";
    case State::expired: return "expired";
    case State::used: return "used";
  }
  return "unknown";
}

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS approvals(
  id TEXT PRIMARY KEY, digest TEXT NOT NULL,
  requester_issuer TEXT NOT NULL, requester_subject TEXT NOT NULL, requester_groups TEXT NOT NULL,
  purpose TEXT NOT NULL, cluster TEXT NOT NULL, summary_json TEXT NOT NULL,
  rule_id TEXT NOT NULL, rule_message TEXT NOT NULL, approver_groups TEXT NOT NULL,
  approvals_needed INTEGER NOT NULL, hold INTEGER NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, ttl_seconds INTEGER NOT NULL,
  state TEXT NOT NULL, decided_at INTEGER, usable_until INTEGER, used_at INTEGER,
  deny_reason TEXT NOT NULL, request_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS approvals_by_request ON approvals(digest, requester_issuer, requester_subject);
CREATE INDEX IF NOT EXISTS approvals_by_state ON approvals(state, created_at);
CREATE INDEX IF NOT EXISTS approvals_by_requester ON approvals(requester_subject, cluster, state);
CREATE TABLE IF NOT EXISTS decisions(
  approval_id TEXT NOT NULL REFERENCES approvals(id),
  reviewer_issuer TEXT NOT NULL, reviewer_subject TEXT NOT NULL, reviewer_groups TEXT NOT NULL,
  approve INTEGER NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY(approval_id, reviewer_issuer, reviewer_subject));
)sql";

// A macro so that statements stay whole literals; readApproval() reads the columns in this order.
#define KUBEGATE_APPROVAL_COLUMNS                                                                         \
  "id, digest, requester_issuer, requester_subject, requester_groups, purpose, cluster, summary_json, " \
  "rule_id, rule_message, approver_groups, approvals_needed, hold, created_at, expires_at, ttl_seconds, " \
  "state, decided_at, usable_until, used_at, deny_reason, request_id"

// Newest first; rowid breaks ties between approvals created in the same microsecond.
#define KUBEGATE_NEWEST_FIRST " ORDER BY created_at DESC, rowid DESC "

// Expiry is applied lazily, at the start of every operation, so no timer has to run for it. The
// time is the one the approval expired at, not the (later) moment somebody looked.
constexpr const char* kExpireDue = R"sql(
UPDATE approvals SET state = 'expired', decided_at = expires_at,
  deny_reason = 'expired: no decision before ' || strftime('%Y-%m-%dT%H:%M:%SZ', expires_at / 1000000, 'unixepoch')
WHERE state = 'pending' AND expires_at <= ?)sql";

std::int64_t toMicros(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

Clock::time_point fromMicros(std::int64_t micros) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(micros)));
}

std::optional<State> stateFromString(std::string_view s) {
  for (State state : {State::pending, State::approved, State::denied, State::expired, State::used})
    if (toString(state) == s) return state;
  return std::nullopt;
}

std::string groupsToJson(const std::vector<std::string>& groups) {
  boost::json::array array;
  for (const auto& group : groups) array.emplace_back(group);
  return boost::json::serialize(array);
}

// A damaged column reads as no groups: that can only take a right away (a reviewer in no listed
// group may not decide), never grant one.
std::vector<std::string> groupsFromJson(std::string_view json) {
  std::vector<std::string> groups;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_array()) return groups;
  for (const auto& item : parsed.as_array())
    if (item.is_string()) groups.emplace_back(item.as_string());
  return groups;
}

std::optional<std::string> newApprovalId() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "apr-";
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0x0f]);
  }
  return id;
}

bool samePerson(const Person& a, const Person& b) { return a.issuer == b.issuer && a.subject == b.subject; }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

StoreError notFound(std::string message) { return StoreError{StoreError::Kind::notFound, std::move(message)}; }
StoreError forbidden(std::string message) { return StoreError{StoreError::Kind::forbidden, std::move(message)}; }
StoreError conflict(std::string message) { return StoreError{StoreError::Kind::conflict, std::move(message)}; }

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// One use of a cached prepared statement; resets it when the use ends, however it ends. Text is
// bound as SQLITE_TRANSIENT (copied) so that temporaries passed to bind() cannot dangle.
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Query& bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bindOptional(int i, const std::optional<std::string>& v) {
    if (v) return bind(i, std::string_view(*v));
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }

  std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool isNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::optional<Clock::time_point> optionalTime(int i) const {
    return isNull(i) ? std::nullopt : std::optional<Clock::time_point>(fromMicros(integer(i)));
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }

 private:
  sqlite3_stmt* stmt_;
};

// Reads a row selected with KUBEGATE_APPROVAL_COLUMNS (decisions are loaded separately).
Approval readApproval(const Query& q) {
  Approval a;
  a.id = q.text(0);
  NewApproval& r = a.request;
  r.digest = q.text(1);
  r.requester.issuer = q.text(2);
  r.requester.subject = q.text(3);
  r.requester.groups = groupsFromJson(q.text(4));
  r.purpose = q.text(5);
  r.cluster = q.text(6);
  r.summaryJson = q.text(7);
  r.ruleId = q.text(8);
  r.ruleMessage = q.text(9);
  r.approverGroups = groupsFromJson(q.text(10));
  r.approvalsNeeded = static_cast<int>(q.integer(11));
  r.hold = q.integer(12) != 0;
  a.createdAt = fromMicros(q.integer(13));
  r.expiresAt = fromMicros(q.integer(14));
  r.ttl = std::chrono::seconds(q.integer(15));
  // An unknown state (a damaged row) reads as denied: it must not be decided or consumed.
  a.state = stateFromString(q.text(16)).value_or(State::denied);
  a.decidedAt = q.optionalTime(17);
  a.usableUntil = q.optionalTime(18);
  a.usedAt = q.optionalTime(19);
  a.denyReason = q.text(20);
  r.requestId = q.text(21);
  return a;
}

class SqliteApprovalStore final : public ApprovalStore {
 public:
  explicit SqliteApprovalStore(sqlite3* db) : db_(db) {}

  Result<void> initialize();

  Result<Approval> create(const NewApproval& request, Clock::time_point now) override;
  Result<Approval> get(const std::string& id, Clock::time_point now) override;
  Result<std::vector<Approval>> list(bool all, std::size_t limit, Clock::time_point now) override;
  Result<Approval> decide(const std::string& id, const Decision& decision, Clock::time_point now) override;
  Result<Approval> consume(const std::string& digest, const Person& requester, std::optional<std::string> id,
                           Clock::time_point now) override;
  Result<std::optional<Approval>> findPending(const std::string& digest, const Person& requester,
                                              Clock::time_point now) override;
  Result<std::vector<Approval>> activeGrants(const Person& requester, const std::string& cluster,
                                             Clock::time_point now) override;

 private:
  StoreError storageError(std::string_view what) const {
    return StoreError{StoreError::Kind::storage, std::string(what) + ": " + sqlite3_errmsg(db_.get())};
  }
  Result<void> exec(const char* sql);
  Result<sqlite3_stmt*> statement(const char* sql);
  Result<void> run(Query& q, const char* what);
  template <class F>
  auto inImmediateTransaction(F&& body) -> decltype(body());

  Result<void> expireDue(Clock::time_point now);
  Result<std::optional<Approval>> load(const std::string& id);
  Result<std::vector<Approval>> loadMany(const char* sql, const std::function<void(Query&)>& bindParameters);
  Result<void> loadDecisions(Approval& approval);
  Result<void> recordDecision(const std::string& id, const Decision& decision, Clock::time_point now);
  Result<void> settle(const Approval& approval, const Decision& decision, Clock::time_point now);
  Result<void> updateOnePending(Query& q, const char* what);

  std::unique_ptr<sqlite3, DbCloser> db_;
  // One connection is not to be used by two threads at once; callers share one store across threads.
  std::mutex mutex_;
  std::unordered_map<const char*, std::unique_ptr<sqlite3_stmt, StatementFinalizer>> statements_;
};

Result<void> SqliteApprovalStore::exec(const char* sql) {
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) return storageError("approval store");
  return {};
}

// Keyed by the literal's address: every statement here is a string literal.
Result<sqlite3_stmt*> SqliteApprovalStore::statement(const char* sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    return storageError("preparing an approval store statement");
  statements_.emplace(sql, stmt);
  return stmt;
}

Result<void> SqliteApprovalStore::run(Query& q, const char* what) {
  if (q.step() != SQLITE_DONE) return storageError(what);
  return {};
}

// Commits unless the body failed with a storage error: a refused decision (forbidden, conflict)
// still keeps the expiries applied at its start, which are true whatever the decision was.
template <class F>
auto SqliteApprovalStore::inImmediateTransaction(F&& body) -> decltype(body()) {
  if (auto begun = exec("BEGIN IMMEDIATE"); !begun) return begun.error();
  auto result = body();
  bool commit = result || result.error().kind != StoreError::Kind::storage;
  if (commit) {
    if (auto committed = exec("COMMIT"); !committed) result = committed.error();
  }
  if (!sqlite3_get_autocommit(db_.get())) (void)exec("ROLLBACK");
  return result;
}

Result<void> SqliteApprovalStore::initialize() {
  // busy_timeout first: switching to WAL and creating tables wait for another process's lock.
  if (auto r = exec("PRAGMA busy_timeout=5000"); !r) return r;
  if (auto r = exec("PRAGMA journal_mode=WAL"); !r) return r;
  if (auto r = exec("PRAGMA synchronous=FULL"); !r) return r;
  return inImmediateTransaction([&]() -> Result<void> {
    if (auto r = exec(kSchema); !r) return r;
    auto select = statement("SELECT version FROM schema_version");
    if (!select) return select.error();
    Query q(*select);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
      if (q.integer(0) != kSchemaVersion)
        return StoreError{StoreError::Kind::storage,
                          "unsupported approval store schema version " + std::to_string(q.integer(0))};
      return {};
    }
    if (rc != SQLITE_DONE) return storageError("reading the schema version");
    auto insert = statement("INSERT INTO schema_version(version) VALUES(?)");
    if (!insert) return insert.error();
    Query ins(*insert);
    ins.bind(1, std::int64_t{kSchemaVersion});
    return run(ins, "writing the schema version");
  });
}

Result<void> SqliteApprovalStore::expireDue(Clock::time_point now) {
  auto stmt = statement(kExpireDue);
  if (!stmt) return stmt.error();
  Query q(*stmt);
  q.bind(1, toMicros(now));
  return run(q, "expiring approvals");
}

Result<void> SqliteApprovalStore::loadDecisions(Approval& approval) {
  auto stmt = statement(
      "SELECT reviewer_issuer, reviewer_subject, reviewer_groups, approve, reason, at FROM decisions "
      "WHERE approval_id = ? ORDER BY at, rowid");
  if (!stmt) return stmt.error();
  Query q(*stmt);
  q.bind(1, std::string_view(approval.id));
  approval.decisions.clear();
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    Decision d;
    d.reviewer.issuer = q.text(0);
    d.reviewer.subject = q.text(1);
    d.reviewer.groups = groupsFromJson(q.text(2));
    d.approve = q.integer(3) != 0;
    d.reason = q.text(4);
    d.at = fromMicros(q.integer(5));
    approval.decisions.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) return storageError("reading decisions");
  return {};
}

Result<std::vector<Approval>> SqliteApprovalStore::loadMany(const char* sql,
                                                            const std::function<void(Query&)>& bindParameters) {
  auto stmt = statement(sql);
  if (!stmt) return stmt.error();
  std::vector<Approval> approvals;
  {
    Query q(*stmt);
    bindParameters(q);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) approvals.push_back(readApproval(q));
    if (rc != SQLITE_DONE) return storageError("reading approvals");
  }
  for (auto& approval : approvals) {
    if (auto r = loadDecisions(approval); !r) return r.error();
  }
  return approvals;
}

Result<std::optional<Approval>> SqliteApprovalStore::load(const std::string& id) {
  auto found = loadMany("SELECT " KUBEGATE_APPROVAL_COLUMNS " FROM approvals WHERE id = ?",
                        [&](Query& q) { q.bind(1, std::string_view(id)); });
  if (!found) return found.error();
  if (found->empty()) return std::optional<Approval>();
  return std::optional<Approval>(std::move(found->front()));
}

Result<Approval> SqliteApprovalStore::create(const NewApproval& request, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto id = newApprovalId();
  if (!id) return StoreError{StoreError::Kind::storage, "no random bytes for an approval id"};
  return inImmediateTransaction([&]() -> Result<Approval> {
    auto stmt = statement("INSERT INTO approvals(" KUBEGATE_APPROVAL_COLUMNS
                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'pending',NULL,NULL,NULL,'',?)");
    if (!stmt) return stmt.error();
    Query q(*stmt);
    q.bind(1, std::string_view(*id)).bind(2, std::string_view(request.digest));
    q.bind(3, std::string_view(request.requester.issuer)).bind(4, std::string_view(request.requester.subject));
    q.bind(5, groupsToJson(request.requester.groups));
    q.bind(6, std::string_view(request.purpose)).bind(7, std::string_view(request.cluster));
    q.bind(8, std::string_view(request.summaryJson)).bind(9, std::string_view(request.ruleId));
    q.bind(10, std::string_view(request.ruleMessage)).bind(11, groupsToJson(request.approverGroups));
    q.bind(12, std::int64_t{request.approvalsNeeded}).bind(13, std::int64_t{request.hold ? 1 : 0});
    q.bind(14, toMicros(now)).bind(15, toMicros(request.expiresAt));
    q.bind(16, static_cast<std::int64_t>(request.ttl.count())).bind(17, std::string_view(request.requestId));
    if (auto r = run(q, "creating an approval"); !r) return r.error();
    auto created = load(*id);
    if (!created) return created.error();
    if (!*created) return storageError("reading the new approval");
    return std::move(**created);
  });
}

Result<Approval> SqliteApprovalStore::get(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return inImmediateTransaction([&]() -> Result<Approval> {
    if (auto r = expireDue(now); !r) return r.error();
    auto found = load(id);
    if (!found) return found.error();
    if (!*found) return notFound("no approval " + id);
    return std::move(**found);
  });
}

Result<std::vector<Approval>> SqliteApprovalStore::list(bool all, std::size_t limit, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto boundedLimit = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  return inImmediateTransaction([&]() -> Result<std::vector<Approval>> {
    if (auto r = expireDue(now); !r) return r.error();
    if (all)
      return loadMany("SELECT " KUBEGATE_APPROVAL_COLUMNS " FROM approvals" KUBEGATE_NEWEST_FIRST "LIMIT ?",
                      [&](Query& q) { q.bind(1, boundedLimit); });
    return loadMany("SELECT " KUBEGATE_APPROVAL_COLUMNS " FROM approvals WHERE state = 'pending'"
                    KUBEGATE_NEWEST_FIRST "LIMIT ?",
                    [&](Query& q) { q.bind(1, boundedLimit); });
  });
}

// One row per person (issuer + subject): a repeated approval is ignored, so it cannot count twice.
// A deny replaces the same person's earlier approval instead: someone who approved and then finds
// a reason to refuse, before enough others approved, must be able to stop the request, and the
// recorded decision should be the one that decided it. (Their approval no longer counts, and the
// deny wins at once anyway.) The time recorded is the store's `now`, not the caller's field.
Result<void> SqliteApprovalStore::recordDecision(const std::string& id, const Decision& decision,
                                                 Clock::time_point now) {
  auto stmt = statement(decision.approve
                            ? "INSERT OR IGNORE INTO decisions(approval_id, reviewer_issuer, reviewer_subject, "
                              "reviewer_groups, approve, reason, at) VALUES(?,?,?,?,1,?,?)"
                            : "INSERT INTO decisions(approval_id, reviewer_issuer, reviewer_subject, "
                              "reviewer_groups, approve, reason, at) VALUES(?,?,?,?,0,?,?) "
                              "ON CONFLICT(approval_id, reviewer_issuer, reviewer_subject) DO UPDATE SET "
                              "reviewer_groups = excluded.reviewer_groups, approve = 0, "
                              "reason = excluded.reason, at = excluded.at");
  if (!stmt) return stmt.error();
  Query q(*stmt);
  q.bind(1, std::string_view(id)).bind(2, std::string_view(decision.reviewer.issuer));
  q.bind(3, std::string_view(decision.reviewer.subject)).bind(4, groupsToJson(decision.reviewer.groups));
  q.bind(5, std::string_view(decision.reason)).bind(6, toMicros(now));
  return run(q, "recording a decision");
}

// The state changes below only ever apply to a row still pending: the transaction already holds the
// write lock, so this is belt and braces against a caller that did not check.
Result<void> SqliteApprovalStore::updateOnePending(Query& q, const char* what) {
  if (auto r = run(q, what); !r) return r;
  if (sqlite3_changes(db_.get()) != 1) return conflict("the approval is no longer pending");
  return {};
}

// Turns the recorded decisions into the approval's state: a deny denies; enough approvals approve.
Result<void> SqliteApprovalStore::settle(const Approval& approval, const Decision& decision, Clock::time_point now) {
  if (!decision.approve) {
    auto stmt = statement(
        "UPDATE approvals SET state = 'denied', decided_at = ?, deny_reason = ? WHERE id = ? AND state = 'pending'");
    if (!stmt) return stmt.error();
    Query q(*stmt);
    std::string reason = decision.reason.empty() ? "denied by " + decision.reviewer.subject : decision.reason;
    q.bind(1, toMicros(now)).bind(2, std::string_view(reason)).bind(3, std::string_view(approval.id));
    return updateOnePending(q, "denying an approval");
  }
  auto count = statement("SELECT count(*) FROM decisions WHERE approval_id = ? AND approve = 1");
  if (!count) return count.error();
  std::int64_t approvals = 0;
  {
    Query q(*count);
    q.bind(1, std::string_view(approval.id));
    if (q.step() != SQLITE_ROW) return storageError("counting approvals");
    approvals = q.integer(0);
  }
  // A rule asking for fewer than one approval still needs one: nothing approves itself.
  if (approvals < std::max(1, approval.request.approvalsNeeded)) return {};
  auto stmt = statement(
      "UPDATE approvals SET state = 'approved', decided_at = ?, usable_until = ? WHERE id = ? AND state = 'pending'");
  if (!stmt) return stmt.error();
  Query q(*stmt);
  std::int64_t usableUntil = toMicros(now) + static_cast<std::int64_t>(approval.request.ttl.count()) * 1'000'000;
  q.bind(1, toMicros(now)).bind(2, usableUntil).bind(3, std::string_view(approval.id));
  return updateOnePending(q, "approving an approval");
}

Result<Approval> SqliteApprovalStore::decide(const std::string& id, const Decision& decision, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return inImmediateTransaction([&]() -> Result<Approval> {
    if (auto r = expireDue(now); !r) return r.error();
    auto found = load(id);
    if (!found) return found.error();
    if (!*found) return notFound("no approval " + id);
    const Approval& approval = **found;
    if (approval.state != State::pending)
      return conflict("approval " + id + " is already " + std::string(toString(approval.state)));
    if (samePerson(decision.reviewer, approval.request.requester))
      return forbidden("you cannot decide on your own request");
    const auto& allowed = approval.request.approverGroups;
    if (allowed.empty()) return forbidden("no approver groups are named for this approval; nobody may decide on it");
    bool member = std::any_of(decision.reviewer.groups.begin(), decision.reviewer.groups.end(), [&](const auto& g) {
      return std::find(allowed.begin(), allowed.end(), g) != allowed.end();
    });
    if (!member) return forbidden("only members of " + joined(allowed) + " may decide on this approval");
    if (auto r = recordDecision(id, decision, now); !r) return r.error();
    if (auto r = settle(approval, decision, now); !r) return r.error();
    auto decided = load(id);
    if (!decided) return decided.error();
    if (!*decided) return storageError("reading the decided approval");
    return std::move(**decided);
  });
}

Result<Approval> SqliteApprovalStore::consume(const std::string& digest, const Person& requester,
                                              std::optional<std::string> id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return inImmediateTransaction([&]() -> Result<Approval> {
    if (auto r = expireDue(now); !r) return r.error();
    auto usable = loadMany("SELECT " KUBEGATE_APPROVAL_COLUMNS " FROM approvals "
                           "WHERE digest = ? AND requester_issuer = ? AND requester_subject = ? "
                           "AND state = 'approved' AND used_at IS NULL AND usable_until > ? AND (?5 IS NULL OR id = ?5) "
                           "AND substr(digest, 1, 6) != 'grant:'"
                           KUBEGATE_NEWEST_FIRST "LIMIT 1",
                           [&](Query& q) {
                             q.bind(1, std::string_view(digest)).bind(2, std::string_view(requester.issuer));
                             q.bind(3, std::string_view(requester.subject)).bind(4, toMicros(now)).bindOptional(5, id);
                           });
    if (!usable) return usable.error();
    if (usable->empty()) return notFound("no usable approval for this request");
    Approval approval = std::move(usable->front());
    auto stmt = statement(
        "UPDATE approvals SET state = 'used', used_at = ? WHERE id = ? AND state = 'approved' AND used_at IS NULL");
    if (!stmt) return stmt.error();
    Query q(*stmt);
    q.bind(1, toMicros(now)).bind(2, std::string_view(approval.id));
    if (auto r = run(q, "using an approval"); !r) return r.error();
    if (sqlite3_changes(db_.get()) != 1) return notFound("no usable approval for this request");
    approval.state = State::used;
    approval.usedAt = fromMicros(toMicros(now));
    return approval;
  });
}

Result<std::optional<Approval>> SqliteApprovalStore::findPending(const std::string& digest, const Person& requester,
                                                                 Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return inImmediateTransaction([&]() -> Result<std::optional<Approval>> {
    if (auto r = expireDue(now); !r) return r.error();
    auto pending = loadMany("SELECT " KUBEGATE_APPROVAL_COLUMNS " FROM approvals "
                            "WHERE digest = ? AND requester_issuer = ? AND requester_subject = ? AND state = 'pending'"
                            KUBEGATE_NEWEST_FIRST "LIMIT 1",
                            [&](Query& q) {
                              q.bind(1, std::string_view(digest)).bind(2, std::string_view(requester.issuer));
                              q.bind(3, std::string_view(requester.subject));
                            });
    if (!pending) return pending.error();
    if (pending->empty()) return std::optional<Approval>();
    return std::optional<Approval>(std::move(pending->front()));
  });
}

Result<std::vector<Approval>> SqliteApprovalStore::activeGrants(const Person& requester, const std::string& cluster,
                                                               Clock::time_point now) {
  // No write transaction (and no lazy expiry): an approved grant's window is its usable_until, read
  // against `now` here, so a read is enough and does not queue behind reviewers' decisions.
  std::lock_guard lock(mutex_);
  return loadMany("SELECT " KUBEGATE_APPROVAL_COLUMNS " FROM approvals "
                  "WHERE requester_subject = ? AND cluster = ? AND state = 'approved' AND requester_issuer = ? "
                  "AND usable_until > ? AND substr(digest, 1, 6) = 'grant:' ORDER BY usable_until, rowid",
                  [&](Query& q) {
                    q.bind(1, std::string_view(requester.subject)).bind(2, std::string_view(cluster));
                    q.bind(3, std::string_view(requester.issuer)).bind(4, toMicros(now));
                  });
}

}  // namespace

std::unique_ptr<ApprovalStore> ApprovalStore::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  auto store = std::make_unique<SqliteApprovalStore>(raw);
  if (rc != SQLITE_OK)
    throw std::runtime_error("cannot open the approval store " + path + ": " +
                             (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  if (auto r = store->initialize(); !r)
    throw std::runtime_error("cannot open the approval store " + path + ": " + r.error().message);
  return store;
}

}  // namespace kubegate::approvals
