// RFC 6962 Merkle tree hashing for the audit log: the leaf encoding of an entry, and the tree's right
// edge (frontier), which is all the writer needs to append in O(log n) and to know the root at any
// size it reaches.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/entry.h"
#include "audit/store.h"

namespace kubegate::audit {

Digest sha256(std::string_view bytes);
Digest hashLeaf(std::string_view leafInput);                 // SHA-256(0x00 || input)
Digest hashChildren(const Digest& left, const Digest& right);  // SHA-256(0x01 || left || right)
Digest emptyTreeRoot();                                       // SHA-256("")

// The canonical bytes of an entry at position `seq` (the formats are fixed: see docs/audit.md).
// Format 1 covers SHA-256 of the raw attachment: entries without one, and entries stored before
// attachments were sealed.
std::string leafInput(std::uint64_t seq, const Entry& entry);
Digest entryLeafHash(std::uint64_t seq, const Entry& entry);
// The format the stored entry calls for: format 2 when its attachment is sealed (compression.h),
// covering SHA-256 of the stored bytes and the raw length instead, so the writer hashes the
// compressed attachment, a seventh of a JSON body, rather than the body (ADR 0013).
std::string leafInput(const StoredEntry& stored);
Digest entryLeafHash(const StoredEntry& stored);

// What the writer does to each entry before the store sees it: seals the attachment and computes
// the leaf hash over the result. The store keeps storedAttachment as it is.
StoreResult<void> sealEntry(StoredEntry& stored);

std::string toHex(std::span<const unsigned char> bytes);
std::optional<Digest> digestFromHex(std::string_view hex);
std::optional<Digest> digestFromBytes(std::string_view bytes);

// The roots of the perfect subtrees that make up a tree of `size()` leaves, largest first (one per
// set bit of the size).
class MerkleFrontier {
 public:
  MerkleFrontier() = default;
  // Fails when `roots` cannot be the frontier of a tree of `size` leaves.
  static std::optional<MerkleFrontier> fromRoots(std::uint64_t size, std::vector<Digest> roots);

  void append(const Digest& leafHash);
  Digest root() const;
  std::uint64_t size() const { return size_; }
  const std::vector<Digest>& roots() const { return roots_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Digest> roots_;
};

}  // namespace kubegate::audit
