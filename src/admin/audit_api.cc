#include "admin/audit_api.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "audit/auditor_queries.h"
#include "audit/k8s_event.h"
#include "admin/api_replies.h"
#include "http/hygiene.h"

namespace kubegate::admin {
namespace {

namespace json = boost::json;



audit::AuditorFilter filterFrom(std::string_view target, std::string& error) {
  audit::AuditorFilter f;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    error = "the query string cannot be read";
    return f;
  }
  for (const auto& p : parsed->params()) {
    const std::string& key = p.key;
    const std::string& value = p.value;
    if (key == "identity") f.identity = value;
    else if (key == "cluster") f.cluster = value;
    else if (key == "namespace") f.namespace_ = value;
    else if (key == "resource") f.resource = value;
    else if (key == "verb") f.verb = value;
    else if (key == "decision") f.decision = value;
    else if (key == "approval") f.approval = value;
    else if (key == "session") f.session = value;
    else if (key == "request") f.request = value;
    else if (key == "since") f.since = value;
    else if (key == "until") f.until = value;
    else if (key == "limit") {
      try {
        f.limit = std::stoul(value);
      } catch (...) {
        error = "limit must be a number";
      }
    } else if (key != "format") {
      error = "unknown parameter " + key;
    }
  }
  return f;
}

}  // namespace

AuditApi::AuditApi(std::unique_ptr<audit::Store> store, std::string auditorsGroup,
                   std::function<audit::VerifyOptions()> verifyOptions, AuthenticateCaller authenticate)
    : store_(std::move(store)),
      auditorsGroup_(std::move(auditorsGroup)),
      verifyOptions_(std::move(verifyOptions)),
      authenticate_(std::move(authenticate)) {}

asio::awaitable<http::response<http::string_body>> AuditApi::handle(const http::request<http::string_body>& request) {
  if (request.method() != http::verb::get) co_return statusReply(http::status::method_not_allowed, "MethodNotAllowed", "the audit API is read-only");
  const auto authorization = request.equal_range(http::field::authorization);
  if (authorization.first == authorization.second || std::next(authorization.first) != authorization.second) {
    co_return statusReply(http::status::unauthorized, "Unauthorized", "the audit API needs one bearer token");
  }
  auto token = http_hygiene::parseBearerAuthorization(authorization.first->value());
  if (!token) co_return statusReply(http::status::unauthorized, "Unauthorized", token.error().message);
  identity::Credentials creds;
  creds.bearerToken = std::move(*token);
  auto caller = co_await authenticate_(std::move(creds));
  if (!caller) co_return statusReply(http::status::unauthorized, "Unauthorized", caller.error().message);
  const auto& groups = caller->groups;
  if (std::find(groups.begin(), groups.end(), auditorsGroup_) == groups.end()) {
    co_return statusReply(http::status::forbidden, "Forbidden", "only members of " + auditorsGroup_ + " may read the record");
  }
  const std::string_view target = request.target();
  const auto q = target.find('?');
  co_return serve(target.substr(0, q), target);
}

http::response<http::string_body> AuditApi::serve(std::string_view path, std::string_view target) {
  constexpr std::string_view kRequests = "/audit/v1/requests";
  constexpr std::string_view kSessions = "/audit/v1/sessions/";
  if (path == "/audit/v1/verify") {
    // Without the key or the trusted heads a verification would say less than it seems to: refuse.
    audit::VerifyOptions options;
    try {
      options = verifyOptions_();
    } catch (const std::exception& e) {
      return statusReply(http::status::service_unavailable, "ServiceUnavailable", e.what());
    }
    const auto report = audit::verifyLog(*store_, options);
    json::object o{{"ok", report.ok}, {"entriesChecked", report.entriesChecked}, {"headsChecked", report.headsChecked}};
    if (report.firstBadSeq) o["firstBadSeq"] = *report.firstBadSeq;
    if (!report.problem.empty()) o["problem"] = report.problem;
    json::array warnings;
    for (const auto& w : report.warnings) warnings.emplace_back(w);
    o["warnings"] = std::move(warnings);
    return apiReply(http::status::ok, json::serialize(o) + "\n");
  }
  if (path.starts_with(kSessions) && path.ends_with("/cast")) {
    const std::string id(path.substr(kSessions.size(), path.size() - kSessions.size() - 5));
    auto entries = store_->entriesOfRequest(id);
    if (!entries) return statusReply(http::status::service_unavailable, "ServiceUnavailable", entries.error().message);
    std::string cast;
    for (const auto& e : *entries) {
      if (e.entry.kind == audit::EntryKind::session) cast += e.entry.attachment;
    }
    if (cast.empty()) return statusReply(http::status::not_found, "NotFound", "no recording for request " + id);
    return apiReply(http::status::ok, std::move(cast), "application/x-asciicast");
  }
  if (path.starts_with(kRequests) && path.size() > kRequests.size() + 1 && path[kRequests.size()] == '/') {
    const std::string id(path.substr(kRequests.size() + 1));
    auto entries = store_->entriesOfRequest(id);
    if (!entries) return statusReply(http::status::service_unavailable, "ServiceUnavailable", entries.error().message);
    if (entries->empty()) return statusReply(http::status::not_found, "NotFound", "no request " + id + " in the record");
    json::array items;
    for (const auto& e : *entries) {
      items.push_back(json::object{{"seq", e.seq}, {"kind", audit::toString(e.entry.kind)}, {"document", audit::parseDocument(e.entry.document)}});
    }
    return apiReply(http::status::ok, json::serialize(json::object{{"items", std::move(items)}}) + "\n");
  }
  if (path != kRequests && path != "/audit/v1/export") return statusReply(http::status::not_found, "NotFound", "no such audit resource");
  std::string error;
  const auto filterText = filterFrom(target, error);
  audit::QueryFilter filter;
  if (error.empty()) error = audit::toQueryFilter(filterText, filter);
  if (!error.empty()) return statusReply(http::status::bad_request, "BadRequest", error);
  auto requests = audit::recordedRequests(*store_, filter);
  if (!requests) return statusReply(http::status::service_unavailable, "ServiceUnavailable", requests.error().message);
  std::string body;
  if (path == "/audit/v1/export") {
    for (const auto& r : *requests) body += audit::kubernetesAuditEvent(r) + "\n";
    return apiReply(http::status::ok, std::move(body), "application/jsonl");
  }
  body = "{\"items\":[";
  for (std::size_t i = 0; i < requests->size(); ++i) body += (i ? "," : "") + audit::recordedRequestJson((*requests)[i]);
  body += "]}\n";
  return apiReply(http::status::ok, std::move(body));
}

}  // namespace kubegate::admin
