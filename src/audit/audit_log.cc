#include "audit/audit_log.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "audit/journal.h"
#include "audit/merkle.h"
#include "audit/tree_head.h"

namespace kubegate::audit {
namespace {

using Clock = std::chrono::steady_clock;

// Entries that wait without a caller (completions, session chunks) are kept across store failures up
// to this many; then the oldest of them are dropped, so a dead disk cannot exhaust memory.
constexpr std::size_t kMaxQueuedEntries = 100'000;
// A journal segment is closed at this size; it is removed once all of it is committed, so this
// bounds what a restart reads back and checks against the store.
constexpr std::uint64_t kJournalSegmentBytes = 1u << 20;
// Beyond this much queued, requests wait for their commit again instead of journaling ahead: the
// writer is behind, and the queue (bodies included) must not grow without bound.
constexpr std::size_t kJournalBacklogBytes = 64u << 20;
constexpr std::size_t kLeafPage = 65'536;
constexpr auto kRetryDelay = std::chrono::milliseconds(500);
// Bounds every wait so a far-away deadline never overflows the clock arithmetic.
constexpr auto kLongestWait = std::chrono::minutes(10);
// Retention scans the store; more often than this would only add load.
constexpr auto kShortestRetentionInterval = std::chrono::seconds(1);

std::int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Pending {
  Entry entry;
  Durable done;
  Clock::time_point queuedAt{};
  std::uint64_t journalTicket = 0;  // nonzero: written to the journal; never dropped, never refused
};

std::size_t sizeOf(const Entry& e) { return e.document.size() + e.attachment.size(); }

void notify(const Durable& done, bool ok) {
  if (!done) return;
  // A throwing callback must not take the writer thread (and every later entry) down with it.
  try {
    done(ok);
  } catch (const std::exception& e) {
    spdlog::error("audit log: a durability callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("audit log: a durability callback threw");
  }
}

// Extends `frontier` with the stored leaf hashes up to `size`, checking that no seq is missing.
StoreResult<void> extendFrontier(Store& store, MerkleFrontier& frontier, std::uint64_t size) {
  while (frontier.size() < size) {
    auto page = store.readLeafHashes(frontier.size(), std::min<std::uint64_t>(kLeafPage, size - frontier.size()));
    if (!page) return page.error();
    if (page->empty()) return StoreError{"entry " + std::to_string(frontier.size()) + " is missing"};
    for (const auto& [seq, hash] : *page) {
      if (seq != frontier.size()) return StoreError{"entry " + std::to_string(frontier.size()) + " is missing"};
      frontier.append(hash);
    }
  }
  return {};
}

StoreResult<MerkleFrontier> startingFrontier(const std::optional<PruneCheckpoint>& checkpoint) {
  if (!checkpoint) return MerkleFrontier();
  auto frontier = MerkleFrontier::fromRoots(checkpoint->head.size, checkpoint->frontier);
  if (!frontier || frontier->root() != checkpoint->head.root)
    return StoreError{"the prune checkpoint's right edge does not match its tree head"};
  return *frontier;
}

class AuditLogImpl final : public AuditLog {
 public:
  AuditLogImpl(std::unique_ptr<Store> store, AuditLogOptions options, std::optional<TreeHeadSigner> signer,
               std::optional<Journal> journal)
      : store_(std::move(store)), options_(std::move(options)), signer_(std::move(signer)), journal_(std::move(journal)) {}
  ~AuditLogImpl() override { stop(); }

  void recover();  // throws: only at open
  void recoverJournal();
  void start() {
    writer_ = std::thread([this] {
      // Named, so top -H and perf tell the record's cost from the data path's.
      pthread_setname_np(pthread_self(), "audit-writer");
      run();
    });
  }

  void append(Entry entry, Durable done) override;
  JournalAppend appendJournaled(Entry& entry) override;
  bool healthy() const override { return healthy_.load(std::memory_order_acquire); }
  void stop() override;
  TreeHead latestHead() const override {
    std::lock_guard lock(headMutex_);
    return latest_;
  }

 private:
  // Writer thread only.
  void run();
  void waitForWork(std::unique_lock<std::mutex>& lock);
  std::vector<Pending> takeBatch();
  bool commit(std::vector<Pending>& batch, bool finalHead);
  void handleFailure(std::vector<Pending>& batch, const StoreError& error);
  bool headWanted(const MerkleFrontier& next, bool finalHead) const;
  bool batchDue(Clock::time_point now) const;  // under mutex_
  void releaseJournal(const std::vector<Pending>& committed);
  void releaseWholeJournal();
  TreeHead makeHead(const MerkleFrontier& frontier) const;
  void publishHead(const TreeHead& head);
  void witness(const TreeHead& head);
  Clock::time_point headDueAt() const;
  Clock::time_point retentionDueAt() const;
  Clock::duration retentionInterval() const {
    return std::max<Clock::duration>(options_.retentionCheckInterval, kShortestRetentionInterval);
  }
  void applyRetention();
  StoreResult<std::uint64_t> retentionCutoff();
  void pruneBefore(std::uint64_t cutoff);

  // Under mutex_.
  std::size_t dropOverflowLocked();
  void enqueueLocked(Pending pending);
  void dequeuedLocked(const Pending& pending);
  void reportDrops(std::size_t dropped);

  std::unique_ptr<Store> store_;
  const AuditLogOptions options_;
  const std::optional<TreeHeadSigner> signer_;

  // Writer thread only (and recover() before the thread starts).
  MerkleFrontier frontier_;
  std::optional<PruneCheckpoint> checkpoint_;
  std::uint64_t lastHeadSize_ = 0;
  bool haveHead_ = false;
  Clock::time_point lastHeadAt_{};
  Clock::time_point nextRetentionAt_{};

  // Writer thread only, too: set after a failed commit to pace the retries.
  Clock::time_point retryAt_{};
  std::size_t keptAfterFailure_ = 0;  // queue size right after a failed commit put entries back

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::size_t queuedBytes_ = 0;
  std::size_t waitersQueued_ = 0;  // entries in queue_ that a caller waits for
  bool stopping_ = false;
  // The journal and its closed segments, each with the ticket of its last record: a segment goes
  // once the writer has committed that ticket (tickets are queued, and so committed, in order).
  std::optional<Journal> journal_;
  std::uint64_t lastTicket_ = 0;
  std::deque<std::pair<std::string, std::uint64_t>> closedSegments_;
  bool journalAbandoned_ = false;  // writer thread: journaled entries left uncommitted at stop
  std::size_t droppedUnreported_ = 0;
  Clock::time_point lastDropReport_{};

  std::atomic<bool> healthy_{true};
  mutable std::mutex headMutex_;
  TreeHead latest_;

  std::mutex stopMutex_;
  std::thread writer_;
};

void AuditLogImpl::recover() {
  auto fail = [](const std::string& why) { throw std::runtime_error("audit log cannot start: " + why); };
  auto checkpoint = store_->pruneCheckpoint();
  if (!checkpoint) fail(checkpoint.error().message);
  auto heads = store_->treeHeads();
  if (!heads) fail(heads.error().message);
  auto next = store_->nextSeq();
  if (!next) fail(next.error().message);
  auto frontier = startingFrontier(*checkpoint);
  if (!frontier) fail(frontier.error().message);

  std::optional<TreeHead> latest;
  if (!heads->empty()) latest = heads->back();
  if (*checkpoint && (!latest || latest->size < (*checkpoint)->head.size)) latest = (*checkpoint)->head;
  if (latest && latest->size > *next) {
    fail("the latest tree head covers " + std::to_string(latest->size) + " entries but the database holds " +
         std::to_string(*next) + ": entries were removed (truncated or rolled back)");
  }
  if (latest && latest->size >= frontier->size()) {
    if (auto r = extendFrontier(*store_, *frontier, latest->size); !r) fail(r.error().message);
    if (frontier->root() != latest->root) {
      fail("the stored entries do not match the latest tree head (size " + std::to_string(latest->size) +
           ", signed at " + formatMicros(latest->timeMicros) + "): the log was changed; run `kubegate audit verify`");
    }
  }
  if (auto r = extendFrontier(*store_, *frontier, *next); !r) fail(r.error().message);

  frontier_ = std::move(*frontier);
  checkpoint_ = std::move(*checkpoint);
  if (latest) {
    haveHead_ = true;
    lastHeadSize_ = latest->size;
    latest_ = *latest;
  }
  // An unheaded tail left by a crash gets its head at the first opportunity.
  lastHeadAt_ = frontier_.size() > lastHeadSize_ ? Clock::time_point{} : Clock::now();
  nextRetentionAt_ = Clock::now() + retentionInterval();
  if (journal_) recoverJournal();
}

// Commits what a stopped gateway left in the journal and not in the log. A record is in the log
// already when its request has an entry of the same kind, time and document; the rest are appended,
// in journal order, and the segments removed. Then a fresh segment is started for new entries.
void AuditLogImpl::recoverJournal() {
  auto fail = [](const std::string& why) { throw std::runtime_error("audit log cannot start: " + why); };
  auto leftovers = journalLeftovers(*store_, options_.journalDirectory);
  if (!leftovers) fail(leftovers.error().message);
  // A cut-short tail is what a crash mid-write leaves; its request was never forwarded. A segment
  // that ends early is kept aside, not deleted, in case it was damaged rather than cut.
  for (const auto& [segment, why] : leftovers->damaged)
    spdlog::warn("audit log: the journal segment {} ends early ({}); a record not written whole belongs to a request "
                 "that was not forwarded; the segment is kept as {}",
                 segment, why, Journal::keepAside(segment));
  if (!leftovers->missing.empty()) {
    std::vector<Pending> missing;
    for (Entry& entry : leftovers->missing) {
      Pending pending;
      pending.entry = std::move(entry);
      missing.push_back(std::move(pending));
    }
    if (!commit(missing, false)) fail("the entries left in the journal could not be committed");
    spdlog::info("audit log: committed {} request entries the journal held from a gateway that stopped before it could",
                 missing.size());
  }
  for (const auto& path : leftovers->segments) {
    const bool damaged = std::any_of(leftovers->damaged.begin(), leftovers->damaged.end(),
                                     [&](const auto& d) { return d.first == path; });
    if (!damaged) Journal::remove(path);
  }
  if (auto started = journal_->startSegment(); !started) fail(started.error().message);
}

void AuditLogImpl::append(Entry entry, Durable done) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    spdlog::error("audit log: an entry was appended after stop and is not recorded");
    notify(done, false);
    return;
  }
  Pending pending;
  pending.entry = std::move(entry);
  pending.done = std::move(done);
  bool wakeWriter = queue_.empty() || pending.done;
  enqueueLocked(std::move(pending));
  std::size_t dropped = dropOverflowLocked();
  lock.unlock();
  if (wakeWriter) wake_.notify_one();
  if (dropped) reportDrops(dropped);
}

JournalAppend AuditLogImpl::appendJournaled(Entry& entry) {
  if (!journal_ || options_.requestsWaitForCommit) return JournalAppend::wait;
  const std::string record = encodeJournalRecord(entry);  // before the lock: io threads contend on it
  std::unique_lock lock(mutex_);
  // A failing store refuses new requests, as without a journal: an entry that cannot be committed
  // must not let its request through on the journal's word alone for long.
  if (stopping_ || !healthy()) return JournalAppend::failed;
  if (queuedBytes_ > kJournalBacklogBytes) return JournalAppend::wait;
  if (journal_->needsNewSegment() || journal_->segmentBytes() >= kJournalSegmentBytes) {
    auto closed = journal_->startSegment();
    if (!closed) {
      lock.unlock();
      spdlog::error("audit log: {}", closed.error().message);
      return JournalAppend::failed;
    }
    if (!closed->empty()) closedSegments_.emplace_back(std::move(*closed), lastTicket_);
  }
  if (auto written = journal_->write(record); !written) {
    lock.unlock();
    spdlog::error("audit log: {}", written.error().message);
    return JournalAppend::failed;
  }
  Pending pending;
  pending.entry = std::move(entry);
  pending.journalTicket = ++lastTicket_;
  // The writer sleeps until the oldest entry's interval is up; only an empty queue leaves it
  // sleeping without a deadline, so only then is it woken (one wake-up per batch, not per entry).
  bool wakeWriter = queue_.empty();
  enqueueLocked(std::move(pending));
  lock.unlock();
  if (wakeWriter) wake_.notify_one();
  return JournalAppend::written;
}

void AuditLogImpl::enqueueLocked(Pending pending) {
  pending.queuedAt = Clock::now();
  queuedBytes_ += sizeOf(pending.entry);
  if (pending.done) ++waitersQueued_;
  queue_.push_back(std::move(pending));
}

void AuditLogImpl::dequeuedLocked(const Pending& pending) {
  queuedBytes_ -= std::min(queuedBytes_, sizeOf(pending.entry));
  if (pending.done) --waitersQueued_;
}

std::size_t AuditLogImpl::dropOverflowLocked() {
  std::size_t dropped = 0;
  while (queue_.size() > kMaxQueuedEntries) {
    // Journaled entries belong to forwarded requests: never dropped. Callers wait for the rest.
    auto oldestAsync = std::find_if(queue_.begin(), queue_.end(),
                                    [](const Pending& p) { return !p.done && p.journalTicket == 0; });
    if (oldestAsync == queue_.end()) break;
    dequeuedLocked(*oldestAsync);
    queue_.erase(oldestAsync);
    ++dropped;
  }
  droppedUnreported_ += dropped;
  if (droppedUnreported_ == 0 || Clock::now() - lastDropReport_ < std::chrono::seconds(1)) return 0;
  lastDropReport_ = Clock::now();
  return std::exchange(droppedUnreported_, 0);
}

void AuditLogImpl::reportDrops(std::size_t dropped) {
  // Counts only: entries carry request bodies and terminal output that must not reach the log file.
  spdlog::error("audit log: the store is failing and {} queued entries are waiting; dropped the {} oldest "
                "entries that had no waiting request",
                kMaxQueuedEntries, dropped);
}

void AuditLogImpl::stop() {
  std::lock_guard stopLock(stopMutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
}

Clock::time_point AuditLogImpl::headDueAt() const {
  if (frontier_.size() <= lastHeadSize_ && haveHead_) return Clock::now() + kLongestWait;
  if (frontier_.size() == 0) return Clock::now() + kLongestWait;
  // After a failed commit a head-only commit waits for the retry time too, or it would spin.
  return std::max(lastHeadAt_ + options_.treeHeadInterval, retryAt_);
}

Clock::time_point AuditLogImpl::retentionDueAt() const {
  if (options_.retentionMaxAge.count() <= 0 && options_.retentionMaxBytes == 0) return Clock::now() + kLongestWait;
  return nextRetentionAt_;
}

bool AuditLogImpl::batchDue(Clock::time_point now) const {
  return waitersQueued_ > 0 || queue_.size() >= options_.maxBatchEntries ||
         now >= queue_.front().queuedAt + options_.commitInterval;
}

void AuditLogImpl::waitForWork(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (stopping_) return;
    auto now = Clock::now();
    bool mayCommit = now >= retryAt_ || queue_.size() > keptAfterFailure_;
    if (!queue_.empty() && mayCommit && batchDue(now)) return;
    auto headAt = headDueAt(), retentionAt = retentionDueAt();
    if (headAt <= now || retentionAt <= now) return;
    auto deadline = std::min({headAt, retentionAt, now + kLongestWait});
    if (!queue_.empty()) deadline = std::min(deadline, mayCommit ? queue_.front().queuedAt + options_.commitInterval : retryAt_);
    wake_.wait_until(lock, deadline);
  }
}

std::vector<Pending> AuditLogImpl::takeBatch() {
  std::vector<Pending> batch;
  bool mayCommit = stopping_ || Clock::now() >= retryAt_ || queue_.size() > keptAfterFailure_;
  if (!mayCommit) return batch;
  std::size_t n = std::min(queue_.size(), std::max<std::size_t>(options_.maxBatchEntries, 1));
  batch.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    dequeuedLocked(queue_.front());
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void AuditLogImpl::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    waitForWork(lock);
    if (stopping_ && queue_.empty()) break;
    std::vector<Pending> batch = takeBatch();
    lock.unlock();
    if (!batch.empty() || headDueAt() <= Clock::now()) commit(batch, false);
    if (retentionDueAt() <= Clock::now()) applyRetention();
    lock.lock();
  }
  lock.unlock();
  std::vector<Pending> none;
  if (commit(none, true)) releaseWholeJournal();
}

