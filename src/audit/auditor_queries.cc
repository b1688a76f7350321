#include "audit/auditor_queries.h"

#include <boost/json.hpp>

#include <ctime>

#include "audit/request_record.h"
#include "config/config.h"

namespace kubegate::audit {

std::optional<std::int64_t> parseTimeBound(const std::string& text) {
  if (auto ago = config::parseDuration(text)) {
    return unixMicros(std::chrono::system_clock::now()) - ago->count() * 1000000;
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  std::int64_t micros = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    for (; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
      if (digits < 6) micros = micros * 10 + (*rest - '0');
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (std::string_view(rest) != "Z") return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000000 + micros;
}

std::string toQueryFilter(const AuditorFilter& o, QueryFilter& f) {
  auto set = [](const std::string& v, std::optional<std::string>& to) {
    if (!v.empty()) to = v;
  };
  set(o.identity, f.identity);
  set(o.cluster, f.cluster);
  set(o.namespace_, f.namespace_);
  set(o.resource, f.resource);
  set(o.verb, f.verb);
  set(o.decision, f.decision);
  set(o.approval, f.approvalId);
  set(o.session, f.sessionId);
  set(o.request, f.requestId);
  if (!o.since.empty()) {
    f.fromMicros = parseTimeBound(o.since);
    if (!f.fromMicros) return "since: not a time (2026-11-29T14:00:00Z) or a duration (15m)";
  }
  if (!o.until.empty()) {
    f.toMicros = parseTimeBound(o.until);
    if (!f.toMicros) return "until: not a time (2026-11-29T14:00:00Z) or a duration (15m)";
  }
  f.limit = o.limit;
  return {};
}

StoreResult<std::vector<RecordedRequest>> recordedRequests(Store& store, QueryFilter filter) {
  filter.kind = EntryKind::request;
  auto requests = store.query(filter);
  if (!requests) return requests.error();
  std::vector<RecordedRequest> out;
  out.reserve(requests->size());
  for (auto& r : *requests) {
    RecordedRequest recorded{std::move(r), std::nullopt};
    auto related = store.entriesOfRequest(recorded.request.entry.index.requestId);
    if (!related) return related.error();
    for (auto& e : *related) {
      if (e.entry.kind == EntryKind::response) recorded.response = std::move(e);
    }
    out.push_back(std::move(recorded));
  }
  return out;
}

boost::json::object parseDocument(std::string_view document) {
  boost::system::error_code ec;
  auto value = boost::json::parse(document, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.get_object());
}

std::string recordedRequestJson(const RecordedRequest& r) {
  boost::json::object line;
  line["seq"] = r.request.seq;
  line["request"] = parseDocument(r.request.entry.document);
  if (r.response) line["response"] = parseDocument(r.response->entry.document);
  else line["response"] = nullptr;
  return boost::json::serialize(line);
}

}  // namespace kubegate::audit
