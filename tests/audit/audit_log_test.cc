#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <set>
#include <future>
#include <thread>

#include "audit/merkle.h"
#include "audit/verify.h"
#include "audit_test_support.h"

namespace kubegate::audit {
namespace {

using namespace std::chrono_literals;
using testing::ControllableStore;
using testing::eventually;
using testing::generateKeyPair;
using testing::makeEntry;
using testing::openStore;
using testing::ScratchDir;

// Appends and waits until the entry is durable (or not).
bool appendAndWait(AuditLog& log, Entry entry) {
  std::promise<bool> done;
  auto result = done.get_future();
  log.append(std::move(entry), [&done](bool ok) { done.set_value(ok); });
  return result.wait_for(10s) == std::future_status::ready && result.get();
}

class AuditLogTest : public ::testing::Test {
 protected:
  std::string dbPath() const { return dir.file("audit.db"); }
  std::unique_ptr<AuditLog> open(AuditLogOptions options = {}) { return openAuditLog(openStore(dbPath()), options); }
  VerifyReport verify(VerifyOptions options = {}) {
    auto store = openStore(dbPath(), true);
    return verifyLog(*store, options);
  }
  ScratchDir dir;
};

TEST_F(AuditLogTest, DurableCallbackRunsOnlyOnceTheEntryIsCommitted) {
  auto log = open();
  auto reader = openStore(dbPath(), true);
  std::promise<std::size_t> seen;
  log->append(makeEntry(0), [&](bool ok) {
    EXPECT_TRUE(ok);
    seen.set_value(reader->readEntries(0, 10)->size());  // another connection already sees it
  });
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get(), 1u);
  EXPECT_TRUE(log->healthy());
}

TEST_F(AuditLogTest, ConcurrentAppendsGetGapFreeSequenceInEachProducersOrder) {
  constexpr int kThreads = 8, kPerThread = 400;
  {
    auto log = open({.maxBatchEntries = 64});
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          Entry e = makeEntry(i);
          e.index.requestId = "t" + std::to_string(t);
          e.document = std::to_string(i);
          log->append(std::move(e), i % 50 == 0 ? Durable([](bool ok) { EXPECT_TRUE(ok); }) : Durable());
        }
      });
    }
    for (auto& p : producers) p.join();
    log->stop();
    EXPECT_EQ(log->latestHead().size, static_cast<std::uint64_t>(kThreads * kPerThread));
  }
  auto store = openStore(dbPath(), true);
  auto all = store->readEntries(0, kThreads * kPerThread + 10).value();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::map<std::string, int> nextOfProducer;
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].seq, i);
    int& expected = nextOfProducer[all[i].entry.index.requestId];
    EXPECT_EQ(all[i].entry.document, std::to_string(expected++));
  }
  EXPECT_TRUE(verify().ok);
}

TEST_F(AuditLogTest, StopWritesAFinalHeadOverEverything) {
  auto log = open({.treeHeadInterval = 1h});
  for (int i = 0; i < 6; ++i) log->append(makeEntry(i), {});
  ASSERT_TRUE(appendAndWait(*log, makeEntry(6)));
  log->stop();
  log->stop();  // idempotent
  EXPECT_EQ(log->latestHead().size, 7u);
  auto heads = openStore(dbPath(), true)->treeHeads().value();
  ASSERT_FALSE(heads.empty());
  EXPECT_EQ(heads.back().size, 7u);
  EXPECT_EQ(heads.back().root, log->latestHead().root);
  log->append(makeEntry(7), [](bool ok) { EXPECT_FALSE(ok); });
}

TEST_F(AuditLogTest, HeadsAreWrittenAtTheIntervalWhileRunning) {
  auto log = open({.treeHeadInterval = 20ms});
  ASSERT_TRUE(appendAndWait(*log, makeEntry(0)));
  ASSERT_TRUE(eventually([&] { return log->latestHead().size == 1; }));
  ASSERT_TRUE(appendAndWait(*log, makeEntry(1)));
  ASSERT_TRUE(eventually([&] { return log->latestHead().size == 2; }));
  log->stop();
  EXPECT_GE(openStore(dbPath(), true)->treeHeads()->size(), 2u);
}

