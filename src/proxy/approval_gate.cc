#include "proxy/approval_gate.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "admin/approvals_api.h"
#include "admin/json_log.h"
#include "approvals/request_digest.h"
#include "audit/request_record.h"
#include "mask/json_masker.h"

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
namespace json = boost::json;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// How often a held request looks for its decision. The store is the truth (a reviewer may decide
// through another gateway process), so it is read, not waited on.
constexpr auto kDecisionPoll = std::chrono::milliseconds(250);
constexpr std::size_t kShownBodyBytes = 64 * 1024;

std::optional<std::string> requestDigestOf(const http_io::InboundRequest& in, const RequestScope& scope,
                                           const approvals::Person& requester) {
  return approvals::requestDigest({requester.issuer, requester.subject}, scope.cluster->name(),
                                  in.message.method_string(), scope.upstreamPath,
                                  http_hygiene::encodeQuery(in.target.query), in.message.body());
}

// What the reviewer is shown: the classified request and its body, masked with the record's
// profile (a reviewer approves an action, not a look at its secrets).
std::string summaryJson(const http_io::InboundRequest& in, const RequestScope& scope, const std::string& previewJson) {
  const auto& i = scope.info;
  json::object s;
  s["method"] = std::string(in.message.method_string());
  s["path"] = scope.upstreamPath;
  if (!in.target.query.empty()) s["query"] = http_hygiene::encodeQuery(in.target.query);
  s["verb"] = i.verb;
  s["apiGroup"] = i.apiGroup;
  s["resource"] = i.resource;
  if (!i.subresource.empty()) s["subresource"] = i.subresource;
  s["namespace"] = i.namespace_;
  s["name"] = i.name;
  const auto& body = in.message.body();
  if (!body.empty()) {
    std::string masked, error;
    const auto* profile = scope.masking.record ? scope.masking.record : scope.masking.client;
    if (body.size() <= kShownBodyBytes && profile &&
        mask::maskJsonDocument(*profile, {i.apiGroup, i.resource, i.subresource}, body, masked, error)) {
      json::error_code ec;
      auto parsed = json::parse(masked, ec);
      if (!ec) s["body"] = std::move(parsed);
    }
    if (!s.contains("body")) s["bodyNote"] = std::to_string(body.size()) + " bytes, not shown (not JSON, or too large)";
  }
  if (!previewJson.empty()) {
    json::error_code ec;
    auto preview = json::parse(previewJson, ec);
    if (!ec) s["dryRun"] = std::move(preview);
  }
  return json::serialize(s);
}

std::string oneLine(const RequestScope& scope) {
  const auto& i = scope.info;
  std::string what = i.verb + " " + i.resource;
  if (!i.subresource.empty()) what += "/" + i.subresource;
  if (!i.name.empty()) what += " " + i.name;
  if (!i.namespace_.empty()) what += " in " + i.namespace_;
  return what;
}

k8s::GatewayError refusal(std::string message) { return makeError(ErrorKind::Forbidden, "kubegate: " + std::move(message)); }

}  // namespace

ApprovalGate::ApprovalGate(std::shared_ptr<approvals::ApprovalStore> store,
                           std::unique_ptr<approvals::Notifier> notifier, config::Approvals settings,
                           audit::AuditLog* log)
    : store_(std::move(store)), notifier_(std::move(notifier)), settings_(std::move(settings)), log_(log) {}

ApprovalGate::~ApprovalGate() = default;

void ApprovalGate::announce(const approvals::Approval& created, const std::string& reason, std::string summary) {
  recordEvent(created, "requested", &created.request.requester, reason);
  if (!notifier_) return;
  approvals::Notice n;
  n.event = "approval.requested";
  n.approvalId = created.id;
  n.requester = created.request.requester.subject;
  n.purpose = created.request.purpose;
  n.cluster = created.request.cluster;
  n.summary = std::move(summary);
  n.detailJson = created.request.summaryJson;
  n.decideCommand = reviewCommand(created.id);
  notifier_->notify(std::move(n));
}

