#include "audit/journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "audit/audit_log.h"
#include "audit/verify.h"
#include "audit_test_support.h"

namespace kubegate::audit {
namespace {

using namespace std::chrono_literals;
using testing::ControllableStore;
using testing::eventually;
using testing::makeEntry;
using testing::openStore;
using testing::ScratchDir;

std::size_t segmentFiles(const std::string& directory) {
  std::size_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(directory)) n += f.path().filename().string() != "lock";
  return n;
}

Entry requestEntry(int i) {
  Entry e = makeEntry(i * 3);  // kind request, its own request id
  e.attachment = std::string("body\0with\xff bytes ", 17) + std::to_string(i);
  return e;
}

void expectSameEntry(const Entry& got, const Entry& want) {
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.timeMicros, want.timeMicros);
  EXPECT_EQ(got.index.requestId, want.index.requestId);
  EXPECT_EQ(got.index.subject, want.index.subject);
  EXPECT_EQ(got.index.namespace_, want.index.namespace_);
  EXPECT_EQ(got.index.decision, want.index.decision);
  EXPECT_EQ(got.index.status, want.index.status);
  EXPECT_EQ(got.document, want.document);
  EXPECT_EQ(got.attachment, want.attachment);
}

class JournalTest : public ::testing::Test {
 protected:
  std::string journalDir() const { return dir.file("audit.db.journal"); }
  // Writes the entries into a fresh segment and returns its path.
  std::string writeSegment(const std::vector<Entry>& entries) {
    auto journal = Journal::open(journalDir()).value();
    EXPECT_TRUE(journal.startSegment().has_value());
    for (const auto& e : entries) EXPECT_TRUE(journal.write(encodeJournalRecord(e)).has_value());
    return journal.segmentPath();
  }
  ScratchDir dir;
};

TEST_F(JournalTest, SegmentsReadBackEveryFieldOfEveryRecordInOrder) {
  std::vector<Entry> entries{requestEntry(0), requestEntry(1), requestEntry(2)};
  auto contents = readJournalSegment(writeSegment(entries)).value();
  EXPECT_EQ(contents.damage, "");
  ASSERT_EQ(contents.entries.size(), 3u);
  for (std::size_t i = 0; i < entries.size(); ++i) expectSameEntry(contents.entries[i], entries[i]);
}

TEST_F(JournalTest, ARecordCutShortEndsTheSegmentAndIsNamed) {
  auto path = writeSegment({requestEntry(0), requestEntry(1)});
  auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 3);  // the second write was cut short by a crash
  auto contents = readJournalSegment(path).value();
  ASSERT_EQ(contents.entries.size(), 1u);
  expectSameEntry(contents.entries[0], requestEntry(0));
  EXPECT_NE(contents.damage.find("cut short"), std::string::npos) << contents.damage;
}

TEST_F(JournalTest, ADamagedRecordFailsItsChecksumAndNothingAfterItIsTrusted) {
  auto path = writeSegment({requestEntry(0), requestEntry(1), requestEntry(2)});
  const auto firstRecord = encodeJournalRecord(requestEntry(0)).size();
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::string("kubegate-journal 1\n").size() + firstRecord + 20));
    f.put('!');
  }
  auto contents = readJournalSegment(path).value();
  ASSERT_EQ(contents.entries.size(), 1u);
  EXPECT_NE(contents.damage.find("damaged"), std::string::npos) << contents.damage;
}

TEST_F(JournalTest, OnlyOneProcessMayWriteAJournal) {
  {
    auto first = Journal::open(journalDir());
    ASSERT_TRUE(first.has_value());
    auto second = Journal::open(journalDir());
    ASSERT_FALSE(second.has_value());
    EXPECT_NE(second.error().message.find("another process writes this audit log"), std::string::npos);
  }
  EXPECT_TRUE(Journal::open(journalDir()).has_value());  // the first one's lock went with it
}

