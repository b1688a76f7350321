#include "audit/verify.h"

#include <algorithm>

#include "audit/merkle.h"
#include "audit/tree_head.h"

namespace kubegate::audit {
namespace {

constexpr std::size_t kPage = 1000;
// How far from a changed entry to look for the entry whose content it now holds.
constexpr std::uint64_t kReorderWindow = 16;

struct HeadToCheck {
  TreeHead head;
  bool trusted = false;
};

std::string describe(const HeadToCheck& h) {
  return std::string(h.trusted ? "the trusted tree head" : "the tree head") + " signed at " +
         formatMicros(h.head.timeMicros);
}

class LogVerifier {
 public:
  LogVerifier(Store& store, const VerifyOptions& options) : store_(store), options_(options) {}
  VerifyReport run();

 private:
  bool fail(std::optional<std::uint64_t> seq, std::string problem) {
    report_.firstBadSeq = seq;
    report_.problem = std::move(problem);
    return false;
  }
  bool prepare();
  bool collectHeads(std::uint64_t start, const std::optional<PruneCheckpoint>& checkpoint);
  bool walkEntries();
  bool checkEntry(const StoredEntry& stored);
  std::optional<std::uint64_t> reorderedFrom(const StoredEntry& stored);
  bool checkHeadsAtCurrentSize();
  bool checkSignature(const HeadToCheck& h);
  void addWarnings();

