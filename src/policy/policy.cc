// Policy::decide: the data-plane half of the engine. Candidate rules come from an index by resource
// and verb, so a decision reads only the rules that could apply; nothing here allocates.
#include "policy/policy.h"

#include <array>
#include <limits>
#include <set>

namespace kubegate::policy {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMaxCandidateLists = 4;

constexpr std::array<std::string_view, 9> kResourceVerbs = {"get",    "list",   "watch",  "create",          "update",
                                                            "patch",  "delete", "proxy",  "deletecollection"};
constexpr std::array<std::string_view, 7> kNonResourceVerbs = {"get", "head", "post", "put", "patch", "delete", "options"};

template <std::size_t N>
bool oneOf(std::string_view verb, const std::array<std::string_view, N>& verbs) {
  for (auto v : verbs) {
    if (v == verb) return true;
  }
  return false;
}

int effectSlot(Effect e) { return e == Effect::deny ? 0 : e == Effect::review ? 1 : 2; }

// Requests that may touch many objects, or objects in every namespace: their missing name or
// namespace is unknown rather than absent.
bool spansObjects(std::string_view verb) { return verb == "list" || verb == "watch" || verb == "deletecollection"; }

// Fills `out` with the rule lists that may hold rules for this verb, returns how many.
std::size_t addVerbLists(const Policy::VerbIndex& index, std::string_view verb, const Policy::RuleLists** out,
                         std::size_t n) {
  if (const auto it = index.byVerb.find(verb); it != index.byVerb.end()) out[n++] = &it->second;
  out[n++] = &index.anyVerb;
  return n;
}

// Scans one effect's candidates for the earliest matching rule and, when `wantUnreadable`, the
// earliest rule that could not be evaluated on this request's body.
template <typename MatchFn>
void scan(const Policy::RuleLists* const* lists, std::size_t n, int slot, bool wantUnreadable, const MatchFn& match,
          std::uint32_t& matched, std::uint32_t& unreadable, bool& unreadableMetadataOnly) {
  for (std::size_t l = 0; l < n; ++l) {
    for (const std::uint32_t index : lists[l]->byEffect[slot]) {
      if (index >= matched && (!wantUnreadable || index >= unreadable)) break;
      const auto how = match(index);
      if (how == 1 && index < matched) matched = index;
      if ((how == 2 || how == 3) && index < unreadable) {
        unreadable = index;
        unreadableMetadataOnly = how == 3;
      }
    }
  }
}

}  // namespace

bool ResourcePattern::matches(std::string_view resourceName, std::string_view subresourceName) const {
  if (everything) return true;
  if (!resource.matches(resourceName)) return false;
  if (!subresource) return subresourceName.empty();
  return !subresourceName.empty() && subresource->matches(subresourceName);
}

bool ResourcePattern::covers(const ResourcePattern& other) const {
  if (everything) return true;
  if (other.everything) return false;
  if (!resource.covers(other.resource)) return false;
  if (!subresource || !other.subresource) return !subresource && !other.subresource;
  return subresource->covers(*other.subresource);
}