bool AuditLogImpl::headWanted(const MerkleFrontier& next, bool finalHead) const {
  if (finalHead) return !haveHead_ || next.size() != lastHeadSize_;
  if (next.size() == 0 || (haveHead_ && next.size() == lastHeadSize_)) return false;
  return Clock::now() - lastHeadAt_ >= options_.treeHeadInterval;
}

TreeHead AuditLogImpl::makeHead(const MerkleFrontier& frontier) const {
  TreeHead head;
  head.size = frontier.size();
  head.root = frontier.root();
  head.timeMicros = nowMicros();
  if (signer_) signer_->sign(head);
  return head;
}

bool AuditLogImpl::commit(std::vector<Pending>& batch, bool finalHead) {
  // The frontier is advanced on a copy, so a failed commit leaves no trace: no seq is consumed.
  MerkleFrontier next = frontier_;
  std::vector<StoredEntry> stored;
  stored.reserve(batch.size());
  StoreResult<void> result;
  for (Pending& p : batch) {
    StoredEntry s;
    s.seq = next.size();
    s.entry = std::move(p.entry);
    if (result) result = sealEntry(s);
    next.append(s.leafHash);
    stored.push_back(std::move(s));
  }
  std::optional<TreeHead> head;
  if (result && headWanted(next, finalHead)) head = makeHead(next);
  if (stored.empty() && !head) return true;

  if (result) result = store_->appendBatch(stored, head ? &*head : nullptr);
  if (!result) {
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].entry = std::move(stored[i].entry);
    handleFailure(batch, result.error());
    return false;
  }
  frontier_ = std::move(next);
  if (!healthy_.exchange(true)) spdlog::info("audit log: the store accepts entries again");
  if (head) publishHead(*head);
  for (Pending& p : batch) notify(p.done, true);
  releaseJournal(batch);
  return true;
}

