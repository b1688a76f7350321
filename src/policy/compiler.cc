// compilePolicy: policy YAML into an immutable Policy. Runs on the control plane (startup, SIGHUP,
// check-config, the CLI); every mistake is reported with its line, and one bad rule does not hide
// the mistakes in the next.
#include <yaml-cpp/yaml.h>

#include <openssl/evp.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/config.h"
#include "policy/policy.h"

namespace kubegate::policy {

struct CompileFailure {
  Diagnostic diagnostic;
};

class PolicyBuilder {
 public:
  explicit PolicyBuilder(std::string origin) : origin_(std::move(origin)) {}

  CompileResult build(std::string source);

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& where, const std::string& why) const {
    throw CompileFailure{Diagnostic{node ? static_cast<int>(node.Mark().line) + 1 : currentLine_, where, why}};
  }
  void rejectUnknown(const YAML::Node& node, const std::string& where, const std::set<std::string>& known) const;
  std::string scalar(const YAML::Node& node, const std::string& where) const;
  std::vector<std::string> stringList(const YAML::Node& node, const std::string& where) const;
  GlobList globs(const YAML::Node& node, const std::string& where) const;
  Rule compileRule(const YAML::Node& node, const std::string& where, std::set<std::string>& ids);
  void compileMatch(const YAML::Node& node, const std::string& where, Rule& rule) const;
  std::vector<ResourcePattern> resources(const YAML::Node& node, const std::string& where) const;
  LabelSelector labelSelector(const YAML::Node& node, const std::string& where) const;
  Condition condition(const YAML::Node& node, const std::string& where) const;
  Condition test(const YAML::Node& node, const std::string& where) const;
  ReviewSpec review(const YAML::Node& node, const std::string& where) const;

  std::string origin_;
  int currentLine_ = 0;
};

namespace {

std::string sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

bool validRuleId(const std::string& id) {
  if (id.empty() || id.rfind("builtin:", 0) == 0) return false;
  for (unsigned char c : id) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '/')) return false;
  }
  return true;
}

bool knownVerb(const std::string& v) {
  static const std::set<std::string> kVerbs = {"get",   "list",   "watch", "create", "update", "patch", "delete",
                                               "deletecollection", "proxy", "head",  "post",   "put",   "options"};
  return kVerbs.count(v) > 0;
}

}  // namespace

void PolicyBuilder::rejectUnknown(const YAML::Node& node, const std::string& where, const std::set<std::string>& known) const {
  if (!node.IsMap()) fail(node, where, "must be a mapping");
  for (const auto& item : node) {
    const auto key = item.first.as<std::string>();
    if (!known.count(key)) fail(item.first, where.empty() ? key : where + "." + key, "unknown field");
  }
}

std::string PolicyBuilder::scalar(const YAML::Node& node, const std::string& where) const {
  if (!node) return "";
  if (!node.IsScalar()) fail(node, where, "must be a string");
  return node.Scalar();
}

