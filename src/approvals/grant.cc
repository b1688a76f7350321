#include "approvals/grant.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/json.hpp>

#include "approvals/request_digest.h"
#include "k8s/request_info.h"

namespace kubegate::approvals {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 8> kGrantableVerbs = {"get",    "list",   "watch",  "create",
                                                             "update", "patch",  "delete", "deletecollection"};

bool isLowerDnsChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool isDnsLike(std::string_view s, std::size_t maxLength) {
  return !s.empty() && s.size() <= maxLength && std::all_of(s.begin(), s.end(), isLowerDnsChar) &&
         s.front() != '-' && s.front() != '.' && s.back() != '-' && s.back() != '.';
}

// "deployments", "deployments.apps", "pods/exec": resource[.group][/subresource].
bool isResourceSpec(std::string_view s) {
  const auto slash = s.find('/');
  const auto resourceAndGroup = s.substr(0, slash);
  if (!isDnsLike(resourceAndGroup, 253)) return false;
  return slash == std::string_view::npos || isDnsLike(s.substr(slash + 1), 63);
}

boost::system::result<std::vector<std::string>, std::string> stringList(const json::object& o, std::string_view key,
                                                                      bool required) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (!v) {
    if (required) return std::string(key) + " is required";
    return out;
  }
  // "get,patch" is what a person types; a JSON array is what a program sends. Both mean the same.
  if (const auto* s = v->if_string()) {
    std::string_view text = *s;
    while (!text.empty()) {
      const auto comma = text.find(',');
      out.emplace_back(text.substr(0, comma));
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
    }
  } else if (const auto* a = v->if_array()) {
    for (const auto& item : *a) {
      if (!item.is_string()) return std::string(key) + " must list strings";
      out.emplace_back(item.get_string());
    }
  } else {
    return std::string(key) + " must be a list of strings";
  }
  for (auto& item : out) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) return std::string(key) + " has an empty entry";
    if (item.find('*') != std::string::npos) return std::string(key) + ": a grant names what it covers, '*' is not accepted";
  }
  if (required && out.empty()) return std::string(key) + " must name at least one";
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

boost::system::result<std::chrono::seconds, std::string> durationField(const json::object& o, const GrantLimits& limits) {
  const auto* v = o.if_contains("duration");
  if (!v) return std::string("duration is required");
  std::optional<std::chrono::seconds> d;
  if (v->is_int64() && v->get_int64() > 0) d = std::chrono::seconds(v->get_int64());
  if (v->is_string()) d = parseGrantDuration(v->get_string());
  if (!d || d->count() <= 0) return std::string("duration must be like 15m, 1h or 90s");
  if (*d > limits.maxDuration)
    return "duration " + std::to_string(d->count()) + "s is above the longest grant this gateway gives (" +
           std::to_string(limits.maxDuration.count()) + "s)";
  return *d;
}

json::array toArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

std::vector<std::string> fromArray(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->get_array())
    if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool resourceCovered(const std::vector<std::string>& resources, const k8s::RequestInfo& info) {
  std::string plain = info.resource;
  if (!info.apiGroup.empty()) plain += "." + info.apiGroup;
  for (const auto& spec : resources) {
    const auto slash = spec.find('/');
    const std::string_view base = std::string_view(spec).substr(0, slash);
    const std::string_view sub = slash == std::string::npos ? std::string_view() : std::string_view(spec).substr(slash + 1);
    if (sub != info.subresource) continue;
    // "deployments" covers the resource in any group; "deployments.apps" only in that group.
    if (base == plain || (base.find('.') == std::string_view::npos && base == info.resource)) return true;
  }
  return false;
}

// GrantScope is an aggregate, so a bare string would be ambiguous for result's constructors.
boost::system::result<GrantScope, std::string> invalid(std::string message) {
  return {boost::system::in_place_error, std::move(message)};
}

}  // namespace

std::optional<std::chrono::seconds> parseGrantDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  bool sawUnit = false;
  while (!text.empty()) {
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || n < 0 || n > 1'000'000) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty()) {
      if (sawUnit) return std::nullopt;  // "1h30" is ambiguous
      total += n;
      break;
    }
    const char unit = text.front();
    text.remove_prefix(1);
    sawUnit = true;
    if (unit == 'h') total += n * 3600;
    else if (unit == 'm') total += n * 60;
    else if (unit == 's') total += n;
    else return std::nullopt;
  }
  return std::chrono::seconds(total);
}

