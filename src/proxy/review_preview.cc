#include "proxy/review_preview.h"

#include <boost/json.hpp>

#include "approvals/object_diff.h"
#include "k8s/request_info.h"
#include "mask/json_masker.h"
#include "proxy/request_audit.h"

namespace kubegate::proxy {
namespace {

namespace json = boost::json;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kPreviewBodyLimit = 4 * 1024 * 1024;
// What the record says decided the preview calls: the gateway, for the reviewer.
const policy::Decision kPreviewDecision{.effect = policy::Effect::allow, .ruleId = "kubegate:review-preview",
                                        .message = "read for the reviewer of a held request"};

struct Exchanged {
  unsigned status = 0;
  std::string body;
  std::string error;  // transport failure; empty when the cluster answered
};

// One request and its whole (bounded) answer on a pooled connection.
asio::awaitable<Exchanged> exchange(http::request<http::string_body>& request, const RequestScope& scope,
                                    PreviewContext& ctx) {
  Exchanged out;
  auto acquired = co_await ctx.pool.acquire(scope.cluster, ctx.limits.upstreamConnectTimeout, true);
  if (!acquired) {
    out.error = acquired.error().message;
    co_return out;
  }
  auto conn = std::move(*acquired);
  beast::get_lowest_layer(conn->stream).expires_after(ctx.limits.upstreamResponseTimeout);
  auto [writeEc, written] = co_await http::async_write(conn->stream, request, kAsTuple);
  http::response_parser<http::string_body> parser;
  parser.body_limit(kPreviewBodyLimit);
  error_code readEc = writeEc;
  if (!writeEc) {
    auto [ec, n] = co_await http::async_read(conn->stream, conn->buffer, parser, kAsTuple);
    readEc = ec;
  }
  if (readEc) {
    out.error = "the cluster did not answer: " + readEc.message();
    co_return out;
  }
  auto response = parser.release();
  out.status = response.result_int();
  out.body = std::move(response.body());
  if (response.keep_alive()) ctx.pool.release(scope.cluster, std::move(conn));
  co_return out;
}

std::string masked(const RequestScope& scope, const k8s::RequestInfo& info, const std::string& body) {
  std::string out, error;
  const auto* profile = scope.masking.record ? scope.masking.record : scope.masking.client;
  if (!profile || !mask::maskJsonDocument(*profile, {info.apiGroup, info.resource, info.subresource}, body, out, error))
    return {};  // never the unmasked text
  return out;
}

// Sends `in` (a GET of the object or the dry run) upstream as the agent, recorded before it goes
// and when it completes, like every request the gateway sends. The answer comes back masked.
asio::awaitable<Exchanged> recordedCall(http_io::InboundRequest in, RequestScope scope, PreviewContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  RequestAudit audit(ctx.log, ctx.audit, ctx.sessionId, scope.clientAddress);
  audit.describe(in);
  // The record says what was sent: a GET is classified as the GET it is.
  if (auto classified = k8s::classify(in.message.method_string(), in.target.path, in.target.query)) scope.info = *classified;
  auto& facts = audit.facts();
  facts.cluster = scope.cluster->name();
  facts.identity = &scope.identity;
  facts.info = &scope.info;
  facts.decision = &kPreviewDecision;
  scope.requestId = audit.requestId();
  Exchanged out;
  if (auto refused = co_await audit.recordBeforeForwarding(in, scope)) {
    out.error = "not recorded, so not sent: " + refused->message;
    co_return out;
  }
  auto request = buildUpstreamRequest(in, scope);
  ForwardOutcome outcome;
  if (!request) {
    out.error = request.error().message;
    outcome.error = request.error();
  } else {
    out = co_await exchange(*request, scope, ctx);
    if (out.error.empty()) out.body = masked(scope, scope.info, out.body);
    outcome.status = out.status;
    outcome.bytesOut = out.body.size();
    if (!out.error.empty()) outcome.error = k8s::makeError(k8s::ErrorKind::BadGateway, out.error);
    if (!out.body.empty() && scope.responseBodyLimit > 0) {
      outcome.keep().body = out.body.substr(0, scope.responseBodyLimit);
      outcome.keep().contentType = "application/json";
    }
  }
  audit.recordCompletion(outcome, scope, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  co_return out;
}

http_io::InboundRequest previewRequest(const http_io::InboundRequest& original, const RequestScope& scope, bool dryRun) {
  http_io::InboundRequest in;
  in.target.path = scope.clusterPrefix + scope.upstreamPath;
  if (dryRun) {
    in.message = original.message;
    in.target.query = original.target.query;
    in.target.query.emplace_back("dryRun", "All");
  } else {
    in.message.method(http::verb::get);
    in.message.version(11);
    in.message.set(http::field::accept, "application/json");
    if (auto ua = original.message.find(http::field::user_agent); ua != original.message.end())
      in.message.set(http::field::user_agent, ua->value());
  }
  std::string target = in.target.path;
  if (!in.target.query.empty()) target += "?" + http_hygiene::encodeQuery(in.target.query);
  in.message.target(target);
  in.target.path = scope.upstreamPath;  // what buildUpstreamRequest and the digest read
  return in;
}

std::string statusMessage(const Exchanged& e) {
  json::error_code ec;
  auto parsed = json::parse(e.body, ec);
  if (!ec && parsed.is_object())
    if (const auto* m = parsed.get_object().if_contains("message"); m && m->is_string()) return std::string(m->get_string());
  return "HTTP " + std::to_string(e.status);
}

}  // namespace

bool wantsPreview(const k8s::RequestInfo& info) {
  if (!info.isResourceRequest || (info.name.empty() && info.verb != "create")) return false;
  if (!info.subresource.empty() && info.subresource != "status" && info.subresource != "scale") return false;
  return info.verb == "create" || info.verb == "update" || info.verb == "patch" || info.verb == "delete";
}

asio::awaitable<std::string> reviewPreviewJson(const http_io::InboundRequest& in, const RequestScope& scope,
                                               PreviewContext& ctx) {
  json::object preview;
  std::string current;
  if (scope.info.verb == "create") {
    preview["current"] = "absent";
  } else {
    auto got = co_await recordedCall(previewRequest(in, scope, false), scope, ctx);
    preview["current"] = got.error.empty() && got.status == 200 && !got.body.empty() ? "exists" : "unreadable";
    if (got.error.empty() && got.status == 200) current = std::move(got.body);
  }
  auto dry = co_await recordedCall(previewRequest(in, scope, true), scope, ctx);
  if (!dry.error.empty() || dry.status >= 300) {
    preview["error"] = "the dry run failed: " + (dry.error.empty() ? statusMessage(dry) : dry.error);
    co_return json::serialize(preview);
  }
  if (dry.body.empty()) {
    preview["error"] = "the dry run's answer could not be masked, so it is not shown";
    co_return json::serialize(preview);
  }
  // A delete answers with the object as it goes (or a Status); the reviewer sees it removed.
  const std::string proposed = scope.info.verb == "delete" ? std::string() : dry.body;
  auto diff = approvals::diffObjects(current, proposed);
  if (!diff) {
    preview["error"] = "no diff: " + diff.error();
    co_return json::serialize(preview);
  }
  preview["diff"] = diff->text;
  preview["added"] = diff->added;
  preview["removed"] = diff->removed;
  preview["truncated"] = diff->truncated;
  co_return json::serialize(preview);
}

}  // namespace kubegate::proxy