void AuditLogImpl::releaseJournal(const std::vector<Pending>& committed) {
  if (!journal_) return;
  std::uint64_t ticket = 0;
  for (const Pending& p : committed) ticket = std::max(ticket, p.journalTicket);
  if (ticket == 0) return;
  std::vector<std::string> done;
  {
    std::lock_guard lock(mutex_);
    while (!closedSegments_.empty() && closedSegments_.front().second <= ticket) {
      done.push_back(std::move(closedSegments_.front().first));
      closedSegments_.pop_front();
    }
  }
  for (const auto& path : done) Journal::remove(path);
}

// At stop, after the last commit: everything journaled is in the log, so no segment is needed.
void AuditLogImpl::releaseWholeJournal() {
  if (!journal_ || journalAbandoned_) return;
  std::lock_guard lock(mutex_);
  if (!queue_.empty()) return;
  for (auto& [path, ticket] : closedSegments_) Journal::remove(path);
  closedSegments_.clear();
  Journal::remove(journal_->segmentPath());
}

void AuditLogImpl::handleFailure(std::vector<Pending>& batch, const StoreError& error) {
  if (healthy_.exchange(false)) spdlog::error("audit log: committing {} entries failed: {}", batch.size(), error.message);
  std::size_t dropped = 0, lost = 0, journaled = 0;
  {
    std::lock_guard lock(mutex_);
    // Entries nobody waits for go back to the front, in order; callers who wait hear false now.
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      if (it->done) continue;
      if (stopping_) {
        ++(it->journalTicket ? journaled : lost);
        continue;
      }
      queuedBytes_ += sizeOf(it->entry);
      queue_.push_front(std::move(*it));
    }
    dropped = dropOverflowLocked();
    retryAt_ = Clock::now() + kRetryDelay;
    keptAfterFailure_ = queue_.size();
  }
  if (dropped) reportDrops(dropped);
  if (lost) spdlog::error("audit log: {} entries could not be written before stop and are lost", lost);
  if (journaled) journalAbandoned_ = true;
  if (journaled)
    spdlog::error("audit log: {} request entries could not be committed before stop; they stay in the journal and are "
                  "committed at the next start",
                  journaled);
  for (Pending& p : batch) notify(p.done, false);
}

