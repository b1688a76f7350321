#include "net/gateway_server.h"

#include <spdlog/spdlog.h>

#include <map>

#include <unistd.h>

#include "admin/admin_server.h"
#include "admin/approvals_api.h"
#include "admin/audit_api.h"
#include "audit/audit_setup.h"
#include "admin/metrics.h"
#include "admin/json_log.h"
#include "approvals/approval_store.h"
#include "approvals/notifier.h"
#include "proxy/approval_gate.h"

namespace kubegate::net {
namespace {

tcp::endpoint parseEndpoint(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<unsigned short>(std::stoul(listen.substr(colon + 1)));
  return {asio::ip::make_address(host), port};
}

}  // namespace

// One worker: an io_context on its own thread, its acceptor, pool and open sessions.
class Worker {
 public:
  Worker(GatewayServer& server, unsigned index, std::size_t poolSize)
      : server_(server), index_(index), pool_(io_.get_executor(), poolSize), acceptor_(io_) {}

  // The first worker opens the listening socket; the others accept on a duplicate of it, and
  // whoever accepts hands the connection to the worker with the fewest open ones (acceptLoop).
  // SO_REUSEPORT would give each worker its own queue, filled by a hash of the client's address
  // and port: with a few dozen connections one worker routinely gets half again as many as the
  // other and becomes the bottleneck while its peer idles.
  void listen(const tcp::endpoint& ep) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(io_, acceptLoop(), asio::detached);
  }
  void shareListener(Worker& first) {
    const int fd = ::dup(first.acceptor_.native_handle());
    if (fd < 0) throw boost::system::system_error(error_code(errno, asio::error::get_system_category()), "dup");
    acceptor_.assign(first.acceptor_.local_endpoint().protocol(), fd);
    asio::co_spawn(io_, acceptLoop(), asio::detached);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  // Set once every worker exists, before any runs.
  void setPeers(const std::vector<std::unique_ptr<Worker>>* peers) { peers_ = peers; }
  void run() { io_.run(); }

  // Called from the control thread; the work happens on the worker's own thread.
  void stopAccepting() { asio::post(io_, [this] { error_code ec; acceptor_.close(ec); }); }
  void clearPool() { asio::post(io_, [this] { pool_.clear(); }); }
  void cutAll() {
    asio::post(io_, [this] {
      for (auto& [id, close] : closers_) close();
      pool_.clear();
    });
  }
  void stop() { io_.stop(); }
  bool idle() const { return open_.load() == 0; }

 private:
  // The worker that wins the shared socket's wake-up drains its whole backlog in this loop, so
  // without a hand-off a burst of new connections lands on one thread (measured: 32 of 32 with two
  // workers) and the other idles while latency queues up on the first. Each connection goes to
  // the worker with the fewest open connections, this one on a tie (Envoy calls it exact balance).
  asio::awaitable<void> acceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) continue;
      // Responses go out as a header and body pieces; waiting for the client's delayed ACK before
      // the last small piece would add ~40 ms to every response on a kept-alive connection.
      socket.set_option(tcp::no_delay(true), ec);
      Worker& target = leastLoaded();
      target.opened();  // counted now, so the next connection's choice sees it
      if (&target == this) {
        startSession(std::move(socket));
        continue;
      }
      // A connection reset since accept fails here; the socket's destructor closes it.
      const auto protocol = socket.local_endpoint(ec).protocol();
      const int fd = ec ? -1 : socket.release(ec);
      if (ec || fd < 0) {
        target.closed();
        continue;
      }
      asio::post(target.io_, [&target, protocol, fd] { target.adopt(protocol, fd); });
    }
  }

  Worker& leastLoaded() {
    Worker* best = this;
    if (!peers_) return *best;
    for (const auto& peer : *peers_) {
      if (peer->open_.load() < best->open_.load()) best = peer.get();
    }
    return *best;
  }

  // On this worker's thread: the socket a peer accepted, as a descriptor.
  void adopt(tcp::socket::protocol_type protocol, int fd) {
    tcp::socket socket(io_);
    error_code ec;
    socket.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      closed();
      return;
    }
    startSession(std::move(socket));
  }

  void opened() {
    open_.fetch_add(1);
    admin::metrics().workerConnection(index_, 1);
  }
  void closed() {
    open_.fetch_sub(1);
    admin::metrics().workerConnection(index_, -1);
  }

  // The caller has counted the connection (opened()).
  void startSession(tcp::socket socket) {
    const auto id = nextId_++;
    asio::co_spawn(io_,
                   proxy::runDownstreamSession(
                       std::move(socket), server_, pool_,
                       [this, id](std::function<void()> close) { closers_[id] = std::move(close); },
                       [this, id] {
                         closers_.erase(id);
                         closed();
                       }),
                   asio::detached);
  }

  GatewayServer& server_;
  const unsigned index_;
  asio::io_context io_{1};
  proxy::UpstreamPool pool_;
  tcp::acceptor acceptor_;
  std::map<std::uint64_t, std::function<void()>> closers_;
  std::uint64_t nextId_ = 0;
  std::atomic<int> open_{0};
  const std::vector<std::unique_ptr<Worker>>* peers_ = nullptr;
};

