// The golden classification cases (tests/k8s/classifier-cases.yaml, issue 5) through the same
// front path a request takes in the gateway, minus the network: the raw header block is scanned,
// Beast parses it, framing is checked, the target is parsed, the /clusters/<name> prefix is routed
// off, and k8s::classify decides. Each case's expectation comes from kube-apiserver's
// requestinfo.go and apimachinery (see the file's header); tests/e2e/classifier.test.js sends the
// same cases through a live gateway.
#include <yaml-cpp/yaml.h>

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/hygiene.h"
#include "http/request_reader.h"
#include "k8s/request_info.h"

namespace kubegate::k8s {
namespace {

constexpr std::string_view kClusterPrefix = "/clusters/demo";

struct GoldenCase {
  std::string id;
  YAML::Node node;
};

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.id; }

std::vector<GoldenCase> loadCases() {
  const std::string file = std::string(KUBEGATE_SOURCE_DIR) + "/tests/k8s/classifier-cases.yaml";
  std::vector<GoldenCase> cases;
  for (const auto& node : YAML::LoadFile(file)["cases"]) cases.push_back({node["id"].as<std::string>(), node});
  return cases;
}

const std::vector<GoldenCase>& allCases() {
  static const std::vector<GoldenCase> cases = loadCases();
  return cases;
}

std::string text(const YAML::Node& node, const char* key, std::string fallback = "") {
  return node[key] ? node[key].as<std::string>() : fallback;
}

// The request target as the agent sends it to the gateway.
std::string gatewayTarget(const YAML::Node& c) {
  const std::string path = text(c, "path");
  std::string target = std::string(kClusterPrefix) + (path == "/" ? "" : path);
  if (c["query"]) target += "?" + text(c, "query");
  return target;
}

struct FrontPath {
  std::optional<GatewayError> refusal;  // set when the request reader refuses the request
  std::string method;
  std::string upstreamPath;
  QueryParams query;
};

// What src/http/request_reader.cc readRequest does with the header block, then the routing step.
FrontPath readFront(const YAML::Node& c) {
  const config::Limits limits;
  const std::string block = text(c, "method") + " " + gatewayTarget(c) + " HTTP/1.1\r\nHost: kubegate\r\n\r\n";
  FrontPath out;
  if (auto scan = http_hygiene::scanRawHeader(block, {limits.maxUrlBytes, limits.maxHeaderCount}); !scan) {
    out.refusal = scan.error();
    return out;
  }
  http::request_parser<http::string_body> parser;
  parser.eager(false);
  boost::system::error_code ec;
  parser.put(asio::buffer(block.data(), block.size()), ec);
  if (ec || !parser.is_header_done()) {
    out.refusal = makeError(ErrorKind::BadRequest, "malformed HTTP request");
    return out;
  }
  if (auto framing = http_io::checkFraming(parser); !framing) {
    out.refusal = framing.error();
    return out;
  }
  auto target = http_hygiene::parseTarget(parser.get().target());
  if (!target) {
    out.refusal = target.error();
    return out;
  }
  out.method = std::string(parser.get().method_string());
  const std::string_view rest = std::string_view(target->path).substr(kClusterPrefix.size());
  out.upstreamPath = rest.empty() ? "/" : std::string(rest);
  out.query = std::move(target->query);
  return out;
}

// Every field the expectations may name, as classify() produced it.
std::map<std::string, std::string> observedFields(const RequestInfo& info) {
  std::string parts;
  for (const auto& p : info.parts) parts += (parts.empty() ? "" : "/") + p;
  return {{"isResource", info.isResourceRequest ? "true" : "false"},
          {"apiPrefix", info.apiPrefix},
          {"verb", info.verb},
          {"effectiveVerb", info.effectiveVerb},
          {"group", info.apiGroup},
          {"version", info.apiVersion},
          {"namespace", info.namespace_},
          {"resource", info.resource},
          {"subresource", info.subresource},
          {"name", info.name},
          {"execClass", info.execClass ? "true" : "false"},
          {"nonResourceClass", std::string(toString(info.nonResourceClass))},
          {"fieldSelector", info.fieldSelector},
          {"labelSelector", info.labelSelector},
          {"parts", parts}};
}

// The expectation with the file's defaults filled in: "" and false, effectiveVerb = verb; apiPrefix
// and parts only where the case names them.
std::map<std::string, std::string> expectedFields(const YAML::Node& expect, const std::map<std::string, std::string>& observed) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : observed) {
    if (key == "apiPrefix" || key == "parts") continue;
    out[key] = (key == "isResource" || key == "execClass") ? "false" : "";
  }
  for (const auto& entry : expect) {
    const auto key = entry.first.as<std::string>();
    if (key == "parts") {
      std::string parts;
      for (const auto& p : entry.second) parts += (parts.empty() ? "" : "/") + p.as<std::string>();
      out[key] = parts;
    } else {
      out[key] = entry.second.as<std::string>();
    }
  }
  if (!expect["effectiveVerb"]) out["effectiveVerb"] = out["verb"];
  return out;
}