std::string ApprovalGate::reviewCommand(const std::string& id) const {
  std::string command = settings_.reviewCommand;
  for (auto at = command.find("{id}"); at != std::string::npos; at = command.find("{id}", at + id.size())) {
    command.replace(at, 4, id);
  }
  return command;
}

void ApprovalGate::recordEvent(const approvals::Approval& approval, std::string_view event,
                               const approvals::Person* who, const std::string& reason) {
  if (!log_) return;
  audit::ApprovalEventFacts f;
  f.approvalId = approval.id;
  f.event = std::string(event);
  f.state = std::string(approvals::toString(approval.state));
  f.requestId = approval.request.requestId;
  f.cluster = approval.request.cluster;
  if (who) {
    f.actorIssuer = who->issuer;
    f.actorUser = who->subject;
    f.actorGroups = who->groups;
  }
  f.reason = reason;
  f.at = std::chrono::system_clock::now();
  log_->append(audit::approvalEntry(f), {});
}

approvals::Result<approvals::Approval> ApprovalGate::openApproval(const http_io::InboundRequest& in,
                                                                  const RequestScope& scope,
                                                                  const policy::Decision& decision,
                                                                  const std::string& digest,
                                                                  const approvals::Person& requester,
                                                                  std::string_view requestId,
                                                                  const std::string& previewJson) {
  const auto now = approvals::Clock::now();
  auto pending = store_->findPending(digest, requester, now);
  if (!pending) return pending.error();
  if (*pending) return std::move(**pending);
  approvals::NewApproval a;
  a.digest = digest;
  a.requester = requester;
  a.purpose = scope.identity.purpose;
  a.cluster = scope.cluster->name();
  a.summaryJson = summaryJson(in, scope, previewJson);
  a.ruleId = std::string(decision.ruleId);
  a.ruleMessage = std::string(decision.message);
  a.approverGroups = decision.review->approverGroups;
  a.approvalsNeeded = decision.review->approvals;
  a.hold = decision.review->hold;
  a.expiresAt = now + settings_.pendingTimeout;
  a.ttl = std::chrono::seconds(decision.review->ttlSeconds);
  a.requestId = std::string(requestId);
  auto created = store_->create(a, now);
  if (!created) return created;
  announce(*created, "", oneLine(scope));
  spdlog::info(R"({{"msg":"approval requested","approval":"{}","requestId":"{}","rule":"{}"}})", created->id,
               admin::JsonText{requestId}, admin::JsonText{decision.ruleId});
  return created;
}

asio::awaitable<GateOutcome> ApprovalGate::admit(TlsStream& client, beast::flat_buffer& clientBuffer,
                                                 const http_io::InboundRequest& in, const RequestScope& scope,
                                                 const policy::Decision& decision, std::string_view requestId,
                                                 PreviewContext* preview) {
  GateOutcome out;
  const auto requester = admin::approvalsPerson(scope.identity);
  const auto hashed = requestDigestOf(in, scope, requester);
  if (!hashed) {
    out.refusal = makeError(ErrorKind::ServiceUnavailable, std::string(approvals::kDigestUnavailable));
    co_return out;
  }
  const std::string& digest = *hashed;
  // An approval granted for exactly this request lets it through, once.
  if (auto used = store_->consume(digest, requester, std::nullopt, approvals::Clock::now())) {
    out.approvalId = used->id;
    recordEvent(*used, "used", &requester, "");
    co_return out;
  }
  // A mutation's reviewer sees what it would do: asked once, when the approval is opened.
  std::string previewJson;
  if (preview && wantsPreview(scope.info)) {
    auto pending = store_->findPending(digest, requester, approvals::Clock::now());
    if (pending && !*pending) previewJson = co_await reviewPreviewJson(in, scope, *preview);
  }
  auto approval = openApproval(in, scope, decision, digest, requester, requestId, previewJson);
  if (!approval) {
    out.refusal = makeError(ErrorKind::ServiceUnavailable, "kubegate cannot open an approval: " + approval.error().message);
    co_return out;
  }
  out.approvalId = approval->id;
  if (!decision.review->hold) {
    out.refusal = refusal(std::string(decision.message) + " (rule " + std::string(decision.ruleId) + "): approval " +
                          approval->id + " is pending; a reviewer decides with `" + reviewCommand(approval->id) +
                          "`; then send the identical request again within " +
                          std::to_string(decision.review->ttlSeconds) + "s");
    co_return out;
  }
  spdlog::info(R"({{"msg":"request held for approval","approval":"{}","requestId":"{}"}})", approval->id,
               admin::JsonText{requestId});
  co_return co_await hold(client, clientBuffer, *approval, digest, requester);
}