void AuditLogImpl::publishHead(const TreeHead& head) {
  haveHead_ = true;
  lastHeadSize_ = head.size;
  lastHeadAt_ = Clock::now();
  {
    std::lock_guard lock(headMutex_);
    latest_ = head;
  }
  witness(head);
}

void AuditLogImpl::witness(const TreeHead& head) {
  if (options_.treeHeadsFile.empty()) return;
  if (auto r = appendTreeHeadToFile(options_.treeHeadsFile, head); !r)
    spdlog::error("audit log: the tree head for size {} is committed but not in the heads file: {}", head.size,
                  r.error().message);
}

StoreResult<std::uint64_t> AuditLogImpl::retentionCutoff() {
  std::uint64_t pruned = checkpoint_ ? checkpoint_->head.size : 0;
  std::uint64_t cutoff = pruned;
  if (options_.retentionMaxAge.count() > 0) {
    auto maxAge = std::chrono::duration_cast<std::chrono::microseconds>(options_.retentionMaxAge).count();
    auto first = store_->firstSeqAtOrAfter(nowMicros() - maxAge);
    if (!first) return first.error();
    cutoff = std::max(cutoff, first->value_or(frontier_.size()));
  }
  if (options_.retentionMaxBytes > 0) {
    auto bytes = store_->storedBytes();
    if (!bytes) return bytes.error();
    std::uint64_t held = frontier_.size() - pruned;
    if (*bytes > options_.retentionMaxBytes && held > 0) {
      // An estimate from the average entry: the next check prunes more if it fell short.
      std::uint64_t perEntry = std::max<std::uint64_t>(*bytes / held, 1);
      std::uint64_t excess = (*bytes - options_.retentionMaxBytes + perEntry - 1) / perEntry;
      cutoff = std::max(cutoff, pruned + std::min(excess, held));
    }
  }
  return std::min(cutoff, frontier_.size());
}

