// The SQLite backend: one file in WAL mode, so auditors' tools read while the gateway writes. Every
// value is bound as a parameter; statements are prepared once and reused.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "audit/compression.h"
#include "audit/merkle.h"
#include "audit/store.h"

namespace kubegate::audit {
namespace {

// Version 2 indexes only the rows that auditors' queries look for (requests and session chunks):
// a response row then costs two B-tree inserts (the table and its request id) instead of eight.
// Version 1 (every index over every row) is migrated when the gateway opens it; a read-only open
// takes either.
constexpr int kSchemaVersion = 3;
constexpr int kOldestSchemaVersion = 1;

constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, time_us INTEGER NOT NULL,
  request_id TEXT NOT NULL, session_id TEXT NOT NULL, username TEXT NOT NULL, subject TEXT NOT NULL,
  cluster TEXT NOT NULL, namespace TEXT NOT NULL, resource TEXT NOT NULL, verb TEXT NOT NULL,
  decision TEXT NOT NULL, approval_id TEXT NOT NULL, status INTEGER NOT NULL,
  document TEXT NOT NULL, attachment BLOB, attachment_size INTEGER NOT NULL, leaf_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tree_heads(
  size INTEGER PRIMARY KEY, root BLOB NOT NULL, time_us INTEGER NOT NULL, signature BLOB, key_id TEXT);
CREATE TABLE IF NOT EXISTS sessions(
  session_id TEXT PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prune_checkpoint(
  id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL, time_us INTEGER NOT NULL,
  signature BLOB, key_id TEXT, frontier BLOB NOT NULL);
)sql";

// The rows the query indexes hold. SQLite uses a partial index only when the query's WHERE clause
// contains this term word for word, so query() repeats it (see there).
#define KUBEGATE_INDEXED_ROWS "kind <> 'response'"

// entries_request covers every kind: it finds a request's response and session chunks.
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS entries_request ON entries(request_id);
CREATE INDEX IF NOT EXISTS entries_time ON entries(time_us) WHERE )sql" KUBEGATE_INDEXED_ROWS R"sql(;
CREATE INDEX IF NOT EXISTS entries_username ON entries(username) WHERE )sql" KUBEGATE_INDEXED_ROWS R"sql(;
CREATE INDEX IF NOT EXISTS entries_subject ON entries(subject) WHERE )sql" KUBEGATE_INDEXED_ROWS R"sql(;
CREATE INDEX IF NOT EXISTS entries_cluster_namespace ON entries(cluster, namespace) WHERE )sql" KUBEGATE_INDEXED_ROWS R"sql(;
CREATE INDEX IF NOT EXISTS entries_approval ON entries(approval_id) WHERE )sql" KUBEGATE_INDEXED_ROWS R"sql(;
)sql";

// A gateway session's entries lie between its first and last seq, which the sessions table keeps
// (schema version 3). An index on entries(session_id) put each new entry on its own session's leaf
// page, so a commit rewrote one page per session it touched; the sessions table's rows for the
// sessions open now share a page or two. Versions 1 and 2 had that index; their ranges are built
// from the entries once.
constexpr const char* kSessionRangesFromEntries = R"sql(
DROP INDEX IF EXISTS entries_session;
INSERT OR REPLACE INTO sessions(session_id, first_seq, last_seq)
  SELECT session_id, MIN(seq), MAX(seq) FROM entries WHERE session_id <> '' GROUP BY session_id;
)sql";

// Version 1's full indexes, rebuilt as partial ones by kIndexes.
constexpr const char* kDropVersion1Indexes = R"sql(
DROP INDEX IF EXISTS entries_time;
DROP INDEX IF EXISTS entries_username;
DROP INDEX IF EXISTS entries_subject;
DROP INDEX IF EXISTS entries_session;
DROP INDEX IF EXISTS entries_cluster_namespace;
DROP INDEX IF EXISTS entries_approval;
)sql";

