#include "proxy/request_audit.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

#include "admin/metrics.h"

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;

std::vector<std::string> execCommand(const http_io::InboundRequest& in) {
  std::vector<std::string> command;
  for (const auto& [name, value] : in.target.query) {
    if (name == "command") command.push_back(value);
  }
  return command;
}

std::string headerValue(const http_io::InboundRequest& in, http::field field) {
  const auto it = in.message.find(field);
  return it == in.message.end() ? std::string() : std::string(it->value());
}

// The request body as the record keeps it. Under a masking profile, a JSON body is kept masked
// (the cluster still gets it as sent) and anything the masker cannot read keeps only its size.
// A JSON patch is a list of operations whose values the masker cannot place, so on a resource
// with secret values it is withheld too.
audit::BodyRecord recordedRequestBody(std::string_view body, std::string contentType, const RequestScope& scope,
                                      std::size_t limit) {
  const mask::Profile* profile = scope.masking.record ? scope.masking.record : scope.masking.client;
  if (!profile || body.empty()) {
    auto kept = audit::keepBody(body, limit, &scope.info);
    kept.contentType = std::move(contentType);
    return kept;
  }
  audit::BodyRecord b;
  b.size = body.size();
  b.withheld = audit::bodyWithheldReason(&scope.info);
  const bool jsonPatch = contentType.find("json-patch+json") != std::string::npos;
  b.contentType = std::move(contentType);
  if (!b.withheld.empty()) return b;
  if (jsonPatch && (scope.info.resource == "secrets" || scope.info.resource == "configmaps")) {
    b.withheld = "a JSON patch of " + scope.info.resource + " cannot be masked value by value";
    return b;
  }
  std::string masked, error;
  if (!mask::maskJsonDocument(*profile, {scope.info.apiGroup, scope.info.resource, scope.info.subresource}, body,
                              masked, error)) {
    b.withheld = "the body is not JSON, so it cannot be masked";
    return b;
  }
  b.truncated = masked.size() > limit;
  if (b.truncated) masked.resize(limit);
  b.kept = std::move(masked);
  return b;
}

}  // namespace

namespace {

// Ids need to be unique, not unguessable, so a per-thread generator seeded once from OpenSSL
// serves them: RAND_bytes takes a lock and costs more than the rest of an id.
std::uint64_t nextIdBits() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof(seed)) != 1) {
      // Never two threads on one sequence, even without OpenSSL's generator: ids would collide.
      seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::hash<std::thread::id>{}(std::this_thread::get_id()) ^
             static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return seed;
  }();
  // splitmix64: every seed gives a full-period sequence with well-mixed output.
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string timeOrderedId() {
  // 44 bits of milliseconds (good until the year 2527), then 52 random bits. New ids land at the
  // right edge of the record's request and session indexes, so a commit rewrites a page or two of
  // each instead of one random page per entry (what made random ids cost the writer most of its
  // I/O); and ids sort by time, which auditors like.
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  const std::uint64_t low = nextIdBits();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(24, '0');
  for (int i = 10; i >= 0; --i) out[10 - i] = kHex[(ms >> (4 * i)) & 15];
  for (int i = 12; i >= 0; --i) out[23 - i] = kHex[(low >> (4 * i)) & 15];
  return out;
}

RequestAudit::RequestAudit(audit::AuditLog* log, const config::Audit& settings, std::string sessionId,
                           std::string clientAddress)
    : log_(log),
      settings_(settings),
      requestId_(timeOrderedId()),
      sessionId_(std::move(sessionId)),
      facts_(std::make_unique<audit::RequestFacts>()) {
  facts_->requestId = requestId_;
  facts_->sessionId = sessionId_;
  facts_->sourceAddress = std::move(clientAddress);
  facts_->received = std::chrono::system_clock::now();
}

void RequestAudit::describe(const http_io::InboundRequest& in) {
  facts_->method = std::string(in.message.method_string());
  facts_->uri = std::string(in.message.target());
  facts_->userAgent = headerValue(in, http::field::user_agent);
  facts_->execCommand = execCommand(in);
}

void RequestAudit::appendLater(audit::Entry entry) {
  if (log_) log_->append(std::move(entry), {});
}

void RequestAudit::recordRefusal(const k8s::GatewayError& error) {
  facts_->refusal = audit::RequestFacts::Refusal{k8s::httpStatus(error.kind),
                                                 std::string(k8s::statusReason(error.kind)), error.message};
  appendLater(audit::requestEntry(*facts_));
}

