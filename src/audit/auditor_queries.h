// What auditors ask of the record, shared by the command line (cli/audit_command.h) and the admin
// listener's read-only API (admin/audit_api.h): filters as text, requests with their completions.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "audit/k8s_event.h"
#include "audit/store.h"

namespace kubegate::audit {

// Filters as auditors type them; empty means "any".
struct AuditorFilter {
  std::string identity, cluster, namespace_, resource, verb, decision, approval, session, request;
  std::string since, until;  // RFC 3339 times, or durations back from now (15m, 2h, 7d)
  std::size_t limit = 1000;
};

// Fills `filter`; returns an error message when a time cannot be read.
std::string toQueryFilter(const AuditorFilter& options, QueryFilter& filter);

// "2026-11-29T14:00:00Z" (fraction allowed) or a duration back from now ("15m", "7d").
std::optional<std::int64_t> parseTimeBound(const std::string& text);

// Request entries matching the filter, each with its response entry when there is one.
StoreResult<std::vector<RecordedRequest>> recordedRequests(Store& store, QueryFilter filter);

// An entry's document as a JSON object; an empty object when it is not one (the verifier, not the
// reader, judges whether a document was tampered with).
boost::json::object parseDocument(std::string_view document);

// {"seq":N,"request":{...},"response":{...}|null}: one line of `audit query -o json`.
std::string recordedRequestJson(const RecordedRequest& recorded);

}  // namespace kubegate::audit
