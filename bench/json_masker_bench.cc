// Masking throughput of the streaming JSON masker (performance goal G3: >= 400 MB/s per core on a
// Secret-heavy list, 1 GB/s stretch), side by side with a passthrough baseline that copies the same
// 16 KiB pieces, on a ~100 MB SecretList and a ~100 MB PodList built once. Also reports the most
// memory the masker held at once (goal G4: <= 1 MiB whatever the body size), counted by the
// allocation hooks in bench/support/allocation_tracking.cc. `KUBEGATE_MASK_FILE=<json>` masks a file instead (bench/masking_jq.sh).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>
#include <string>

#include "mask/json_masker.h"
#include "mask/profile.h"
#include "support/allocation_tracking.h"

namespace {

using kubegate::mask::JsonMasker;
using kubegate::mask::MaskTarget;
using kubegate::mask::Profile;
using kubegate::mask::ProfileSet;

constexpr std::size_t kPieceSize = 16 * 1024;
constexpr std::size_t kBodyTarget = 100 * 1000 * 1000;

struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t between(std::size_t low, std::size_t high) { return low + next() % (high - low + 1); }
};

std::string base64OfRandomBytes(Random& random, std::size_t length) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((length + 2) / 3 * 4);
  for (std::size_t i = 0; i < length; i += 3) {
    const std::uint64_t bits = random.next();
    const std::size_t chars = length - i >= 3 ? 4 : length - i + 1;
    for (std::size_t c = 0; c < 4; ++c) {
      text += c < chars ? kAlphabet[(bits >> (6 * c)) & 63] : '=';
    }
  }
  return text;
}

std::string escapedForJson(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string uid(Random& random) {
  char text[40];
  std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                static_cast<unsigned long long>(random.next() & 0xFFFFFFFF),
                static_cast<unsigned long long>(random.next() & 0xFFFF),
                static_cast<unsigned long long>(random.next() & 0xFFF),
                static_cast<unsigned long long>(random.next() & 0xFFF),
                static_cast<unsigned long long>(random.next() & 0xFFFFFFFFFFFF));
  return text;
}

// One Secret as kube-apiserver lists it: labels, half of them applied by kubectl (so carrying the
// whole manifest again in last-applied), managedFields naming the keys, 3-5 keys of 40-2000 bytes.
std::string secretItem(Random& random, std::size_t index) {
  const std::string name = "app-" + std::to_string(index) + "-credentials";
  const std::string ns = "team-" + std::to_string(index % 40);
  std::string data;
  std::string dataFields;
  const std::size_t keys = random.between(3, 5);
  static const char* const kKeyNames[] = {"password", "username", "tls.crt", "tls.key", "api-token"};
  for (std::size_t k = 0; k < keys; ++k) {
    data += std::string(k ? "," : "") + "\"" + kKeyNames[k] + "\":\"" +
            base64OfRandomBytes(random, random.between(40, 2000)) + "\"";
    dataFields += std::string(",\"f:") + kKeyNames[k] + "\":{}";
  }
  const std::string labels = "{\"app\":\"app-" + std::to_string(index) + "\",\"team\":\"" + ns +
                             "\",\"app.kubernetes.io/managed-by\":\"kubectl\"}";
  std::string annotations = "{\"team.example.com/owner\":\"" + ns + "@example.com\"";
  if (index % 2 == 0) {
    const std::string manifest = "{\"apiVersion\":\"v1\",\"data\":{" + data + "},\"kind\":\"Secret\",\"metadata\":"
                                 "{\"annotations\":{},\"labels\":" + labels + ",\"name\":\"" + name +
                                 "\",\"namespace\":\"" + ns + "\"},\"type\":\"Opaque\"}\n";
    annotations += ",\"kubectl.kubernetes.io/last-applied-configuration\":\"" + escapedForJson(manifest) + "\"";
  }
  annotations += "}";
  return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns + "\",\"uid\":\"" + uid(random) +
         "\",\"resourceVersion\":\"" + std::to_string(100000 + index) +
         "\",\"creationTimestamp\":\"2026-03-14T09:26:53Z\",\"labels\":" + labels + ",\"annotations\":" +
         annotations +
         ",\"managedFields\":[{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
         "\"apiVersion\":\"v1\",\"time\":\"2026-03-14T09:26:53Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":"
         "{\"f:data\":{\".\":{}" + dataFields +
         "},\"f:metadata\":{\"f:annotations\":{\".\":{},\"f:kubectl.kubernetes.io/last-applied-configuration\":{}},"
         "\"f:labels\":{\".\":{},\"f:app\":{},\"f:team\":{}}},\"f:type\":{}}}]},\"data\":{" + data +
         "},\"type\":\"Opaque\"}";
}