struct GatewayServer::Admin {
  std::unique_ptr<admin::AdminServer> server;
};

GatewayServer::GatewayServer(std::string configPath, proxy::RuntimePtr initial, std::unique_ptr<audit::AuditLog> auditLog)
    : configPath_(std::move(configPath)),
      auditLog_(std::move(auditLog)),
      runtime_(std::move(initial)),
      signals_(control_),
      drainTimer_(control_) {}

GatewayServer::~GatewayServer() {
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  if (auditLog_) auditLog_->stop();
}

void GatewayServer::start() {
  const auto rt = runtime();
  const unsigned count = rt->config.workers ? rt->config.workers : std::max(1u, std::thread::hardware_concurrency());
  auto ep = parseEndpoint(rt->config.listen);
  for (unsigned i = 0; i < count; ++i) {
    auto worker = std::make_unique<Worker>(*this, i, rt->config.limits.upstreamPoolSize);
    if (i == 0) {
      worker->listen(ep);
      ep.port(worker->port());  // port 0 picks a free port
    } else {
      worker->shareListener(*workers_.front());
    }
    workers_.push_back(std::move(worker));
  }
  for (auto& w : workers_) w->setPeers(&workers_);
  admin::metrics().setWorkers(count);
  listenPort_ = ep.port();
  // Fixed for the process, like the record: a reload does not move pending approvals.
  if (rt->config.approvals.configured) openApprovals(rt->config.approvals);
  admin_ = std::make_unique<Admin>();
  if (!rt->config.admin.listen.empty()) {
    admin_->server = std::make_unique<admin::AdminServer>(control_.get_executor(), parseEndpoint(rt->config.admin.listen),
                                                          [this] {
      // Not ready while the record cannot be written: requests would be refused with 503.
      return !draining() && runtime()->identityReady() && (!auditLog_ || auditLog_->healthy());
    });
    if (auditLog_) admin_->server->setAuditApi(makeAuditApi(rt->config.audit));
    if (approvalGate_) {
      auto* gate = approvalGate_.get();
      admin_->server->setApprovalsApi(std::make_shared<admin::ApprovalsApi>(
          gate->store(), authenticateCaller(), [gate](const approvals::Approval& a) { gate->decided(a); }));
    }
    admin_->server->start();
  }
  rt->startBackground(control_.get_executor());
  watchSignals();
  spdlog::info(R"({{"msg":"listening","address":"{}","port":{},"workers":{},"adminPort":{}}})",
               ep.address().to_string(), listenPort_, count, adminPort());
}

std::shared_ptr<admin::AuditApi> GatewayServer::makeAuditApi(const config::Audit& settings) {
  auto store = audit::openSqliteStore({.path = settings.database, .readOnly = true, .syncFull = false});
  if (!store) throw std::runtime_error("audit API: " + store.error().message);
  auto verifyOptions = [settings] { return audit::configuredVerifyOptions(settings); };
  return std::make_shared<admin::AuditApi>(std::move(*store), settings.auditorsGroup, std::move(verifyOptions),
                                           authenticateCaller());
}

// Auditors and reviewers: the caller's token is verified by the running config's authenticators,
// as on the data path.
admin::AuthenticateCaller GatewayServer::authenticateCaller() {
  return [this](identity::Credentials creds)
             -> asio::awaitable<boost::system::result<identity::Identity, k8s::GatewayError>> {
    const auto rt = runtime();
    co_return co_await rt->authenticators.authenticate(creds);
  };
}