bool readableSchemaVersion(std::string_view version) {
  for (int v = kOldestSchemaVersion; v <= kSchemaVersion; ++v) {
    if (version == std::to_string(v)) return true;
  }
  return false;
}

// A macro so statements are whole literals (concatenated by the compiler, not at run time).
#define KUBEGATE_ENTRY_COLUMNS                                                                            \
  "seq, kind, time_us, request_id, session_id, username, subject, cluster, namespace, resource, verb, " \
  "decision, approval_id, status, document, attachment, attachment_size, leaf_hash"

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// Resets a cached statement when the operation using it ends, however it ends.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bindNull(int i) { sqlite3_bind_null(stmt_, i); }

 private:
  sqlite3_stmt* stmt_;
};

std::string_view asChars(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

std::string columnText(sqlite3_stmt* stmt, int i) {
  const unsigned char* text = sqlite3_column_text(stmt, i);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)))
              : std::string();
}

std::string columnBlob(sqlite3_stmt* stmt, int i) {
  const void* blob = sqlite3_column_blob(stmt, i);
  return blob ? std::string(static_cast<const char*>(blob), static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)))
              : std::string();
}

// A digest column of the wrong length reads as zeros: the verifier then reports the entry as changed
// instead of failing to read the log.
Digest columnDigest(sqlite3_stmt* stmt, int i) { return digestFromBytes(columnBlob(stmt, i)).value_or(Digest{}); }

// Reading is tolerant of damaged rows for the same reason: a damaged value makes the recomputed leaf
// hash differ, which names the entry, where a read error would hide everything after it.
StoredEntry readEntryRow(sqlite3_stmt* stmt) {
  StoredEntry out;
  out.seq = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0));
  Entry& e = out.entry;
  e.kind = entryKindFromString(columnText(stmt, 1)).value_or(static_cast<EntryKind>(0));
  e.timeMicros = sqlite3_column_int64(stmt, 2);
  EntryIndex& ix = e.index;
  std::string* fields[] = {&ix.requestId, &ix.sessionId, &ix.username, &ix.subject, &ix.cluster,
                           &ix.namespace_, &ix.resource, &ix.verb, &ix.decision, &ix.approvalId};
  for (int i = 0; i < 10; ++i) *fields[i] = columnText(stmt, 3 + i);
  ix.status = sqlite3_column_int(stmt, 13);
  e.document = columnText(stmt, 14);
  if (sqlite3_column_type(stmt, 15) != SQLITE_NULL) {
    out.storedAttachment = columnBlob(stmt, 15);
    out.attachmentSize = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 16));
    auto raw = inflateBytes(out.storedAttachment, out.attachmentSize);
    e.attachment = raw ? std::move(*raw) : "\x00corrupt attachment:" + out.storedAttachment;
  }
  out.leafHash = columnDigest(stmt, 17);
  return out;
}

