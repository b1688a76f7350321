// Signing, verifying and exchanging tree heads: the Ed25519 signature over a fixed text message, and
// the JSON-lines witness file an auditor keeps outside the database.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "audit/entry.h"
#include "audit/store.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace kubegate::audit {

// "kubegate-audit-tree-head/v1\n<size>\n<root hex>\n<timeMicros>\n": what the signature covers.
std::string treeHeadMessage(const TreeHead& head);

class TreeHeadSigner {
 public:
  // From PEM as `openssl genpkey -algorithm ed25519` writes it.
  static StoreResult<TreeHeadSigner> fromPrivateKeyPem(std::string_view pem);
  // Fills in signature and keyId.
  void sign(TreeHead& head) const;
  const std::string& keyId() const { return keyId_; }
  std::string publicKeyPem() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string keyId_;
};

class TreeHeadVerifier {
 public:
  // From PEM as `openssl pkey -pubout` writes it.
  static StoreResult<TreeHeadVerifier> fromPublicKeyPem(std::string_view pem);
  bool verify(const TreeHead& head) const;
  const std::string& keyId() const { return keyId_; }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string keyId_;
};

StoreResult<std::string> publicKeyPemFromPrivateKeyPem(std::string_view privatePem);


// One line of the tree heads file, without the newline.
std::string treeHeadJsonLine(const TreeHead& head);
StoreResult<TreeHead> parseTreeHeadJsonLine(std::string_view line);
// Appends the head's line with O_APPEND and fsyncs it, so a head the log reports is on disk.
StoreResult<void> appendTreeHeadToFile(const std::string& path, const TreeHead& head);

// "2024-05-01T12:00:00.123456Z", for messages.
std::string formatMicros(std::int64_t timeMicros);

}  // namespace kubegate::audit