class JournaledLogTest : public JournalTest {
 protected:
  std::string dbPath() const { return dir.file("audit.db"); }
  AuditLogOptions options(std::chrono::milliseconds commitInterval) const {
    AuditLogOptions o;
    o.commitInterval = commitInterval;
    o.journalDirectory = journalDir();
    return o;
  }
  std::uint64_t committed() const { return openStore(dbPath(), true)->nextSeq().value(); }
};

TEST_F(JournaledLogTest, WithoutAJournalRequestsWaitForTheirCommit) {
  auto log = openAuditLog(openStore(dbPath()), {});
  Entry e = requestEntry(0);
  EXPECT_EQ(log->appendJournaled(e), JournalAppend::wait);
  EXPECT_EQ(e.document, requestEntry(0).document);  // untouched, for the waiting path
}

TEST_F(JournaledLogTest, WithSyncFullRequestsWaitButLeftoversAreStillCommittedAndTheLockHeld) {
  {
    auto journal = Journal::open(journalDir()).value();
    ASSERT_TRUE(journal.startSegment().has_value());
    ASSERT_TRUE(journal.write(encodeJournalRecord(requestEntry(0))).has_value());  // killed under sync: normal
  }
  AuditLogOptions full = options(5ms);
  full.requestsWaitForCommit = true;
  auto log = openAuditLog(openStore(dbPath()), full);
  EXPECT_EQ(committed(), 1u);
  Entry e = requestEntry(1);
  EXPECT_EQ(log->appendJournaled(e), JournalAppend::wait);
  EXPECT_FALSE(Journal::open(journalDir()).has_value());
}

TEST_F(JournaledLogTest, AJournaledEntryIsCommittedWithinTheIntervalAndTheJournalEmptiesAtStop) {
  auto log = openAuditLog(openStore(dbPath()), options(20ms));
  for (int i = 0; i < 5; ++i) {
    Entry e = requestEntry(i);
    ASSERT_EQ(log->appendJournaled(e), JournalAppend::written);
  }
  // In the journal at once, in the log after the commit interval, in one batch.
  ASSERT_TRUE(eventually([&] { return committed() == 5; }, 2s));
  EXPECT_EQ(segmentFiles(journalDir()), 1u);
  log->stop();
  EXPECT_EQ(segmentFiles(journalDir()), 0u);
  auto entries = openStore(dbPath(), true)->readEntries(0, 10).value();
  ASSERT_EQ(entries.size(), 5u);
  for (int i = 0; i < 5; ++i) expectSameEntry(entries[i].entry, requestEntry(i));
}

TEST_F(JournaledLogTest, WhatAStoppedGatewayLeftInTheJournalIsCommittedOnceAtTheNextStart) {
  {
    auto controllable = std::make_unique<ControllableStore>(openStore(dbPath()));
    ControllableStore& store = *controllable;
    auto log = openAuditLog(std::move(controllable), options(300ms));
    Entry first = requestEntry(0);
    ASSERT_EQ(log->appendJournaled(first), JournalAppend::written);
    ASSERT_TRUE(eventually([&] { return committed() == 1; }));
    // The disk fails: two more requests were journaled (and forwarded), but never committed.
    store.failAppends = true;
    for (int i = 1; i <= 2; ++i) {
      Entry e = requestEntry(i);
      ASSERT_EQ(log->appendJournaled(e), JournalAppend::written);
    }
    ASSERT_TRUE(eventually([&] { return !log->healthy(); }));
    Entry refused = requestEntry(9);
    EXPECT_EQ(log->appendJournaled(refused), JournalAppend::failed);  // a failing store refuses requests
    log->stop();
  }
  EXPECT_EQ(committed(), 1u);
  ASSERT_GE(segmentFiles(journalDir()), 1u);

  auto log = openAuditLog(openStore(dbPath()), options(20ms));
  // Entry 0 was in the log already and is not added twice; 1 and 2 follow it, in journal order.
  auto entries = openStore(dbPath(), true)->readEntries(0, 10).value();
  ASSERT_EQ(entries.size(), 3u);
  for (int i = 0; i < 3; ++i) expectSameEntry(entries[i].entry, requestEntry(i));
  log->stop();
  EXPECT_EQ(segmentFiles(journalDir()), 0u);
  auto report = verifyLog(*openStore(dbPath(), true), {});
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_F(JournaledLogTest, ASegmentThatEndsEarlyGivesUpItsWholeRecordsAndIsKeptAside) {
  const auto path = writeSegment({requestEntry(0), requestEntry(1)});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);  // a write cut short
  auto log = openAuditLog(openStore(dbPath()), options(5ms));
  EXPECT_EQ(committed(), 1u);
  EXPECT_FALSE(std::filesystem::exists(path));
  const auto aside = std::filesystem::path(path).parent_path() / ("damaged-" + std::filesystem::path(path).filename().string());
  EXPECT_TRUE(std::filesystem::exists(aside));
  EXPECT_EQ(damagedJournalSegments(journalDir()).value(), std::vector<std::string>{aside.string()});
  for (const auto& segment : journalSegments(journalDir()).value()) EXPECT_NE(segment, aside.string());
  log.reset();
  EXPECT_TRUE(std::filesystem::exists(aside));  // not a segment: no later reading takes it again
  EXPECT_EQ(openAuditLog(openStore(dbPath()), options(5ms))->latestHead().size, 1u);
}