void AuditLogImpl::applyRetention() {
  nextRetentionAt_ = Clock::now() + retentionInterval();
  auto cutoff = retentionCutoff();
  if (!cutoff) {
    spdlog::error("audit log: retention check failed: {}", cutoff.error().message);
    return;
  }
  if (*cutoff > (checkpoint_ ? checkpoint_->head.size : 0)) pruneBefore(*cutoff);
}

void AuditLogImpl::pruneBefore(std::uint64_t cutoff) {
  auto frontier = startingFrontier(checkpoint_);
  if (frontier) {
    if (auto r = extendFrontier(*store_, *frontier, cutoff); !r) frontier = r.error();
  }
  if (!frontier) {
    spdlog::error("audit log: pruning stopped: {}", frontier.error().message);
    return;
  }
  PruneCheckpoint checkpoint{makeHead(*frontier), frontier->roots()};
  if (auto r = store_->prune(checkpoint); !r) {
    spdlog::error("audit log: pruning entries before {} failed: {}", cutoff, r.error().message);
    return;
  }
  spdlog::info("audit log: pruned the entries before {}", cutoff);
  witness(checkpoint.head);
  checkpoint_ = std::move(checkpoint);
}

}  // namespace

std::unique_ptr<AuditLog> openAuditLog(std::unique_ptr<Store> store, AuditLogOptions options) {
  std::optional<TreeHeadSigner> signer;
  if (!options.signingKeyPem.empty()) {
    auto loaded = TreeHeadSigner::fromPrivateKeyPem(options.signingKeyPem);
    if (!loaded) throw std::runtime_error("audit log cannot start: " + loaded.error().message);
    signer = std::move(*loaded);
  }
  std::optional<Journal> journal;
  if (!options.journalDirectory.empty()) {
    auto opened = Journal::open(options.journalDirectory);
    if (!opened) throw std::runtime_error("audit log cannot start: " + opened.error().message);
    journal = std::move(*opened);
  }
  auto log = std::make_unique<AuditLogImpl>(std::move(store), std::move(options), std::move(signer), std::move(journal));
  log->recover();
  log->start();
  return log;
}

