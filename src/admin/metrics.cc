#include "admin/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <iterator>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace kubegate::admin {
namespace {

constexpr std::string_view kOther = "other";

// kubegate_request_duration_seconds upper bounds; each written exactly as its `le` label.
constexpr std::array<double, 13> kBucketBounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
constexpr std::array<std::string_view, 13> kBucketLabels{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                                                         "1",     "2.5",  "5",     "10",   "30",  "60"};

struct CounterCell {
  std::atomic<std::uint64_t> value{0};
};

struct HistogramCell {
  // Observations per bucket, not cumulative: one add per observation. The last slot is above every
  // bound. _count is derived from these at render time, so it always equals the +Inf bucket.
  std::array<std::atomic<std::uint64_t>, kBucketBounds.size() + 1> perBucket{};
  std::atomic<double> sum{0};
};

// Everything labelled by cluster alone, so that one lookup serves all of a call's updates.
struct ClusterCell {
  std::atomic<std::uint64_t> bytesIn{0};
  std::atomic<std::uint64_t> bytesOut{0};
  std::atomic<std::int64_t> tunnelsOpen{0};
  std::atomic<std::uint64_t> tunnelsTotal{0};
  std::atomic<std::int64_t> upstreamIdle{0};
  std::atomic<std::uint64_t> upstreamNew{0};
  std::atomic<std::uint64_t> upstreamReused{0};
};

// The series of one metric family, keyed by N label values. Lookups probe an open-addressing table
// of atomic pointers without a lock; inserting takes the mutex. Series are never removed and a
// table that was outgrown is kept, so a pointer a reader loaded stays valid. A reader probing an
// outgrown table may miss a new series; it then takes the slow path, which looks again under the lock.
template <class Cell, std::size_t N>
class SeriesTable {
 public:
  using Values = std::array<std::string_view, N>;

  struct Series {
    Series(const Values& v, std::size_t h) : hash(h) { std::copy(v.begin(), v.end(), values.begin()); }
    std::array<std::string, N> values;
    std::size_t hash;
    Cell cell;
  };

  explicit SeriesTable(std::size_t maxSeries) : maxSeries_(std::max<std::size_t>(maxSeries, 1)) {
    grow(kInitialSlots);
  }

  Cell& at(const Values& values) {
    const auto hash = hashValues(values);
    if (Series* found = find(*table_.load(std::memory_order_acquire), values, hash)) return found->cell;
    return insertSlow(values, hash);
  }

  // The series in label order, for rendering. The pointers stay valid for the table's lifetime.
  std::vector<const Series*> snapshot() const {
    std::vector<const Series*> out;
    {
      std::lock_guard lock(mutex_);
      out.reserve(series_.size());
      for (const auto& series : series_) out.push_back(series.get());
    }
    std::sort(out.begin(), out.end(), [](const Series* a, const Series* b) { return a->values < b->values; });
    return out;
  }

 private:
  static constexpr std::size_t kInitialSlots = 64;  // a power of two; kept at most half full

  struct Table {
    explicit Table(std::size_t slotCount) : mask(slotCount - 1), slots(std::make_unique<std::atomic<Series*>[]>(slotCount)) {}
    std::size_t mask;
    std::unique_ptr<std::atomic<Series*>[]> slots;
  };

  static std::size_t hashValues(const Values& values) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (auto value : values) {
      for (unsigned char c : value) h = (h ^ c) * 1099511628211ull;
      h = (h ^ 0xffu) * 1099511628211ull;  // separator: ("ab","c") and ("a","bc") differ
    }
    return static_cast<std::size_t>(h);
  }

  static bool sameValues(const Series& series, const Values& values) {
    for (std::size_t i = 0; i < N; ++i) {
      if (series.values[i] != values[i]) return false;
    }
    return true;
  }