void GatewayServer::openApprovals(const config::Approvals& settings) {
  std::shared_ptr<approvals::ApprovalStore> store = approvals::ApprovalStore::open(settings.database);
  std::unique_ptr<approvals::Notifier> notifier;
  if (!settings.notify.empty()) {
    std::vector<approvals::WebhookTarget> targets;
    for (const auto& hook : settings.notify) {
      approvals::WebhookTarget t;
      t.format = hook.format == "slack" ? approvals::WebhookTarget::Format::slack : approvals::WebhookTarget::Format::generic;
      t.url = hook.url;
      t.caFile = hook.caFile;
      t.secretFile = hook.secretFile;
      targets.push_back(std::move(t));
    }
    approvals::DeliveryCounters counters;
    counters.attempt = [](const std::string& format, bool ok) { admin::metrics().notificationAttempt(format, ok); };
    counters.givenUp = [](const std::string& format) { admin::metrics().notificationGivenUp(format); };
    notifier = std::make_unique<approvals::Notifier>(std::move(targets), std::move(counters));
  }
  approvalGate_ = std::make_unique<proxy::ApprovalGate>(std::move(store), std::move(notifier), settings, auditLog_.get());
}

unsigned short GatewayServer::adminPort() const {
  return admin_ && admin_->server ? admin_->server->port() : 0;
}

void GatewayServer::run() {
  for (auto& w : workers_) threads_.emplace_back([&w] { w->run(); });
  control_.run();
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Everything recorded so far is committed and covered by a final tree head.
  if (auditLog_) auditLog_->stop();
}

void GatewayServer::watchSignals() {
  signals_.add(SIGHUP);
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.async_wait([this](const error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload();
      watchSignals();
    } else {
      beginDrain();
    }
  });
}

bool GatewayServer::reload() {
  try {
    auto cfg = config::loadConfigFile(configPath_);
    const auto current = runtime();
    if (cfg.listen != current->config.listen || cfg.admin.listen != current->config.admin.listen) {
      spdlog::warn("{}", R"({"msg":"reload: listen addresses change only on restart; keeping the old ones"})");
      cfg.listen = current->config.listen;
      cfg.admin.listen = current->config.admin.listen;
    }
    auto next = proxy::buildRuntime(std::move(cfg), generation_ + 1);
    next->startBackground(control_.get_executor());
    ++generation_;
    runtime_.exchange(std::move(next))->stopBackground();
    for (auto& w : workers_) w->clearPool();
    admin::metrics().configReload(true);
    spdlog::info(R"({{"msg":"config reloaded","generation":{}}})", generation_);
    return true;
  } catch (const std::exception& e) {
    admin::metrics().configReload(false);
    spdlog::error(R"({{"msg":"config reload failed; the running config stays","error":"{}"}})", admin::JsonText{e.what()});
    return false;
  }
}

void GatewayServer::beginDrain() {
  if (draining_.exchange(true)) return;
  const auto grace = runtime()->config.drainTimeout;
  spdlog::info(R"({{"msg":"draining","graceSeconds":{}}})", grace.count());
  for (auto& w : workers_) w->stopAccepting();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  // Poll in-flight work: ordinary requests finish on their own; what is left at the deadline
  // (tunnels, watches) is cut.
  auto check = std::make_shared<std::function<void()>>();
  *check = [this, deadline, check] {
    if (inFlight_.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
      finishDrain();
      return;
    }
    drainTimer_.expires_after(std::chrono::milliseconds(100));
    drainTimer_.async_wait([check](const error_code& ec) { if (!ec) (*check)(); });
  };
  (*check)();
}

void GatewayServer::finishDrain() {
  for (auto& w : workers_) w->cutAll();
  runtime()->stopBackground();
  if (admin_ && admin_->server) admin_->server->stop();
  // Give the workers a moment to close what was cut, then stop everything.
  drainTimer_.expires_after(std::chrono::milliseconds(200));
  drainTimer_.async_wait([this](const error_code&) {
    signals_.cancel();
    control_.stop();
  });
}

}  // namespace kubegate::net