TEST_F(AuditLogTest, RestartContinuesTheLogConsistently) {
  TreeHead first;
  {
    auto log = open();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i)));
    log->stop();
    first = log->latestHead();
  }
  auto log = open();
  EXPECT_EQ(log->latestHead().size, first.size);
  EXPECT_EQ(log->latestHead().root, first.root);
  for (int i = 10; i < 15; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i)));
  log->stop();
  EXPECT_EQ(log->latestHead().size, 15u);
  auto entries = openStore(dbPath(), true)->readEntries(0, 100).value();
  ASSERT_EQ(entries.size(), 15u);
  EXPECT_EQ(entries.back().seq, 14u);
  auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.headsChecked, 2u);
}

TEST_F(AuditLogTest, RefusesToStartWhenTheEntriesNoLongerMatchTheLatestHead) {
  {
    auto log = open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i)));
  }
  // A consistent rewrite: the leaf hash fits the new content, only the tree head can tell.
  Entry changed = makeEntry(2);
  changed.document = R"({"n":2,"forged":true})";
  Digest leaf = entryLeafHash(2, changed);
  testing::rawSql(dbPath(), "UPDATE entries SET document = CAST(?1 AS TEXT), leaf_hash = ?2 WHERE seq = 2",
                  {changed.document, std::string(leaf.begin(), leaf.end())});
  try {
    open();
    FAIL() << "opened a tampered log";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("do not match the latest tree head"), std::string::npos) << e.what();
  }
}

TEST_F(AuditLogTest, RefusesToStartWhenEntriesCoveredByAHeadAreGone) {
  {
    auto log = open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i)));
  }
  testing::rawSql(dbPath(), "DELETE FROM entries WHERE seq >= 3");
  EXPECT_THROW(open(), std::runtime_error);
}

TEST_F(AuditLogTest, FailingStoreAnswersFalseKeepsUnwaitedEntriesAndRecovers) {
  auto controllable = std::make_unique<ControllableStore>(openStore(dbPath()));
  ControllableStore& store = *controllable;
  auto log = openAuditLog(std::move(controllable), {});
  ASSERT_TRUE(appendAndWait(*log, makeEntry(0)));

  store.failAppends = true;
  for (int i = 1; i <= 3; ++i) log->append(makeEntry(i), {});  // completions: nobody waits
  EXPECT_FALSE(appendAndWait(*log, makeEntry(100)));
  EXPECT_FALSE(log->healthy());

  store.failAppends = false;
  Entry last = makeEntry(4);
  ASSERT_TRUE(appendAndWait(*log, last));
  EXPECT_TRUE(log->healthy());
  log->stop();

  // The refused entry consumed no seq; the unwaited ones were kept, in order, before the next one.
  auto entries = openStore(dbPath(), true)->readEntries(0, 100).value();
  ASSERT_EQ(entries.size(), 5u);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].seq, i);
    EXPECT_EQ(entries[i].entry.document, makeEntry(static_cast<int>(i)).document);
  }
  auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_F(AuditLogTest, DatabaseLockedByAnotherWriterMakesTheLogUnhealthyUntilReleased) {
  auto log = open();
  ASSERT_TRUE(appendAndWait(*log, makeEntry(0)));
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dbPath().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  // The store waits out its busy timeout (5 s), then the commit fails.
  EXPECT_FALSE(appendAndWait(*log, makeEntry(1)));
  EXPECT_FALSE(log->healthy());
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(appendAndWait(*log, makeEntry(1)));
  EXPECT_TRUE(log->healthy());
  log->stop();
  EXPECT_EQ(openStore(dbPath(), true)->nextSeq().value(), 2u);
}

TEST_F(AuditLogTest, AppendDurablyCompletesOnTheCallersExecutor) {
  auto log = open();
  asio::io_context io;
  std::optional<bool> result;
  std::thread::id resumedOn;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await appendDurably(*log, makeEntry(0), 5s);
        resumedOn = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(*result);
  EXPECT_EQ(resumedOn, std::this_thread::get_id());
  EXPECT_EQ(openStore(dbPath(), true)->nextSeq().value(), 1u);
}

