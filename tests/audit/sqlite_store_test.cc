#include <gtest/gtest.h>
#include <sqlite3.h>
#include <zlib.h>

#include "audit/compression.h"
#include "audit/merkle.h"
#include "audit_test_support.h"

namespace kubegate::audit {
namespace {

using testing::makeEntry;
using testing::rawDeflate;
using testing::openStore;
using testing::ScratchDir;

std::vector<StoredEntry> storedEntries(int from, int count) {
  std::vector<StoredEntry> out;
  for (int i = from; i < from + count; ++i) {
    StoredEntry s;
    s.seq = static_cast<std::uint64_t>(i);
    s.entry = makeEntry(i);
    EXPECT_TRUE(sealEntry(s));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::uint64_t> seqsOf(const std::vector<StoredEntry>& entries) {
  std::vector<std::uint64_t> out;
  for (const auto& e : entries) out.push_back(e.seq);
  return out;
}

std::string scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.file("audit.db");
    store = openStore(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->appendBatch(storedEntries(0, 20), nullptr));
  }
  ScratchDir dir;
  std::string path;
  std::unique_ptr<Store> store;
};

TEST_F(SqliteStoreTest, EntriesReadBackAsWritten) {
  auto read = store->readEntries(5, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 10u);
  auto expected = storedEntries(5, 10);
  for (std::size_t i = 0; i < 10; ++i) {
    const auto& got = (*read)[i];
    EXPECT_EQ(got.seq, expected[i].seq);
    EXPECT_EQ(got.leafHash, expected[i].leafHash);
    // The leaf hash recomputed from what was read back covers every field.
    EXPECT_EQ(entryLeafHash(got), expected[i].leafHash);
    EXPECT_EQ(got.entry.attachment, expected[i].entry.attachment);
  }
  EXPECT_EQ(store->nextSeq().value(), 20u);
}

TEST_F(SqliteStoreTest, AttachmentsAreStoredCompressedAndEmptyOnesAsNull) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT seq, attachment, attachment_size FROM entries ORDER BY seq", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    int seq = sqlite3_column_int(stmt, 0);
    std::string raw = makeEntry(seq).attachment;
    if (raw.empty()) {
      EXPECT_EQ(sqlite3_column_type(stmt, 1), SQLITE_NULL) << seq;
      continue;
    }
    std::string blob(static_cast<const char*>(sqlite3_column_blob(stmt, 1)), sqlite3_column_bytes(stmt, 1));
    EXPECT_LT(blob.size(), raw.size() / 4) << seq;
    EXPECT_EQ(sqlite3_column_int64(stmt, 2), static_cast<std::int64_t>(raw.size()));
    EXPECT_EQ(inflateBytes(blob, raw.size()).value(), raw);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, RefusesABatchWithAnAttachmentThatWasNotSealed) {
  auto batch = storedEntries(20, 1);
  ASSERT_FALSE(batch[0].entry.attachment.empty());
  batch[0].storedAttachment.clear();
  auto appended = store->appendBatch(batch, nullptr);
  ASSERT_FALSE(appended);
  EXPECT_NE(appended.error().message.find("not sealed"), std::string::npos) << appended.error().message;
  EXPECT_EQ(store->nextSeq().value(), 20u);
}

TEST(SqliteCompressionTest, InflateRefusesSizesThatDisagreeWithTheData) {
  std::string raw(1000, 'a');
  auto compressed = sealAttachment(raw);
  ASSERT_TRUE(compressed);
  EXPECT_TRUE(inflateBytes(*compressed, 1000));
  EXPECT_FALSE(inflateBytes(*compressed, 999));
  EXPECT_FALSE(inflateBytes(*compressed, 1001));
  EXPECT_FALSE(inflateBytes(*compressed, kMaxAttachmentBytes + 1));
  EXPECT_FALSE(inflateBytes("garbage", 10));
  EXPECT_FALSE(inflateBytes(*compressed + "trailing", 1000));
}

TEST(SqliteCompressionTest, NewAttachmentsAreSealedWithZstdAndOlderFormatsStillRead) {
  std::string raw;
  for (int i = 0; i < 500; ++i) raw += R"({"name":"pod-)" + std::to_string(i) + R"(","phase":"Running"},)";
  auto written = sealAttachment(raw).value();
  EXPECT_EQ(written.front(), '\2');  // sealed zstd, a marker no zlib stream starts with
  EXPECT_EQ(written.substr(1, 4), std::string("\x28\xb5\x2f\xfd", 4)) << "a zstd frame's magic number";
  EXPECT_LT(written.size(), raw.size() / 4);
  EXPECT_TRUE(isSealedAttachment(written));
  EXPECT_EQ(inflateBytes(written, raw.size()).value(), raw);
  // Sealed raw deflate (ADR 0013 before zstd): still leaf format 2.
  const std::string deflated = rawDeflate(raw);
  const std::string sealedDeflate = std::string(1, '\1') + deflated;
  EXPECT_TRUE(isSealedAttachment(sealedDeflate));
  EXPECT_EQ(inflateBytes(sealedDeflate, raw.size()).value(), raw);
  // What gateways of ADR 0012 stored: raw deflate behind a zero byte, leaf over the raw bytes.
  const std::string unsealedDeflate = std::string(1, '\0') + deflated;
  EXPECT_FALSE(isSealedAttachment(unsealedDeflate));
  EXPECT_EQ(inflateBytes(unsealedDeflate, raw.size()).value(), raw);
  // What gateways before ADR 0012's measurements stored: a zlib stream.
  std::string zlibStream(compressBound(raw.size()), '\0');
  uLongf length = zlibStream.size();
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(zlibStream.data()), &length,
                      reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 1),
            Z_OK);
  zlibStream.resize(length);
  EXPECT_EQ(inflateBytes(zlibStream, raw.size()).value(), raw);
  EXPECT_FALSE(inflateBytes(zlibStream, raw.size() - 1));
}