Policy::RuleMatch Policy::matchRule(const Rule& rule, const RequestFacts& facts) const {
  const auto& info = facts.info;
  const auto& id = facts.identity;
  const bool failClosed = rule.effect != Effect::allow;
  bool unknown = false;

  if (!rule.verbs.empty()) {
    bool verbListed = false;
    for (const auto& v : rule.verbs) verbListed = verbListed || v == info.effectiveVerb;
    if (!verbListed) return RuleMatch::no;
  }
  if (info.isResourceRequest) {
    if (!rule.appliesToResourceRequests()) return RuleMatch::no;
    if (!rule.resources.empty()) {
      bool listed = false;
      for (const auto& r : rule.resources) listed = listed || r.matches(info.resource, info.subresource);
      if (!listed) return RuleMatch::no;
    }
    if (!rule.apiGroups.matches(info.apiGroup)) return RuleMatch::no;
    if (!rule.namespaces.matches(info.namespace_)) {
      if (!(info.namespace_.empty() && spansObjects(info.effectiveVerb))) return RuleMatch::no;
      unknown = true;
    }
    if (rule.names.present()) {
      std::string_view name = info.name;
      if (name.empty() && facts.object && facts.objectError.empty()) name = metadataString(*facts.object, "name");
      if (name.empty()) {
        unknown = true;
      } else if (!rule.names.matches(name)) {
        return RuleMatch::no;
      }
    }
  } else {
    if (!rule.appliesToNonResourceRequests()) return RuleMatch::no;
    if (!rule.nonResourceURLs.matches(info.path)) return RuleMatch::no;
    if (rule.namespaces.present() || rule.names.present()) return RuleMatch::no;
  }
  if (!rule.users.matches(id.username) || !rule.issuers.matches(id.issuer)) return RuleMatch::no;
  if (rule.groups.present()) {
    bool inGroup = false;
    for (const auto& g : id.groups) inGroup = inGroup || rule.groups.matches(g);
    if (!inGroup) return RuleMatch::no;
  }
  if (!rule.purposes.matches(id.purpose) || !rule.clusters.matches(facts.cluster)) return RuleMatch::no;

  if (rule.needsObject()) {
    if (!facts.objectError.empty()) return RuleMatch::undecodableBody;
    if (!facts.object) {
      unknown = true;
    } else {
      if (facts.objectMetadataOnly && rule.when && rule.when->beyondMetadata) return RuleMatch::metadataOnly;
      if (rule.objectLabels && !rule.objectLabels->matches(*facts.object)) return RuleMatch::no;
      if (rule.when && !rule.when->holds(*facts.object)) return RuleMatch::no;
    }
  }
  if (unknown && !failClosed) return RuleMatch::no;
  return RuleMatch::yes;
}

Decision Policy::builtin(Effect effect, std::string_view id, std::string_view message) const {
  Decision d;
  d.effect = effect;
  d.ruleId = id;
  d.message = message;
  d.policyDigest = digest_;
  return d;
}

Decision Policy::ruleDecision(std::uint32_t index, RuleMatch how) const {
  const Rule& rule = rules_[index];
  Decision d;
  d.ruleId = rule.id;
  d.policyDigest = digest_;
  if (how == RuleMatch::undecodableBody || how == RuleMatch::metadataOnly) {
    d.effect = Effect::deny;
    d.message = how == RuleMatch::undecodableBody ? rule.undecodableBodyMessage : rule.metadataOnlyMessage;
    return d;
  }
  d.effect = rule.effect;
  d.message = rule.message;
  if (rule.effect == Effect::review) d.review = &rule.review;
  if (rule.effect == Effect::allow) d.maskingProfile = rule.maskingProfile;
  return d;
}

Decision Policy::decide(const RequestFacts& facts) const {
  static constexpr std::string_view kUnknownVerb = "the request has no verb kubegate knows, so no rule can allow it";
  static constexpr std::string_view kNoRule = "no policy rule allows this request (kubegate denies by default)";
  static constexpr std::string_view kNonResourceRead = "read-only discovery, OpenAPI, version and health URLs are allowed by default";
  if (refuseAll_) return builtin(Effect::deny, kRuleNoPolicy, refuseAllMessage_);
  const auto& info = facts.info;
  const std::string_view verb = info.effectiveVerb;
  if (verb.empty() || !(info.isResourceRequest ? oneOf(verb, kResourceVerbs) : oneOf(verb, kNonResourceVerbs))) {
    return builtin(Effect::deny, kRuleUnknownVerb, kUnknownVerb);
  }

  const RuleLists* lists[kMaxCandidateLists];
  std::size_t n = 0;
  if (info.isResourceRequest) {
    if (const auto it = byResource_.find(std::string_view(info.resource)); it != byResource_.end()) {
      n = addVerbLists(it->second, verb, lists, n);
    }
    n = addVerbLists(anyResource_, verb, lists, n);
  } else {
    n = addVerbLists(nonResource_, verb, lists, n);
  }

  const auto match = [&](std::uint32_t index) { return static_cast<int>(matchRule(rules_[index], facts)); };
  const bool bodyUnreadable = !facts.objectError.empty() || facts.objectMetadataOnly;
  bool metadataOnly = false;
  std::uint32_t matched = kNone, unreadable = kNone;
  scan(lists, n, effectSlot(Effect::deny), true, match, matched, unreadable, metadataOnly);
  if (matched != kNone && matched < unreadable) return ruleDecision(matched, RuleMatch::yes);
  // A rule that needed the body and could not read it denies whatever its effect: deny first.
  std::uint32_t reviewMatched = kNone, allowMatched = kNone;
  scan(lists, n, effectSlot(Effect::review), bodyUnreadable, match, reviewMatched, unreadable, metadataOnly);
  scan(lists, n, effectSlot(Effect::allow), bodyUnreadable, match, allowMatched, unreadable, metadataOnly);
  if (unreadable != kNone) {
    return ruleDecision(unreadable, metadataOnly ? RuleMatch::metadataOnly : RuleMatch::undecodableBody);
  }
  if (reviewMatched != kNone) return ruleDecision(reviewMatched, RuleMatch::yes);
  if (allowMatched != kNone) return ruleDecision(allowMatched, RuleMatch::yes);
  if (!info.isResourceRequest && (verb == "get" || verb == "head") && isDefaultReadableNonResourcePath(info.path)) {
    return builtin(Effect::allow, kRuleNonResourceRead, kNonResourceRead);
  }
  return builtin(Effect::deny, kRuleDefaultDeny, kNoRule);
}

