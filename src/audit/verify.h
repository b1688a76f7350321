// `kubegate audit verify`: recomputes every leaf hash and the Merkle tree over the whole log and
// checks each stored (and each trusted) tree head against it, naming the first entry that was
// changed, removed, reordered, truncated or rolled back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/entry.h"
#include "audit/store.h"

namespace kubegate::audit {

struct VerifyOptions {
  std::string publicKeyPem;            // Ed25519 public key; empty: signatures are not checked (reported)
  std::vector<TreeHead> trustedHeads;  // heads kept outside the database (treeHeadsFile, or exported)
};

struct VerifyReport {
  bool ok = false;
  std::uint64_t entriesChecked = 0;
  std::uint64_t headsChecked = 0;
  std::optional<std::uint64_t> firstBadSeq;  // the first entry found wrong (changed/removed/out of order)
  std::string problem;                       // one sentence naming what is wrong and where
  std::vector<std::string> warnings;         // e.g. "tree heads are not signed"
};

VerifyReport verifyLog(Store& store, const VerifyOptions& options);

// Parses the JSON lines of a tree heads file (as AuditLog writes it).
StoreResult<std::vector<TreeHead>> readTreeHeadsFile(const std::string& path);

}  // namespace kubegate::audit