void expectClassification(const YAML::Node& expect, const boost::system::result<RequestInfo, GatewayError>& result) {
  if (expect["error"]) {
    ASSERT_FALSE(result) << "classify() should refuse";
    EXPECT_EQ(httpStatus(result.error().kind), expect["error"].as<unsigned>()) << result.error().message;
    return;
  }
  ASSERT_TRUE(result) << "classify() refused: " << result.error().message;
  const auto observed = observedFields(*result);
  for (const auto& [key, want] : expectedFields(expect, observed)) {
    const auto it = observed.find(key);
    ASSERT_NE(it, observed.end()) << "the case names an unknown field '" << key << "'";
    EXPECT_EQ(it->second, want) << "field " << key;
  }
}

class GoldenClassifier : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenClassifier, ClassifiesAsKubeApiserverAndRefusesWhatTheGatewayRefuses) {
  const YAML::Node& c = GetParam().node;
  SCOPED_TRACE(text(c, "method") + " " + gatewayTarget(c));
  const std::string stage = c["refused"] ? text(c["refused"], "stage") : "";
  const auto front = readFront(c);

  if (stage == "hygiene") {
    ASSERT_TRUE(front.refusal.has_value()) << "the request reader should refuse this request";
    EXPECT_EQ(httpStatus(front.refusal->kind), c["refused"]["status"].as<unsigned>()) << front.refusal->message;
    if (c["classifier"]) {
      // Defence in depth: classify() alone, on the path and query as written.
      auto target = http_hygiene::parseTarget(text(c, "path") + (c["query"] ? "?" + text(c, "query") : ""));
      ASSERT_TRUE(target) << target.error().message;
      expectClassification(c["classifier"], classify(text(c, "method"), target->path, target->query));
    }
    return;
  }
  ASSERT_FALSE(front.refusal.has_value()) << "refused by the request reader: " << front.refusal->message;
  const auto result = classify(front.method, front.upstreamPath, front.query);
  if (stage == "classifier") {
    ASSERT_FALSE(result) << "classify() should refuse";
    EXPECT_EQ(httpStatus(result.error().kind), c["refused"]["status"].as<unsigned>()) << result.error().message;
    return;
  }
  ASSERT_TRUE(c["expect"]) << "a case the gateway classifies needs an expectation";
  expectClassification(c["expect"], result);
}

std::string testName(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string name = info.param.id;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenClassifier, ::testing::ValuesIn(allCases()), testName);

// The file is the acceptance criterion: at least 150 cases, unique ids, each with an outcome.
TEST(GoldenClassifierFile, HoldsAtLeast150DistinctCasesEachWithAnOutcome) {
  const auto& cases = allCases();
  EXPECT_GE(cases.size(), 150U);
  std::set<std::string> ids;
  for (const auto& c : cases) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate id " << c.id;
    EXPECT_TRUE(c.node["expect"] || c.node["refused"]) << c.id << " has neither expect nor refused";
    EXPECT_TRUE(c.node["method"] && c.node["path"]) << c.id;
  }
}

}  // namespace
}  // namespace kubegate::k8s
