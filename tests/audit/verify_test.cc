#include "audit/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "audit/audit_log.h"
#include "audit/compression.h"
#include "audit/merkle.h"
#include "audit_test_support.h"

namespace kubegate::audit {
namespace {

using namespace std::chrono_literals;
using testing::rawDeflate;
using testing::generateKeyPair;
using testing::openStore;
using testing::rawSql;
using testing::ScratchDir;

// Entries alike but for their documents, so moving a document elsewhere yields exactly the content
// expected at another position.
Entry uniformEntry(int i) {
  Entry e;
  e.timeMicros = 1'700'000'000'000'000;
  e.index.username = "alice";
  e.index.cluster = "prod";
  e.index.verb = "get";
  e.index.status = 200;
  e.document = R"({"n":)" + std::to_string(i) + "}";
  return e;
}

std::string bytes(const Digest& d) { return std::string(d.begin(), d.end()); }

// A log written in three sessions of ten entries: tree heads at sizes 10, 20 and 30, each signed and
// also kept in the heads file.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int session = 0; session < 3; ++session) writeSession(session * 10, 10);
  }

  void writeSession(int from, int count) {
    auto log = openAuditLog(openStore(db()), {.treeHeadInterval = 1h, .signingKeyPem = keys.privatePem,
                                              .treeHeadsFile = headsFile()});
    for (int i = from; i < from + count; ++i) {
      std::promise<bool> done;
      log->append(uniformEntry(i), [&](bool ok) { done.set_value(ok); });
      ASSERT_TRUE(done.get_future().get());
    }
    log->stop();
  }

  VerifyReport verify(bool withTrustedHeads = false, std::string publicKey = "") {
    VerifyOptions options;
    options.publicKeyPem = publicKey.empty() ? keys.publicPem : publicKey;
    if (withTrustedHeads) options.trustedHeads = readTreeHeadsFile(headsFile()).value();
    auto store = openStore(db(), true);
    return verifyLog(*store, options);
  }

  std::string db() const { return dir.file("audit.db"); }
  std::string headsFile() const { return dir.file("heads.jsonl"); }

  ScratchDir dir;
  testing::KeyPair keys = generateKeyPair();
};

void expectProblem(const VerifyReport& report, std::optional<std::uint64_t> seq, const std::string& words) {
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, seq) << report.problem;
  EXPECT_NE(report.problem.find(words), std::string::npos) << report.problem;
}

TEST_F(VerifyTest, IntactLogVerifiesWithEveryHead) {
  auto report = verify(true);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entriesChecked, 30u);
  EXPECT_EQ(report.headsChecked, 6u);  // three stored, three trusted
  EXPECT_TRUE(report.warnings.empty());
}

TEST_F(VerifyTest, UnsignedHeadsAreAWarning) {
  ScratchDir other;
  auto log = openAuditLog(openStore(other.file("a.db")), {});
  log->append(uniformEntry(0), {});
  log->stop();
  auto store = openStore(other.file("a.db"), true);
  auto report = verifyLog(*store, {});
  EXPECT_TRUE(report.ok);
  EXPECT_NE(std::find(report.warnings.begin(), report.warnings.end(), "tree heads are not signed"),
            report.warnings.end());
}

TEST_F(VerifyTest, FlippedByteInADocument) {
  rawSql(db(), "UPDATE entries SET document = replace(document, '17', '71') WHERE seq = 17");
  expectProblem(verify(), 17, "entry 17 was changed");
}

TEST_F(VerifyTest, ChangedIndexColumn) {
  rawSql(db(), "UPDATE entries SET username = 'mallory' WHERE seq = 5");
  expectProblem(verify(), 5, "entry 5 was changed");
}

TEST_F(VerifyTest, DeletedEntry) {
  rawSql(db(), "DELETE FROM entries WHERE seq = 12");
  expectProblem(verify(), 12, "entry 12 is missing (removed)");
}

