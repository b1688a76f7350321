// Just-in-time grants (docs/approvals.md, "Just-in-time grants"; ADR 0010): an agent asks for a
// time-boxed scope of access ("get and patch deployments in staging on demo for 15 minutes,
// because ..."), reviewers decide on it like on any approval, and once approved it acts as an extra
// allow rule for that one identity until it expires. It never overrides a deny rule.
//
// A grant is stored as an approval whose digest is "grant:" + the SHA-256 of requester and scope (a
// request digest is bare hex, so the two can never be taken for each other) and whose summary is the
// grant's scope as JSON; its time to live is the granted duration, counted from the approval.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "approvals/approval_store.h"

namespace kubegate::k8s {
struct RequestInfo;
}

namespace kubegate::approvals {

inline constexpr std::string_view kGrantDigestPrefix = "grant:";
inline constexpr std::string_view kGrantRuleId = "kubegate:grant";

struct GrantScope {
  std::string cluster;
  // The namespace the grant covers; empty: cluster-scoped requests only (never "all namespaces").
  std::string namespace_;
  std::vector<std::string> verbs;      // kube verbs (get, list, watch, create, update, patch, delete, deletecollection)
  // "deployments", "deployments.apps" (resource.group), "pods/exec", "pods/log" (resource/subresource):
  // a subresource is covered only when named.
  std::vector<std::string> resources;
  std::vector<std::string> names;      // empty: any name
  std::chrono::seconds duration{0};
  std::string reason;
};

struct GrantLimits {
  std::chrono::seconds maxDuration{3600};
};

// Reads and validates an agent's grant request: {cluster, namespace, verbs, resources, names?,
// duration ("15m", "1h30m", "90s" or seconds), reason}. Unknown fields are refused, as is anything
// that would widen a grant by accident (a "*", an empty list, a duration of zero or above the limit).
boost::system::result<GrantScope, std::string> parseGrantRequest(std::string_view json, const GrantLimits& limits);

// The scope as the stored summary: canonical JSON (sorted, deduplicated lists) with "kind":"grant".
std::string grantSummaryJson(const GrantScope& scope);
// Back from a stored summary; nothing when the summary is not a grant's.
std::optional<GrantScope> grantFromSummary(std::string_view summaryJson);

// "grant:" + hex SHA-256 of the requester and the canonical scope: asking again for the same scope
// finds the pending grant instead of opening a second one. None when OpenSSL cannot hash.
std::optional<std::string> grantDigest(const Person& requester, const GrantScope& scope);
inline bool isGrant(const Approval& a) { return a.request.digest.starts_with(kGrantDigestPrefix); }

// Whether the grant covers this request on this cluster (its effective verb, group, resource,
// subresource, namespace and name). Non-resource requests are never covered.
bool grantCovers(const GrantScope& scope, std::string_view cluster, const k8s::RequestInfo& info);

// "15m", "1h30m", "45s", "2h" or a plain number of seconds; nothing for anything else.
std::optional<std::chrono::seconds> parseGrantDuration(std::string_view text);

}  // namespace kubegate::approvals