TEST(SqliteCompressionTest, ADamagedZstdAttachmentIsAnErrorNotData) {
  std::string raw(5000, 'x');
  for (std::size_t i = 0; i < raw.size(); i += 7) raw[i] = static_cast<char>('a' + i % 26);
  const std::string sealed = sealAttachment(raw).value();
  EXPECT_FALSE(inflateBytes(sealed.substr(0, sealed.size() - 3), raw.size())) << "a cut frame";
  std::string flipped = sealed;
  flipped[flipped.size() / 2] ^= 0x40;
  auto read = inflateBytes(flipped, raw.size());
  EXPECT_TRUE(!read || *read != raw) << "a flipped byte never reads back as the original";
  EXPECT_FALSE(inflateBytes(std::string(1, '\2'), 0)) << "a marker without a frame";
  EXPECT_EQ(inflateBytes(sealAttachment("").value(), 0).value(), "");
}

TEST_F(SqliteStoreTest, QueryFiltersCombineAndIdentityMatchesUsernameOrSubject) {
  QueryFilter byUser;
  byUser.identity = "alice";
  EXPECT_EQ(store->query(byUser)->size(), 10u);  // odd seqs
  QueryFilter bySubject;
  bySubject.identity = "sub-bob";
  auto bob = store->query(bySubject);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->size(), 10u);
  for (const auto& e : *bob) EXPECT_EQ(e.entry.index.username, "bob");

  QueryFilter combined;
  combined.identity = "alice";
  combined.kind = EntryKind::request;  // seq % 3 == 0
  combined.cluster = "prod";           // seq % 5 != 0
  combined.namespace_ = "ns-1";
  EXPECT_EQ(seqsOf(store->query(combined).value()), (std::vector<std::uint64_t>{3, 9}));

  QueryFilter byTime;
  byTime.fromMicros = makeEntry(4).timeMicros;
  byTime.toMicros = makeEntry(6).timeMicros;
  EXPECT_EQ(seqsOf(store->query(byTime).value()), (std::vector<std::uint64_t>{4, 5, 6}));

  QueryFilter bySession;
  bySession.sessionId = "sess-3";
  bySession.decision = "";
  EXPECT_EQ(seqsOf(store->query(bySession).value()), (std::vector<std::uint64_t>{7, 11, 19}));

  QueryFilter none;
  none.verb = "delete";
  EXPECT_TRUE(store->query(none)->empty());
}