  Store& store_;
  const VerifyOptions& options_;
  VerifyReport report_;
  std::optional<TreeHeadVerifier> verifier_;
  MerkleFrontier frontier_;
  std::vector<HeadToCheck> heads_;  // ascending size, from the first checkable one
  std::size_t nextHead_ = 0;
  std::uint64_t lastMatchedSize_ = 0;
  std::size_t uncheckableHeads_ = 0;
};

bool LogVerifier::prepare() {
  if (!options_.publicKeyPem.empty()) {
    auto verifier = TreeHeadVerifier::fromPublicKeyPem(options_.publicKeyPem);
    if (!verifier) return fail(std::nullopt, verifier.error().message);
    verifier_ = std::move(*verifier);
  }
  auto checkpoint = store_.pruneCheckpoint();
  if (!checkpoint) return fail(std::nullopt, "cannot read the prune checkpoint: " + checkpoint.error().message);
  std::uint64_t start = 0;
  if (*checkpoint) {
    const PruneCheckpoint& cp = **checkpoint;
    auto frontier = MerkleFrontier::fromRoots(cp.head.size, cp.frontier);
    if (!frontier || frontier->root() != cp.head.root)
      return fail(cp.head.size, "the prune checkpoint at entry " + std::to_string(cp.head.size) +
                                    " was changed: its right edge does not match its tree head");
    frontier_ = std::move(*frontier);
    start = cp.head.size;
  }
  lastMatchedSize_ = start;
  return collectHeads(start, *checkpoint);
}

bool LogVerifier::collectHeads(std::uint64_t start, const std::optional<PruneCheckpoint>& checkpoint) {
  auto stored = store_.treeHeads();
  if (!stored) return fail(std::nullopt, "cannot read the tree heads: " + stored.error().message);
  std::vector<HeadToCheck> all;
  for (auto& h : *stored) all.push_back({std::move(h), false});
  if (checkpoint) all.push_back({checkpoint->head, false});
  for (const auto& h : options_.trustedHeads) all.push_back({h, true});
  std::stable_sort(all.begin(), all.end(),
                   [](const HeadToCheck& a, const HeadToCheck& b) { return a.head.size < b.head.size; });
  for (auto& h : all) {
    if (h.head.size < start) ++uncheckableHeads_;
    else heads_.push_back(std::move(h));
  }
  return true;
}

bool LogVerifier::checkSignature(const HeadToCheck& h) {
  if (!verifier_) return true;
  std::string which = describe(h) + " for size " + std::to_string(h.head.size);
  if (h.head.signature.empty()) return fail(std::nullopt, which + " is not signed");
  if (!verifier_->verify(h.head)) {
    std::string keys = h.head.keyId == verifier_->keyId() ? "" : " (it names key " + h.head.keyId + ", the given key is " +
                                                                      verifier_->keyId() + ")";
    return fail(std::nullopt, which + " has a bad signature" + keys);
  }
  return true;
}

bool LogVerifier::checkHeadsAtCurrentSize() {
  std::uint64_t size = frontier_.size();
  Digest root = frontier_.root();
  for (; nextHead_ < heads_.size() && heads_[nextHead_].head.size == size; ++nextHead_) {
    const HeadToCheck& h = heads_[nextHead_];
    ++report_.headsChecked;
    if (h.head.root != root) {
      // Leaf hashes rewritten to match changed content: the tree is all that tells, and it can only
      // say that something changed since the last head that still matches.
      return fail(lastMatchedSize_, "entries between " + std::to_string(lastMatchedSize_) + " and " +
                                        std::to_string(size) + " were changed: " + describe(h) + " for size " +
                                        std::to_string(size) + " does not match");
    }
    if (!checkSignature(h)) return false;
    lastMatchedSize_ = size;
  }
  return true;
}

std::optional<std::uint64_t> LogVerifier::reorderedFrom(const StoredEntry& stored) {
  std::uint64_t from = stored.seq >= kReorderWindow ? stored.seq - kReorderWindow : 0;
  auto neighbours = store_.readEntries(from, 2 * kReorderWindow + 1);
  if (!neighbours) return std::nullopt;
  for (const StoredEntry& n : *neighbours) {
    if (n.seq == stored.seq) continue;
    StoredEntry moved = stored;
    moved.seq = n.seq;
    if (entryLeafHash(moved) == n.leafHash) return n.seq;
  }
  return std::nullopt;
}

bool LogVerifier::checkEntry(const StoredEntry& stored) {
  std::uint64_t expected = frontier_.size();
  if (stored.seq != expected) return fail(expected, "entry " + std::to_string(expected) + " is missing (removed)");
  if (entryLeafHash(stored) != stored.leafHash) {
    std::string problem = "entry " + std::to_string(stored.seq) + " was changed";
    if (auto other = reorderedFrom(stored))
      problem += ": it holds the content of entry " + std::to_string(*other) + " (entries were reordered)";
    return fail(stored.seq, problem);
  }
  frontier_.append(stored.leafHash);
  ++report_.entriesChecked;
  return checkHeadsAtCurrentSize();
}

bool LogVerifier::walkEntries() {
  if (!checkHeadsAtCurrentSize()) return false;
  for (;;) {
    auto page = store_.readEntries(frontier_.size(), kPage);
    if (!page) return fail(frontier_.size(), "cannot read the entries: " + page.error().message);
    if (page->empty()) break;
    for (const StoredEntry& stored : *page) {
      if (!checkEntry(stored)) return false;
    }
  }
  if (nextHead_ < heads_.size()) {
    const HeadToCheck& h = heads_[nextHead_];
    std::uint64_t present = frontier_.size();
    return fail(present, "entries from " + std::to_string(present) + " on were removed (truncated or rolled back): " +
                             describe(h) + " covers " + std::to_string(h.head.size) + " entries");
  }
  return true;
}

void LogVerifier::addWarnings() {
  bool unsigned_ = std::any_of(heads_.begin(), heads_.end(), [](const auto& h) { return h.head.signature.empty(); });
  if (!verifier_ && unsigned_) report_.warnings.push_back("tree heads are not signed");
  else if (!verifier_ && !heads_.empty())
    report_.warnings.push_back("tree head signatures were not checked (no public key given)");
  if (heads_.empty()) report_.warnings.push_back("the log has no tree head: only the leaf hashes were checked");
  else if (lastMatchedSize_ < frontier_.size())
    report_.warnings.push_back("entries from " + std::to_string(lastMatchedSize_) +
                               " on are not covered by a tree head yet");
  if (uncheckableHeads_ > 0)
    report_.warnings.push_back(std::to_string(uncheckableHeads_) +
                               " tree heads cover only pruned entries and were not checked");
}

VerifyReport LogVerifier::run() {
  report_.ok = prepare() && walkEntries();
  addWarnings();
  return std::move(report_);
}

}  // namespace

VerifyReport verifyLog(Store& store, const VerifyOptions& options) { return LogVerifier(store, options).run(); }

}  // namespace kubegate::audit