// One Pod with two containers, literal and referenced env vars, probes, volumes and a full status.
std::string podItem(Random& random, std::size_t index) {
  const std::string name = "web-" + std::to_string(index) + "-" + uid(random).substr(0, 5);
  const std::string ns = "team-" + std::to_string(index % 40);
  const std::string ip = "10." + std::to_string(index % 250) + "." + std::to_string(random.between(0, 250)) + "." +
                         std::to_string(random.between(1, 250));
  const std::string container =
      "{\"name\":\"app\",\"image\":\"registry.example.com/" + ns + "/web:1." + std::to_string(index % 30) +
      "\",\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}],\"env\":["
      "{\"name\":\"MODE\",\"value\":\"production\"},{\"name\":\"DB_HOST\",\"value\":\"db." + ns +
      ".svc.cluster.local\"},{\"name\":\"DB_PASSWORD\",\"value\":\"" + base64OfRandomBytes(random, 12) +
      "\"},{\"name\":\"API_TOKEN\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"api\",\"key\":\"token\"}}},"
      "{\"name\":\"LOG_LEVEL\",\"value\":\"info\"}],\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"},"
      "\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"}},\"volumeMounts\":[{\"name\":\"config\",\"readOnly\":true,"
      "\"mountPath\":\"/etc/web\"},{\"name\":\"kube-api-access\",\"readOnly\":true,\"mountPath\":"
      "\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\","
      "\"port\":8080,\"scheme\":\"HTTP\"},\"timeoutSeconds\":1,\"periodSeconds\":10,\"successThreshold\":1,"
      "\"failureThreshold\":3},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":"
      "\"File\",\"imagePullPolicy\":\"IfNotPresent\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
      "\"readOnlyRootFilesystem\":true,\"capabilities\":{\"drop\":[\"ALL\"]}}}";
  const std::string sidecar =
      "{\"name\":\"proxy\",\"image\":\"registry.example.com/envoy:1.30.2\",\"args\":[\"--config-path\","
      "\"/etc/envoy/envoy.yaml\",\"--log-level\",\"warn\"],\"resources\":{},\"terminationMessagePath\":"
      "\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}";
  const std::string status =
      "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\",\"lastProbeTime\":null,"
      "\"lastTransitionTime\":\"2026-03-14T09:26:53Z\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastProbeTime\":"
      "null,\"lastTransitionTime\":\"2026-03-14T09:27:03Z\"},{\"type\":\"ContainersReady\",\"status\":\"True\","
      "\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-03-14T09:27:03Z\"},{\"type\":\"PodScheduled\","
      "\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-03-14T09:26:53Z\"}],\"hostIP\":"
      "\"192.168.0." + std::to_string(index % 200) + "\",\"podIP\":\"" + ip + "\",\"podIPs\":[{\"ip\":\"" + ip +
      "\"}],\"startTime\":\"2026-03-14T09:26:53Z\",\"containerStatuses\":[{\"name\":\"app\",\"state\":{\"running\":"
      "{\"startedAt\":\"2026-03-14T09:27:01Z\"}},\"lastState\":{},\"ready\":true,\"restartCount\":" +
      std::to_string(random.between(0, 3)) + ",\"image\":\"registry.example.com/web:1.2\",\"imageID\":"
      "\"registry.example.com/web@sha256:" + uid(random) + uid(random).substr(0, 28) + "\",\"containerID\":"
      "\"containerd://" + uid(random) + "\",\"started\":true}],\"qosClass\":\"Burstable\"}";
  return "{\"metadata\":{\"name\":\"" + name + "\",\"generateName\":\"web-" + std::to_string(index) +
         "-\",\"namespace\":\"" + ns + "\",\"uid\":\"" + uid(random) + "\",\"resourceVersion\":\"" +
         std::to_string(200000 + index) + "\",\"creationTimestamp\":\"2026-03-14T09:26:53Z\",\"labels\":{\"app\":"
         "\"web\",\"pod-template-hash\":\"7d4b9c8f6\"},\"annotations\":{\"prometheus.io/scrape\":\"true\","
         "\"kubectl.kubernetes.io/restartedAt\":\"2026-03-14T09:20:00Z\"},\"ownerReferences\":[{\"apiVersion\":"
         "\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d4b9c8f6\",\"uid\":\"" + uid(random) +
         "\",\"controller\":true,\"blockOwnerDeletion\":true}],\"managedFields\":[{\"manager\":"
         "\"kube-controller-manager\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":"
         "\"2026-03-14T09:26:53Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:generateName\":{},"
         "\"f:labels\":{\".\":{},\"f:app\":{}},\"f:ownerReferences\":{\".\":{}}},\"f:spec\":{\"f:containers\":{}}}}]},"
         "\"spec\":{\"volumes\":[{\"name\":\"config\",\"configMap\":{\"name\":\"web-config\",\"defaultMode\":420}}],"
         "\"containers\":[" + container + "," + sidecar + "],\"restartPolicy\":\"Always\","
         "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"web\","
         "\"nodeName\":\"node-" + std::to_string(index % 20) + "\",\"securityContext\":{\"runAsNonRoot\":true},"
         "\"schedulerName\":\"default-scheduler\",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
         "\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],\"priority\":0,"
         "\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"},\"status\":" + status + "}";
}