boost::system::result<GrantScope, std::string> parseGrantRequest(std::string_view body, const GrantLimits& limits) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  auto parsed = json::parse(body, ec, {}, options);
  if (ec || !parsed.is_object()) return invalid(std::string("the grant request must be a JSON object"));
  const auto& o = parsed.get_object();
  static constexpr std::array<std::string_view, 7> kKnown = {"cluster", "namespace", "verbs", "resources",
                                                             "names",   "duration",  "reason"};
  for (const auto& field : o)
    if (std::find(kKnown.begin(), kKnown.end(), field.key()) == kKnown.end())
      return invalid("unknown field \"" + std::string(field.key()) + "\"");
  GrantScope scope;
  scope.cluster = text(o, "cluster");
  if (scope.cluster.empty()) return invalid(std::string("cluster is required"));
  scope.namespace_ = text(o, "namespace");
  if (!scope.namespace_.empty() && !isDnsLike(scope.namespace_, 63)) return invalid(std::string("namespace is not a namespace name"));
  auto verbs = stringList(o, "verbs", true);
  if (!verbs) return invalid(verbs.error());
  for (const auto& verb : *verbs)
    if (std::find(kGrantableVerbs.begin(), kGrantableVerbs.end(), verb) == kGrantableVerbs.end())
      return invalid("verb \"" + verb + "\" cannot be granted (get, list, watch, create, update, patch, delete, deletecollection)");
  scope.verbs = std::move(*verbs);
  auto resources = stringList(o, "resources", true);
  if (!resources) return invalid(resources.error());
  for (const auto& r : *resources)
    if (!isResourceSpec(r)) return invalid("resource \"" + r + "\" is not resource[.group][/subresource] in lower case");
  scope.resources = std::move(*resources);
  auto names = stringList(o, "names", false);
  if (!names) return invalid(names.error());
  for (const auto& n : *names)
    if (!isDnsLike(n, 253)) return invalid("name \"" + n + "\" is not an object name");
  scope.names = std::move(*names);
  auto duration = durationField(o, limits);
  if (!duration) return invalid(duration.error());
  scope.duration = *duration;
  scope.reason = text(o, "reason");
  if (scope.reason.empty()) return invalid(std::string("reason is required: reviewers decide on why"));
  if (scope.reason.size() > 1024) return invalid(std::string("reason is longer than 1024 bytes"));
  return scope;
}

std::string grantSummaryJson(const GrantScope& scope) {
  json::object o;
  o["kind"] = "grant";
  o["cluster"] = scope.cluster;
  o["namespace"] = scope.namespace_;
  o["verbs"] = toArray(scope.verbs);
  o["resources"] = toArray(scope.resources);
  o["names"] = toArray(scope.names);
  o["durationSeconds"] = scope.duration.count();
  o["reason"] = scope.reason;
  return json::serialize(o);
}

std::optional<GrantScope> grantFromSummary(std::string_view summaryJson) {
  boost::system::error_code ec;
  auto parsed = json::parse(summaryJson, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& o = parsed.get_object();
  if (text(o, "kind") != "grant") return std::nullopt;
  GrantScope scope;
  scope.cluster = text(o, "cluster");
  scope.namespace_ = text(o, "namespace");
  scope.verbs = fromArray(o.if_contains("verbs"));
  scope.resources = fromArray(o.if_contains("resources"));
  scope.names = fromArray(o.if_contains("names"));
  const auto* d = o.if_contains("durationSeconds");
  if (d && d->is_int64()) scope.duration = std::chrono::seconds(d->get_int64());
  scope.reason = text(o, "reason");
  if (scope.cluster.empty() || scope.verbs.empty() || scope.resources.empty()) return std::nullopt;
  return scope;
}

std::optional<std::string> grantDigest(const Person& requester, const GrantScope& scope) {
  auto digest = requestDigest({requester.issuer, requester.subject}, scope.cluster, "GRANT", grantSummaryJson(scope), "", "");
  if (!digest) return std::nullopt;
  return std::string(kGrantDigestPrefix) + *digest;
}

bool grantCovers(const GrantScope& scope, std::string_view cluster, const k8s::RequestInfo& info) {
  if (!info.isResourceRequest || cluster != scope.cluster) return false;
  if (info.namespace_ != scope.namespace_) return false;
  if (!contains(scope.verbs, info.effectiveVerb)) return false;
  if (!resourceCovered(scope.resources, info)) return false;
  // A name list narrows the grant; a request without a name (list, create of a generated name) is
  // then not covered, as RBAC's resourceNames.
  return scope.names.empty() || contains(scope.names, info.name);
}

}  // namespace kubegate::approvals
