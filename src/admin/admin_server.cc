#include "admin/admin_server.h"
#include "admin/approvals_api.h"
#include "admin/audit_api.h"
#include "admin/json_log.h"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string_view>

namespace kubegate::admin {
namespace detail {

// Everything here is touched only on the strand: the accept loop, the connection coroutines and
// stop() all run there, so none of it needs a lock.
struct AdminShared {
  AdminShared(asio::any_io_executor ex, std::function<bool()> readyCheck, const Metrics& metrics)
      : strand(asio::make_strand(std::move(ex))), acceptor(strand), ready(std::move(readyCheck)), source(metrics) {}

  asio::strand<asio::any_io_executor> strand;
  tcp::acceptor acceptor;
  std::function<bool()> ready;
  const Metrics& source;
  std::shared_ptr<AuditApi> auditApi;  // serves /audit/ when the record is kept
  std::shared_ptr<ApprovalsApi> approvalsApi;  // serves /approvals/ when approvals are configured
  std::map<std::uint64_t, beast::tcp_stream*> open;  // so stop() can close idle keep-alive connections
  std::uint64_t nextId = 0;
  bool stopped = false;
};

}  // namespace detail

namespace {

using detail::AdminShared;
using namespace std::chrono_literals;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

constexpr auto kReadTimeout = 10s;   // for a whole request, counted from when we start waiting for it
constexpr auto kWriteTimeout = 10s;  // a scraper that stops reading must not hold the connection
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024;  // every route is a GET; a body is tolerated, not wanted
constexpr std::size_t kMaxBufferBytes = 16 * 1024;
// Probes and a scraper need a handful; more means something is looping, and it shares the
// control thread with signal handling and draining.
constexpr std::size_t kMaxConnections = 64;

constexpr std::string_view kPlainText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

http::response<http::string_body> textResponse(http::status status, std::string body,
                                               std::string_view contentType = kPlainText) {
  http::response<http::string_body> response{status, 11};
  response.set(http::field::content_type, contentType);
  // Probes and scrapes must see the state as it is now, never a cached answer.
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

bool isReady(const AdminShared& shared) {
  try {
    return shared.ready && shared.ready();
  } catch (...) {
    return false;  // a readiness check that cannot answer is not a yes
  }
}

http::response<http::string_body> route(const http::request<http::string_body>& request, const AdminShared& shared) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") return textResponse(http::status::not_found, "not found");
  if (request.method() != http::verb::get) {
    auto response = textResponse(http::status::method_not_allowed, "method not allowed");
    response.set(http::field::allow, "GET");
    return response;
  }
  if (path == "/healthz") return textResponse(http::status::ok, "ok");
  if (path == "/readyz") {
    return isReady(shared) ? textResponse(http::status::ok, "ok") : textResponse(http::status::service_unavailable, "not ready");
  }
  try {
    return textResponse(http::status::ok, shared.source.renderPrometheus(), kPrometheusText);
  } catch (const std::exception& e) {
    spdlog::error(R"({{"msg":"admin: rendering metrics failed","error":"{}"}})", JsonText{e.what()});
    return textResponse(http::status::internal_server_error, "metrics unavailable");
  }
}

// A request that could not be parsed gets an answer before the connection closes; a peer that
// went away, idled out or was closed by stop() gets none.
std::optional<http::response<http::string_body>> answerReadError(const error_code& ec) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return textResponse(http::status::request_header_fields_too_large, "request header too large");
  }
  if (ec == http::error::body_limit) return textResponse(http::status::payload_too_large, "request body too large");
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return textResponse(http::status::bad_request, "malformed request");
  }
  return std::nullopt;
}

// Registers a connection with stop() for as long as its coroutine lives.
class OpenConnection {
 public:
  OpenConnection(AdminShared& shared, beast::tcp_stream& stream) : shared_(shared), id_(shared.nextId++) {
    shared_.open.emplace(id_, &stream);
  }
  ~OpenConnection() { shared_.open.erase(id_); }
  OpenConnection(const OpenConnection&) = delete;
  OpenConnection& operator=(const OpenConnection&) = delete;

 private:
  AdminShared& shared_;
  std::uint64_t id_;
};

// After refusing a request the client may still be sending it. Closing a socket with unread bytes
// makes the kernel send a reset, which can destroy the refusal before the client reads it; so the
// write side is shut and what is still arriving is read and dropped, briefly and within a bound.
asio::awaitable<void> drainBeforeClose(beast::tcp_stream& stream) {
  constexpr auto kDrainTime = 2s;
  constexpr std::size_t kDrainBytes = 64 * 1024;
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kDrainTime);
  std::array<char, 4096> scratch;
  for (std::size_t drained = 0; drained < kDrainBytes;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kAsTuple);
    if (ec) break;
    drained += n;
  }
}