TreeHead readHeadRow(sqlite3_stmt* stmt, int first) {
  TreeHead head;
  head.size = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, first));
  head.root = columnDigest(stmt, first + 1);
  head.timeMicros = sqlite3_column_int64(stmt, first + 2);
  head.signature = columnBlob(stmt, first + 3);
  head.keyId = columnText(stmt, first + 4);
  return head;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}

  StoreResult<void> initialize(const SqliteOptions& options);

  StoreResult<void> appendBatch(std::span<const StoredEntry> entries, const TreeHead* head) override;
  StoreResult<std::uint64_t> nextSeq() override;
  StoreResult<std::vector<StoredEntry>> readEntries(std::uint64_t fromSeq, std::size_t limit) override;
  StoreResult<std::vector<std::pair<std::uint64_t, Digest>>> readLeafHashes(std::uint64_t fromSeq,
                                                                            std::size_t limit) override;
  StoreResult<std::vector<TreeHead>> treeHeads() override;
  StoreResult<std::optional<PruneCheckpoint>> pruneCheckpoint() override;
  StoreResult<std::vector<StoredEntry>> query(const QueryFilter& filter) override;
  StoreResult<std::vector<StoredEntry>> entriesOfRequest(const std::string& requestId) override;
  StoreResult<void> prune(const PruneCheckpoint& checkpoint) override;
  StoreResult<std::uint64_t> storedBytes() override;
  StoreResult<std::optional<std::uint64_t>> firstSeqAtOrAfter(std::int64_t timeMicros) override;

 private:
  StoreError failure(std::string_view what) const {
    return StoreError{std::string(what) + ": " + sqlite3_errmsg(db_.get())};
  }
  StoreResult<void> exec(const char* sql);
  StoreResult<std::optional<std::string>> schemaVersion();
  StoreResult<void> createOrMigrateSchema();
  StoreResult<sqlite3_stmt*> statement(const std::string& sql);
  StoreResult<void> run(const std::string& sql);
  StoreResult<std::vector<StoredEntry>> collectEntries(StatementUse& use);
  StoreResult<std::optional<std::int64_t>> singleInteger(const std::string& sql, std::optional<std::int64_t> param);
  StoreResult<void> insertEntry(const StoredEntry& stored);
  StoreResult<void> insertHead(const TreeHead& head);
  StoreResult<void> widenSessionRange(std::string_view session, std::uint64_t first, std::uint64_t last);
  StoreResult<void> writeBatch(std::span<const StoredEntry> entries, const TreeHead* head);
  StoreResult<void> writePrune(const PruneCheckpoint& checkpoint);
  template <class F>
  StoreResult<void> inTransaction(F&& body);
  StoreResult<std::optional<std::uint64_t>> checkpointSize();

  std::unique_ptr<sqlite3, DbCloser> db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtFinalizer>> statements_;
  sqlite3_stmt* insertEntryStatement_ = nullptr;  // one of statements_
  bool sessionRanges_ = false;  // schema version 3: the sessions table holds each session's seq range
  // The writer thread and a caller's thread may share a store; SQLite statements must not be.
  std::mutex mutex_;
};

StoreResult<void> SqliteStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return StoreError{"sqlite: " + text};
  }
  return {};
}

StoreResult<sqlite3_stmt*> SqliteStore::statement(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    return failure("preparing a statement");
  statements_.emplace(sql, stmt);
  return stmt;
}

StoreResult<void> SqliteStore::run(const std::string& sql) {
  auto stmt = statement(sql);
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  if (sqlite3_step(use.get()) != SQLITE_DONE) return failure(sql);
  return {};
}

template <class F>
StoreResult<void> SqliteStore::inTransaction(F&& body) {
  if (auto begun = run("BEGIN IMMEDIATE"); !begun) return begun;
  auto result = body();
  if (result) result = run("COMMIT");
  if (!result) {
    // Keep the first error: it says why; a failing ROLLBACK (no transaction left) says nothing new.
    if (!sqlite3_get_autocommit(db_.get())) (void)run("ROLLBACK");
  }
  return result;
}

