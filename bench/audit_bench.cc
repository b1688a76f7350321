// Sustained appends through the audit log as the gateway makes them: several producer threads, each
// with a window of requests waiting for their entry to be durable, SQLite with synchronous=FULL.
// Reports entries/s (items_per_second), batches/s, and the append-to-durable latency percentiles;
// the target is >= 20,000 entries/s with p99 within 10 ms.
#include <benchmark/benchmark.h>

// Options are given with designated initializers; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "audit/audit_log.h"
#include "audit/delegating_store.h"

namespace kubegate::audit {
namespace {

using Clock = std::chrono::steady_clock;

// Counts commits on the way to the real store.
class CountingStore final : public testing::DelegatingStore {
 public:
  CountingStore(std::unique_ptr<Store> inner, std::atomic<std::uint64_t>& batches)
      : DelegatingStore(std::move(inner)), batches_(batches) {}
  StoreResult<void> appendBatch(std::span<const StoredEntry> entries, const TreeHead* head) override {
    ++batches_;
    return inner_->appendBatch(entries, head);
  }

 private:
  std::atomic<std::uint64_t>& batches_;
};

Entry benchEntry(int producer, int i) {
  Entry e;
  e.kind = EntryKind::request;
  e.timeMicros = 1'700'000'000'000'000 + i;
  e.index = {"req-" + std::to_string(producer) + "-" + std::to_string(i), "sess-" + std::to_string(producer),
             "system:serviceaccount:agents:coder", "3f1c2a", "prod", "payments", "pods", "get", "allow", "", 200};
  // About 0.5 KiB, like a decided read request.
  e.document = R"({"kind":"request","verb":"get","path":"/api/v1/namespaces/payments/pods/api-7d9f8c6b5-x2k4q",)"
               R"("user":{"username":"system:serviceaccount:agents:coder","groups":["system:serviceaccounts"]},)"
               R"("purpose":"investigate-latency","decision":{"effect":"allow","rule":"read-only-pods",)"
               R"("policyDigest":"sha256:9a1f0c7e5b3d2a4f6e8c1b0d9f7a5e3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e"},)"
               R"("userAgent":"kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b","sourceIP":"10.0.3.17",)"
               R"("seqInRun":)" + std::to_string(i) + "}";
  return e;
}

// Producers keep `window` entries each in flight, like that many concurrent requests waiting.
void BM_AuditAppendDurable(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const int window = static_cast<int>(state.range(1));
  constexpr int kEntriesPerProducer = 10'000;
  auto dir = std::filesystem::temp_directory_path() / ("h1-audit-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::atomic<std::uint64_t> batches{0};
  auto store = openSqliteStore({.path = (dir / "audit.db").string(), .syncFull = true});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  auto log = openAuditLog(std::make_unique<CountingStore>(std::move(*store), batches), {});

  std::vector<double> latenciesMs;
  std::mutex latencyMutex;
  std::uint64_t entries = 0, batchesAtStart = batches;
  auto started = Clock::now();
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        std::mutex m;
        std::condition_variable cv;
        int inFlight = 0;
        std::vector<double> mine;
        mine.reserve(kEntriesPerProducer);
        for (int i = 0; i < kEntriesPerProducer; ++i) {
          {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return inFlight < window; });
            ++inFlight;
          }
          auto appendedAt = Clock::now();
          log->append(benchEntry(p, i), [&, appendedAt](bool ok) {
            double ms = std::chrono::duration<double, std::milli>(Clock::now() - appendedAt).count();
            std::lock_guard lock(m);
            mine.push_back(ok ? ms : 1e9);
            --inFlight;
            cv.notify_one();
          });
        }
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return inFlight == 0; });
        std::lock_guard all(latencyMutex);
        latenciesMs.insert(latenciesMs.end(), mine.begin(), mine.end());
      });
    }
    for (auto& t : threads) t.join();
    entries += static_cast<std::uint64_t>(producers) * kEntriesPerProducer;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  log->stop();

  std::sort(latenciesMs.begin(), latenciesMs.end());
  auto percentile = [&](double q) {
    return latenciesMs.empty() ? 0.0 : latenciesMs[std::min(latenciesMs.size() - 1, std::size_t(q * latenciesMs.size()))];
  };
  state.SetItemsProcessed(static_cast<std::int64_t>(entries));
  state.counters["batches_per_second"] = benchmark::Counter(static_cast<double>(batches - batchesAtStart) / seconds);
  state.counters["entries_per_batch"] =
      benchmark::Counter(static_cast<double>(entries) / std::max<double>(1, static_cast<double>(batches - batchesAtStart)));
  state.counters["p50_ms"] = percentile(0.50);
  state.counters["p99_ms"] = percentile(0.99);
  state.counters["max_ms"] = latenciesMs.empty() ? 0.0 : latenciesMs.back();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_AuditAppendDurable)
    ->Args({4, 16})
    ->Args({4, 64})
    ->Args({8, 128})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

}  // namespace
}  // namespace kubegate::audit