TEST_F(JournaledLogTest, ASecondWriterOnTheSameDatabaseIsRefused) {
  auto log = openAuditLog(openStore(dbPath()), options(5ms));
  EXPECT_THROW(
      {
        try {
          openAuditLog(openStore(dbPath()), options(5ms));
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("another process writes this audit log"), std::string::npos) << e.what();
          throw;
        }
      },
      std::runtime_error);
}

TEST_F(JournaledLogTest, SegmentsAreClosedAsTheyFillAndRemovedOnceCommitted) {
  auto log = openAuditLog(openStore(dbPath()), options(5ms));
  Entry big = requestEntry(0);
  big.attachment.assign(300 * 1024, 'b');
  for (int i = 0; i < 8; ++i) {  // 2.4 MiB: the 1 MiB segments roll over twice
    Entry e = big;
    e.index.requestId = "big-" + std::to_string(i);
    ASSERT_EQ(log->appendJournaled(e), JournalAppend::written);
  }
  ASSERT_TRUE(eventually([&] { return committed() == 8; }));
  // Closed segments go after their last record's commit; the current one stays until stop.
  ASSERT_TRUE(eventually([&] { return segmentFiles(journalDir()) == 1; }));
  log->stop();
  EXPECT_EQ(segmentFiles(journalDir()), 0u);
}

TEST_F(JournaledLogTest, ConcurrentRequestsAreAllCommittedInEachThreadsOrderAcrossSegments) {
  auto log = openAuditLog(openStore(dbPath()), options(5ms));
  constexpr int kThreads = 4, kPerThread = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Entry e = requestEntry(t * kPerThread + i);
        e.index.requestId = "t" + std::to_string(t) + "-" + std::to_string(i);
        e.attachment.assign(8 * 1024, static_cast<char>('a' + t));  // 4.8 MiB in all: segments roll over
        ASSERT_EQ(log->appendJournaled(e), JournalAppend::written);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(eventually([&] { return committed() == kThreads * kPerThread; }));
  ASSERT_TRUE(eventually([&] { return segmentFiles(journalDir()) == 1; }));
  log->stop();
  EXPECT_EQ(segmentFiles(journalDir()), 0u);
  std::vector<int> next(kThreads, 0);
  for (const auto& stored : openStore(dbPath(), true)->readEntries(0, 10'000).value()) {
    const std::string& id = stored.entry.index.requestId;
    const int t = id[1] - '0';
    EXPECT_EQ(id, "t" + std::to_string(t) + "-" + std::to_string(next[t])) << "out of order at seq " << stored.seq;
    ++next[t];
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kPerThread));
  auto report = verifyLog(*openStore(dbPath(), true), {});
  EXPECT_TRUE(report.ok) << report.problem;
}

}  // namespace
}  // namespace kubegate::audit
