// Where the audit log lives. The interface is what a second backend (PostgreSQL, for several gateway
// replicas) implements; callers never see SQL. A store is dumb persistence: sequence numbers, leaf
// hashes and tree heads are computed by AuditLog (audit_log.h) and handed over ready-made, so every
// backend keeps the same verifiable log.
#pragma once

#include <boost/system/result.hpp>

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "audit/entry.h"

namespace kubegate::audit {

// Store failures are values: the data path turns them into 503 (or a warning) without exceptions.
struct StoreError {
  std::string message;
};
template <class T>
using StoreResult = boost::system::result<T, StoreError>;

// Lets StoreResult::value() work (it throws std::runtime_error with the message) in tools and tests;
// the data path checks results instead.
[[noreturn]] inline void throw_exception_from_error(const StoreError& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

// What survives pruning: the tree head of the removed prefix and the right edge of the Merkle tree
// at that size (the roots of its perfect subtrees, largest first), from which the tree over the
// remaining entries can be recomputed and checked against later heads.
struct PruneCheckpoint {
  TreeHead head;                  // head.size == first kept seq
  std::vector<Digest> frontier;
};

class Store {
 public:
  virtual ~Store() = default;

  // Appends entries with seqs firstSeq, firstSeq+1, ... and their leaf hashes, plus a tree head when
  // one was made for this batch, in one durable transaction. Fails without a partial write.
  virtual StoreResult<void> appendBatch(std::span<const StoredEntry> entries, const TreeHead* head) = 0;

  // The next seq to assign (number of entries ever appended, pruned ones included).
  virtual StoreResult<std::uint64_t> nextSeq() = 0;
  // Entries with seq >= fromSeq in seq order, at most `limit`.
  virtual StoreResult<std::vector<StoredEntry>> readEntries(std::uint64_t fromSeq, std::size_t limit) = 0;
  // Leaf hashes of entries with seq >= fromSeq in seq order, at most `limit`, as (seq, hash). Rebuilding
  // the tree's right edge needs only these; the default reads whole entries, a backend can do better.
  virtual StoreResult<std::vector<std::pair<std::uint64_t, Digest>>> readLeafHashes(std::uint64_t fromSeq,
                                                                                    std::size_t limit) {
    auto entries = readEntries(fromSeq, limit);
    if (!entries) return entries.error();
    std::vector<std::pair<std::uint64_t, Digest>> out;
    out.reserve(entries->size());
    for (const auto& e : *entries) out.emplace_back(e.seq, e.leafHash);
    return out;
  }
  virtual StoreResult<std::vector<TreeHead>> treeHeads() = 0;  // ascending size
  virtual StoreResult<std::optional<PruneCheckpoint>> pruneCheckpoint() = 0;

  virtual StoreResult<std::vector<StoredEntry>> query(const QueryFilter& filter) = 0;
  virtual StoreResult<std::vector<StoredEntry>> entriesOfRequest(const std::string& requestId) = 0;

  // Removes entries with seq < checkpoint.head.size and records the checkpoint, in one transaction.
  virtual StoreResult<void> prune(const PruneCheckpoint& checkpoint) = 0;
  // Entries and bytes held, for retention decisions.
  virtual StoreResult<std::uint64_t> storedBytes() = 0;
  virtual StoreResult<std::optional<std::uint64_t>> firstSeqAtOrAfter(std::int64_t timeMicros) = 0;
};

struct SqliteOptions {
  std::string path;
  bool readOnly = false;     // auditors' tools open the database without write access
  bool syncFull = true;      // PRAGMA synchronous=FULL: every commit is fsynced (power loss); NORMAL survives kill -9
};

StoreResult<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options);

}  // namespace kubegate::audit