std::vector<std::string> PolicyBuilder::stringList(const YAML::Node& node, const std::string& where) const {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) fail(node, where, "must be a list");
  if (node.size() == 0) fail(node, where, "is an empty list, which matches nothing; leave the field out to match anything");
  for (std::size_t i = 0; i < node.size(); ++i) out.push_back(scalar(node[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

GlobList PolicyBuilder::globs(const YAML::Node& node, const std::string& where) const {
  if (!node) return {};
  std::vector<Glob> out;
  const auto texts = stringList(node, where);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::string why;
    auto g = Glob::parse(texts[i], why);
    if (!g) fail(node[i], where + "[" + std::to_string(i) + "]", why);
    out.push_back(std::move(*g));
  }
  return GlobList(std::move(out));
}

std::vector<ResourcePattern> PolicyBuilder::resources(const YAML::Node& node, const std::string& where) const {
  std::vector<ResourcePattern> out;
  const auto texts = stringList(node, where);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto& text = texts[i];
    const auto at = where + "[" + std::to_string(i) + "]";
    ResourcePattern p;
    p.text = text;
    p.everything = text == "*";
    const auto slash = text.find('/');
    const std::string res = text.substr(0, slash);
    std::string why;
    auto resourceGlob = Glob::parse(res, why);
    if (!resourceGlob || res.empty()) fail(node[i], at, res.empty() ? "'" + text + "' has no resource name" : why);
    p.resource = std::move(*resourceGlob);
    if (slash != std::string::npos) {
      const std::string sub = text.substr(slash + 1);
      if (sub.empty() || sub.find('/') != std::string::npos) fail(node[i], at, "'" + text + "' must be resource or resource/subresource");
      auto subGlob = Glob::parse(sub, why);
      if (!subGlob) fail(node[i], at, why);
      p.subresource = std::move(*subGlob);
    }
    out.push_back(std::move(p));
  }
  return out;
}

LabelSelector PolicyBuilder::labelSelector(const YAML::Node& node, const std::string& where) const {
  rejectUnknown(node, where, {"matchLabels", "matchExpressions"});
  LabelSelector s;
  if (const auto labels = node["matchLabels"]) {
    if (!labels.IsMap()) fail(labels, where + ".matchLabels", "must be a mapping of label to value");
    for (const auto& item : labels) {
      s.requirements.push_back({item.first.as<std::string>(), LabelSelector::Op::in,
                                {scalar(item.second, where + ".matchLabels." + item.first.as<std::string>())}});
    }
  }
  if (const auto exprs = node["matchExpressions"]) {
    if (!exprs.IsSequence()) fail(exprs, where + ".matchExpressions", "must be a list");
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      const auto at = where + ".matchExpressions[" + std::to_string(i) + "]";
      rejectUnknown(exprs[i], at, {"key", "operator", "values"});
      LabelSelector::Requirement r;
      r.key = scalar(exprs[i]["key"], at + ".key");
      if (r.key.empty()) fail(exprs[i], at + ".key", "is required");
      const auto op = scalar(exprs[i]["operator"], at + ".operator");
      if (op == "In") r.op = LabelSelector::Op::in;
      else if (op == "NotIn") r.op = LabelSelector::Op::notIn;
      else if (op == "Exists") r.op = LabelSelector::Op::exists;
      else if (op == "DoesNotExist") r.op = LabelSelector::Op::doesNotExist;
      else fail(exprs[i]["operator"], at + ".operator", "must be In, NotIn, Exists or DoesNotExist");
      const bool wantsValues = r.op == LabelSelector::Op::in || r.op == LabelSelector::Op::notIn;
      if (wantsValues != bool(exprs[i]["values"])) {
        fail(exprs[i], at + ".values", wantsValues ? "is required for " + op : "must be absent for " + op);
      }
      r.values = stringList(exprs[i]["values"], at + ".values");
      s.requirements.push_back(std::move(r));
    }
  }
  return s;
}

Condition PolicyBuilder::condition(const YAML::Node& node, const std::string& where) const {
  if (!node.IsMap()) fail(node, where, "must be a mapping: all, any, or a test with path");
  for (const char* group : {"all", "any"}) {
    if (!node[group]) continue;
    rejectUnknown(node, where, {group});
    const auto list = node[group];
    if (!list.IsSequence() || list.size() == 0) fail(list, where + "." + group, "must be a non-empty list of conditions");
    Condition c;
    c.kind = std::string(group) == "all" ? Condition::Kind::all : Condition::Kind::any;
    for (std::size_t i = 0; i < list.size(); ++i) {
      c.children.push_back(condition(list[i], where + "." + group + "[" + std::to_string(i) + "]"));
      c.beyondMetadata = c.beyondMetadata || c.children.back().beyondMetadata;
    }
    return c;
  }
  return test(node, where);
}

Condition PolicyBuilder::test(const YAML::Node& node, const std::string& where) const {
  rejectUnknown(node, where, {"path", "equals", "notEquals", "in", "notIn", "exists", "matches", "notMatches"});
  Condition c;
  const auto pathNode = node["path"];
  if (!pathNode) fail(node, where + ".path", "is required (or use all/any)");
  const auto pathTexts = pathNode.IsSequence() ? stringList(pathNode, where + ".path")
                                               : std::vector<std::string>{scalar(pathNode, where + ".path")};
  for (const auto& text : pathTexts) {
    std::string why;
    auto p = ObjectPath::parse(text, why);
    if (!p) fail(pathNode, where + ".path", why);
    c.beyondMetadata = c.beyondMetadata || p->beyondMetadata;
    c.paths.push_back(std::move(*p));
  }
  int ops = 0;
  for (const auto& item : node) ops += item.first.as<std::string>() != "path";
  if (ops != 1) fail(node, where, "needs exactly one of equals, notEquals, in, notIn, exists, matches, notMatches");
  if (node["equals"] || node["notEquals"]) {
    const bool negated = bool(node["notEquals"]);
    const auto v = negated ? node["notEquals"] : node["equals"];
    if (!v.IsScalar() && !v.IsNull()) fail(v, where, "equals compares with one scalar value");
    c.op = negated ? TestOp::notEquals : TestOp::equals;
    c.values.push_back(yamlToJson(v));
  } else if (node["in"] || node["notIn"]) {
    const bool negated = bool(node["notIn"]);
    const auto v = negated ? node["notIn"] : node["in"];
    if (!v.IsSequence() || v.size() == 0) fail(v, where, "in and notIn take a non-empty list of values");
    c.op = negated ? TestOp::notIn : TestOp::in;
    for (const auto& item : v) {
      if (!item.IsScalar()) fail(item, where, "in and notIn take scalar values");
      c.values.push_back(yamlToJson(item));
    }
  } else if (node["exists"]) {
    const auto v = yamlToJson(node["exists"]);
    if (!v.is_bool()) fail(node["exists"], where + ".exists", "must be true or false");
    c.op = v.get_bool() ? TestOp::exists : TestOp::notExists;
  } else {
    const bool negated = bool(node["notMatches"]);
    const auto v = negated ? node["notMatches"] : node["matches"];
    c.op = negated ? TestOp::notMatches : TestOp::matches;
    const auto texts = v.IsSequence() ? stringList(v, where) : std::vector<std::string>{scalar(v, where)};
    for (const auto& t : texts) {
      std::string why;
      auto g = Glob::parse(t, why);
      if (!g) fail(v, where, why);
      c.patterns.push_back(std::move(*g));
    }
  }
  return c;
}