TEST_F(AuditLogTest, AppendDurablyFinishesEveryWaiterOfACommitIncludingOnesOnAStrand) {
  auto controllable = std::make_unique<ControllableStore>(openStore(dbPath()));
  ControllableStore& store = *controllable;
  auto log = openAuditLog(std::move(controllable), {});
  store.holdAppends();
  asio::io_context io;
  auto strand = asio::make_strand(io);
  constexpr int kWaiters = 20;
  std::vector<std::optional<bool>> results(kWaiters + 1);
  std::set<std::thread::id> resumedOn;
  auto wait = [&](int i) -> asio::awaitable<void> {
    results[i] = co_await appendDurably(*log, makeEntry(i), 5s);
    resumedOn.insert(std::this_thread::get_id());
  };
  for (int i = 0; i < kWaiters; ++i) asio::co_spawn(io, wait(i), asio::detached);
  bool onStrand = false;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        results[kWaiters] = co_await appendDurably(*log, makeEntry(kWaiters), 5s);
        onStrand = strand.running_in_this_thread();
      },
      asio::detached);
  io.poll();  // every waiter has appended; the commits wait for the release
  store.releaseAppends();
  io.run();
  for (const auto& r : results) EXPECT_EQ(r, std::optional<bool>(true));
  EXPECT_EQ(resumedOn, std::set<std::thread::id>{std::this_thread::get_id()});
  EXPECT_TRUE(onStrand);
  log->stop();
  EXPECT_EQ(openStore(dbPath(), true)->nextSeq().value(), static_cast<std::uint64_t>(kWaiters + 1));
}

TEST_F(AuditLogTest, AppendDurablyAnswersFalseWhenTheCommitIsLate) {
  auto controllable = std::make_unique<ControllableStore>(openStore(dbPath()));
  ControllableStore& store = *controllable;
  auto log = openAuditLog(std::move(controllable), {});
  store.holdAppends();
  asio::io_context io;
  std::optional<bool> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result = co_await appendDurably(*log, makeEntry(0), 50ms); },
      asio::detached);
  auto started = std::chrono::steady_clock::now();
  io.run();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(*result);
  // The commit goes through afterwards; its answer finds nobody waiting and does nothing.
  store.releaseAppends();
  log->stop();
  EXPECT_EQ(openStore(dbPath(), true)->nextSeq().value(), 1u);
}

TEST_F(AuditLogTest, SignedHeadsVerifyAndReachTheHeadsFile) {
  auto keys = generateKeyPair();
  std::string headsFile = dir.file("heads.jsonl");
  auto log = open({.treeHeadInterval = 1h, .signingKeyPem = keys.privatePem, .treeHeadsFile = headsFile});
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i)));
  log->stop();
  auto trusted = readTreeHeadsFile(headsFile);
  ASSERT_TRUE(trusted);
  ASSERT_FALSE(trusted->empty());
  EXPECT_EQ(trusted->back().size, 9u);
  EXPECT_EQ(trusted->back().signature, log->latestHead().signature);
  auto report = verify({.publicKeyPem = keys.publicPem, .trustedHeads = *trusted});
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_TRUE(report.warnings.empty());
  EXPECT_EQ(report.entriesChecked, 9u);
}

TEST_F(AuditLogTest, UnusableSigningKeyRefusesToStart) {
  EXPECT_THROW(open({.signingKeyPem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}),
               std::runtime_error);
}

TEST_F(AuditLogTest, RetentionPrunesOldEntriesAndTheLogStillVerifies) {
  auto keys = generateKeyPair();
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  auto log = open({.treeHeadInterval = 10ms,
                   .signingKeyPem = keys.privatePem,
                   .retentionMaxAge = std::chrono::hours(1),
                   .retentionCheckInterval = std::chrono::seconds(1)});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i, now - 3'600'000'000LL * 2)));
  for (int i = 20; i < 30; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i, now)));
  auto reader = openStore(dbPath(), true);
  ASSERT_TRUE(eventually(
      [&] {
        auto checkpoint = reader->pruneCheckpoint().value();
        return checkpoint && checkpoint->head.size == 20;
      },
      10s));
  EXPECT_EQ(reader->readEntries(0, 100)->front().seq, 20u);
  for (int i = 30; i < 35; ++i) ASSERT_TRUE(appendAndWait(*log, makeEntry(i, now)));
  log->stop();

  auto report = verify({.publicKeyPem = keys.publicPem});
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entriesChecked, 15u);
  // And the log restarts from the checkpoint.
  auto reopened = open({.signingKeyPem = keys.privatePem});
  ASSERT_TRUE(appendAndWait(*reopened, makeEntry(35, now)));
  reopened->stop();
  EXPECT_TRUE(verify({.publicKeyPem = keys.publicPem}).ok);
}

}  // namespace
}  // namespace kubegate::audit
