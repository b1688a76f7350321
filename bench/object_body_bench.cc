// Time to decode a request body into the object policy decides on: a typical pod as kubectl sends
// it (JSON), the same pod as server-side apply YAML, and a secret as kubectl 1.33 sends it
// (protobuf, built in the same shape as tests/k8s/testdata/kubectl133_create_secret.pb).
#include <benchmark/benchmark.h>

#include <string>

#include "k8s/object_body.h"

namespace {

using kubegate::k8s::classify;
using kubegate::k8s::decodeRequestObject;

constexpr std::string_view kPodJson = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d4b9c8f6-x2k9p",
"namespace":"shop","labels":{"app":"web","pod-template-hash":"7d4b9c8f6","tier":"frontend"},
"annotations":{"prometheus.io/scrape":"true","prometheus.io/port":"9090"}},
"spec":{"serviceAccountName":"web","securityContext":{"runAsNonRoot":true,"runAsUser":1000,"fsGroup":2000},
"containers":[{"name":"web","image":"registry.example.com/shop/web:1.24.3","ports":[{"containerPort":8080,"name":"http"}],
"env":[{"name":"MODE","value":"production"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
"resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},
"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
"volumeMounts":[{"name":"config","mountPath":"/etc/web","readOnly":true},{"name":"tmp","mountPath":"/tmp"}],
"readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":5}},
{"name":"proxy","image":"registry.example.com/envoy:1.30","args":["--config","/etc/envoy/envoy.yaml"]}],
"volumes":[{"name":"config","configMap":{"name":"web-config"}},{"name":"tmp","emptyDir":{}}],
"tolerations":[{"key":"dedicated","operator":"Equal","value":"web","effect":"NoSchedule"}]}})";

// The shape kubectl 1.33 sends for `create secret generic s1 --from-literal=password=hunter2
// --from-literal=user=admin` (short fields only, so one-byte tags and lengths suffice).
std::string secretProtobuf() {
  std::string raw;
  auto field = [](int number, const std::string& value) {
    return std::string(1, static_cast<char>(number << 3 | 2)) + std::string(1, static_cast<char>(value.size())) + value;
  };
  const std::string meta = field(1, "s1");
  const std::string data = field(2, field(1, "password") + field(2, "hunter2")) + field(2, field(1, "user") + field(2, "admin"));
  raw = field(1, meta) + data + field(3, "Opaque");
  return std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, "Secret")) + field(2, raw) + field(3, "") + field(4, "");
}

void BM_DecodePodJson(benchmark::State& state) {
  const auto info = *classify("POST", "/api/v1/namespaces/shop/pods", {});
  for (auto _ : state) {
    auto decoded = decodeRequestObject("application/json", kPodJson, info);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPodJson.size()));
}
BENCHMARK(BM_DecodePodJson);

void BM_DecodePodApplyYaml(benchmark::State& state) {
  const auto info = *classify("PATCH", "/api/v1/namespaces/shop/pods/web", {});
  for (auto _ : state) {
    auto decoded = decodeRequestObject("application/apply-patch+yaml", kPodJson, info);
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_DecodePodApplyYaml);

void BM_DecodeSecretProtobuf(benchmark::State& state) {
  const auto info = *classify("POST", "/api/v1/namespaces/default/secrets", {});
  const std::string body = secretProtobuf();
  for (auto _ : state) {
    auto decoded = decodeRequestObject("application/vnd.kubernetes.protobuf", body, info);
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_DecodeSecretProtobuf);

}  // namespace