StoreResult<std::optional<std::string>> SqliteStore::schemaVersion() {
  auto stmt = statement("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!stmt) return StoreError{"not a kubegate audit database (" + stmt.error().message + ")"};
  StatementUse use(*stmt);
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return failure("reading the schema version");
  return std::optional<std::string>(columnText(use.get(), 0));
}

StoreResult<void> SqliteStore::createOrMigrateSchema() {
  if (auto r = exec(kTables); !r) return r;
  auto version = schemaVersion();
  if (!version) return version.error();
  const std::string current = std::to_string(kSchemaVersion);
  if (*version == current) return exec(kIndexes);
  if (*version && !readableSchemaVersion(**version))
    return StoreError{"unsupported audit database schema version " + **version};
  // New, or an older version. Entries and their leaf hashes are untouched: only indexes change.
  if (*version == std::to_string(kOldestSchemaVersion)) {
    if (auto r = exec(kDropVersion1Indexes); !r) return r;
  }
  if (auto r = exec(kSessionRangesFromEntries); !r) return r;
  if (auto r = exec(kIndexes); !r) return r;
  return run("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '" + current + "')");
}

StoreResult<void> SqliteStore::initialize(const SqliteOptions& options) {
  if (auto r = exec("PRAGMA busy_timeout=5000"); !r) return r;
  if (!options.readOnly) {
    if (auto r = exec("PRAGMA journal_mode=WAL"); !r) return r;
    // The writer appends at the right edge of its B-trees and reads little back: a small page cache
    // serves it, where SQLite's default (2 MiB) would grow the gateway's memory with the log.
    if (auto r = exec("PRAGMA cache_size=-256"); !r) return r;
    if (auto r = exec(options.syncFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !r) return r;
    if (auto r = inTransaction([&] { return createOrMigrateSchema(); }); !r) return r;
  }
  auto version = schemaVersion();
  if (!version) return version.error();
  if (!*version) return StoreError{"not a kubegate audit database (no schema version)"};
  // A reader takes every version: they differ only in their indexes. Before version 3 a session's
  // entries are found by their session_id column alone.
  if (!readableSchemaVersion(**version)) return StoreError{"unsupported audit database schema version " + **version};
  sessionRanges_ = **version == std::to_string(kSchemaVersion);
  return {};
}

StoreResult<void> SqliteStore::insertEntry(const StoredEntry& stored) {
  // Looked up once: the statement map's key is a std::string, built and hashed on every lookup.
  if (!insertEntryStatement_) {
    auto stmt = statement("INSERT INTO entries(" KUBEGATE_ENTRY_COLUMNS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!stmt) return stmt.error();
    insertEntryStatement_ = *stmt;
  }
  StatementUse use(insertEntryStatement_);
  const Entry& e = stored.entry;
  const EntryIndex& ix = e.index;
  use.bind(1, static_cast<std::int64_t>(stored.seq));
  use.bind(2, toString(e.kind));
  use.bind(3, e.timeMicros);
  const std::string* fields[] = {&ix.requestId, &ix.sessionId, &ix.username, &ix.subject, &ix.cluster,
                                 &ix.namespace_, &ix.resource, &ix.verb, &ix.decision, &ix.approvalId};
  for (int i = 0; i < 10; ++i) use.bind(4 + i, *fields[i]);
  use.bind(14, static_cast<std::int64_t>(ix.status));
  use.bind(15, e.document);
  if (!stored.storedAttachment.empty()) use.bindBlob(16, stored.storedAttachment);
  else use.bindNull(16);
  use.bind(17, static_cast<std::int64_t>(stored.attachmentSize));
  use.bindBlob(18, asChars(stored.leafHash));
  if (sqlite3_step(use.get()) != SQLITE_DONE) return failure("appending entry " + std::to_string(stored.seq));
  return {};
}

StoreResult<void> SqliteStore::insertHead(const TreeHead& head) {
  auto stmt = statement("INSERT OR REPLACE INTO tree_heads(size, root, time_us, signature, key_id) VALUES(?,?,?,?,?)");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  use.bind(1, static_cast<std::int64_t>(head.size));
  use.bindBlob(2, asChars(head.root));
  use.bind(3, head.timeMicros);
  use.bindBlob(4, head.signature);
  use.bind(5, head.keyId);
  if (sqlite3_step(use.get()) != SQLITE_DONE) return failure("storing a tree head");
  return {};
}

StoreResult<void> SqliteStore::writeBatch(std::span<const StoredEntry> entries, const TreeHead* head) {
  // Each session's range is widened once per batch, to the batch's last entry of it.
  std::unordered_map<std::string_view, std::pair<std::uint64_t, std::uint64_t>> sessions;
  for (const StoredEntry& stored : entries) {
    if (auto r = insertEntry(stored); !r) return r;
    const std::string& session = stored.entry.index.sessionId;
    if (session.empty()) continue;
    sessions.try_emplace(session, stored.seq, stored.seq).first->second.second = stored.seq;
  }
  for (const auto& [session, range] : sessions) {
    if (auto r = widenSessionRange(session, range.first, range.second); !r) return r;
  }
  if (head) return insertHead(*head);
  return {};
}

StoreResult<void> SqliteStore::widenSessionRange(std::string_view session, std::uint64_t first, std::uint64_t last) {
  auto stmt = statement(
      "INSERT INTO sessions(session_id, first_seq, last_seq) VALUES(?,?,?) ON CONFLICT(session_id) DO UPDATE SET "
      "first_seq = min(first_seq, excluded.first_seq), last_seq = max(last_seq, excluded.last_seq)");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  use.bind(1, session);
  use.bind(2, static_cast<std::int64_t>(first));
  use.bind(3, static_cast<std::int64_t>(last));
  if (sqlite3_step(use.get()) != SQLITE_DONE) return failure("recording a session's range");
  return {};
}

StoreResult<void> SqliteStore::appendBatch(std::span<const StoredEntry> entries, const TreeHead* head) {
  for (const StoredEntry& stored : entries) {
    // An attachment the writer did not seal would be lost: refuse the batch rather than store it.
    if (stored.storedAttachment.empty() != stored.entry.attachment.empty())
      return StoreError{"entry " + std::to_string(stored.seq) + " has an attachment that was not sealed"};
  }
  std::lock_guard lock(mutex_);
  return inTransaction([&] { return writeBatch(entries, head); });
}

StoreResult<std::optional<std::int64_t>> SqliteStore::singleInteger(const std::string& sql,
                                                                    std::optional<std::int64_t> param) {
  auto stmt = statement(sql);
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  if (param) use.bind(1, *param);
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  if (rc != SQLITE_ROW) return failure(sql);
  if (sqlite3_column_type(use.get(), 0) == SQLITE_NULL) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(sqlite3_column_int64(use.get(), 0));
}

StoreResult<std::optional<std::uint64_t>> SqliteStore::checkpointSize() {
  auto size = singleInteger("SELECT size FROM prune_checkpoint WHERE id = 1", std::nullopt);
  if (!size) return size.error();
  if (!*size) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(**size));
}

StoreResult<std::uint64_t> SqliteStore::nextSeq() {
  std::lock_guard lock(mutex_);
  auto maxSeq = singleInteger("SELECT max(seq) FROM entries", std::nullopt);
  if (!maxSeq) return maxSeq.error();
  auto pruned = checkpointSize();
  if (!pruned) return pruned.error();
  std::uint64_t next = *maxSeq ? static_cast<std::uint64_t>(**maxSeq) + 1 : 0;
  return std::max(next, pruned->value_or(0));
}

StoreResult<std::vector<StoredEntry>> SqliteStore::collectEntries(StatementUse& use) {
  std::vector<StoredEntry> out;
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) out.push_back(readEntryRow(use.get()));
  if (rc != SQLITE_DONE) return failure("reading entries");
  return out;
}

