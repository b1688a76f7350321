// What a Prometheus scrape of kubegate shows: the right names, labels and values, counts that add
// up when many worker threads record at once, and a text that a Prometheus parser accepts.
#include "admin/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace kubegate::admin {
namespace {

// The value of the sample whose name and labels are exactly `series`, as written.
std::optional<std::string> sampleValue(const std::string& text, const std::string& series) {
  const std::string needle = series + " ";
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    const auto start = at + needle.size();
    return text.substr(start, text.find('\n', start) - start);
  }
  return std::nullopt;
}

std::size_t countLinesStartingWith(const std::string& text, const std::string& prefix) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.rfind(prefix, 0) == 0;
  return count;
}

// Checks the rules of the text format 0.0.4 a scraper relies on: HELP then TYPE once per family,
// every sample under its family's TYPE, labels as name="escaped value", a number as the value,
// and a final newline. Returns what is wrong, empty when nothing is.
std::vector<std::string> formatProblems(const std::string& text) {
  std::vector<std::string> problems;
  if (text.empty() || text.back() != '\n') problems.push_back("text does not end in a newline");
  std::set<std::string> families;
  std::string family, type, lastHelp;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      lastHelp = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream fields(line.substr(7));
      fields >> family >> type;
      if (family != lastHelp) problems.push_back("TYPE without its HELP: " + line);
      if (!families.insert(family).second) problems.push_back("family declared twice: " + family);
      if (type != "counter" && type != "gauge" && type != "histogram") problems.push_back("unknown type: " + line);
      continue;
    }
    const auto nameEnd = line.find_first_of("{ ");
    const std::string name = line.substr(0, nameEnd);
    const bool belongs = name == family || (type == "histogram" && (name == family + "_bucket" || name == family + "_sum" ||
                                                                    name == family + "_count"));
    if (!belongs) problems.push_back("sample outside its family: " + line);
    std::size_t at = nameEnd;
    if (at < line.size() && line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        const auto eq = line.find("=\"", at);
        if (eq == std::string::npos) { problems.push_back("bad label: " + line); break; }
        at = eq + 2;
        while (at < line.size() && line[at] != '"') {
          if (line[at] == '\\') {
            if (at + 1 >= line.size() || std::string_view("\\\"n").find(line[at + 1]) == std::string_view::npos) {
              problems.push_back("bad escape: " + line);
            }
            ++at;
          }
          ++at;
        }
        ++at;  // closing quote
        if (at < line.size() && line[at] == ',') ++at;
      }
      ++at;  // closing brace
    }
    if (at >= line.size() || line[at] != ' ') { problems.push_back("no value: " + line); continue; }
    const std::string value = line.substr(at + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    if (value.empty() || (*end != '\0' && value != "+Inf" && value != "-Inf" && value != "NaN")) {
      problems.push_back("bad value: " + line);
    }
  }
  return problems;
}

// Binary fractions add up exactly in any order, so the sum can be compared as text.
constexpr double kDurations[] = {0.00390625 /* le 0.005 */, 0.0625 /* le 0.1 */, 2 /* le 2.5 */, 64 /* +Inf only */};