void Policy::buildIndex() {
  const auto add = [](VerbIndex& index, const Rule& rule, std::uint32_t i) {
    const int slot = effectSlot(rule.effect);
    if (rule.verbs.empty()) {
      index.anyVerb.byEffect[slot].push_back(i);
      return;
    }
    for (const auto& v : rule.verbs) index.byVerb[v].byEffect[slot].push_back(i);
  };
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (rule.appliesToNonResourceRequests()) add(nonResource_, rule, i);
    if (!rule.appliesToResourceRequests()) continue;
    bool anyResource = rule.resources.empty();
    std::set<std::string_view> literalResources;  // `pods` and `pods/exec` index the rule once
    for (const auto& r : rule.resources) {
      if (r.everything || !r.resource.isLiteral()) {
        anyResource = true;
      } else {
        literalResources.insert(r.resource.pattern());
      }
    }
    for (const auto name : literalResources) add(byResource_[std::string(name)], rule, i);
    if (anyResource) add(anyResource_, rule, i);
  }
}

PolicyPtr Policy::refuseAll(std::string message) {
  auto p = std::make_shared<Policy>();
  p->refuseAll_ = true;
  p->refuseAllMessage_ = std::move(message);
  p->digest_ = "none";
  p->origin_ = "(no policy)";
  return p;
}

std::string_view toString(Effect effect) {
  switch (effect) {
    case Effect::allow: return "allow";
    case Effect::deny: return "deny";
    case Effect::review: return "review";
  }
  return "deny";
}

std::optional<Effect> parseEffect(std::string_view text) {
  if (text == "allow") return Effect::allow;
  if (text == "deny") return Effect::deny;
  if (text == "review") return Effect::review;
  return std::nullopt;
}

std::string refusalMessage(const Decision& decision) {
  std::string out = decision.effect == Effect::review ? "kubegate: requires approval (rule " : "kubegate: forbidden by policy (rule ";
  out += decision.ruleId;
  out += ")";
  if (!decision.message.empty()) {
    out += ": ";
    out += decision.message;
  }
  return out;
}

bool isDefaultReadableNonResourcePath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  std::array<std::string_view, 4> parts{};
  std::size_t count = 0;
  for (std::size_t i = 1; i <= path.size();) {
    const auto slash = path.find('/', i);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end == i) return false;  // empty segment
    if (count == parts.size()) {
      count = parts.size() + 1;  // deeper than any default path except /openapi/v3/…
      break;
    }
    parts[count++] = path.substr(i, end - i);
    i = end + 1;
  }
  if (count == 0) return false;
  const auto root = parts[0];
  if (root == "api") return count <= 2;
  if (root == "apis") return count <= 3;
  if (root == "version") return count == 1;
  if (root == "healthz" || root == "livez" || root == "readyz") return count <= 2;
  if (root == "openapi" && count >= 2) return parts[1] == "v3" || (parts[1] == "v2" && count == 2);
  return false;
}

}  // namespace kubegate::policy
