// Sustained appends through the audit log as the gateway makes them, SQLite with synchronous=FULL.
// BM_AuditAppendDurable: several producer threads, each with a window of requests waiting for their
// entry to be durable; reports entries/s (items_per_second), batches/s, and the append-to-durable
// latency percentiles; the target is >= 20,000 entries/s with p99 within 10 ms.
// BM_AuditDataPath: what the record costs a proxied request, as the data path pays it: io threads
// running coroutines that each make their request entry durable (appendDurably: journaled, or
// committed while they wait) and then
// append the response entry with a ~23 KiB PodList body; reports process CPU per request pair (the
// io threads and the writer together), the figure the recorded/unrecorded comparison turns on.
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

#include <sys/resource.h>

#include "audit/audit_log.h"
#include "audit/delegating_store.h"
#include "audit/request_record.h"
#include "policy/policy.h"
#include "proxy/request_audit.h"

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

// The two documents the io thread builds for every forwarded request (request_record.cc), from
// the facts of an OIDC agent's pod list.
void BM_RecordDocuments(benchmark::State& state) {
  identity::Identity agent;
  agent.authenticator = "oidc";
  agent.username = "oidc:deploy-bot";
  agent.groups = {"agents", "agents:payments", "team-payments"};
  agent.issuer = "https://idp.example.com/realms/agents";
  agent.subject = "client-deploy-bot";
  agent.purpose = "ticket-4711";
  auto classified = k8s::classify("GET", "/api/v1/namespaces/payments/pods", {});
  if (!classified) return state.SkipWithError("classify failed");
  const k8s::RequestInfo info = *classified;
  policy::Decision decision;
  decision.effect = policy::Effect::allow;
  decision.ruleId = "payments-readers";
  decision.policyDigest = "sha256:e177502cfead8f512044df8d5e14388f536fbc9fb8e3ba63b7234ab116f2a45d";
  for (auto _ : state) {
    RequestFacts f;
    f.requestId = "1a22ae94ce4633a11ac43baf";
    f.sessionId = "1a22ae94cc3214587219b8d9";
    f.sourceAddress = "10.0.3.17";
    f.received = std::chrono::system_clock::now();
    f.identity = &agent;
    f.userAgent = "kubectl/v1.33.0 (linux/amd64) kubernetes/abcdef0";
    f.cluster = "prod-eu";
    f.method = "GET";
    f.uri = "/clusters/prod-eu/api/v1/namespaces/payments/pods?limit=500";
    f.info = &info;
    f.decision = &decision;
    f.upstreamUser = agent.username;
    f.upstreamGroups = agent.groups;
    Entry request = requestEntry(f);
    CompletionFacts c;
    c.context = {f.requestId, f.sessionId, f.cluster, &agent, &info};
    c.finished = f.received;
    c.seconds = 0.000873;
    c.status = 200;
    c.bytesOut = 23512;
    c.body.size = 23512;
    c.body.contentType = "application/json";
    Entry response = responseEntry(c);
    benchmark::DoNotOptimize(request.document.data());
    benchmark::DoNotOptimize(response.document.data());
  }
}
BENCHMARK(BM_RecordDocuments);

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// A PodList as the proxy benchmark's upstream serves it (about 23 KiB of JSON, 20 pods).
const std::string& podListBody() {
  static const std::string body = [] {
    std::string out = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"48213"},"items":[)";
    for (int i = 0; i < 20; ++i) {
      if (i) out += ",";
      std::string n = std::to_string(i), uid = std::to_string(7'000'000 + i * 7919);
      out += R"({"metadata":{"name":"api-7d9f8c6b5-)" + n + R"(x2k4q","namespace":"default","uid":"5c1b)" + uid +
             R"(-2f4e-4a7b-9c1d-)" + uid + R"(e2a","resourceVersion":")" + std::to_string(40'000 + i * 37) +
             R"(","creationTimestamp":"2026-11-29T14:0)" + std::to_string(i % 10) +
             R"(:00Z","labels":{"app":"api","pod-template-hash":"7d9f8c6b5"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"api-7d9f8c6b5","uid":"0a9e)" +
             uid + R"(","controller":true,"blockOwnerDeletion":true}]},"spec":{"containers":[{"name":"api","image":"registry.example.com/payments/api:1.)" +
             n + R"(.3","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"REGION","value":"eu-west-1"}],"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"api","nodeName":"node-)" +
             std::to_string(i % 3) + R"(","schedulerName":"default-scheduler"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-11-29T14:0)" +
             std::to_string(i % 10) + R"(:12Z"},{"type":"ContainersReady","status":"True","lastTransitionTime":"2026-11-29T14:0)" +
             std::to_string(i % 10) + R"(:12Z"}],"hostIP":"10.0.1.)" + std::to_string(10 + i % 3) + R"(","podIP":"10.244.)" +
             std::to_string(i % 3) + "." + std::to_string(20 + i) +
             R"(","startTime":"2026-11-29T14:00:00Z","containerStatuses":[{"name":"api","ready":true,"restartCount":0,"image":"registry.example.com/payments/api:1.)" +
             n + R"(.3","imageID":"registry.example.com/payments/api@sha256:9a1f0c7e5b3d2a4f6e8c1b0d9f7a5e3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f)" +
             std::to_string(i % 10) + R"(","containerID":"containerd://4b1e)" + uid + R"(9f","started":true}]}})";
    }
    return out + "]}";
  }();
  return body;
}

