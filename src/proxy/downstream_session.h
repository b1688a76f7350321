// One agent connection: TLS handshake, then request after request on the same connection, each
// read once (http/request_reader.h), routed to a cluster, authenticated, and forwarded or tunnelled.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "audit/audit_log.h"
#include "net/asio.h"
#include "proxy/runtime.h"
#include "proxy/upstream_pool.h"

namespace kubegate::proxy {

class ApprovalGate;

// What a session needs from the server around it.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual RuntimePtr runtime() const = 0;
  virtual bool draining() const = 0;
  virtual void requestStarted() = 0;
  virtual void requestFinished() = 0;
  // The audit log requests are recorded in; null when recording is disabled.
  virtual audit::AuditLog* auditLog() const = 0;
  // Held and approved requests (docs/approvals.md); null when the config has no approvals section.
  virtual ApprovalGate* approvalGate() const { return nullptr; }
};

// Runs a connection to its end. `onOpen` hands the caller a way to cut the connection (drain).
asio::awaitable<void> runDownstreamSession(tcp::socket socket, SessionHost& host, UpstreamPool& pool,
                                           std::function<void(std::function<void()>)> registerCloser,
                                           std::function<void()> onClose);

}  // namespace kubegate::proxy
