#include "cli/policy_command.h"

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "k8s/request_info.h"
#include "policy/policy.h"

namespace kubegate::cli {
namespace {

struct CaseError {
  int line;
  std::string message;
};

[[noreturn]] void caseFail(const YAML::Node& node, const std::string& message) {
  throw CaseError{node ? static_cast<int>(node.Mark().line) + 1 : 0, message};
}

void rejectUnknownCaseFields(const YAML::Node& node, const std::string& where, const std::set<std::string>& known) {
  if (!node.IsMap()) caseFail(node, where + " must be a mapping");
  for (const auto& item : node) {
    if (!known.count(item.first.as<std::string>())) caseFail(item.first, where + "." + item.first.as<std::string>() + ": unknown field");
  }
}

std::string text(const YAML::Node& node) { return node && node.IsScalar() ? node.Scalar() : ""; }

// One case, as the gateway would see it.
struct PolicyCase {
  std::string name;
  int line = 0;
  identity::Identity identity;
  std::string cluster;
  std::string requestText;  // for the report: METHOD path, or the explicit fields
  k8s::RequestInfo info;
  std::optional<boost::json::value> object;
  std::string objectError;
  bool objectMetadataOnly = false;
  std::string expectEffect, expectRule, expectMessage;
};

k8s::RequestInfo explicitRequest(const YAML::Node& r) {
  k8s::RequestInfo info;
  info.verb = text(r["verb"]);
  info.effectiveVerb = info.verb;
  info.apiGroup = text(r["apiGroup"]);
  info.apiVersion = text(r["apiVersion"]);
  info.resource = text(r["resource"]);
  info.subresource = text(r["subresource"]);
  info.namespace_ = text(r["namespace"]);
  info.name = text(r["name"]);
  info.path = text(r["nonResourcePath"]);
  info.isResourceRequest = !info.resource.empty();
  if (info.isResourceRequest == !info.path.empty()) caseFail(r, "request needs either resource or nonResourcePath");
  return info;
}

// METHOD + path (+ query) through k8s::classify, exactly as the gateway classifies it.
k8s::RequestInfo classifiedRequest(const YAML::Node& r, PolicyCase& c) {
  const std::string method = text(r["method"]);
  std::string target = text(r["path"]);
  // A /clusters/<name>/ prefix names the cluster, as it does in front of the gateway.
  if (target.rfind("/clusters/", 0) == 0) {
    const auto slash = target.find('/', 10);
    if (c.cluster.empty()) c.cluster = target.substr(10, slash == std::string::npos ? std::string::npos : slash - 10);
    target = slash == std::string::npos ? "/" : target.substr(slash);
  }
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) caseFail(r["path"], "request.path '" + target + "' is not an origin-form path");
  k8s::QueryParams query;
  for (const auto& p : url->params()) query.emplace_back(p.key, p.has_value ? p.value : "");
  if (const auto q = r["query"]) {
    if (!q.IsMap()) caseFail(q, "request.query must be a mapping of parameter to value (or list of values)");
    for (const auto& item : q) {
      if (item.second.IsSequence()) {
        for (const auto& v : item.second) query.emplace_back(item.first.as<std::string>(), text(v));
      } else {
        query.emplace_back(item.first.as<std::string>(), text(item.second));
      }
    }
  }
  auto info = k8s::classify(method, std::string(url->path()), query);
  if (!info) caseFail(r, "request " + method + " " + target + " is refused before policy: " + info.error().message);
  c.requestText = method + " " + target;
  return std::move(*info);
}

boost::json::value loadObjectFile(const std::filesystem::path& file, const YAML::Node& at) {
  std::ifstream in(file, std::ios::binary);
  if (!in) caseFail(at, "cannot read objectFile " + file.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  try {
    return policy::yamlToJson(YAML::Load(bytes.str()));  // YAML is a superset of the JSON objects here
  } catch (const YAML::Exception& e) {
    caseFail(at, "objectFile " + file.string() + " is neither JSON nor YAML: " + e.msg);
  }
}

PolicyCase parseCase(const YAML::Node& n, const std::filesystem::path& baseDir) {
  rejectUnknownCaseFields(n, "case", {"name", "identity", "purpose", "cluster", "request", "object", "objectFile",
                                      "objectError", "objectMetadataOnly", "expect"});
  PolicyCase c;
  c.line = static_cast<int>(n.Mark().line) + 1;
  c.name = text(n["name"]);
  if (c.name.empty()) caseFail(n, "case needs a name");
  if (const auto id = n["identity"]) {
    rejectUnknownCaseFields(id, "identity", {"user", "groups", "issuer"});
    c.identity.username = text(id["user"]);
    if (const auto groups = id["groups"]) {
      for (const auto& g : groups) c.identity.groups.push_back(text(g));
    }
    c.identity.issuer = text(id["issuer"]);
  }
  c.identity.purpose = text(n["purpose"]);
  c.cluster = text(n["cluster"]);
  const auto r = n["request"];
  if (!r) caseFail(n, "case needs a request");
  rejectUnknownCaseFields(r, "request", {"method", "path", "query", "verb", "apiGroup", "apiVersion", "resource",
                                         "subresource", "namespace", "name", "nonResourcePath"});
  if (r["method"] || r["path"]) {
    c.info = classifiedRequest(r, c);
  } else {
    c.info = explicitRequest(r);
    c.requestText = c.info.verb + " " + (c.info.isResourceRequest ? c.info.resource : c.info.path);
  }
  if (n["object"] && n["objectFile"]) caseFail(n, "object and objectFile exclude each other");
  if (const auto o = n["object"]) c.object = policy::yamlToJson(o);
  if (const auto f = n["objectFile"]) c.object = loadObjectFile(baseDir / text(f), f);
  c.objectError = text(n["objectError"]);
  c.objectMetadataOnly = text(n["objectMetadataOnly"]) == "true";
  const auto e = n["expect"];
  if (!e) caseFail(n, "case needs expect: {effect, rule}");
  rejectUnknownCaseFields(e, "expect", {"effect", "rule", "message"});
  c.expectEffect = text(e["effect"]);
  if (!policy::parseEffect(c.expectEffect)) caseFail(e, "expect.effect must be allow, deny or review");
  c.expectRule = text(e["rule"]);
  c.expectMessage = text(e["message"]);
  return c;
}

std::string describe(const k8s::RequestInfo& info) {
  if (!info.isResourceRequest) return "non-resource " + info.path + " verb=" + info.effectiveVerb;
  std::string out = "verb=" + info.effectiveVerb + " group=" + (info.apiGroup.empty() ? "\"\"" : info.apiGroup) +
                    " resource=" + info.resource + (info.subresource.empty() ? "" : "/" + info.subresource);
  if (!info.namespace_.empty()) out += " namespace=" + info.namespace_;
  if (!info.name.empty()) out += " name=" + info.name;
  return out;
}

// Runs one case; returns whether it passed, printing a diff when it did not.
bool runCase(const policy::Policy& policy, const PolicyCase& c, const std::string& casesFile, std::ostream& out) {
  const policy::RequestFacts facts{c.identity, c.cluster, c.info, c.object ? &*c.object : nullptr, c.objectError,
                                   c.objectMetadataOnly};
  const auto d = policy.decide(facts);
  const bool effectOk = policy::toString(d.effect) == c.expectEffect;
  const bool ruleOk = c.expectRule.empty() || d.ruleId == c.expectRule;
  const bool messageOk = c.expectMessage.empty() || d.message.find(c.expectMessage) != std::string_view::npos;
  if (effectOk && ruleOk && messageOk) return true;
  out << "FAIL " << casesFile << ":" << c.line << ": " << c.name << "\n"
      << "  request:  " << c.requestText << "  (" << describe(c.info) << ")\n"
      << "  - expected: " << c.expectEffect << (c.expectRule.empty() ? "" : " by rule " + c.expectRule)
      << (c.expectMessage.empty() ? "" : ", message containing \"" + c.expectMessage + "\"") << "\n"
      << "  + actual:   " << policy::toString(d.effect) << " by rule " << d.ruleId << ", message \"" << d.message << "\"\n";
  return false;
}

}  // namespace

PolicyCommands addPolicyCommand(CLI::App& app, PolicyCommandOptions& options) {
  auto* policyCmd = app.add_subcommand("policy", "test and lint guardrail policies offline");
  policyCmd->require_subcommand(1);
  PolicyCommands cmds;
  cmds.test = policyCmd->add_subcommand("test", "evaluate YAML cases against a policy; non-zero exit on any mismatch");
  cmds.test->add_option("POLICY", options.policyFile, "policy file")->required();
  cmds.test->add_option("CASES", options.casesFile, "cases file")->required();
  cmds.check = policyCmd->add_subcommand("check", "lint a policy: unknown fields, bad globs and paths, shadowed rules");
  cmds.check->add_option("POLICY", options.policyFile, "policy file")->required();
  return cmds;
}

int runPolicyTest(const std::string& policyFile, const std::string& casesFile, std::ostream& out) {
  policy::PolicyPtr policy;
  try {
    policy = policy::loadPolicyFile(policyFile);
  } catch (const policy::PolicyError& e) {
    out << e.what() << "\n";
    return 2;
  }
  std::vector<PolicyCase> cases;
  try {
    const auto root = YAML::LoadFile(casesFile);
    rejectUnknownCaseFields(root, "cases file", {"cases"});
    const auto list = root["cases"];
    if (!list || !list.IsSequence() || list.size() == 0) caseFail(root, "cases: needs a non-empty list of cases");
    const auto baseDir = std::filesystem::path(casesFile).parent_path();
    for (const auto& n : list) cases.push_back(parseCase(n, baseDir));
  } catch (const YAML::Exception& e) {
    out << casesFile << ":" << e.mark.line + 1 << ": " << e.msg << "\n";
    return 2;
  } catch (const CaseError& e) {
    out << casesFile << ":" << e.line << ": " << e.message << "\n";
    return 2;
  }
  std::size_t failed = 0;
  for (const auto& c : cases) failed += runCase(*policy, c, casesFile, out) ? 0 : 1;
  out << (failed ? "FAIL" : "PASS") << ": " << cases.size() - failed << "/" << cases.size() << " cases passed ("
      << policyFile << ", " << policy->digest() << ")\n";
  return failed ? 1 : 0;
}

int runPolicyCheck(const std::string& policyFile, std::ostream& out) {
  std::ifstream in(policyFile, std::ios::binary);
  if (!in) {
    out << "cannot read policy file " << policyFile << "\n";
    return 2;
  }
  std::stringstream source;
  source << in.rdbuf();
  const auto result = policy::compilePolicy(source.str(), policyFile);
  for (const auto& d : result.errors) out << policy::formatDiagnostic(policyFile, d) << "\n";
  if (!result.policy) return 1;
  const auto findings = result.policy->lint();
  for (const auto& d : findings) out << policy::formatDiagnostic(policyFile, d) << "\n";
  if (findings.empty()) {
    out << policyFile << ": " << result.policy->rules().size() << " rules, no findings (" << result.policy->digest() << ")\n";
  }
  return findings.empty() ? 0 : 1;
}

}  // namespace kubegate::cli