StoreResult<std::vector<StoredEntry>> SqliteStore::readEntries(std::uint64_t fromSeq, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto stmt = statement("SELECT " KUBEGATE_ENTRY_COLUMNS " FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  use.bind(1, static_cast<std::int64_t>(fromSeq));
  use.bind(2, static_cast<std::int64_t>(limit));
  return collectEntries(use);
}

StoreResult<std::vector<std::pair<std::uint64_t, Digest>>> SqliteStore::readLeafHashes(std::uint64_t fromSeq,
                                                                                       std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto stmt = statement("SELECT seq, leaf_hash FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  use.bind(1, static_cast<std::int64_t>(fromSeq));
  use.bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::uint64_t, Digest>> out;
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW)
    out.emplace_back(static_cast<std::uint64_t>(sqlite3_column_int64(use.get(), 0)), columnDigest(use.get(), 1));
  if (rc != SQLITE_DONE) return failure("reading leaf hashes");
  return out;
}

StoreResult<std::vector<TreeHead>> SqliteStore::treeHeads() {
  std::lock_guard lock(mutex_);
  auto stmt = statement("SELECT size, root, time_us, signature, key_id FROM tree_heads ORDER BY size");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  std::vector<TreeHead> out;
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) out.push_back(readHeadRow(use.get(), 0));
  if (rc != SQLITE_DONE) return failure("reading tree heads");
  return out;
}

