// The admin listener: plain HTTP, meant for loopback or a pod-local port, serving
//   GET /healthz  200 "ok" while the process runs (liveness)
//   GET /readyz   200 "ok" when ready() says so, else 503 "not ready" (draining, no config)
//   GET /metrics  the Prometheus text exposition format 0.0.4
//   GET /audit/…  the record, for auditors with a token (admin/audit_api.h), when configured
//   GET, POST /approvals/…  the reviewers' API (admin/approvals_api.h), when approvals are configured
// Anything else is 404; a known path with another method is 405. It carries no credentials and
// serves nothing secret, so it has no TLS; it must not be exposed beyond the node.
#pragma once

#include <functional>
#include <memory>

#include "admin/metrics.h"
#include "net/asio.h"

namespace kubegate::admin {

class AuditApi;
class ApprovalsApi;

namespace detail {
struct AdminShared;  // the listener and open connections, shared with the connection coroutines
}

class AdminServer {
 public:
  // `ready` is called on the executor for each /readyz. The executor's execution context must
  // outlive this object. `source` is what /metrics renders.
  AdminServer(asio::any_io_executor ex, tcp::endpoint ep, std::function<bool()> ready,
              const Metrics& source = metrics());
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Serves the record's read-only API under /audit/ (admin/audit_api.h). Before start().
  void setAuditApi(std::shared_ptr<AuditApi> api);
  // Serves the reviewers' API under /approvals/ (admin/approvals_api.h). Before start().
  void setApprovalsApi(std::shared_ptr<ApprovalsApi> api);
  // Binds and listens (port 0 picks a free port), then accepts on the executor. Control plane:
  // throws boost::system::system_error when the address cannot be bound.
  void start();
  // Closes the listener and every open admin connection. Safe from any thread; the closing
  // happens on the executor.
  void stop();
  // The bound port, once start() has returned.
  unsigned short port() const { return port_; }

 private:
  std::shared_ptr<detail::AdminShared> shared_;
  tcp::endpoint endpoint_;
  unsigned short port_ = 0;
};

}  // namespace kubegate::admin
