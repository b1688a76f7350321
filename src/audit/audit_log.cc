#include "audit/audit_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "audit/merkle.h"
#include "audit/tree_head.h"

namespace kubegate::audit {
namespace {

using Clock = std::chrono::steady_clock;

// Entries that wait without a caller (completions, session chunks) are kept across store failures up
// to this many; then the oldest of them are dropped, so a dead disk cannot exhaust memory.
constexpr std::size_t kMaxQueuedEntries = 100'000;
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
};

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
  AuditLogImpl(std::unique_ptr<Store> store, AuditLogOptions options, std::optional<TreeHeadSigner> signer)
      : store_(std::move(store)), options_(std::move(options)), signer_(std::move(signer)) {}
  ~AuditLogImpl() override { stop(); }

  void recover();  // throws: only at open
  void start() { writer_ = std::thread([this] { run(); }); }

  void append(Entry entry, Durable done) override;
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
  bool stopping_ = false;
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
}

void AuditLogImpl::append(Entry entry, Durable done) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    spdlog::error("audit log: an entry was appended after stop and is not recorded");
    notify(done, false);
    return;
  }
  queue_.push_back(Pending{std::move(entry), std::move(done)});
  std::size_t dropped = dropOverflowLocked();
  lock.unlock();
  wake_.notify_one();
  if (dropped) reportDrops(dropped);
}

std::size_t AuditLogImpl::dropOverflowLocked() {
  std::size_t dropped = 0;
  while (queue_.size() > kMaxQueuedEntries) {
    auto oldestAsync = std::find_if(queue_.begin(), queue_.end(), [](const Pending& p) { return !p.done; });
    if (oldestAsync == queue_.end()) break;  // callers wait for the rest and will hear false
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

void AuditLogImpl::waitForWork(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (stopping_) return;
    auto now = Clock::now();
    bool mayCommit = now >= retryAt_ || queue_.size() > keptAfterFailure_;
    if (!queue_.empty() && mayCommit) return;
    auto headAt = headDueAt(), retentionAt = retentionDueAt();
    if (headAt <= now || retentionAt <= now) return;
    auto deadline = std::min({headAt, retentionAt, now + kLongestWait});
    if (!queue_.empty()) deadline = std::min(deadline, retryAt_);
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
  commit(none, true);
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
  for (Pending& p : batch) {
    StoredEntry s{next.size(), std::move(p.entry), {}};
    s.leafHash = entryLeafHash(s.seq, s.entry);
    next.append(s.leafHash);
    stored.push_back(std::move(s));
  }
  std::optional<TreeHead> head;
  if (headWanted(next, finalHead)) head = makeHead(next);
  if (stored.empty() && !head) return true;

  auto result = store_->appendBatch(stored, head ? &*head : nullptr);
  if (!result) {
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].entry = std::move(stored[i].entry);
    handleFailure(batch, result.error());
    return false;
  }
  frontier_ = std::move(next);
  if (!healthy_.exchange(true)) spdlog::info("audit log: the store accepts entries again");
  if (head) publishHead(*head);
  for (Pending& p : batch) notify(p.done, true);
  return true;
}

void AuditLogImpl::handleFailure(std::vector<Pending>& batch, const StoreError& error) {
  if (healthy_.exchange(false)) spdlog::error("audit log: committing {} entries failed: {}", batch.size(), error.message);
  std::size_t dropped = 0, lost = 0;
  {
    std::lock_guard lock(mutex_);
    // Entries nobody waits for go back to the front, in order; callers who wait hear false now.
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      if (it->done) continue;
      if (stopping_) ++lost;
      else queue_.push_front(std::move(*it));
    }
    dropped = dropOverflowLocked();
    retryAt_ = Clock::now() + kRetryDelay;
    keptAfterFailure_ = queue_.size();
  }
  if (dropped) reportDrops(dropped);
  if (lost) spdlog::error("audit log: {} entries could not be written before stop and are lost", lost);
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
  auto log = std::make_unique<AuditLogImpl>(std::move(store), std::move(options), std::move(signer));
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
