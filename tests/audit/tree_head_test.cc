#include "audit/tree_head.h"
#include "http/base64.h"

#include <gtest/gtest.h>

#include <fstream>

#include "audit/merkle.h"
#include "audit/verify.h"
#include "audit_test_support.h"

namespace kubegate::audit {
namespace {

using testing::generateKeyPair;
using testing::ScratchDir;

TreeHead sampleHead() {
  TreeHead head;
  head.size = 42;
  head.root = sha256("root");
  head.timeMicros = 1'714'000'000'123'456;
  return head;
}

TEST(AuditTreeHeadTest, MessageIsTheDocumentedText) {
  TreeHead head = sampleHead();
  EXPECT_EQ(treeHeadMessage(head),
            "kubegate-audit-tree-head/v1\n42\n" + toHex(head.root) + "\n1714000000123456\n");
}

TEST(AuditTreeHeadTest, SignedHeadVerifiesWithTheDerivedPublicKeyOnly) {
  auto keys = generateKeyPair();
  auto signer = TreeHeadSigner::fromPrivateKeyPem(keys.privatePem);
  ASSERT_TRUE(signer);
  TreeHead head = sampleHead();
  signer->sign(head);
  EXPECT_EQ(head.signature.size(), 64u);
  EXPECT_EQ(head.keyId.size(), 16u);

  auto verifier = TreeHeadVerifier::fromPublicKeyPem(keys.publicPem);
  ASSERT_TRUE(verifier);
  EXPECT_EQ(verifier->keyId(), head.keyId);
  EXPECT_TRUE(verifier->verify(head));

  TreeHead moved = head;
  moved.size = 43;
  EXPECT_FALSE(verifier->verify(moved));
  auto other = TreeHeadVerifier::fromPublicKeyPem(generateKeyPair().publicPem);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->verify(head));
}

TEST(AuditTreeHeadTest, KeyIdIsTheStartOfTheHashOfTheRawPublicKey) {
  auto keys = generateKeyPair();
  auto signer = TreeHeadSigner::fromPrivateKeyPem(keys.privatePem);
  ASSERT_TRUE(signer);
  // The raw key is the last 32 bytes of the SubjectPublicKeyInfo DER in the PEM.
  std::string pem = keys.publicPem;
  std::string body;
  for (std::size_t at = pem.find('\n') + 1; at < pem.size() && pem[at] != '-'; ++at)
    if (pem[at] != '\n') body += pem[at];
  auto der = decodeBase64(body);
  ASSERT_TRUE(der);
  ASSERT_EQ(der->size(), 44u);
  EXPECT_EQ(signer->keyId(), toHex(sha256(der->substr(12))).substr(0, 16));
}

TEST(AuditTreeHeadTest, RejectsKeysThatAreNotEd25519Pem) {
  EXPECT_FALSE(TreeHeadSigner::fromPrivateKeyPem("not a key"));
  EXPECT_FALSE(TreeHeadVerifier::fromPublicKeyPem(generateKeyPair().privatePem));
}

TEST(AuditTreeHeadTest, HeadsFileRoundTripsAndNamesTheBadLine) {
  ScratchDir dir;
  auto signer = TreeHeadSigner::fromPrivateKeyPem(generateKeyPair().privatePem);
  ASSERT_TRUE(signer);
  TreeHead signed_ = sampleHead();
  signer->sign(signed_);
  TreeHead unsigned_ = sampleHead();
  unsigned_.size = 50;
  std::string path = dir.file("heads.jsonl");
  ASSERT_TRUE(appendTreeHeadToFile(path, signed_));
  ASSERT_TRUE(appendTreeHeadToFile(path, unsigned_));
  auto heads = readTreeHeadsFile(path);
  ASSERT_TRUE(heads) << heads.error().message;
  ASSERT_EQ(heads->size(), 2u);
  EXPECT_EQ((*heads)[0].root, signed_.root);
  EXPECT_EQ((*heads)[0].signature, signed_.signature);
  EXPECT_EQ((*heads)[0].keyId, signed_.keyId);
  EXPECT_EQ((*heads)[0].timeMicros, signed_.timeMicros);
  EXPECT_EQ((*heads)[1].size, 50u);
  EXPECT_TRUE((*heads)[1].signature.empty());

  std::ofstream(path, std::ios::app) << R"({"size":51,"root":"zz","time":1})" << "\n";
  auto bad = readTreeHeadsFile(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line 3"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(readTreeHeadsFile(dir.file("absent.jsonl")));
}

TEST(AuditTreeHeadTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(decodeBase64(encodeBase64(bytes)), bytes);
    bytes.push_back(static_cast<char>(n * 37));
  }
  EXPECT_FALSE(decodeBase64("abc"));
}

}  // namespace
}  // namespace kubegate::audit
