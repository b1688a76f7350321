#include "audit/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <functional>
#include <random>

#include "audit/compression.h"

namespace kubegate::audit {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// The Certificate Transparency reference leaves and the RFC 6962 roots of their prefixes
// (google/certificate-transparency merkle_tree_test.cc, transparency-dev/merkle).
const std::vector<std::string> kCtLeaves = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
const std::vector<std::string> kCtRoots = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// RFC 6962 section 2.1, written the way the RFC states it.
Digest naiveTreeHash(std::span<const Digest> leaves) {
  if (leaves.empty()) return sha256("");
  if (leaves.size() == 1) return leaves[0];
  std::size_t k = 1;
  while (k * 2 < leaves.size()) k *= 2;
  return hashChildren(naiveTreeHash(leaves.subspan(0, k)), naiveTreeHash(leaves.subspan(k)));
}

TEST(MerkleTest, RootsMatchTheRfc6962ReferenceVectors) {
  MerkleFrontier frontier;
  EXPECT_EQ(toHex(frontier.root()), kCtRoots[0]);
  for (std::size_t i = 0; i < kCtLeaves.size(); ++i) {
    frontier.append(hashLeaf(unhex(kCtLeaves[i])));
    EXPECT_EQ(toHex(frontier.root()), kCtRoots[i + 1]) << "size " << i + 1;
  }
}

TEST(MerkleTest, FrontierAgreesWithTheNaiveTreeHashAtEverySize) {
  std::mt19937_64 rng(6962);
  std::vector<Digest> leaves;
  MerkleFrontier frontier;
  EXPECT_EQ(frontier.root(), naiveTreeHash(leaves));
  for (int size = 1; size <= 300; ++size) {
    Digest leaf;
    for (auto& b : leaf) b = static_cast<unsigned char>(rng());
    leaves.push_back(leaf);
    frontier.append(leaf);
    ASSERT_EQ(frontier.root(), naiveTreeHash(leaves)) << "size " << size;
    ASSERT_EQ(frontier.roots().size(), static_cast<std::size_t>(std::popcount(static_cast<unsigned>(size))));
  }
}

TEST(MerkleTest, RestoredFrontierContinuesLikeTheOriginal) {
  MerkleFrontier original;
  for (int i = 0; i < 13; ++i) original.append(sha256(std::to_string(i)));
  auto restored = MerkleFrontier::fromRoots(original.size(), original.roots());
  ASSERT_TRUE(restored);
  for (int i = 13; i < 40; ++i) {
    original.append(sha256(std::to_string(i)));
    restored->append(sha256(std::to_string(i)));
    EXPECT_EQ(restored->root(), original.root());
  }
  EXPECT_FALSE(MerkleFrontier::fromRoots(13, {sha256("a")}));  // 13 = 8+4+1 needs three roots
}

TEST(MerkleTest, LeafHashFollowsTheDocumentedEncoding) {
  Entry e;
  e.kind = EntryKind::response;
  e.timeMicros = 0x0102030405060708;
  e.index.username = "al";
  e.index.status = -1;
  e.document = "{}";
  std::string expected = unhex("0000000000000007") + std::string(1, '\x02') + unhex("0102030405060708");
  for (int field = 0; field < 10; ++field) expected += field == 2 ? unhex("00000002") + "al" : unhex("00000000");
  expected += unhex("ffffffff");
  auto d = sha256("{}");
  auto a = sha256("");
  expected += std::string(d.begin(), d.end()) + std::string(a.begin(), a.end());
  EXPECT_EQ(leafInput(7, e), expected);
  EXPECT_EQ(entryLeafHash(7, e), sha256(std::string(1, '\0') + expected));
}

TEST(MerkleTest, SealedAttachmentsFollowLeafFormat2) {
  StoredEntry stored;
  stored.seq = 7;
  stored.entry.kind = EntryKind::response;
  stored.entry.document = "{}";
  stored.entry.attachment = std::string(4000, 'p');
  ASSERT_TRUE(sealEntry(stored));
  ASSERT_TRUE(isSealedAttachment(stored.storedAttachment));
  // Format 1's bytes up to the attachment, then SHA-256 of the stored bytes, the raw length and 0x02.
  std::string format1 = leafInput(7, stored.entry);
  std::string expected = format1.substr(0, format1.size() - 32);
  auto s = sha256(stored.storedAttachment);
  expected += std::string(s.begin(), s.end()) + unhex("0000000000000fa0") + std::string(1, '\x02');
  EXPECT_EQ(leafInput(stored), expected);
  EXPECT_EQ(stored.leafHash, sha256(std::string(1, '\0') + expected));
  // Entries without an attachment keep format 1.
  StoredEntry bare;
  bare.entry.document = "{}";
  ASSERT_TRUE(sealEntry(bare));
  EXPECT_EQ(leafInput(bare), leafInput(0, bare.entry));
}

TEST(MerkleTest, EveryFieldAndThePositionChangeTheLeafHash) {
  Entry base;
  base.document = "{}";
  Digest reference = entryLeafHash(1, base);
  EXPECT_NE(entryLeafHash(2, base), reference);
  std::vector<std::function<void(Entry&)>> changes = {
      [](Entry& e) { e.kind = EntryKind::session; },       [](Entry& e) { e.timeMicros = 1; },
      [](Entry& e) { e.index.requestId = "r"; },           [](Entry& e) { e.index.sessionId = "s"; },
      [](Entry& e) { e.index.username = "u"; },            [](Entry& e) { e.index.subject = "s"; },
      [](Entry& e) { e.index.cluster = "c"; },             [](Entry& e) { e.index.namespace_ = "n"; },
      [](Entry& e) { e.index.resource = "r"; },            [](Entry& e) { e.index.verb = "v"; },
      [](Entry& e) { e.index.decision = "d"; },            [](Entry& e) { e.index.approvalId = "a"; },
      [](Entry& e) { e.index.status = 403; },              [](Entry& e) { e.document = "{ }"; },
      [](Entry& e) { e.attachment = "x"; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    Entry changed = base;
    changes[i](changed);
    EXPECT_NE(entryLeafHash(1, changed), reference) << "change " << i;
  }
  // Length prefixes: moving a character from one field to the next is a different entry.
  Entry a = base, b = base;
  a.index.username = "ab";
  b.index.username = "a";
  b.index.subject = "b";
  EXPECT_NE(entryLeafHash(1, a), entryLeafHash(1, b));
}

}  // namespace
}  // namespace kubegate::audit