Entry responseEntryFor(const Entry& request) {
  Entry e;
  e.kind = EntryKind::response;
  e.timeMicros = request.timeMicros + 900;
  e.index = request.index;
  e.index.decision.clear();
  e.document = R"({"kind":"response","requestId":")" + request.index.requestId +
               R"(","time":"2026-11-29T14:00:00.000900Z","status":200,"seconds":0.000873,"bytesIn":0,)"
               R"("bytesOut":23512,"body":{"contentType":"application/json","size":23512,"kept":23512}})";
  e.attachment = podListBody();
  return e;
}

// io threads x connections per thread, each connection a coroutine issuing requests back to back;
// the third argument is audit.sync: 0 full (each request waits for its commit), 1 normal (each
// request's entry is journaled, the writer commits every 5 ms; ADR 0012).
void BM_AuditDataPath(benchmark::State& state) {
  const int ioThreads = static_cast<int>(state.range(0));
  const int connections = static_cast<int>(state.range(1));
  const bool journaled = state.range(2) == 1;
  constexpr int kPairsPerConnection = 1'000;
  auto dir = std::filesystem::temp_directory_path() / ("h1-audit-datapath-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = openSqliteStore({.path = (dir / "audit.db").string(), .syncFull = !journaled});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  AuditLogOptions options;
  if (journaled) {
    options.commitInterval = std::chrono::milliseconds(5);
    options.journalDirectory = (dir / "audit.db.journal").string();
  }
  auto log = openAuditLog(std::move(*store), options);
  podListBody();

  std::vector<double> waitsUs;
  std::mutex waitsMutex;
  std::uint64_t pairs = 0, failures = 0;
  double cpuSeconds = 0, wallSeconds = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::atomic<std::uint64_t> failed{0};
    for (int t = 0; t < ioThreads; ++t) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      for (int c = 0; c < connections; ++c) {
        const int producer = t * connections + c;
        asio::co_spawn(
            *contexts.back(),
            [&, producer]() -> asio::awaitable<void> {
              std::vector<double> mine;
              mine.reserve(kPairsPerConnection);
              for (int i = 0; i < kPairsPerConnection; ++i) {
                Entry request = benchEntry(producer, i);
                request.index.requestId = proxy::timeOrderedId();  // as the gateway makes them
                Entry response = responseEntryFor(request);
                auto startedAt = Clock::now();
                bool ok = co_await appendDurably(*log, std::move(request), std::chrono::seconds(5));
                mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - startedAt).count());
                if (!ok) ++failed;
                log->append(std::move(response), {});
              }
              std::lock_guard lock(waitsMutex);
              waitsUs.insert(waitsUs.end(), mine.begin(), mine.end());
            },
            asio::detached);
      }
    }
    double cpuAtStart = processCpuSeconds();
    auto wallAtStart = Clock::now();
    std::vector<std::thread> threads;
    for (auto& context : contexts) threads.emplace_back([&context] { context->run(); });
    for (auto& t : threads) t.join();
    cpuSeconds += processCpuSeconds() - cpuAtStart;
    wallSeconds += std::chrono::duration<double>(Clock::now() - wallAtStart).count();
    pairs += static_cast<std::uint64_t>(ioThreads) * connections * kPairsPerConnection;
    failures += failed;
  }
  // Responses are appended without waiting: count their commits too.
  double cpuAtStop = processCpuSeconds();
  auto wallAtStop = Clock::now();
  log->stop();
  cpuSeconds += processCpuSeconds() - cpuAtStop;
  wallSeconds += std::chrono::duration<double>(Clock::now() - wallAtStop).count();

  std::sort(waitsUs.begin(), waitsUs.end());
  auto percentile = [&](double q) {
    return waitsUs.empty() ? 0.0 : waitsUs[std::min(waitsUs.size() - 1, std::size_t(q * waitsUs.size()))];
  };
  state.SetItemsProcessed(static_cast<std::int64_t>(pairs));
  state.counters["cpu_us_per_pair"] = cpuSeconds * 1e6 / std::max<double>(1, static_cast<double>(pairs));
  state.counters["pairs_per_second"] = static_cast<double>(pairs) / std::max(wallSeconds, 1e-9);
  state.counters["wait_p50_us"] = percentile(0.50);
  state.counters["wait_p99_us"] = percentile(0.99);
  state.counters["failures"] = static_cast<double>(failures);
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_AuditDataPath)->Args({2, 16, 0})->Args({2, 16, 1})->Args({2, 64, 0})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace kubegate::audit