TEST_F(VerifyTest, SwappedDocumentsAreReportedAsReordered) {
  rawSql(db(),
         "UPDATE entries SET document = CASE seq WHEN 3 THEN (SELECT document FROM entries WHERE seq = 4) "
         "ELSE (SELECT document FROM entries WHERE seq = 3) END WHERE seq IN (3, 4)");
  auto report = verify();
  expectProblem(report, 3, "entry 3 was changed");
  EXPECT_NE(report.problem.find("reordered"), std::string::npos) << report.problem;
  EXPECT_NE(report.problem.find("entry 4"), std::string::npos) << report.problem;
}

TEST_F(VerifyTest, TruncatedTailIsCaughtByTheStoredHead) {
  rawSql(db(), "DELETE FROM entries WHERE seq >= 25");
  expectProblem(verify(), 25, "entries from 25 on were removed (truncated or rolled back)");
}

TEST_F(VerifyTest, TruncatedHeadsAndEntriesAreCaughtByTheTrustedHeads) {
  rawSql(db(), "DELETE FROM entries WHERE seq >= 25");
  rawSql(db(), "DELETE FROM tree_heads WHERE size > 20");
  EXPECT_TRUE(verify(false).ok);  // the database alone looks like a shorter log
  auto report = verify(true);
  expectProblem(report, 25, "entries from 25 on were removed");
  EXPECT_NE(report.problem.find("trusted tree head"), std::string::npos) << report.problem;
  EXPECT_NE(report.problem.find("covers 30 entries"), std::string::npos) << report.problem;
}

TEST_F(VerifyTest, RestoredOlderCopyIsCaughtByTheTrustedHeads) {
  namespace fs = std::filesystem;
  fs::copy_file(db(), dir.file("backup.db"));
  writeSession(30, 5);
  fs::remove(db() + "-wal");
  fs::remove(db() + "-shm");
  fs::copy_file(dir.file("backup.db"), db(), fs::copy_options::overwrite_existing);
  EXPECT_TRUE(verify(false).ok);
  expectProblem(verify(true), 30, "rolled back");
}

TEST_F(VerifyTest, ConsistentRewriteIsLocalisedBetweenHeads) {
  Entry forged = uniformEntry(23);
  forged.document = R"({"n":23,"forged":true})";
  rawSql(db(), "UPDATE entries SET document = CAST(?1 AS TEXT), leaf_hash = ?2 WHERE seq = 23",
         {forged.document, bytes(entryLeafHash(23, forged))});
  expectProblem(verify(), 20, "entries between 20 and 30 were changed");
}

TEST_F(VerifyTest, ForgedHeadsWithoutTheKeyAreCaught) {
  // Rewriting the stored heads to fit a forgery needs the signing key.
  Entry forged = uniformEntry(23);
  forged.document = R"({"n":23,"forged":true})";
  rawSql(db(), "UPDATE entries SET document = CAST(?1 AS TEXT), leaf_hash = ?2 WHERE seq = 23",
         {forged.document, bytes(entryLeafHash(23, forged))});
  MerkleFrontier frontier;
  auto entries = openStore(db(), true)->readEntries(0, 100).value();
  for (const auto& e : entries) frontier.append(e.leafHash);
  rawSql(db(), "UPDATE tree_heads SET root = ?1 WHERE size = 30", {bytes(frontier.root())});
  expectProblem(verify(), std::nullopt, "bad signature");
}

TEST_F(VerifyTest, WrongPublicKeyIsASignatureProblem) {
  auto report = verify(false, generateKeyPair().publicPem);
  expectProblem(report, std::nullopt, "bad signature");
  EXPECT_NE(report.problem.find("size 10"), std::string::npos) << report.problem;
}

