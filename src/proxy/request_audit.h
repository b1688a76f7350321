// The record of one request on the data path. Facts are added as the request is understood (route,
// classification, identity, decision); a refusal is recorded without waiting, since nothing goes
// upstream; a request that will be forwarded waits until its entry is durable, and is refused with
// 503 when the record cannot be written (unless the config says to warn instead). Completions and
// session recordings follow without waiting, in order.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "audit/audit_log.h"
#include "audit/request_record.h"
#include "config/config.h"
#include "http/request_reader.h"
#include "proxy/forwarder.h"

namespace kubegate::proxy {

class RequestAudit {
 public:
  // `log` may be null: recording is disabled (audit.enabled: false).
  RequestAudit(audit::AuditLog* log, const config::Audit& settings, std::string sessionId, std::string clientAddress);

  const std::string& requestId() const { return requestId_; }
  // Until the request entry is written; what it pointed into may be gone afterwards.
  audit::RequestFacts& facts() { return *facts_; }
  // What the request asked for (method, target, user agent, exec command).
  void describe(const http_io::InboundRequest& in);

  // The gateway answers itself: recorded without waiting.
  void recordRefusal(const k8s::GatewayError& error);
  // The gateway answered a request of its own API (not forwarded, not refused): recorded likewise.
  void recordAnswer(unsigned status, std::string reason, std::string message);
  // Just before forwarding. Keeps the body (up to the configured limit) and the upstream identity;
  // returns the error to refuse with (recordRefusal records it) when the request must not go upstream.
  asio::awaitable<std::optional<k8s::GatewayError>> recordBeforeForwarding(const http_io::InboundRequest& in,
                                                                          const RequestScope& scope);
  // Takes what the outcome kept of the response.
  void recordCompletion(ForwardOutcome& out, const RequestScope& scope, double seconds);
  // One chunk of a tunnel's recording.
  void recordSessionChunk(const RequestScope& scope, std::string protocol, std::string asciicast, bool final,
                          std::string summaryJson);

  // How many bytes of the response body to keep for this request (0 when withheld).
  std::size_t responseBodyLimit(const k8s::RequestInfo& info) const;

 private:
  void appendLater(audit::Entry entry);
  audit::RequestContext context(const RequestScope& scope) const;

  audit::AuditLog* log_;
  const config::Audit& settings_;
  std::string requestId_;
  std::string sessionId_;
  // Dropped once the request entry is durable: a watch or tunnel that then runs for hours does
  // not hold what its admission needed.
  std::unique_ptr<audit::RequestFacts> facts_;
  std::uint64_t nextSessionChunk_ = 0;
};

// A request the reader could not parse: recorded with what is known of the connection.
void recordMalformedRequest(audit::AuditLog* log, const std::string& sessionId, const std::string& clientAddress,
                            const k8s::GatewayError& error);

// Request and session ids: 24 hex characters, the first 11 the time in milliseconds, the rest random.
std::string timeOrderedId();

}  // namespace kubegate::proxy