ReviewSpec PolicyBuilder::review(const YAML::Node& node, const std::string& where) const {
  rejectUnknown(node, where, {"approverGroups", "approvals", "mode", "ttl"});
  ReviewSpec r;
  r.approverGroups = stringList(node["approverGroups"], where + ".approverGroups");
  if (r.approverGroups.empty()) fail(node, where + ".approverGroups", "is required: who may approve");
  if (const auto a = node["approvals"]) {
    const auto v = yamlToJson(a);
    if (!v.is_int64() || v.get_int64() < 1 || v.get_int64() > 10) fail(a, where + ".approvals", "must be a whole number from 1 to 10");
    r.approvals = static_cast<int>(v.get_int64());
  }
  const auto mode = scalar(node["mode"], where + ".mode");
  if (!mode.empty() && mode != "hold" && mode != "retry") fail(node["mode"], where + ".mode", "must be hold or retry");
  r.hold = mode != "retry";
  r.ttlSeconds = 15 * 60;
  if (const auto ttl = node["ttl"]) {
    const auto parsed = config::parseDuration(scalar(ttl, where + ".ttl"));
    if (!parsed || parsed->count() <= 0) fail(ttl, where + ".ttl", "must be a positive duration such as 90s, 15m or 4h");
    r.ttlSeconds = parsed->count();
  }
  return r;
}

void PolicyBuilder::compileMatch(const YAML::Node& node, const std::string& where, Rule& rule) const {
  rejectUnknown(node, where, {"subjects", "purposes", "clusters", "verbs", "apiGroups", "resources", "namespaces", "names",
                              "nonResourceURLs", "objectLabels"});
  if (const auto subjects = node["subjects"]) {
    rejectUnknown(subjects, where + ".subjects", {"users", "groups", "issuers"});
    rule.users = globs(subjects["users"], where + ".subjects.users");
    rule.groups = globs(subjects["groups"], where + ".subjects.groups");
    rule.issuers = globs(subjects["issuers"], where + ".subjects.issuers");
  }
  rule.purposes = globs(node["purposes"], where + ".purposes");
  rule.clusters = globs(node["clusters"], where + ".clusters");
  const auto verbs = stringList(node["verbs"], where + ".verbs");
  bool anyVerb = false;
  for (std::size_t i = 0; i < verbs.size(); ++i) {
    if (verbs[i] == "*") anyVerb = true;
    else if (!knownVerb(verbs[i])) fail(node["verbs"][i], where + ".verbs[" + std::to_string(i) + "]", "unknown verb '" + verbs[i] + "'");
  }
  if (!anyVerb) rule.verbs = verbs;
  rule.apiGroups = globs(node["apiGroups"], where + ".apiGroups");
  if (node["resources"]) rule.resources = resources(node["resources"], where + ".resources");
  rule.namespaces = globs(node["namespaces"], where + ".namespaces");
  rule.names = globs(node["names"], where + ".names");
  rule.nonResourceURLs = globs(node["nonResourceURLs"], where + ".nonResourceURLs");
  for (std::size_t i = 0; i < rule.nonResourceURLs.globs().size(); ++i) {
    const auto& url = rule.nonResourceURLs.globs()[i].pattern();
    if (url != "*" && url.rfind('/', 0) != 0) fail(node["nonResourceURLs"][i], where + ".nonResourceURLs", "'" + url + "' must start with /");
  }
  if (rule.nonResourceURLs.present() &&
      (!rule.resources.empty() || rule.apiGroups.present() || rule.namespaces.present() || rule.names.present())) {
    fail(node, where, "nonResourceURLs cannot be combined with resources, apiGroups, namespaces or names");
  }
  if (const auto labels = node["objectLabels"]) rule.objectLabels = labelSelector(labels, where + ".objectLabels");
}

