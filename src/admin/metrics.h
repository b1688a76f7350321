// The gateway's Prometheus metrics. Requests are served on one io_context per core, so every
// recording call may come from any thread at any time; they cost a hash, a lock-free table probe
// and a relaxed atomic add. A lock is taken only the first time a label combination is seen.
// renderPrometheus() writes the text exposition format 0.0.4 for the admin listener's /metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kubegate::admin {

// The version reported by kubegate_build_info. The build may pass the project version in.
#ifdef KUBEGATE_VERSION
inline constexpr std::string_view kBuildVersion = KUBEGATE_VERSION;
#else
inline constexpr std::string_view kBuildVersion = "0.1.0";
#endif

class Metrics {
 public:
  // Each labelled metric keeps at most this many label combinations. Past it, the open-ended label
  // (cluster, or reason) folds into "other", so a caller passing unexpected names cannot grow the
  // process's memory or a scraper's series count without bound.
  static constexpr std::size_t kDefaultMaxLabelSets = 10'000;

  explicit Metrics(std::string_view version = kBuildVersion, std::size_t maxLabelSets = kDefaultMaxLabelSets);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request: kubegate_requests_total, kubegate_request_duration_seconds and
  // kubegate_request_bytes_total. `verb` is the Kubernetes verb (get, list, watch, ...).
  void requestFinished(std::string_view cluster, std::string_view verb, unsigned code, double seconds,
                       std::uint64_t bytesIn, std::uint64_t bytesOut);
  // An exec/attach/port-forward tunnel: kubegate_tunnels_open and kubegate_tunnels_total.
  void tunnelOpened(std::string_view cluster);
  void tunnelClosed(std::string_view cluster);
  // A connection to a cluster was taken for a request: a pooled one (reused) or a new one.
  void upstreamConnection(std::string_view cluster, bool reused);
  // Adds `delta` to kubegate_upstream_connections_idle for the cluster.
  void setUpstreamIdle(std::string_view cluster, std::int64_t delta);
  // Adds `delta` to kubegate_downstream_connections_open.
  void downstreamConnection(int delta);
  // kubegate_worker_connections_open{worker}: how the client connections are spread over the io
  // threads. setWorkers(n) is called once at start; worker indexes past kMaxWorkers are not shown.
  static constexpr unsigned kMaxWorkers = 256;
  void setWorkers(unsigned count);
  void workerConnection(unsigned worker, int delta);
  // A request refused by the gateway itself; `reason` is the Kubernetes Status reason.
  void refusal(std::string_view reason);
  // A request whose credentials did not authenticate: kubegate_authentication_failures_total.
  // `authenticator` is the one that refused ("oidc", "x509"), or "none" when no authenticator
  // recognised the credentials; `reason` is a short snake_case word ("expired", "unknown_key").
  void authenticationFailure(std::string_view authenticator, std::string_view reason);
  void configReload(bool ok);
  // A request whose audit record could not be made durable in time: kubegate_audit_write_failures_total.
  void auditWriteFailure();
  // Approval notifications: kubegate_approval_notifications_total{format,result} per attempt
  // (result ok or failed) and kubegate_approval_notifications_given_up_total{format}.
  void notificationAttempt(std::string_view format, bool ok);
  void notificationGivenUp(std::string_view format);

  std::string renderPrometheus() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The process's metrics. Never destroyed, so threads still finishing at exit can record safely.
Metrics& metrics();

}  // namespace kubegate::admin