TEST(Metrics, CountsRequestsFromManyThreadsIntoCumulativeBuckets) {
  Metrics m;
  constexpr int kThreads = 8, kRounds = 2000;
  std::atomic<bool> writing{true};
  std::atomic<int> scrapes{0};
  std::vector<std::string> renderProblems;
  std::thread scraper([&] {
    // Scrapes race with the writers; every scrape must still be well-formed and self-consistent.
    for (; writing.load(); scrapes.fetch_add(1)) {
      const auto text = m.renderPrometheus();
      auto problems = formatProblems(text);
      const auto inf = sampleValue(text, R"(kubegate_request_duration_seconds_bucket{cluster="prod",verb="list",le="+Inf"})");
      const auto count = sampleValue(text, R"(kubegate_request_duration_seconds_count{cluster="prod",verb="list"})");
      if (inf != count) problems.push_back("+Inf bucket and _count differ");
      if (!problems.empty()) { renderProblems = problems; break; }
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&m, &scrapes, t] {
      while (scrapes.load() == 0) std::this_thread::yield();  // start once scraping has
      const char* cluster = t % 2 ? "prod" : "staging";
      for (int i = 0; i < kRounds; ++i) {
        for (double seconds : kDurations) m.requestFinished(cluster, "list", 200, seconds, 3, 5);
        m.requestFinished(cluster, "get", 404, 0.001, 0, 1);
      }
    });
  }
  for (auto& w : workers) w.join();
  writing = false;
  scraper.join();
  EXPECT_TRUE(renderProblems.empty()) << renderProblems.front();
  EXPECT_GT(scrapes.load(), 1);

  const auto text = m.renderPrometheus();
  constexpr int kPerCluster = kThreads / 2 * kRounds;  // rounds recorded by each cluster's threads
  const std::string prod = R"(cluster="prod",verb="list")";
  auto bucket = [&](const char* le) {
    return sampleValue(text, "kubegate_request_duration_seconds_bucket{" + prod + ",le=\"" + le + "\"}");
  };
  EXPECT_EQ(bucket("0.005"), std::to_string(kPerCluster));
  EXPECT_EQ(bucket("0.01"), std::to_string(kPerCluster));
  EXPECT_EQ(bucket("0.05"), std::to_string(kPerCluster));
  EXPECT_EQ(bucket("0.1"), std::to_string(2 * kPerCluster));
  EXPECT_EQ(bucket("1"), std::to_string(2 * kPerCluster));
  EXPECT_EQ(bucket("2.5"), std::to_string(3 * kPerCluster));
  EXPECT_EQ(bucket("60"), std::to_string(3 * kPerCluster));
  EXPECT_EQ(bucket("+Inf"), std::to_string(4 * kPerCluster));
  EXPECT_EQ(countLinesStartingWith(text, "kubegate_request_duration_seconds_bucket{" + prod), 14u);
  EXPECT_EQ(sampleValue(text, "kubegate_request_duration_seconds_count{" + prod + "}"), std::to_string(4 * kPerCluster));
  EXPECT_EQ(sampleValue(text, "kubegate_request_duration_seconds_sum{" + prod + "}"), "528531.25");  // 8000 * 66.06640625

  EXPECT_EQ(sampleValue(text, R"(kubegate_requests_total{cluster="prod",verb="list",code="200"})"), std::to_string(4 * kPerCluster));
  EXPECT_EQ(sampleValue(text, R"(kubegate_requests_total{cluster="staging",verb="get",code="404"})"), std::to_string(kPerCluster));
  EXPECT_EQ(sampleValue(text, R"(kubegate_request_bytes_total{cluster="staging",direction="in"})"), std::to_string(12 * kPerCluster));
  EXPECT_EQ(sampleValue(text, R"(kubegate_request_bytes_total{cluster="staging",direction="out"})"), std::to_string(21 * kPerCluster));
  EXPECT_TRUE(formatProblems(text).empty()) << formatProblems(text).front();
}

TEST(Metrics, BucketsIncludeTheirUpperBound) {
  Metrics m;
  m.requestFinished("c", "get", 200, 1.0, 0, 0);
  m.requestFinished("c", "get", 200, 60.0, 0, 0);
  m.requestFinished("c", "get", 200, 61.0, 0, 0);
  const auto text = m.renderPrometheus();
  auto bucket = [&](const char* le) {
    return sampleValue(text, std::string(R"(kubegate_request_duration_seconds_bucket{cluster="c",verb="get",le=")") + le + "\"}");
  };
  EXPECT_EQ(bucket("0.5"), "0");
  EXPECT_EQ(bucket("1"), "1");
  EXPECT_EQ(bucket("30"), "1");
  EXPECT_EQ(bucket("60"), "2");
  EXPECT_EQ(bucket("+Inf"), "3");
  EXPECT_EQ(sampleValue(text, R"(kubegate_request_duration_seconds_sum{cluster="c",verb="get"})"), "122");
}

TEST(Metrics, RendersEveryFamilyBeforeAnythingHappens) {
  Metrics m("1.2.3");
  const auto text = m.renderPrometheus();
  const std::map<std::string, std::string> families = {
      {"kubegate_requests_total", "counter"},
      {"kubegate_request_duration_seconds", "histogram"},
      {"kubegate_request_bytes_total", "counter"},
      {"kubegate_tunnels_open", "gauge"},
      {"kubegate_tunnels_total", "counter"},
      {"kubegate_upstream_connections_idle", "gauge"},
      {"kubegate_upstream_connections_total", "counter"},
      {"kubegate_downstream_connections_open", "gauge"},
      {"kubegate_refusals_total", "counter"},
      {"kubegate_authentication_failures_total", "counter"},
      {"kubegate_config_reloads_total", "counter"},
      {"kubegate_build_info", "gauge"},
  };
  for (const auto& [name, type] : families) {
    EXPECT_NE(text.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name;
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
  }
  EXPECT_EQ(sampleValue(text, "kubegate_downstream_connections_open"), "0");
  EXPECT_EQ(sampleValue(text, R"(kubegate_config_reloads_total{result="success"})"), "0");
  EXPECT_EQ(sampleValue(text, R"(kubegate_config_reloads_total{result="failure"})"), "0");
  EXPECT_EQ(sampleValue(text, R"(kubegate_build_info{version="1.2.3"})"), "1");
  EXPECT_TRUE(formatProblems(text).empty()) << formatProblems(text).front();
}

TEST(Metrics, TracksTunnelsConnectionsRefusalsAndReloads) {
  Metrics m;
  m.tunnelOpened("prod");
  m.tunnelOpened("prod");
  m.tunnelClosed("prod");
  m.upstreamConnection("prod", false);
  m.upstreamConnection("prod", true);
  m.upstreamConnection("prod", true);
  m.setUpstreamIdle("prod", 3);
  m.setUpstreamIdle("prod", -1);
  m.downstreamConnection(1);
  m.downstreamConnection(1);
  m.downstreamConnection(-1);
  m.refusal("Unauthorized");
  m.refusal("Unauthorized");
  m.refusal("BadRequest");
  m.configReload(true);
  m.configReload(false);
  m.configReload(false);
  const auto text = m.renderPrometheus();
  EXPECT_EQ(sampleValue(text, R"(kubegate_tunnels_open{cluster="prod"})"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_tunnels_total{cluster="prod"})"), "2");
  EXPECT_EQ(sampleValue(text, R"(kubegate_upstream_connections_total{cluster="prod",reused="false"})"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_upstream_connections_total{cluster="prod",reused="true"})"), "2");
  EXPECT_EQ(sampleValue(text, R"(kubegate_upstream_connections_idle{cluster="prod"})"), "2");
  EXPECT_EQ(sampleValue(text, "kubegate_downstream_connections_open"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_refusals_total{reason="Unauthorized"})"), "2");
  EXPECT_EQ(sampleValue(text, R"(kubegate_refusals_total{reason="BadRequest"})"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_config_reloads_total{result="success"})"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_config_reloads_total{result="failure"})"), "2");
  // A cluster seen only through tunnels still shows its request bytes, as zero rather than absent.
  EXPECT_EQ(sampleValue(text, R"(kubegate_request_bytes_total{cluster="prod",direction="in"})"), "0");
}

TEST(Metrics, ShowsEachWorkersOpenConnections) {
  Metrics m;
  m.setWorkers(2);
  m.workerConnection(1, 1);
  m.workerConnection(1, 1);
  m.workerConnection(0, 1);
  m.workerConnection(0, -1);
  m.workerConnection(Metrics::kMaxWorkers, 1);  // past the table: ignored, not a crash
  const auto text = m.renderPrometheus();
  EXPECT_EQ(sampleValue(text, R"(kubegate_worker_connections_open{worker="0"})"), "0");
  EXPECT_EQ(sampleValue(text, R"(kubegate_worker_connections_open{worker="1"})"), "2");
  EXPECT_EQ(text.find(R"(worker="2")"), std::string::npos);
  EXPECT_TRUE(formatProblems(text).empty()) << formatProblems(text).front();
}

TEST(Metrics, CountsAuthenticationFailuresByAuthenticatorAndReason) {
  Metrics m;
  m.authenticationFailure("oidc", "expired");
  m.authenticationFailure("oidc", "expired");
  m.authenticationFailure("oidc", "unknown_key");
  m.authenticationFailure("none", "no_credentials");
  const auto text = m.renderPrometheus();
  EXPECT_EQ(sampleValue(text, R"(kubegate_authentication_failures_total{authenticator="oidc",reason="expired"})"), "2");
  EXPECT_EQ(sampleValue(text, R"(kubegate_authentication_failures_total{authenticator="oidc",reason="unknown_key"})"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_authentication_failures_total{authenticator="none",reason="no_credentials"})"), "1");
  EXPECT_TRUE(formatProblems(text).empty()) << formatProblems(text).front();
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.requestFinished("a\"b\\c\nd", "get", 200, 0.1, 0, 0);
  m.refusal("quote\"");
  const auto text = m.renderPrometheus();
  EXPECT_EQ(sampleValue(text, R"(kubegate_requests_total{cluster="a\"b\\c\nd",verb="get",code="200"})"), "1");
  EXPECT_EQ(sampleValue(text, R"(kubegate_refusals_total{reason="quote\""})"), "1");
  EXPECT_EQ(text.find("c\nd"), std::string::npos) << "a raw newline inside a label would split the sample";
  EXPECT_TRUE(formatProblems(text).empty()) << formatProblems(text).front();
}

TEST(Metrics, FoldsClustersPastTheLabelSetCap) {
  Metrics m(kBuildVersion, 3);
  for (int i = 0; i < 10; ++i) m.requestFinished("cluster-" + std::to_string(i), "get", 200, 0.1, 1, 0);
  auto text = m.renderPrometheus();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sampleValue(text, R"(kubegate_requests_total{cluster="cluster-)" + std::to_string(i) + R"(",verb="get",code="200"})"), "1");
  }
  EXPECT_EQ(sampleValue(text, R"(kubegate_requests_total{cluster="cluster-3",verb="get",code="200"})"), std::nullopt);
  EXPECT_EQ(sampleValue(text, R"(kubegate_requests_total{cluster="other",verb="get",code="200"})"), "7");
  EXPECT_EQ(sampleValue(text, R"(kubegate_request_bytes_total{cluster="other",direction="in"})"), "7");

  // The other labels get only a little room past the cap before they fold too: however many
  // distinct combinations arrive, the series count stays bounded.
  for (int i = 0; i < 1000; ++i) m.requestFinished("cluster-x", "verb-" + std::to_string(i), 500 + i, 0.1, 0, 0);
  text = m.renderPrometheus();
  EXPECT_LE(countLinesStartingWith(text, "kubegate_requests_total{"), 3u + 1u + 1u);
  EXPECT_TRUE(sampleValue(text, R"(kubegate_requests_total{cluster="other",verb="other",code="other"})").has_value());
  std::uint64_t total = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("kubegate_requests_total{", 0) == 0) total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(total, 1010u) << "folding keeps every request counted";
}

TEST(Metrics, ProcessWideInstanceReportsTheBuildVersion) {
  EXPECT_EQ(&metrics(), &metrics());
  const auto text = metrics().renderPrometheus();
  EXPECT_EQ(sampleValue(text, "kubegate_build_info{version=\"" + std::string(kBuildVersion) + "\"}"), "1");
}

}  // namespace
}  // namespace kubegate::admin