template <typename MakeItem>
std::string buildList(std::string_view kind, MakeItem makeItem) {
  Random random{42};
  std::string body = "{\"kind\":\"" + std::string(kind) +
                     "\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"123456\"},\"items\":[";
  body.reserve(kBodyTarget + 64 * 1024);
  for (std::size_t index = 0; body.size() < kBodyTarget; ++index) {
    if (index) {
      body += ',';
    }
    body += makeItem(random, index);
  }
  body += "]}";
  return body;
}

const std::string& secretList() {
  static const std::string body = buildList("SecretList", secretItem);
  return body;
}

const std::string& podList() {
  static const std::string body = buildList("PodList", podItem);
  return body;
}

const std::string& fileBody() {
  static const std::string body = [] {
    const char* path = std::getenv("KUBEGATE_MASK_FILE");
    if (!path) {
      return std::string();
    }
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
  }();
  return body;
}

const Profile& defaultProfile() {
  static const auto profiles = ProfileSet::compile({});
  return profiles->defaultProfile();
}

void maskBody(benchmark::State& state, const std::string& body, MaskTarget target) {
  if (body.empty()) {
    state.SkipWithError("no body (KUBEGATE_MASK_FILE unset or empty)");
    return;
  }
  std::string out;
  out.reserve(4 * kPieceSize);
  std::uint64_t masked = 0;
  kubegate::bench::startPeakTracking();
  for (auto _ : state) {
    JsonMasker masker(defaultProfile(), target);
    for (std::size_t at = 0; at < body.size(); at += kPieceSize) {
      out.clear();
      if (!masker.write(std::string_view(body).substr(at, kPieceSize), out)) {
        state.SkipWithError(masker.error().c_str());
        break;
      }
      benchmark::DoNotOptimize(out.data());
    }
    if (!masker.finish(out)) {
      state.SkipWithError(masker.error().c_str());
    }
    masked = masker.maskedValues();
  }
  kubegate::bench::stopPeakTracking();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_MB"] = static_cast<double>(body.size()) / 1e6;
  state.counters["masked_values"] = static_cast<double>(masked);
  state.counters["peak_held_KiB"] = static_cast<double>(kubegate::bench::peakHeldBytes()) / 1024.0;
}

void passBody(benchmark::State& state, const std::string& body) {
  std::string out;
  out.reserve(4 * kPieceSize);
  for (auto _ : state) {
    for (std::size_t at = 0; at < body.size(); at += kPieceSize) {
      out.clear();
      out.append(std::string_view(body).substr(at, kPieceSize));
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

void BM_MaskSecretList(benchmark::State& state) { maskBody(state, secretList(), {"", "secrets", ""}); }
void BM_PassthroughSecretList(benchmark::State& state) { passBody(state, secretList()); }
void BM_MaskPodList(benchmark::State& state) { maskBody(state, podList(), {"", "pods", ""}); }
void BM_PassthroughPodList(benchmark::State& state) { passBody(state, podList()); }
void BM_MaskFile(benchmark::State& state) {
  const char* resource = std::getenv("KUBEGATE_MASK_RESOURCE");
  maskBody(state, fileBody(), {"", resource ? resource : "secrets", ""});
}

BENCHMARK(BM_MaskSecretList)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_PassthroughSecretList)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_MaskPodList)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_PassthroughPodList)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_MaskFile)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace
