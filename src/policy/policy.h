// The guardrail policy: rules written in YAML (docs/policy.md), compiled once on the control plane
// into an immutable Policy that decides each request on the data plane without allocating.
//
// Evaluation (docs/adr/0003-policy-language.md):
//   - an empty or unknown verb is denied before any rule is read;
//   - a deny rule that matches wins; then a rule of any effect that needed the body and could not
//     read it (fail closed, a deny); then a matching review rule; then a matching allow rule;
//   - among rules of one effect the first in the file decides (its id is reported);
//   - nothing matched: read-only discovery, OpenAPI, version and health URLs are allowed, every
//     other request is denied.
// A restriction the gateway cannot check on this request (a name on a list, labels or fields of a
// request without an object) narrows allow rules and widens deny and review rules.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/decision.h"
#include "policy/glob.h"
#include "policy/object_condition.h"
#include "policy/request_facts.h"

namespace kubegate::policy {

// `pods`, `pods/exec`, `pods/*` (every subresource of pods), `*/scale`, or `*` (everything,
// subresources included), as RBAC reads them.
struct ResourcePattern {
  std::string text;
  Glob resource;
  std::optional<Glob> subresource;  // absent: the resource itself, not its subresources
  bool everything = false;

  bool matches(std::string_view resourceName, std::string_view subresourceName) const;
  bool covers(const ResourcePattern& other) const;
};

struct Rule {
  std::string id;
  std::string description;
  Effect effect = Effect::deny;
  std::string message;
  int line = 0;  // where the rule starts in the policy file

  GlobList users, groups, issuers, purposes, clusters;
  std::vector<std::string> verbs;  // empty: any verb (absent or `*`)
  GlobList apiGroups, namespaces, names, nonResourceURLs;
  std::vector<ResourcePattern> resources;  // empty: absent
  std::optional<LabelSelector> objectLabels;
  std::optional<Condition> when;

  ReviewSpec review;
  std::string maskingProfile;

  // Messages for requests this rule could not be evaluated on, written once at compile time.
  std::string undecodableBodyMessage;
  std::string metadataOnlyMessage;

  bool needsObject() const { return objectLabels.has_value() || when.has_value(); }
  bool appliesToResourceRequests() const { return !nonResourceURLs.present(); }
  bool appliesToNonResourceRequests() const { return resources.empty() && !apiGroups.present(); }
};

// A problem found while compiling or linting, with the line it is on.
struct Diagnostic {
  int line = 0;
  std::string where;  // e.g. rules[3] (deny-exec).match.verbs
  std::string message;
};

std::string formatDiagnostic(std::string_view origin, const Diagnostic& d);

class Policy;
using PolicyPtr = std::shared_ptr<const Policy>;

struct CompileResult {
  PolicyPtr policy;  // null when there are errors
  std::vector<Diagnostic> errors;
};

// Compiles policy YAML. `origin` names the source in messages (a file name).
CompileResult compilePolicy(std::string source, std::string origin);

struct PolicyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Reads and compiles a policy file; throws PolicyError listing every problem.
PolicyPtr loadPolicyFile(const std::string& path);

class Policy {
 public:
  Decision decide(const RequestFacts& facts) const;

  // A policy that refuses every request with `message` (the gateway without a policy section).
  static PolicyPtr refuseAll(std::string message);

  const std::string& digest() const { return digest_; }  // "sha256:<hex>" of the source bytes
  const std::string& origin() const { return origin_; }
  const std::vector<Rule>& rules() const { return rules_; }

  // Rules that can never decide a request: covered by an earlier rule of the same effect, or by
  // any rule of a stronger effect.
  std::vector<Diagnostic> lint() const;

  // Rule indexes per effect (deny, review, allow), in file order.
  struct RuleLists {
    std::vector<std::uint32_t> byEffect[3];
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename T>
  using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;
  struct VerbIndex {
    StringMap<RuleLists> byVerb;
    RuleLists anyVerb;
  };

 private:
  friend class PolicyBuilder;

  enum class RuleMatch { no, yes, undecodableBody, metadataOnly };
  RuleMatch matchRule(const Rule& rule, const RequestFacts& facts) const;
  void buildIndex();
  Decision ruleDecision(std::uint32_t index, RuleMatch how) const;
  Decision builtin(Effect effect, std::string_view id, std::string_view message) const;

  std::vector<Rule> rules_;
  std::string digest_;
  std::string origin_;
  std::string refuseAllMessage_;
  bool refuseAll_ = false;

  StringMap<VerbIndex> byResource_;  // literal resource name -> verbs
  VerbIndex anyResource_;  // rules whose resource patterns are globs, or absent
  VerbIndex nonResource_;
};

// Built-in rule ids, for decisions no policy rule made.
inline constexpr std::string_view kRuleUnknownVerb = "builtin:unknown-verb";
inline constexpr std::string_view kRuleDefaultDeny = "builtin:default-deny";
inline constexpr std::string_view kRuleNonResourceRead = "builtin:non-resource-read";
inline constexpr std::string_view kRuleNoPolicy = "builtin:no-policy";

std::string_view toString(Effect effect);
std::optional<Effect> parseEffect(std::string_view text);

// The message of the 403 Status the gateway answers for a deny or review decision: names the rule
// and carries its message. Allocates; called only when refusing.
std::string refusalMessage(const Decision& decision);

// Whether a non-resource path is one kubegate allows read-only when no rule says otherwise:
// discovery (/api, /api/<v>, /apis, /apis/<g>, /apis/<g>/<v>), /openapi/…, /version, /healthz,
// /livez, /readyz.
bool isDefaultReadableNonResourcePath(std::string_view path);

}  // namespace kubegate::policy