  static Series* find(const Table& table, const Values& values, std::size_t hash) {
    for (std::size_t i = hash & table.mask;; i = (i + 1) & table.mask) {
      Series* series = table.slots[i].load(std::memory_order_acquire);
      if (!series) return nullptr;
      if (series->hash == hash && sameValues(*series, values)) return series;
    }
  }

  Cell& insertSlow(const Values& values, std::size_t hash) {
    std::lock_guard lock(mutex_);
    if (Series* found = findLocked(values, hash)) return found->cell;
    if (series_.size() < maxSeries_) return insertLocked(values, hash);
    // Over the cap: the first label, the open-ended one, becomes "other". The other labels come
    // from small fixed sets, but a little headroom past the cap is all they get; after that every
    // label is "other". A folded call keeps coming here, which only a misbehaving caller makes happen.
    Values folded = values;
    folded[0] = kOther;
    if (Series* found = findLocked(folded, hashValues(folded))) return found->cell;
    if (series_.size() >= maxSeries_ + maxSeries_ / 10 + 1) folded.fill(kOther);
    const auto foldedHash = hashValues(folded);
    if (Series* found = findLocked(folded, foldedHash)) return found->cell;
    return insertLocked(folded, foldedHash);
  }

  Series* findLocked(const Values& values, std::size_t hash) const {
    return find(*table_.load(std::memory_order_relaxed), values, hash);
  }

  Cell& insertLocked(const Values& values, std::size_t hash) {
    Table* table = table_.load(std::memory_order_relaxed);
    if ((series_.size() + 1) * 2 > table->mask + 1) table = grow((table->mask + 1) * 2);
    series_.push_back(std::make_unique<Series>(values, hash));
    place(*table, series_.back().get());
    return series_.back()->cell;
  }

  Table* grow(std::size_t slotCount) {
    auto table = std::make_unique<Table>(slotCount);
    for (const auto& series : series_) place(*table, series.get());
    Table* published = table.get();
    tables_.push_back(std::move(table));
    table_.store(published, std::memory_order_release);
    return published;
  }

  static void place(Table& table, Series* series) {
    std::size_t i = series->hash & table.mask;
    while (table.slots[i].load(std::memory_order_relaxed)) i = (i + 1) & table.mask;
    table.slots[i].store(series, std::memory_order_release);
  }

  const std::size_t maxSeries_;
  std::atomic<Table*> table_{nullptr};
  mutable std::mutex mutex_;                    // guards series_, tables_ and every insertion
  std::vector<std::unique_ptr<Series>> series_;  // insertion order
  std::vector<std::unique_ptr<Table>> tables_;   // every table ever published, the newest last
};

// --- rendering ------------------------------------------------------------------------------

void appendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

using Label = std::pair<std::string_view, std::string_view>;