TEST_F(SqliteStoreTest, NewestFirstAndLimit) {
  QueryFilter filter;
  filter.identity = "bob";
  filter.newestFirst = true;
  filter.limit = 3;
  EXPECT_EQ(seqsOf(store->query(filter).value()), (std::vector<std::uint64_t>{18, 16, 14}));
  filter.newestFirst = false;
  EXPECT_EQ(seqsOf(store->query(filter).value()), (std::vector<std::uint64_t>{0, 2, 4}));
}

TEST_F(SqliteStoreTest, EntriesOfRequestAreInOrder) {
  EXPECT_EQ(seqsOf(store->entriesOfRequest("req-2").value()), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_TRUE(store->entriesOfRequest("req-99")->empty());
}

TEST_F(SqliteStoreTest, BatchWithItsHeadIsAllOrNothing) {
  TreeHead head;
  head.size = 25;
  head.root = sha256("r");
  head.timeMicros = 5;
  auto clash = storedEntries(20, 5);
  clash.push_back(storedEntries(3, 1)[0]);  // seq 3 exists: the whole batch must fail
  EXPECT_FALSE(store->appendBatch(clash, &head));
  EXPECT_EQ(store->nextSeq().value(), 20u);
  EXPECT_TRUE(store->treeHeads()->empty());

  ASSERT_TRUE(store->appendBatch(storedEntries(20, 5), &head));
  auto heads = store->treeHeads();
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0].size, 25u);
  EXPECT_EQ((*heads)[0].root, head.root);
}

TEST_F(SqliteStoreTest, PruneKeepsTheCheckpointAndTheSequence) {
  PruneCheckpoint checkpoint;
  checkpoint.head.size = 12;
  checkpoint.head.root = sha256("r12");
  checkpoint.frontier = {sha256("8"), sha256("4")};
  ASSERT_TRUE(store->prune(checkpoint));
  EXPECT_EQ(store->readEntries(0, 100)->front().seq, 12u);
  EXPECT_EQ(store->nextSeq().value(), 20u);
  auto kept = store->pruneCheckpoint();
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->head.size, 12u);
  EXPECT_EQ((*kept)->frontier, checkpoint.frontier);
  EXPECT_EQ(store->firstSeqAtOrAfter(0).value(), std::optional<std::uint64_t>(12));
  EXPECT_EQ(store->firstSeqAtOrAfter(makeEntry(15).timeMicros).value(), std::optional<std::uint64_t>(15));
  QueryFilter session0;
  session0.sessionId = "sess-0";
  EXPECT_EQ(seqsOf(store->query(session0).value()), (std::vector<std::uint64_t>{12, 16}));

  // All pruned: the sequence still continues after the last entry ever written, and no session
  // range points into what is gone.
  checkpoint.head.size = 20;
  ASSERT_TRUE(store->prune(checkpoint));
  EXPECT_TRUE(store->readEntries(0, 100)->empty());
  EXPECT_EQ(store->nextSeq().value(), 20u);
  EXPECT_EQ(scalar(path, "SELECT count(*) FROM sessions"), "0");
}