TEST_F(VerifyTest, PrunedLogVerifiesFromItsCheckpointAndCatchesAGapAtTheStart) {
  auto store = openStore(db());
  MerkleFrontier frontier;
  for (const auto& e : store->readEntries(0, 10).value()) frontier.append(e.leafHash);
  PruneCheckpoint checkpoint;
  checkpoint.head = {10, frontier.root(), 1, "", ""};
  TreeHeadSigner::fromPrivateKeyPem(keys.privatePem)->sign(checkpoint.head);
  checkpoint.frontier = frontier.roots();
  ASSERT_TRUE(store->prune(checkpoint));
  auto report = verify(true);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entriesChecked, 20u);

  rawSql(db(), "DELETE FROM entries WHERE seq = 10");
  expectProblem(verify(), 10, "entry 10 is missing");
}

}  // namespace
// A database kept across the upgrade to sealed attachments (ADR 0013) holds leaves of both formats.
class LeafFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Entries 0-2 as gateways before sealing stored them: raw deflate behind a zero byte, leaf
    // format 1 over the raw attachment.
    std::vector<StoredEntry> older;
    MerkleFrontier frontier;
    for (int i = 0; i < 3; ++i) {
      StoredEntry s;
      s.seq = static_cast<std::uint64_t>(i);
      s.entry = withBody(i);
      s.storedAttachment = '\0' + rawDeflate(s.entry.attachment);
      s.attachmentSize = s.entry.attachment.size();
      s.leafHash = entryLeafHash(s.seq, s.entry);
      frontier.append(s.leafHash);
      older.push_back(std::move(s));
    }
    ASSERT_TRUE(openStore(db())->appendBatch(older, nullptr));
    // Entries 3-5 by today's writer, which continues the same tree.
    auto log = openAuditLog(openStore(db()), {});
    for (int i = 3; i < 6; ++i) {
      std::promise<bool> done;
      log->append(withBody(i), [&](bool ok) { done.set_value(ok); });
      ASSERT_TRUE(done.get_future().get());
    }
    log->stop();
  }

  static Entry withBody(int i) {
    Entry e = uniformEntry(i);
    e.kind = EntryKind::response;
    for (int pod = 0; pod < 50; ++pod) e.attachment += R"({"name":"pod-)" + std::to_string(pod) + R"("},)";
    return e;
  }

  VerifyReport verify() { return verifyLog(*openStore(db(), true), {}); }
  std::string db() const { return dir.file("audit.db"); }
  ScratchDir dir;
};

TEST_F(LeafFormatsTest, BothFormatsVerifyAndReadBack) {
  auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entriesChecked, 6u);
  for (const auto& e : openStore(db(), true)->readEntries(0, 10).value()) {
    EXPECT_EQ(isSealedAttachment(e.storedAttachment), e.seq >= 3) << e.seq;
    EXPECT_EQ(e.entry.attachment, withBody(static_cast<int>(e.seq)).attachment) << e.seq;
  }
}

TEST_F(LeafFormatsTest, AChangedSealedAttachmentOrItsSizeNamesTheEntry) {
  rawSql(db(), "UPDATE entries SET attachment_size = attachment_size - 1 WHERE seq = 4");
  expectProblem(verify(), 4, "entry 4 was changed");
  rawSql(db(), "UPDATE entries SET attachment_size = attachment_size + 1 WHERE seq = 4");
  ASSERT_TRUE(verify().ok);
  // One byte of the compressed body, the marker kept: the leaf covers the stored bytes themselves.
  std::string sealed = openStore(db(), true)->readEntries(5, 1).value().at(0).storedAttachment;
  ASSERT_TRUE(isSealedAttachment(sealed));
  sealed[sealed.size() / 2] ^= 0x40;
  rawSql(db(), "UPDATE entries SET attachment = ?1 WHERE seq = 5", {sealed});
  expectProblem(verify(), 5, "entry 5 was changed");
}

TEST_F(LeafFormatsTest, AnOlderEntryCannotPassItsSealedBytesOffAsItsBody) {
  // Rewriting entry 4 in format 1 with its stored bytes as the raw body keeps the attachment digest
  // the same; format 2's extra fields make the leaf differ all the same.
  auto stored = openStore(db(), true)->readEntries(4, 1).value().at(0);
  std::string sealedBytes = stored.storedAttachment;
  std::string asOlder = '\0' + rawDeflate(sealedBytes);
  rawSql(db(), "UPDATE entries SET attachment = ?1, attachment_size = " + std::to_string(sealedBytes.size()) +
                   " WHERE seq = 4",
         {asOlder});
  expectProblem(verify(), 4, "entry 4 was changed");
}

}  // namespace kubegate::audit