// One sample line: name{labels} value
template <class Value>
void appendSample(std::string& out, std::string_view name, std::initializer_list<Label> labels, Value value) {
  out += name;
  if (labels.size() != 0) {
    out += '{';
    bool first = true;
    for (const auto& [label, labelValue] : labels) {
      if (!first) out += ',';
      first = false;
      out += label;
      out += "=\"";
      appendEscaped(out, labelValue);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  if constexpr (std::is_floating_point_v<Value>) {
    // Go's ParseFloat spellings, which Prometheus reads; fmt's shortest form for everything finite.
    if (std::isnan(value)) out += "NaN";
    else if (std::isinf(value)) out += value > 0 ? "+Inf" : "-Inf";
    else fmt::format_to(std::back_inserter(out), "{}", value);
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
  out += '\n';
}

void appendHeader(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

struct Metrics::State {
  explicit State(std::string_view v, std::size_t maxLabelSets)
      : version(v),
        requests(maxLabelSets),
        durations(maxLabelSets),
        clusters(maxLabelSets),
        refusals(maxLabelSets),
        authenticationFailures(maxLabelSets) {}

  const std::string version;
  SeriesTable<CounterCell, 3> requests;      // cluster, verb, code
  SeriesTable<HistogramCell, 2> durations;  // cluster, verb
  SeriesTable<ClusterCell, 1> clusters;      // cluster
  SeriesTable<CounterCell, 1> refusals;      // reason
  SeriesTable<CounterCell, 2> authenticationFailures;  // reason, authenticator (reason first: it is the open-ended one)
  std::atomic<std::int64_t> downstreamOpen{0};
  std::atomic<unsigned> workers{0};
  std::atomic<std::int64_t> workerOpen[kMaxWorkers] = {};
  std::atomic<std::uint64_t> reloadsSucceeded{0};
  std::atomic<std::uint64_t> reloadsFailed{0};
  std::atomic<std::uint64_t> auditWriteFailures{0};
  // Indexed by [slack][ok]: two formats, two results.
  std::atomic<std::uint64_t> notificationAttempts[2][2] = {};
  std::atomic<std::uint64_t> notificationsGivenUp[2] = {};

  void renderRequests(std::string& out) const;
  void renderDurations(std::string& out) const;
  void renderClusters(std::string& out) const;
  void renderProcess(std::string& out) const;
};

Metrics::Metrics(std::string_view version, std::size_t maxLabelSets)
    : state_(std::make_unique<State>(version, maxLabelSets)) {}

Metrics::~Metrics() = default;

void Metrics::requestFinished(std::string_view cluster, std::string_view verb, unsigned code, double seconds,
                              std::uint64_t bytesIn, std::uint64_t bytesOut) {
  char codeText[16];
  const auto written = std::to_chars(std::begin(codeText), std::end(codeText), code).ptr;
  const std::string_view codeLabel(codeText, static_cast<std::size_t>(written - codeText));
  state_->requests.at({cluster, verb, codeLabel}).value.fetch_add(1, std::memory_order_relaxed);

  // A clock that went backwards or a NaN must not make the sum decrease or become unreadable.
  if (!(seconds >= 0)) seconds = 0;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), seconds) - kBucketBounds.begin());
  auto& histogram = state_->durations.at({cluster, verb});
  histogram.perBucket[bucket].fetch_add(1, std::memory_order_relaxed);
  histogram.sum.fetch_add(seconds, std::memory_order_relaxed);

  auto& perCluster = state_->clusters.at({cluster});
  perCluster.bytesIn.fetch_add(bytesIn, std::memory_order_relaxed);
  perCluster.bytesOut.fetch_add(bytesOut, std::memory_order_relaxed);
}

void Metrics::tunnelOpened(std::string_view cluster) {
  auto& cell = state_->clusters.at({cluster});
  cell.tunnelsOpen.fetch_add(1, std::memory_order_relaxed);
  cell.tunnelsTotal.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::tunnelClosed(std::string_view cluster) {
  state_->clusters.at({cluster}).tunnelsOpen.fetch_sub(1, std::memory_order_relaxed);
}

void Metrics::upstreamConnection(std::string_view cluster, bool reused) {
  auto& cell = state_->clusters.at({cluster});
  (reused ? cell.upstreamReused : cell.upstreamNew).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::setUpstreamIdle(std::string_view cluster, std::int64_t delta) {
  state_->clusters.at({cluster}).upstreamIdle.fetch_add(delta, std::memory_order_relaxed);
}

void Metrics::downstreamConnection(int delta) { state_->downstreamOpen.fetch_add(delta, std::memory_order_relaxed); }

void Metrics::setWorkers(unsigned count) { state_->workers.store(std::min(count, kMaxWorkers), std::memory_order_relaxed); }

void Metrics::workerConnection(unsigned worker, int delta) {
  if (worker < kMaxWorkers) state_->workerOpen[worker].fetch_add(delta, std::memory_order_relaxed);
}

void Metrics::refusal(std::string_view reason) {
  state_->refusals.at({reason}).value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::authenticationFailure(std::string_view authenticator, std::string_view reason) {
  state_->authenticationFailures.at({reason, authenticator}).value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::auditWriteFailure() { state_->auditWriteFailures.fetch_add(1, std::memory_order_relaxed); }

void Metrics::notificationAttempt(std::string_view format, bool ok) {
  state_->notificationAttempts[format == "slack"][ok].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::notificationGivenUp(std::string_view format) {
  state_->notificationsGivenUp[format == "slack"].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::configReload(bool ok) {
  (ok ? state_->reloadsSucceeded : state_->reloadsFailed).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::State::renderRequests(std::string& out) const {
  constexpr std::string_view name = "kubegate_requests_total";
  appendHeader(out, name, "counter", "Requests answered, by cluster, Kubernetes verb and HTTP status code.");
  for (const auto* s : requests.snapshot()) {
    appendSample(out, name, {{"cluster", s->values[0]}, {"verb", s->values[1]}, {"code", s->values[2]}},
                 s->cell.value.load(std::memory_order_relaxed));
  }
}

void Metrics::State::renderDurations(std::string& out) const {
  constexpr std::string_view name = "kubegate_request_duration_seconds";
  appendHeader(out, name, "histogram", "Time from reading a request to its last response byte.");
  for (const auto* s : durations.snapshot()) {
    const std::string_view cluster = s->values[0], verb = s->values[1];
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
      cumulative += s->cell.perBucket[i].load(std::memory_order_relaxed);
      appendSample(out, "kubegate_request_duration_seconds_bucket",
                   {{"cluster", cluster}, {"verb", verb}, {"le", kBucketLabels[i]}}, cumulative);
    }
    cumulative += s->cell.perBucket.back().load(std::memory_order_relaxed);
    appendSample(out, "kubegate_request_duration_seconds_bucket", {{"cluster", cluster}, {"verb", verb}, {"le", "+Inf"}},
                 cumulative);
    appendSample(out, "kubegate_request_duration_seconds_sum", {{"cluster", cluster}, {"verb", verb}},
                 s->cell.sum.load(std::memory_order_relaxed));
    appendSample(out, "kubegate_request_duration_seconds_count", {{"cluster", cluster}, {"verb", verb}}, cumulative);
  }
}

void Metrics::State::renderClusters(std::string& out) const {
  const auto snapshot = clusters.snapshot();
  constexpr auto relaxed = std::memory_order_relaxed;

  appendHeader(out, "kubegate_request_bytes_total", "counter", "Request and response body bytes, by cluster and direction.");
  for (const auto* s : snapshot) {
    appendSample(out, "kubegate_request_bytes_total", {{"cluster", s->values[0]}, {"direction", "in"}}, s->cell.bytesIn.load(relaxed));
    appendSample(out, "kubegate_request_bytes_total", {{"cluster", s->values[0]}, {"direction", "out"}}, s->cell.bytesOut.load(relaxed));
  }
  appendHeader(out, "kubegate_tunnels_open", "gauge", "Exec, attach and port-forward tunnels open now.");
  for (const auto* s : snapshot) appendSample(out, "kubegate_tunnels_open", {{"cluster", s->values[0]}}, s->cell.tunnelsOpen.load(relaxed));
  appendHeader(out, "kubegate_tunnels_total", "counter", "Exec, attach and port-forward tunnels opened.");
  for (const auto* s : snapshot) appendSample(out, "kubegate_tunnels_total", {{"cluster", s->values[0]}}, s->cell.tunnelsTotal.load(relaxed));
  appendHeader(out, "kubegate_upstream_connections_idle", "gauge", "Idle pooled connections to the cluster.");
  for (const auto* s : snapshot) {
    appendSample(out, "kubegate_upstream_connections_idle", {{"cluster", s->values[0]}}, s->cell.upstreamIdle.load(relaxed));
  }
  appendHeader(out, "kubegate_upstream_connections_total", "counter",
               "Connections to the cluster taken for a request: pooled (reused) or newly opened.");
  for (const auto* s : snapshot) {
    appendSample(out, "kubegate_upstream_connections_total", {{"cluster", s->values[0]}, {"reused", "true"}},
                 s->cell.upstreamReused.load(relaxed));
    appendSample(out, "kubegate_upstream_connections_total", {{"cluster", s->values[0]}, {"reused", "false"}},
                 s->cell.upstreamNew.load(relaxed));
  }
}

void Metrics::State::renderProcess(std::string& out) const {
  constexpr auto relaxed = std::memory_order_relaxed;
  appendHeader(out, "kubegate_downstream_connections_open", "gauge", "Client connections open now.");
  appendSample(out, "kubegate_downstream_connections_open", {}, downstreamOpen.load(relaxed));
  appendHeader(out, "kubegate_worker_connections_open", "gauge", "Client connections open now, by io thread (worker).");
  for (unsigned i = 0; i < workers.load(relaxed); ++i) {
    appendSample(out, "kubegate_worker_connections_open", {{"worker", std::to_string(i)}}, workerOpen[i].load(relaxed));
  }
  appendHeader(out, "kubegate_refusals_total", "counter", "Requests the gateway refused itself, by Kubernetes Status reason.");
  for (const auto* s : refusals.snapshot()) {
    appendSample(out, "kubegate_refusals_total", {{"reason", s->values[0]}}, s->cell.value.load(relaxed));
  }
  appendHeader(out, "kubegate_authentication_failures_total", "counter",
               "Requests whose credentials did not authenticate, by authenticator and reason.");
  for (const auto* s : authenticationFailures.snapshot()) {
    appendSample(out, "kubegate_authentication_failures_total", {{"authenticator", s->values[1]}, {"reason", s->values[0]}},
                 s->cell.value.load(relaxed));
  }
  appendHeader(out, "kubegate_config_reloads_total", "counter", "Config reloads, by whether the new config was applied.");
  appendSample(out, "kubegate_config_reloads_total", {{"result", "success"}}, reloadsSucceeded.load(relaxed));
  appendSample(out, "kubegate_config_reloads_total", {{"result", "failure"}}, reloadsFailed.load(relaxed));
  appendHeader(out, "kubegate_audit_write_failures_total", "counter",
               "Requests whose audit record could not be made durable in time (refused, or forwarded with onFailure: warn).");
  appendSample(out, "kubegate_audit_write_failures_total", {}, auditWriteFailures.load(relaxed));
  appendHeader(out, "kubegate_approval_notifications_total", "counter",
               "Attempts to deliver an approval notification to a webhook, by format and result.");
  for (int slack = 0; slack < 2; ++slack) {
    for (int ok = 0; ok < 2; ++ok) {
      appendSample(out, "kubegate_approval_notifications_total",
                   {{"format", slack ? "slack" : "generic"}, {"result", ok ? "ok" : "failed"}},
                   notificationAttempts[slack][ok].load(relaxed));
    }
  }
  appendHeader(out, "kubegate_approval_notifications_given_up_total", "counter",
               "Approval notifications dropped after their last retry, by format.");
  for (int slack = 0; slack < 2; ++slack) {
    appendSample(out, "kubegate_approval_notifications_given_up_total", {{"format", slack ? "slack" : "generic"}},
                 notificationsGivenUp[slack].load(relaxed));
  }
  appendHeader(out, "kubegate_build_info", "gauge", "Always 1; the version label names the running build.");
  appendSample(out, "kubegate_build_info", {{"version", version}}, 1);
}

std::string Metrics::renderPrometheus() const {
  std::string out;
  out.reserve(16 * 1024);
  state_->renderRequests(out);
  state_->renderDurations(out);
  state_->renderClusters(out);
  state_->renderProcess(out);
  return out;
}

Metrics& metrics() {
  static Metrics* const instance = new Metrics();
  return *instance;
}

}  // namespace kubegate::admin