namespace {

// A request waiting for its entry; the writer finishes it through its io_context's mailbox.
struct DurableWaiter {
  virtual ~DurableWaiter() = default;
  virtual void finish(bool ok) = 0;  // on the waiter's executor
  virtual bool runsOn(const asio::any_io_executor& executor) const = 0;
  virtual void finishThere(std::shared_ptr<DurableWaiter> self, bool ok) = 0;  // posts finish()
};

// One per io_context: the writer drops finished waits here and the context's thread runs them, all
// that arrived together in one posted handler. A commit finishes many requests of the same context
// at once; posting each on its own cost a wake-up and a queued handler per request.
class DurableMailbox final : public asio::execution_context::service {
 public:
  using key_type = DurableMailbox;
  static inline asio::execution_context::id id;

  explicit DurableMailbox(asio::execution_context& context) : service(context) {}

  // Writer thread.
  void deliver(std::shared_ptr<DurableWaiter> waiter, bool ok) {
    std::lock_guard lock(mutex_);
    if (shutDown_) return;  // the io_context runs nothing more; `waiter` goes after the lock is released
    ready_.emplace_back(std::move(waiter), ok);
    // Posting does not run the handler here, so it may happen under the lock.
    if (posted_) return;
    posted_ = true;
    asio::post(executor_, [this] { drain(); });
  }