StoreResult<std::optional<PruneCheckpoint>> SqliteStore::pruneCheckpoint() {
  std::lock_guard lock(mutex_);
  auto stmt = statement("SELECT size, root, time_us, signature, key_id, frontier FROM prune_checkpoint WHERE id = 1");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<PruneCheckpoint>();
  if (rc != SQLITE_ROW) return failure("reading the prune checkpoint");
  PruneCheckpoint checkpoint;
  checkpoint.head = readHeadRow(use.get(), 0);
  std::string frontier = columnBlob(use.get(), 5);
  for (std::size_t at = 0; at + 32 <= frontier.size(); at += 32)
    checkpoint.frontier.push_back(*digestFromBytes(std::string_view(frontier).substr(at, 32)));
  return std::optional<PruneCheckpoint>(std::move(checkpoint));
}

StoreResult<std::vector<StoredEntry>> SqliteStore::query(const QueryFilter& filter) {
  // The SQL depends only on which fields are set, so each shape is prepared once; values are bound.
  std::string sql = "SELECT " KUBEGATE_ENTRY_COLUMNS " FROM entries WHERE 1";
  std::vector<std::string> texts;
  std::vector<std::int64_t> numbers;
  auto text = [&](const std::optional<std::string>& value, const char* column) {
    if (!value) return;
    sql.append(" AND ").append(column).append(" = ?");
    texts.push_back(*value);
  };
  // The kind is one of three fixed words, so it is written into the SQL (the partial indexes need
  // literal terms); every other value is bound.
  const bool indexedKind = filter.kind && *filter.kind != EntryKind::response;
  if (filter.kind) sql.append(" AND kind = '").append(toString(*filter.kind)).append("'");
  if (indexedKind) sql += " AND " KUBEGATE_INDEXED_ROWS;
  if (filter.identity) {
    // Each side of the OR names the indexed rows too, or SQLite scans instead of using both indexes.
    sql += indexedKind ? " AND ((username = ? AND " KUBEGATE_INDEXED_ROWS ") OR (subject = ? AND " KUBEGATE_INDEXED_ROWS "))"
                       : " AND (username = ? OR subject = ?)";
    texts.push_back(*filter.identity);
    texts.push_back(*filter.identity);
  }
  text(filter.cluster, "cluster");
  text(filter.namespace_, "namespace");
  text(filter.resource, "resource");
  text(filter.verb, "verb");
  text(filter.decision, "decision");
  text(filter.approvalId, "approval_id");
  text(filter.sessionId, "session_id");
  if (filter.sessionId && sessionRanges_) {
    // The session's seq range bounds the scan of the primary key; unknown sessions match nothing.
    sql += " AND seq BETWEEN (SELECT first_seq FROM sessions WHERE session_id = ?)"
           " AND (SELECT last_seq FROM sessions WHERE session_id = ?)";
    texts.push_back(*filter.sessionId);
    texts.push_back(*filter.sessionId);
  }
  text(filter.requestId, "request_id");
  if (filter.fromMicros) sql += " AND time_us >= ?", numbers.push_back(*filter.fromMicros);
  if (filter.toMicros) sql += " AND time_us <= ?", numbers.push_back(*filter.toMicros);
  sql += filter.newestFirst ? " ORDER BY seq DESC LIMIT ?" : " ORDER BY seq LIMIT ?";
  numbers.push_back(static_cast<std::int64_t>(std::min<std::size_t>(filter.limit, INT64_MAX)));

  std::lock_guard lock(mutex_);
  auto stmt = statement(sql);
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  int index = 1;
  for (const auto& t : texts) use.bind(index++, std::string_view(t));
  for (auto n : numbers) use.bind(index++, n);
  return collectEntries(use);
}

