#include "admin/approvals_api.h"

#include "admin/api_replies.h"
#include "http/hygiene.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "admin/json_log.h"
#include "approvals/approval_json.h"

namespace kubegate::admin {
namespace {

namespace json = boost::json;
using approvals::Approval;
using approvals::Person;
using approvals::StoreError;

constexpr std::string_view kRequests = "/approvals/v1/requests";
constexpr std::size_t kDefaultListLimit = 100;
constexpr std::size_t kMaxListLimit = 1000;
// The store lists without knowing who asks; this many of the newest are read and filtered, so a
// caller sees up to `limit` of theirs among the newest kListScan approvals.
constexpr std::size_t kListScan = 1000;
constexpr std::size_t kMaxReasonBytes = 4096;


http::response<http::string_body> storeErrorReply(const StoreError& error) {
  switch (error.kind) {
    case StoreError::Kind::notFound: return statusReply(http::status::not_found, "NotFound", error.message);
    case StoreError::Kind::forbidden: return statusReply(http::status::forbidden, "Forbidden", error.message);
    case StoreError::Kind::conflict: return statusReply(http::status::conflict, "Conflict", error.message);
    case StoreError::Kind::storage: break;
  }
  return statusReply(http::status::service_unavailable, "ServiceUnavailable", error.message);
}

http::response<http::string_body> methodNotAllowed(std::string_view allowed, std::string_view message) {
  auto res = statusReply(http::status::method_not_allowed, "MethodNotAllowed", message);
  res.set(http::field::allow, allowed);
  return res;
}

bool samePerson(const Person& a, const Person& b) { return a.issuer == b.issuer && a.subject == b.subject; }

bool mayDecide(const Approval& approval, const Person& caller) {
  const auto& approvers = approval.request.approverGroups;
  return std::any_of(caller.groups.begin(), caller.groups.end(), [&](const std::string& group) {
    return std::find(approvers.begin(), approvers.end(), group) != approvers.end();
  });
}

bool visibleTo(const Approval& approval, const Person& caller) {
  return samePerson(approval.request.requester, caller) || mayDecide(approval, caller);
}

// Ids are "apr-" and hex; anything else cannot name an approval and is not echoed back.
struct Route {
  enum class Kind { none, list, show, approve, deny } kind = Kind::none;
  std::string id;
};

Route routeOf(std::string_view path) {
  Route route;
  if (path == kRequests) {
    route.kind = Route::Kind::list;
    return route;
  }
  if (!path.starts_with(kRequests) || path.size() <= kRequests.size() + 1 || path[kRequests.size()] != '/') return route;
  std::string_view rest = path.substr(kRequests.size() + 1);
  const auto slash = rest.find('/');
  const std::string_view id = rest.substr(0, slash);
  const std::string_view action = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (!approvals::plausibleApprovalId(id)) return route;
  route.id = std::string(id);
  if (slash == std::string_view::npos) route.kind = Route::Kind::show;
  else if (action == "approve") route.kind = Route::Kind::approve;
  else if (action == "deny") route.kind = Route::Kind::deny;
  return route;
}

// The reason from a decision's body: empty, or a JSON object with at most a string "reason".
std::optional<std::string> reasonFrom(const std::string& body, std::string& error) {
  if (body.empty()) return std::string();
  boost::system::error_code ec;
  const auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    error = "the body must be a JSON object such as {\"reason\":\"...\"}";
    return std::nullopt;
  }
  std::string reason;
  for (const auto& [key, value] : parsed.get_object()) {
    if (key != "reason") {
      error = "unknown field in the body; only \"reason\" is read";
      return std::nullopt;
    }
    if (!value.is_string()) {
      error = "reason must be a string";
      return std::nullopt;
    }
    reason = std::string(value.get_string());
  }
  if (reason.size() > kMaxReasonBytes) {
    error = "reason is longer than " + std::to_string(kMaxReasonBytes) + " bytes";
    return std::nullopt;
  }
  return reason;
}

bool isJsonContentType(std::string_view value) {
  std::string type(value.substr(0, value.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return type == "application/json";
}

}  // namespace

approvals::Person approvalsPerson(const identity::Identity& identity) {
  Person person;
  person.issuer = identity.authenticator == "x509" ? "x509" : identity.issuer;
  person.subject = identity.username;
  person.groups = identity.groups;
  return person;
}

ApprovalsApi::ApprovalsApi(std::shared_ptr<approvals::ApprovalStore> store, AuthenticateCaller authenticate,
                           OnDecided onDecided, Now now)
    : store_(std::move(store)), authenticate_(std::move(authenticate)), onDecided_(std::move(onDecided)), now_(std::move(now)) {}

asio::awaitable<http::response<http::string_body>> ApprovalsApi::handle(const http::request<http::string_body>& request) {
  const std::string_view target = request.target();
  const auto route = routeOf(target.substr(0, target.find('?')));
  const bool decision = route.kind == Route::Kind::approve || route.kind == Route::Kind::deny;
  if (route.kind == Route::Kind::none) co_return statusReply(http::status::not_found, "NotFound", "no such approvals resource");
  if (decision && request.method() != http::verb::post) {
    co_return methodNotAllowed("POST", "decisions are made with POST only; following a link decides nothing");
  }
  if (!decision && request.method() != http::verb::get) co_return methodNotAllowed("GET", "this resource is read-only");
  if (request.body().size() > kMaxApprovalsBodyBytes) {
    co_return statusReply(http::status::payload_too_large, "RequestEntityTooLarge", "the request body is too large");
  }
  const auto authorization = request.equal_range(http::field::authorization);
  if (authorization.first == authorization.second || std::next(authorization.first) != authorization.second) {
    co_return statusReply(http::status::unauthorized, "Unauthorized", "the approvals API needs one bearer token");
  }
  auto token = http_hygiene::parseBearerAuthorization(authorization.first->value());
  if (!token) co_return statusReply(http::status::unauthorized, "Unauthorized", "only Bearer tokens are accepted in Authorization");
  identity::Credentials creds;
  creds.bearerToken = std::move(*token);
  auto caller = co_await authenticate_(std::move(creds));
  if (!caller) co_return statusReply(http::status::unauthorized, "Unauthorized", caller.error().message);
  const Person person = approvalsPerson(*caller);
  if (route.kind == Route::Kind::list) co_return list(person, target);
  if (route.kind == Route::Kind::show) co_return show(person, route.id);
  if (!request.body().empty() && !isJsonContentType(request[http::field::content_type])) {
    co_return statusReply(http::status::unsupported_media_type, "UnsupportedMediaType", "the body must be application/json");
  }
  co_return decide(person, route.id, route.kind == Route::Kind::approve, request.body());
}

http::response<http::string_body> ApprovalsApi::list(const Person& caller, std::string_view target) {
  bool all = false;
  std::size_t limit = kDefaultListLimit;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return statusReply(http::status::bad_request, "BadRequest", "the query string cannot be read");
  for (const auto& p : parsed->params()) {
    if (p.key == "all" && (p.value == "true" || p.value == "false")) {
      all = p.value == "true";
    } else if (p.key == "limit") {
      try {
        std::size_t used = 0;
        limit = std::stoul(p.value, &used);
        if (used != p.value.size() || limit == 0 || limit > kMaxListLimit) throw std::out_of_range("limit");
      } catch (const std::exception&) {
        return statusReply(http::status::bad_request, "BadRequest", "limit must be a number from 1 to " + std::to_string(kMaxListLimit));
      }
    } else {
      return statusReply(http::status::bad_request, "BadRequest", "unknown parameter; use all=true|false and limit=N");
    }
  }
  auto approvals = store_->list(all, kListScan, now_());
  if (!approvals) return storeErrorReply(approvals.error());
  std::string body = "{\"items\":[";
  std::size_t shown = 0;
  for (const auto& approval : *approvals) {
    if (shown == limit) break;
    if (!visibleTo(approval, caller)) continue;
    body += (shown++ ? "," : "") + approvals::approvalJson(approval);
  }
  body += "]}\n";
  return apiReply(http::status::ok, std::move(body));
}

http::response<http::string_body> ApprovalsApi::show(const Person& caller, const std::string& id) {
  auto approval = store_->get(id, now_());
  // Someone who may not see an approval learns nothing about it, not even that it exists.
  if ((approval && !visibleTo(*approval, caller)) ||
      (!approval && approval.error().kind == StoreError::Kind::notFound)) {
    return statusReply(http::status::not_found, "NotFound", "no approval " + id);
  }
  if (!approval) return storeErrorReply(approval.error());
  return apiReply(http::status::ok, approvals::approvalJson(*approval) + "\n");
}

http::response<http::string_body> ApprovalsApi::decide(const Person& caller, const std::string& id, bool approve,
                                                        const std::string& body) {
  std::string error;
  auto reason = reasonFrom(body, error);
  if (!reason) return statusReply(http::status::bad_request, "BadRequest", error);
  if (!approve && reason->find_first_not_of(" \t\r\n") == std::string::npos) {
    return statusReply(http::status::bad_request, "BadRequest", "a denial needs a reason: the requester is shown it");
  }
  const auto now = now_();
  // Read first to tell a decision the store recorded from a repeated one it only acknowledged.
  auto before = store_->get(id, now);
  if (!before) return storeErrorReply(before.error());
  approvals::Decision d;
  d.reviewer = caller;
  d.approve = approve;
  d.reason = std::move(*reason);
  d.at = now;
  auto after = store_->decide(id, d, now);
  if (!after) return storeErrorReply(after.error());
  if (onDecided_ && (after->decisions.size() > before->decisions.size() || after->state != before->state)) {
    try {
      onDecided_(*after);
    } catch (const std::exception& e) {
      // The decision stands (it is in the store); the reviewer is told so, and the failure is logged.
      spdlog::error(R"({{"msg":"approvals: after-decision hook failed","approval":"{}","error":"{}"}})", id, JsonText{e.what()});
    }
  }
  return apiReply(http::status::ok, approvals::approvalJson(*after) + "\n");
}

}  // namespace kubegate::admin