TEST_F(SqliteStoreTest, StoredBytesGrowWithEntries) {
  auto before = store->storedBytes();
  ASSERT_TRUE(before);
  std::vector<StoredEntry> big;
  for (int i = 20; i < 220; ++i) {
    StoredEntry s;
    s.seq = static_cast<std::uint64_t>(i);
    s.entry = makeEntry(i);
    s.entry.document = std::string(2000, 'd') + std::to_string(i);
    ASSERT_TRUE(sealEntry(s));
    big.push_back(std::move(s));
  }
  ASSERT_TRUE(store->appendBatch(big, nullptr));
  EXPECT_GT(store->storedBytes().value(), *before + 200 * 2000);
}

TEST_F(SqliteStoreTest, ReadOnlyStoreReadsWhileAnotherConnectionWrites) {
  auto reader = openStore(path, /*readOnly=*/true);
  ASSERT_TRUE(reader);
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE; DELETE FROM entries WHERE seq >= 10;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  // The write transaction is open: the reader sees the last committed state, without waiting.
  EXPECT_EQ(reader->readEntries(0, 100)->size(), 20u);
  EXPECT_EQ(reader->query(QueryFilter{})->size(), 20u);
  ASSERT_EQ(sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(writer);

  ASSERT_TRUE(store->appendBatch(storedEntries(20, 1), nullptr));
  EXPECT_EQ(reader->nextSeq().value(), 21u);
  auto refused = reader->appendBatch(storedEntries(21, 1), nullptr);
  EXPECT_FALSE(refused);
}

TEST_F(SqliteStoreTest, EveryKindIsFoundThoughOnlyRequestsAndSessionsAreIndexed) {
  QueryFilter sessions;
  sessions.kind = EntryKind::session;  // seq % 3 == 2
  sessions.identity = "bob";
  EXPECT_EQ(seqsOf(store->query(sessions).value()), (std::vector<std::uint64_t>{2, 8, 14}));
  QueryFilter responses;
  responses.kind = EntryKind::response;  // seq % 3 == 1
  responses.identity = "sub-alice";
  responses.namespace_ = "ns-1";
  EXPECT_EQ(seqsOf(store->query(responses).value()), (std::vector<std::uint64_t>{1, 7, 13, 19}));
}

// What a build before partial indexes left behind: schema version 1, every index over every row.
void downgradeToVersion1(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql = R"sql(
    DROP INDEX entries_time; DROP INDEX entries_username; DROP INDEX entries_subject;
    DROP TABLE sessions; DROP INDEX entries_cluster_namespace; DROP INDEX entries_approval;
    CREATE INDEX entries_time ON entries(time_us);
    CREATE INDEX entries_username ON entries(username);
    CREATE INDEX entries_subject ON entries(subject);
    CREATE INDEX entries_session ON entries(session_id);
    CREATE INDEX entries_cluster_namespace ON entries(cluster, namespace);
    CREATE INDEX entries_approval ON entries(approval_id);
    UPDATE meta SET value = '1' WHERE key = 'schema_version';)sql";
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, VersionOneDatabasesAreReadAsTheyAreAndMigratedByTheGateway) {
  store.reset();
  downgradeToVersion1(path);
  const auto partialIndexes = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql LIKE '%WHERE kind%'";
  ASSERT_EQ(scalar(path, partialIndexes), "0");
  QueryFilter aliceRequests;
  aliceRequests.kind = EntryKind::request;
  aliceRequests.identity = "alice";

  auto reader = openStore(path, /*readOnly=*/true);  // an auditor's tool: no migration
  ASSERT_TRUE(reader);
  EXPECT_EQ(seqsOf(reader->query(aliceRequests).value()), (std::vector<std::uint64_t>{3, 9, 15}));
  reader.reset();
  EXPECT_EQ(scalar(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");

  store = openStore(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(scalar(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "3");
  EXPECT_EQ(scalar(path, partialIndexes), "5");
  EXPECT_EQ(scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'entries_session'"), "0");
  EXPECT_EQ(scalar(path, "SELECT first_seq || '-' || last_seq FROM sessions WHERE session_id = 'sess-3'"), "3-19");
  EXPECT_EQ(seqsOf(store->query(aliceRequests).value()), (std::vector<std::uint64_t>{3, 9, 15}));
  // The entries are untouched: their leaf hashes still recompute, and the log continues.
  for (const auto& e : store->readEntries(0, 100).value()) EXPECT_EQ(entryLeafHash(e), e.leafHash);
  ASSERT_TRUE(store->appendBatch(storedEntries(20, 3), nullptr));
  EXPECT_EQ(store->nextSeq().value(), 23u);
}

// Entries 0-19 have sessions sess-0 .. sess-3 by seq % 4.
QueryFilter sessionFilter(const std::string& session) {
  QueryFilter f;
  f.sessionId = session;
  return f;
}

TEST_F(SqliteStoreTest, ASessionsEntriesAreFoundThroughItsRangeAcrossBatchesAndKinds) {
  EXPECT_EQ(seqsOf(store->query(sessionFilter("sess-1")).value()), (std::vector<std::uint64_t>{1, 5, 9, 13, 17}));
  ASSERT_TRUE(store->appendBatch(storedEntries(20, 9), nullptr));  // 20-28: sess-1 gets 21 and 25
  EXPECT_EQ(seqsOf(store->query(sessionFilter("sess-1")).value()),
            (std::vector<std::uint64_t>{1, 5, 9, 13, 17, 21, 25}));
  EXPECT_EQ(scalar(path, "SELECT first_seq || '-' || last_seq FROM sessions WHERE session_id = 'sess-1'"), "1-25");
  EXPECT_TRUE(store->query(sessionFilter("sess-9")).value().empty());
  QueryFilter requestsOfSession = sessionFilter("sess-0");
  requestsOfSession.kind = EntryKind::request;
  EXPECT_EQ(seqsOf(store->query(requestsOfSession).value()), (std::vector<std::uint64_t>{0, 12, 24}));
}

// What a build before session ranges left behind: schema version 2, a partial index on session_id.
TEST_F(SqliteStoreTest, VersionTwoDatabasesFindSessionsByColumnUntilTheGatewayBuildsTheirRanges) {
  store.reset();
  testing::rawSql(path, "DROP TABLE sessions");
  testing::rawSql(path, "CREATE INDEX entries_session ON entries(session_id) WHERE kind <> 'response'");
  testing::rawSql(path, "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
  auto reader = openStore(path, /*readOnly=*/true);
  ASSERT_TRUE(reader);
  EXPECT_EQ(seqsOf(reader->query(sessionFilter("sess-2")).value()), (std::vector<std::uint64_t>{2, 6, 10, 14, 18}));
  reader.reset();
  store = openStore(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(scalar(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "3");
  EXPECT_EQ(scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'entries_session'"), "0");
  EXPECT_EQ(scalar(path, "SELECT count(*) FROM sessions"), "4");
  EXPECT_EQ(seqsOf(store->query(sessionFilter("sess-2")).value()), (std::vector<std::uint64_t>{2, 6, 10, 14, 18}));
}

TEST_F(SqliteStoreTest, NewerSchemaVersionsAreRefused) {
  store.reset();
  testing::rawSql(path, "UPDATE meta SET value = '4' WHERE key = 'schema_version'");
  for (bool readOnly : {true, false}) {
    auto opened = openSqliteStore({.path = path, .readOnly = readOnly});
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().message.find("unsupported audit database schema version 4"), std::string::npos)
        << opened.error().message;
  }
}

TEST(SqliteStoreOpenTest, ReadOnlyOpenOfSomethingElseFailsClearly) {
  ScratchDir dir;
  auto missing = openSqliteStore({.path = dir.file("none.db"), .readOnly = true});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("none.db"), std::string::npos);
  testing::rawSql(dir.file("other.db"), "CREATE TABLE t(x)");
  auto other = openSqliteStore({.path = dir.file("other.db"), .readOnly = true});
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("not a kubegate audit database"), std::string::npos) << other.error().message;
}

}  // namespace
}  // namespace kubegate::audit
