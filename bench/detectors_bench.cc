// Secret detectors on raw streams (goal: StreamRedactor >= 1 GB/s per core on log-like text with
// nothing to mask), side by side with a plain copy of the same pieces as the baseline, and
// Detectors::find on one typical JSON string value.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mask/detectors.h"

namespace {

using namespace kubegate::mask;

constexpr std::size_t kPiece = 16 * 1024;
constexpr std::size_t kLogBytes = 64 * 1024 * 1024;

// Lines shaped like a mix of klog, JSON application logs and access logs: timestamps, levels,
// paths, addresses, ids, durations; one line in 20,000 carries a secret.
const std::string& logText() {
  static const std::string text = [] {
    std::mt19937 random(42);
    const char* levels[] = {"INFO", "WARN", "DEBUG", "ERROR"};
    const char* paths[] = {"/api/v1/namespaces/default/pods", "/healthz", "/apis/apps/v1/deployments",
                           "/metrics", "/api/v1/nodes/worker-3/status"};
    const char* words[] = {"reconciling", "object", "updated", "cache", "synced", "request", "completed",
                           "retrying", "after", "watch", "closed", "leader", "election", "renewed"};
    const std::string secrets[] = {
        "export AWS_ACCESS_KEY_ID=AKIA" + std::string("IOSFODNN7EXAMPLE"),
        "db connect postgres://app:" + std::string("s3cr3t-pw") + "@db:5432/app",
        "{\"level\":\"debug\",\"password\":\"" + std::string("hunter2") + "\"}",
        "auth header Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"};
    std::string out;
    out.reserve(kLogBytes + 1024);
    char line[512];
    for (unsigned n = 0; out.size() < kLogBytes; ++n) {
      const unsigned r = random();
      const unsigned ms = r % 1000;
      switch (n % 3) {
        case 0:
          std::snprintf(line, sizeof line, "I1129 17:%02u:%02u.%06u    %u controller.go:%u] %s %s %s \"%s\" uid=%08x-%04x\n",
                        (r >> 3) % 60, (r >> 9) % 60, r % 999999, 1 + r % 9, 100 + r % 900, words[r % 14],
                        words[(r >> 4) % 14], words[(r >> 8) % 14], paths[(r >> 12) % 5], r, r >> 16);
          break;
        case 1:
          std::snprintf(line, sizeof line,
                        "{\"ts\":\"2024-11-29T17:%02u:%02u.%03uZ\",\"level\":\"%s\",\"msg\":\"%s %s\",\"path\":\"%s\","
                        "\"status\":%u,\"duration_ms\":%u.%02u,\"trace\":\"%08x%08x\"}\n",
                        (r >> 3) % 60, (r >> 9) % 60, ms, levels[r % 4], words[r % 14], words[(r >> 5) % 14],
                        paths[(r >> 10) % 5], 200 + (r % 3) * 100, ms, r % 100, r, r ^ 0x5bd1e995u);
          break;
        default:
          std::snprintf(line, sizeof line,
                        "10.%u.%u.%u - - [29/Nov/2024:17:%02u:%02u +0000] \"GET %s HTTP/1.1\" %u %u \"-\" \"kube-probe/1.29\"\n",
                        r % 256, (r >> 8) % 256, (r >> 16) % 256, (r >> 3) % 60, (r >> 9) % 60, paths[r % 5],
                        200 + (r % 2) * 204, 100 + r % 20000);
          break;
      }
      out += line;
      if (n % 20000 == 19999) out += secrets[(n / 20000) % 4] + "\n";
    }
    return out;
  }();
  return text;
}

std::shared_ptr<const Detectors> allDetectors() {
  static const auto detectors = Detectors::compile({"all"}, {});
  return detectors;
}

void BM_StreamRedactorLogs(benchmark::State& state) {
  const std::string& text = logText();
  const auto detectors = allDetectors();
  std::string out;
  out.reserve(2 * kPiece);
  std::size_t redactions = 0;
  for (auto _ : state) {
    StreamRedactor redactor(*detectors);
    for (std::size_t at = 0; at < text.size(); at += kPiece) {
      redactor.write(std::string_view(text).substr(at, kPiece), out);
      benchmark::DoNotOptimize(out.data());
      out.clear();
    }
    redactor.flush(out);
    out.clear();
    redactions = redactor.redactions();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["redactions"] = static_cast<double>(redactions);
}
BENCHMARK(BM_StreamRedactorLogs)->Unit(benchmark::kMillisecond);

// The baseline: the same pieces copied out untouched.
void BM_MemcpyPassthroughLogs(benchmark::State& state) {
  const std::string& text = logText();
  std::string out;
  out.reserve(2 * kPiece);
  for (auto _ : state) {
    for (std::size_t at = 0; at < text.size(); at += kPiece) {
      out.append(std::string_view(text).substr(at, kPiece));
      benchmark::DoNotOptimize(out.data());
      out.clear();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_MemcpyPassthroughLogs)->Unit(benchmark::kMillisecond);

// The detectors alone over the whole text, without the redactor's line handling.
void BM_DetectorsFindLogs(benchmark::State& state) {
  const std::string& text = logText();
  const auto detectors = allDetectors();
  std::vector<Range> found;
  for (auto _ : state) {
    found.clear();
    detectors->find(text, found);
    benchmark::DoNotOptimize(found.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["ranges"] = static_cast<double>(found.size());
}
BENCHMARK(BM_DetectorsFindLogs)->Unit(benchmark::kMillisecond);

// A typical string value the JSON masker hands over: a container command line.
void BM_DetectorsFindStringValue(benchmark::State& state) {
  const std::string value =
      "/usr/local/bin/server --config=/etc/app/config.yaml --listen=0.0.0.0:8080 --metrics-addr=:9090 "
      "--log-level=info --db-host=postgres.default.svc.cluster.local --db-port=5432 --cache-size=256Mi";
  const auto detectors = allDetectors();
  std::vector<Range> found;
  for (auto _ : state) {
    found.clear();
    detectors->find(value, found);
    benchmark::DoNotOptimize(found.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * value.size()));
  state.counters["bytes"] = static_cast<double>(value.size());
}
BENCHMARK(BM_DetectorsFindStringValue);

}  // namespace
