// A store that hands every call to a real one; tests and benchmarks override the calls they watch.
#pragma once

#include <memory>

#include "audit/store.h"

namespace kubegate::audit::testing {

class DelegatingStore : public Store {
 public:
  explicit DelegatingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  StoreResult<void> appendBatch(std::span<const StoredEntry> entries, const TreeHead* head) override {
    return inner_->appendBatch(entries, head);
  }
  StoreResult<std::uint64_t> nextSeq() override { return inner_->nextSeq(); }
  StoreResult<std::vector<StoredEntry>> readEntries(std::uint64_t from, std::size_t limit) override {
    return inner_->readEntries(from, limit);
  }
  StoreResult<std::vector<std::pair<std::uint64_t, Digest>>> readLeafHashes(std::uint64_t from,
                                                                            std::size_t limit) override {
    return inner_->readLeafHashes(from, limit);
  }
  StoreResult<std::vector<TreeHead>> treeHeads() override { return inner_->treeHeads(); }
  StoreResult<std::optional<PruneCheckpoint>> pruneCheckpoint() override { return inner_->pruneCheckpoint(); }
  StoreResult<std::vector<StoredEntry>> query(const QueryFilter& f) override { return inner_->query(f); }
  StoreResult<std::vector<StoredEntry>> entriesOfRequest(const std::string& id) override {
    return inner_->entriesOfRequest(id);
  }
  StoreResult<void> prune(const PruneCheckpoint& cp) override { return inner_->prune(cp); }
  StoreResult<std::uint64_t> storedBytes() override { return inner_->storedBytes(); }
  StoreResult<std::optional<std::uint64_t>> firstSeqAtOrAfter(std::int64_t t) override {
    return inner_->firstSeqAtOrAfter(t);
  }

 protected:
  std::unique_ptr<Store> inner_;
};

}  // namespace kubegate::audit::testing