  void bind(const asio::any_io_executor& executor) {
    std::lock_guard lock(mutex_);
    if (!executor_ && !shutDown_) executor_ = executor;
  }

 private:
  void drain() {
    std::vector<std::pair<std::shared_ptr<DurableWaiter>, bool>> ready;
    {
      std::lock_guard lock(mutex_);
      ready.swap(ready_);
      posted_ = false;
    }
    for (auto& [waiter, ok] : ready) {
      // A waiter on another executor of this context (a strand) is finished there.
      if (waiter->runsOn(executor_)) waiter->finish(ok);
      else waiter->finishThere(std::move(waiter), ok);
    }
  }
  void shutdown() override {
    std::lock_guard lock(mutex_);
    ready_.clear();
    executor_ = {};
    shutDown_ = true;
  }

  std::mutex mutex_;
  std::vector<std::pair<std::shared_ptr<DurableWaiter>, bool>> ready_;
  bool posted_ = false;
  bool shutDown_ = false;
  asio::any_io_executor executor_;
};

// What a waiting coroutine and the writer share. Only the timer's pending wait and the mailbox own
// it; the writer holds a weak reference, so a writer that answers after the timeout (or after the
// io_context is gone) finds nothing and does nothing.
template <class Handler>
struct DurableWait final : DurableWaiter {
  DurableWait(Handler h, const asio::any_io_executor& executor, DurableMailbox& box)
      : handler(std::move(h)), timer(executor), mailbox(box), waiterExecutor(executor) {}
  std::atomic<bool> completed{false};
  std::optional<Handler> handler;
  asio::steady_timer timer;
  DurableMailbox& mailbox;
  const asio::any_io_executor waiterExecutor;

  void complete(bool ok) {
    Handler h = std::move(*handler);
    handler.reset();
    std::move(h)(ok);
  }
  void finish(bool ok) override {
    timer.cancel();
    complete(ok);
  }
  bool runsOn(const asio::any_io_executor& executor) const override { return executor == waiterExecutor; }
  void finishThere(std::shared_ptr<DurableWaiter> self, bool ok) override {
    asio::post(waiterExecutor, [self = std::move(self), ok] { self->finish(ok); });
  }
};

}  // namespace

asio::awaitable<bool> appendDurably(AuditLog& log, Entry entry, std::chrono::milliseconds timeout) {
  const JournalAppend journaled = log.appendJournaled(entry);
  if (journaled == JournalAppend::written) co_return true;
  if (journaled == JournalAppend::failed) co_return false;
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto initiation = [&log, timeout, executor](auto handler, Entry entry) {
    using Handler = decltype(handler);
    auto& mailbox = asio::use_service<DurableMailbox>(asio::query(executor, asio::execution::context));
    mailbox.bind(executor);
    auto state = std::make_shared<DurableWait<Handler>>(std::move(handler), executor, mailbox);
    state->timer.expires_after(timeout);
    state->timer.async_wait([state](const error_code& ec) {
      if (ec == asio::error::operation_aborted) return;  // the writer answered first
      if (!state->completed.exchange(true)) state->complete(false);
    });
    std::weak_ptr<DurableWait<Handler>> weak = state;
    log.append(std::move(entry), [weak](bool ok) {
      auto shared = weak.lock();
      if (!shared || shared->completed.exchange(true)) return;
      shared->mailbox.deliver(std::move(shared), ok);
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(bool)>(initiation, asio::use_awaitable,
                                                                                std::move(entry));
}

}  // namespace kubegate::audit