void RequestAudit::recordAnswer(unsigned status, std::string reason, std::string message) {
  facts_->refusal = audit::RequestFacts::Refusal{status, std::move(reason), std::move(message)};
  appendLater(audit::requestEntry(*facts_));
}

asio::awaitable<std::optional<k8s::GatewayError>> RequestAudit::recordBeforeForwarding(
    const http_io::InboundRequest& in, const RequestScope& scope) {
  if (!log_) {
    facts_.reset();
    co_return std::nullopt;
  }
  if (scope.cluster->config().impersonate) {
    facts_->upstreamUser = scope.identity.username;
    facts_->upstreamGroups = scope.identity.groups;
  } else if (scope.eksRole) {
    facts_->upstreamUser = scope.awsRoleArn + " session " + scope.awsSessionName;
  } else {
    facts_->upstreamUser = "cluster credential of " + scope.cluster->name();
  }
  // So that CloudTrail's AssumeRole and the cluster's audit log join up with this record.
  facts_->awsRoleArn = scope.awsRoleArn;
  facts_->awsSessionName = scope.awsSessionName;
  facts_->body = recordedRequestBody(in.message.body(), headerValue(in, http::field::content_type), scope,
                                     settings_.requestBodyLimit);
  const bool durable = co_await audit::appendDurably(
      *log_, audit::requestEntry(*facts_), std::chrono::duration_cast<std::chrono::milliseconds>(settings_.writeTimeout));
  if (!durable) admin::metrics().auditWriteFailure();
  if (durable || !settings_.failClosed) {
    if (!durable) {
      spdlog::warn(R"({{"msg":"audit record not written; forwarding anyway, as audit.onFailure is warn","requestId":"{}"}})",
                   requestId_);
    }
    facts_.reset();
    co_return std::nullopt;
  }
  // The caller refuses with this error, which records the refusal (not forwarded: no upstream user).
  facts_->upstreamUser.reset();
  co_return k8s::makeError(ErrorKind::ServiceUnavailable,
                           "kubegate cannot write its audit record, so it forwards nothing until it can; retry later");
}

std::size_t RequestAudit::responseBodyLimit(const k8s::RequestInfo& info) const {
  if (!log_ || !audit::bodyWithheldReason(&info).empty()) return 0;
  return settings_.responseBodyLimit;
}

audit::RequestContext RequestAudit::context(const RequestScope& scope) const {
  return {requestId_, sessionId_, scope.cluster->name(), &scope.identity, &scope.info};
}

void RequestAudit::recordCompletion(ForwardOutcome& out, const RequestScope& scope, double seconds) {
  if (!log_) return;
  audit::CompletionFacts c;
  c.context = context(scope);
  c.finished = std::chrono::system_clock::now();
  c.seconds = seconds;
  c.status = out.status;
  c.bytesIn = out.bytesIn;
  c.bytesOut = out.bytesOut;
  if (out.error) c.error = out.error->message;
  else if (out.kept) c.error = out.kept->brokenOff;
  c.body.size = out.bytesOut;
  c.body.withheld = audit::bodyWithheldReason(&scope.info);
  if (out.kept) {
    c.body.kept = std::move(out.kept->body);
    c.body.contentType = std::move(out.kept->contentType);
    c.body.contentEncoding = std::move(out.kept->contentEncoding);
  }
  c.body.truncated = c.body.withheld.empty() && c.body.kept.size() < out.bytesOut;
  appendLater(audit::responseEntry(c));
}

void RequestAudit::recordSessionChunk(const RequestScope& scope, std::string protocol, std::string asciicast,
                                      bool final, std::string summaryJson) {
  if (!log_) return;
  audit::SessionChunkFacts s;
  s.context = context(scope);
  s.protocol = std::move(protocol);
  s.chunk = nextSessionChunk_++;
  s.final = final;
  s.summaryJson = std::move(summaryJson);
  s.asciicast = std::move(asciicast);
  appendLater(audit::sessionEntry(std::move(s)));
}

void recordMalformedRequest(audit::AuditLog* log, const std::string& sessionId, const std::string& clientAddress,
                            const k8s::GatewayError& error) {
  if (!log) return;
  config::Audit settings;
  RequestAudit audit(log, settings, sessionId, clientAddress);
  audit.recordRefusal(error);
}

}  // namespace kubegate::proxy
