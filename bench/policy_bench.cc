// Policy decision time with 1,000 rules (goal: p99 under 5 µs) and heap allocations per decision
// (goal: 0). Reports p50/p99 from per-decision timings and `allocs_per_decision` from a counting
// global operator new.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "k8s/request_info.h"
#include "policy/policy.h"
#include "support/allocation_tracking.h"


namespace {

using namespace kubegate;

// 1,000 rules shaped like a large organisation's: per-team allow rules on their namespaces, deny
// and review rules with object conditions, and a handful of catch-alls.
std::string thousandRules() {
  static const char* kResources[] = {"pods", "deployments", "services", "configmaps", "secrets", "jobs", "cronjobs",
                                     "statefulsets", "ingresses", "serviceaccounts"};
  std::string y = "rules:\n";
  for (int i = 0; i < 1000; ++i) {
    const std::string res = kResources[i % 10];
    const std::string id = "r" + std::to_string(i);
    switch (i % 5) {
      case 0:
        y += "  - {id: " + id + ", effect: allow, match: {subjects: {groups: [team-" + std::to_string(i % 97) +
             "]}, verbs: [get, list, watch], resources: [" + res + "], namespaces: [\"team-" + std::to_string(i % 97) + "-*\"]}}\n";
        break;
      case 1:
        y += "  - {id: " + id + ", effect: allow, match: {subjects: {groups: [team-" + std::to_string(i % 97) +
             "]}, verbs: [create, update, patch], resources: [" + res + "], namespaces: [\"team-" + std::to_string(i % 97) + "-*\"]}}\n";
        break;
      case 2:
        y += "  - {id: " + id + ", effect: deny, message: m, match: {verbs: [create, update, patch], resources: [" + res +
             "]}, when: {path: [\"spec.containers[*].securityContext.privileged\", \"spec.template.spec.containers[*].securityContext.privileged\"], equals: true}}\n";
        break;
      case 3:
        y += "  - {id: " + id + ", effect: review, message: m, match: {resources: [" + res + "/exec], namespaces: [\"prod-" +
             std::to_string(i) + "\"]}, review: {approverGroups: [sre]}}\n";
        break;
      default:
        y += "  - {id: " + id + ", effect: deny, message: m, match: {subjects: {users: [\"blocked-" + std::to_string(i) +
             "-*\"]}, resources: [" + res + "], names: [\"x-" + std::to_string(i) + "\"]}}\n";
    }
  }
  y += "  - {id: catch-all-reads, effect: allow, match: {subjects: {groups: [readers]}, verbs: [get, list, watch]}}\n";
  return y;
}

void BM_PolicyDecide1000Rules(benchmark::State& state) {
  auto compiled = policy::compilePolicy(thousandRules(), "bench");
  if (!compiled.policy) {
    state.SkipWithError("policy did not compile");
    return;
  }
  const auto& policy = *compiled.policy;
  identity::Identity who;
  who.username = "agent-7";
  who.groups = {"team-12", "agents", "readers"};
  who.issuer = "https://idp.example";
  const auto pod = boost::json::parse(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"team-12-dev"},)"
      R"("spec":{"containers":[{"name":"a","image":"nginx"},{"name":"b","image":"x","securityContext":{"privileged":false}}]}})");
  struct Case {
    k8s::RequestInfo info;
    const boost::json::value* object;
  };
  std::vector<Case> cases;
  const auto add = [&](const char* method, const char* path, const boost::json::value* object) {
    cases.push_back({*k8s::classify(method, path, {}), object});
  };
  add("GET", "/api/v1/namespaces/team-12-dev/pods", nullptr);
  add("POST", "/api/v1/namespaces/team-12-dev/pods", &pod);
  add("GET", "/api/v1/namespaces/team-12-dev/secrets/db", nullptr);
  add("POST", "/api/v1/namespaces/prod-3/pods/web/exec", nullptr);
  add("DELETE", "/apis/apps/v1/namespaces/team-12-dev/deployments/web", nullptr);
  add("GET", "/apis/apps/v1", nullptr);

  constexpr std::size_t kSamples = 1 << 16;
  std::vector<std::uint32_t> nanos(kSamples);
  std::size_t sample = 0;
  std::size_t decisions = 0;
  std::size_t allocationsBefore = kubegate::bench::allocationCount();
  for (auto _ : state) {
    const auto& c = cases[decisions % cases.size()];
    const policy::RequestFacts facts{who, "demo", c.info, c.object, {}, false};
    const auto start = std::chrono::steady_clock::now();
    auto d = policy.decide(facts);
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(d);
    nanos[sample] = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
    sample = (sample + 1) % kSamples;
    ++decisions;
  }
  const std::size_t allocations = kubegate::bench::allocationCount() - allocationsBefore;
  nanos.resize(std::min(decisions, kSamples));
  std::sort(nanos.begin(), nanos.end());
  if (!nanos.empty()) {
    state.counters["p50_ns"] = nanos[nanos.size() / 2];
    state.counters["p99_ns"] = nanos[nanos.size() * 99 / 100];
    state.counters["max_ns"] = nanos.back();
  }
  state.counters["rules"] = static_cast<double>(policy.rules().size());
  state.counters["allocs_per_decision"] = decisions ? static_cast<double>(allocations) / decisions : 0;
}
BENCHMARK(BM_PolicyDecide1000Rules);

}  // namespace