StoreResult<std::vector<StoredEntry>> SqliteStore::entriesOfRequest(const std::string& requestId) {
  std::lock_guard lock(mutex_);
  auto stmt = statement("SELECT " KUBEGATE_ENTRY_COLUMNS " FROM entries WHERE request_id = ? ORDER BY seq");
  if (!stmt) return stmt.error();
  StatementUse use(*stmt);
  use.bind(1, std::string_view(requestId));
  return collectEntries(use);
}

StoreResult<void> SqliteStore::writePrune(const PruneCheckpoint& checkpoint) {
  const auto size = static_cast<std::int64_t>(checkpoint.head.size);
  for (const char* sql : {"DELETE FROM entries WHERE seq < ?", "DELETE FROM tree_heads WHERE size < ?",
                          "DELETE FROM sessions WHERE last_seq < ?"}) {
    auto stmt = statement(sql);
    if (!stmt) return stmt.error();
    StatementUse use(*stmt);
    use.bind(1, size);
    if (sqlite3_step(use.get()) != SQLITE_DONE) return failure(sql);
  }
  if (auto r = insertHead(checkpoint.head); !r) return r;
  auto stmt = statement(
      "INSERT OR REPLACE INTO prune_checkpoint(id, size, root, time_us, signature, key_id, frontier) "
      "VALUES(1,?,?,?,?,?,?)");
  if (!stmt) return stmt.error();
  std::string frontier;
  for (const Digest& d : checkpoint.frontier) frontier += asChars(d);
  StatementUse use(*stmt);
  use.bind(1, size);
  use.bindBlob(2, asChars(checkpoint.head.root));
  use.bind(3, checkpoint.head.timeMicros);
  use.bindBlob(4, checkpoint.head.signature);
  use.bind(5, checkpoint.head.keyId);
  use.bindBlob(6, frontier);
  if (sqlite3_step(use.get()) != SQLITE_DONE) return failure("storing the prune checkpoint");
  return {};
}

StoreResult<void> SqliteStore::prune(const PruneCheckpoint& checkpoint) {
  std::lock_guard lock(mutex_);
  return inTransaction([&] { return writePrune(checkpoint); });
}

StoreResult<std::uint64_t> SqliteStore::storedBytes() {
  std::lock_guard lock(mutex_);
  // Pages in use, not the file size: pruned pages stay in the file but are reused.
  auto pages = singleInteger("PRAGMA page_count", std::nullopt);
  auto freePages = singleInteger("PRAGMA freelist_count", std::nullopt);
  auto pageSize = singleInteger("PRAGMA page_size", std::nullopt);
  if (!pages) return pages.error();
  if (!freePages) return freePages.error();
  if (!pageSize) return pageSize.error();
  std::int64_t used = (pages->value_or(0) - freePages->value_or(0)) * pageSize->value_or(0);
  return static_cast<std::uint64_t>(std::max<std::int64_t>(used, 0));
}

StoreResult<std::optional<std::uint64_t>> SqliteStore::firstSeqAtOrAfter(std::int64_t timeMicros) {
  std::lock_guard lock(mutex_);
  // `+time_us` keeps SQLite on the seq order: the scan stops at the first recent entry, after the
  // old ones (those about to be pruned), instead of visiting every recent entry through the index.
  auto seq = singleInteger("SELECT seq FROM entries WHERE +time_us >= ? ORDER BY seq LIMIT 1", timeMicros);
  if (!seq) return seq.error();
  if (!*seq) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(**seq));
}

}  // namespace

StoreResult<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options) {
  sqlite3* raw = nullptr;
  int flags = options.readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(options.path.c_str(), &raw, flags, nullptr);
  auto store = std::make_unique<SqliteStore>(raw);
  if (rc != SQLITE_OK) {
    return StoreError{"cannot open the audit database " + options.path + ": " +
                      (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  if (auto r = store->initialize(options); !r) {
    return StoreError{"cannot open the audit database " + options.path + ": " + r.error().message};
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace kubegate::audit
