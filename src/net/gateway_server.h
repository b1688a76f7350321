// The running gateway: one io_context per worker thread, each accepting from one shared listening
// socket, with its own upstream pool and its own sessions.
// The main thread handles signals: SIGHUP reloads the config atomically, SIGTERM/SIGINT drain.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admin/audit_api.h"
#include "net/asio.h"
#include "proxy/downstream_session.h"
#include "proxy/runtime.h"

namespace kubegate::admin {
class AuditApi;
}

namespace kubegate::net {

class Worker;

class GatewayServer final : public proxy::SessionHost {
 public:
  // `auditLog` is null when recording is disabled; the server stops it after the last request.
  GatewayServer(std::string configPath, proxy::RuntimePtr initial, std::unique_ptr<audit::AuditLog> auditLog);
  ~GatewayServer() override;

  // Binds the listeners and the admin listener; throws on bind failure (control plane).
  void start();
  // Blocks until the gateway has drained and stopped.
  void run();

  // Reloads the config file: a valid one replaces the running config whole, an invalid one is
  // reported and the running config stays. Returns whether it was applied.
  bool reload();
  // Stops accepting, lets in-flight requests finish for the drain timeout, then cuts what is left.
  void beginDrain();

  proxy::RuntimePtr runtime() const override { return runtime_.load(); }
  bool draining() const override { return draining_.load(); }
  void requestStarted() override { inFlight_.fetch_add(1); }
  void requestFinished() override { inFlight_.fetch_sub(1); }
  audit::AuditLog* auditLog() const override { return auditLog_.get(); }
  proxy::ApprovalGate* approvalGate() const override { return approvalGate_.get(); }

  unsigned short listenPort() const { return listenPort_; }
  unsigned short adminPort() const;

 private:
  void watchSignals();
  std::shared_ptr<admin::AuditApi> makeAuditApi(const config::Audit& settings);
  void openApprovals(const config::Approvals& settings);
  admin::AuthenticateCaller authenticateCaller();
  void finishDrain();

  std::string configPath_;
  std::unique_ptr<audit::AuditLog> auditLog_;
  std::unique_ptr<proxy::ApprovalGate> approvalGate_;  // null without an approvals section
  std::atomic<proxy::RuntimePtr> runtime_;
  std::atomic<bool> draining_{false};
  std::atomic<int> inFlight_{0};
  std::uint64_t generation_ = 1;
  unsigned short listenPort_ = 0;

  asio::io_context control_;  // signals, drain timer, admin listener
  asio::signal_set signals_;
  asio::steady_timer drainTimer_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  struct Admin;
  std::unique_ptr<Admin> admin_;
};

}  // namespace kubegate::net