Rule PolicyBuilder::compileRule(const YAML::Node& node, const std::string& where, std::set<std::string>& ids) {
  currentLine_ = static_cast<int>(node.Mark().line) + 1;
  rejectUnknown(node, where, {"id", "description", "effect", "message", "match", "when", "review", "maskingProfile"});
  Rule rule;
  rule.line = currentLine_;
  rule.id = scalar(node["id"], where + ".id");
  if (!validRuleId(rule.id)) fail(node["id"], where + ".id", "is required: letters, digits and - _ . : /, not starting with builtin:");
  if (!ids.insert(rule.id).second) fail(node["id"], where + ".id", "duplicate rule id " + rule.id);
  const std::string at = where + " (" + rule.id + ")";
  rule.description = scalar(node["description"], at + ".description");
  const auto effect = parseEffect(scalar(node["effect"], at + ".effect"));
  if (!effect) fail(node["effect"], at + ".effect", "must be allow, deny or review");
  rule.effect = *effect;
  rule.message = scalar(node["message"], at + ".message");
  if (rule.effect == Effect::deny && rule.message.empty()) fail(node, at + ".message", "is required for deny: it tells the agent why");
  if (rule.effect == Effect::review && rule.message.empty()) rule.message = "this request requires approval";
  if (const auto match = node["match"]) compileMatch(match, at + ".match", rule);
  if (const auto when = node["when"]) rule.when = condition(when, at + ".when");
  if ((rule.effect == Effect::review) != bool(node["review"])) {
    fail(node, at + ".review", rule.effect == Effect::review ? "is required for effect review" : "is only for effect review");
  }
  if (node["review"]) rule.review = review(node["review"], at + ".review");
  rule.maskingProfile = scalar(node["maskingProfile"], at + ".maskingProfile");
  if (!rule.maskingProfile.empty() && rule.effect != Effect::allow) fail(node["maskingProfile"], at + ".maskingProfile", "is only for effect allow");
  rule.undecodableBodyMessage = "rule " + rule.id +
                                " needs the request's object, which kubegate could not decode, so the request is "
                                "denied (kubegate fails closed)";
  rule.metadataOnlyMessage = "rule " + rule.id +
                             " needs fields beyond the object's metadata, which kubegate cannot decode from this "
                             "body, so the request is denied (kubegate fails closed); send it as JSON";
  return rule;
}

CompileResult PolicyBuilder::build(std::string source) {
  CompileResult result;
  YAML::Node root;
  try {
    root = YAML::Load(source);
  } catch (const YAML::Exception& e) {
    result.errors.push_back({static_cast<int>(e.mark.line) + 1, "", "not valid YAML: " + e.msg});
    return result;
  }
  auto policy = std::make_shared<Policy>();
  std::set<std::string> ids;
  try {
    rejectUnknown(root, "", {"apiVersion", "kind", "description", "rules"});
    const auto apiVersion = scalar(root["apiVersion"], "apiVersion");
    if (!apiVersion.empty() && apiVersion != "kubegate.dev/v1alpha1") fail(root["apiVersion"], "apiVersion", "must be kubegate.dev/v1alpha1");
    const auto kind = scalar(root["kind"], "kind");
    if (!kind.empty() && kind != "Policy") fail(root["kind"], "kind", "must be Policy");
    if (!root["rules"] || !root["rules"].IsSequence()) fail(root, "rules", "is required: a list of rules");
  } catch (const CompileFailure& f) {
    result.errors.push_back(f.diagnostic);
    return result;
  }
  const auto rules = root["rules"];
  for (std::size_t i = 0; i < rules.size(); ++i) {
    try {
      policy->rules_.push_back(compileRule(rules[i], "rules[" + std::to_string(i) + "]", ids));
    } catch (const CompileFailure& f) {
      result.errors.push_back(f.diagnostic);
    } catch (const YAML::Exception& e) {
      result.errors.push_back({static_cast<int>(e.mark.line) + 1, "rules[" + std::to_string(i) + "]", e.msg});
    }
  }
  if (!result.errors.empty()) return result;
  policy->digest_ = sha256Hex(source);
  policy->origin_ = origin_;
  policy->buildIndex();
  result.policy = std::move(policy);
  return result;
}

CompileResult compilePolicy(std::string source, std::string origin) {
  return PolicyBuilder(std::move(origin)).build(std::move(source));
}

std::string formatDiagnostic(std::string_view origin, const Diagnostic& d) {
  std::string out(origin);
  if (d.line > 0) out += ":" + std::to_string(d.line);
  out += ": ";
  if (!d.where.empty()) out += d.where + ": ";
  return out + d.message;
}

PolicyPtr loadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PolicyError("cannot read policy file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto result = compilePolicy(text.str(), path);
  if (!result.errors.empty()) {
    std::string message;
    for (const auto& d : result.errors) message += (message.empty() ? "" : "\n") + formatDiagnostic(path, d);
    throw PolicyError(message);
  }
  return result.policy;
}

}  // namespace kubegate::policy