// Waits for the decision while the client waits for its answer. The client's socket is watched:
// a client that leaves ends the wait, and its approval stays usable in retry mode.
asio::awaitable<GateOutcome> ApprovalGate::hold(TlsStream& client, beast::flat_buffer& clientBuffer,
                                                const approvals::Approval& approval, const std::string& digest,
                                                const approvals::Person& requester) {
  using namespace asio::experimental::awaitable_operators;
  GateOutcome out;
  out.approvalId = approval.id;
  const auto deadline = std::chrono::steady_clock::now() + settings_.holdTimeout;
  asio::steady_timer poll(co_await asio::this_coro::executor);
  auto& socket = beast::get_lowest_layer(client);
  socket.expires_after(settings_.holdTimeout + std::chrono::seconds(30));
  error_code ignored;
  socket.socket().set_option(asio::socket_base::keep_alive(true), ignored);
  while (std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(kDecisionPoll);
    auto woke = co_await (poll.async_wait(kAsTuple) || client.async_wait_readable(kAsTuple));
    if (woke.index() == 1) {
      // The client sent something (or closed): a closed client ends the hold.
      auto [ec, n] = co_await client.async_read_some(clientBuffer.prepare(4096), kAsTuple);
      if (ec) {
        out.clientGone = true;
        out.refusal = refusal("the client left before approval " + approval.id + " was decided");
        co_return out;
      }
      clientBuffer.commit(n);
    }
    auto now = store_->get(approval.id, approvals::Clock::now());
    if (!now) continue;  // a busy store is read again at the next tick
    switch (now->state) {
      case approvals::State::pending:
        continue;
      case approvals::State::approved: {
        auto used = store_->consume(digest, requester, approval.id, approvals::Clock::now());
        if (!used) break;
        recordEvent(*used, "used", &requester, "");
        co_return out;
      }
      case approvals::State::denied:
        out.refusal = refusal("approval " + approval.id + " was denied: " + now->denyReason);
        co_return out;
      case approvals::State::expired:
      case approvals::State::used:
        break;
    }
    out.refusal = refusal("approval " + approval.id + " can no longer be used (" +
                          std::string(approvals::toString(now->state)) + ")");
    co_return out;
  }
  out.refusal = refusal("no reviewer decided on approval " + approval.id + " within " +
                        std::to_string(settings_.holdTimeout.count()) +
                        "s; it stays pending: once approved, send the identical request again");
  co_return out;
}

void ApprovalGate::decided(const approvals::Approval& approval) {
  if (approval.decisions.empty()) return;
  const auto& latest = *std::max_element(approval.decisions.begin(), approval.decisions.end(),
                                         [](const auto& a, const auto& b) { return a.at < b.at; });
  const bool settled = approval.state != approvals::State::pending;
  recordEvent(approval, settled ? approvals::toString(approval.state) : "decided", &latest.reviewer, latest.reason);
  if (!notifier_ || !settled) return;
  approvals::Notice n;
  n.event = "approval.decided";
  n.approvalId = approval.id;
  n.requester = approval.request.requester.subject;
  n.purpose = approval.request.purpose;
  n.cluster = approval.request.cluster;
  n.summary = std::string(approvals::toString(approval.state)) + " by " + latest.reviewer.subject +
              (latest.reason.empty() ? "" : ": " + latest.reason);
  n.detailJson = approval.request.summaryJson;
  notifier_->notify(std::move(n));
}

}  // namespace kubegate::proxy