asio::awaitable<void> serveConnection(std::shared_ptr<AdminShared> shared, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const OpenConnection registration(*shared, stream);
  beast::flat_buffer buffer(kMaxBufferBytes);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    stream.expires_after(kReadTimeout);
    auto [readEc, readBytes] = co_await http::async_read_header(stream, buffer, parser, kAsTuple);
    if (!readEc) {
      // A reviewer's decision carries a reason; every other route is a GET.
      const bool decision = std::string_view(parser.get().target()).starts_with("/approvals/");
      const std::size_t limit = decision ? kMaxApprovalsBodyBytes : kMaxBodyBytes;
      // Beast weighs a declared length against the limit when the header completes, so a limit
      // set afterwards is checked here for the declared length and by Beast for chunked bodies.
      if (parser.content_length() && *parser.content_length() > limit) {
        readEc = http::error::body_limit;
      } else {
        parser.body_limit(limit);
        auto [bodyEc, bodyBytes] = co_await http::async_read(stream, buffer, parser, kAsTuple);
        readEc = bodyEc;
      }
    }
    http::response<http::string_body> response;
    bool headerOnly = false;
    if (readEc) {
      auto refusal = answerReadError(readEc);
      if (!refusal) break;
      response = std::move(*refusal);
      response.keep_alive(false);  // the byte stream is in an unknown state; nothing more is read
    } else if (shared->auditApi && std::string_view(parser.get().target()).starts_with("/audit/")) {
      response = co_await shared->auditApi->handle(parser.get());
      response.version(parser.get().version());
      response.keep_alive(parser.get().keep_alive());
      headerOnly = parser.get().method() == http::verb::head;
    } else if (shared->approvalsApi && std::string_view(parser.get().target()).starts_with("/approvals/")) {
      response = co_await shared->approvalsApi->handle(parser.get());
      response.version(parser.get().version());
      response.keep_alive(parser.get().keep_alive());
      headerOnly = parser.get().method() == http::verb::head;
    } else {
      response = route(parser.get(), *shared);
      response.version(parser.get().version());
      response.keep_alive(parser.get().keep_alive());
      // An answer to HEAD never has a body, whatever its status; one would be read as the next response.
      headerOnly = parser.get().method() == http::verb::head;
    }
    response.prepare_payload();
    stream.expires_after(kWriteTimeout);
    http::response_serializer<http::string_body> serializer(response);
    auto [writeEc, written] = headerOnly ? co_await http::async_write_header(stream, serializer, kAsTuple)
                                         : co_await http::async_write(stream, serializer, kAsTuple);
    if (writeEc || !response.keep_alive() || shared->stopped) {
      if (readEc && !writeEc) co_await drainBeforeClose(stream);
      break;
    }
  }
  stream.close();
}

// Completion for co_spawn: the coroutines return errors as values, so an exception here is a bug;
// it is logged rather than rethrown into the shared io_context's run().
auto logEscapedException(std::string_view what) {
  return [what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error(R"({{"msg":"admin: unexpected exception","where":"{}","error":"{}"}})", what, JsonText{x.what()});
    } catch (...) {
      spdlog::error(R"({{"msg":"admin: unexpected exception","where":"{}"}})", what);
    }
  };
}

asio::awaitable<void> acceptLoop(std::shared_ptr<AdminShared> shared) {
  asio::steady_timer backoff(shared->strand);
  for (;;) {
    auto [ec, socket] = co_await shared->acceptor.async_accept(kAsTuple);
    if (shared->stopped || !shared->acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: wait rather than spin on an error that repeats at once.
      backoff.expires_after(100ms);
      co_await backoff.async_wait(kAsTuple);
      continue;
    }
    if (shared->open.size() >= kMaxConnections) continue;  // dropping the socket closes it
    asio::co_spawn(shared->strand, serveConnection(shared, std::move(socket)), logEscapedException("admin connection"));
  }
}

}  // namespace

AdminServer::AdminServer(asio::any_io_executor ex, tcp::endpoint ep, std::function<bool()> ready, const Metrics& source)
    : shared_(std::make_shared<AdminShared>(std::move(ex), std::move(ready), source)), endpoint_(ep) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::setAuditApi(std::shared_ptr<AuditApi> api) { shared_->auditApi = std::move(api); }
void AdminServer::setApprovalsApi(std::shared_ptr<ApprovalsApi> api) { shared_->approvalsApi = std::move(api); }

void AdminServer::start() {
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint_.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint_);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor.local_endpoint().port();
  asio::co_spawn(shared_->strand, acceptLoop(shared_), logEscapedException("admin accept loop"));
}

void AdminServer::stop() {
  asio::dispatch(shared_->strand, [shared = shared_] {
    shared->stopped = true;
    error_code ignored;
    shared->acceptor.close(ignored);
    for (auto& [id, stream] : shared->open) stream->close();
  });
}

}  // namespace kubegate::admin
