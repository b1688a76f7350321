#include "proxy/tunnel.h"

#include <array>

#include "admin/metrics.h"

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

// Shared by the two copy loops and the watchdog. Whoever finishes first closes both sockets, which
// ends the other loops' pending reads.
struct TunnelState {
  TlsStream& client;
  TlsStream& server;
  asio::steady_timer watchdog;
  Clock::time_point lastActivity = Clock::now();
  bool finished = false;
  std::uint64_t bytesUp = 0;
  std::uint64_t bytesDown = 0;

  void finish() {
    if (finished) return;
    finished = true;
    error_code ignored;
    beast::get_lowest_layer(client).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(server).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(client).cancel();
    beast::get_lowest_layer(server).cancel();
    watchdog.cancel();
  }
};

asio::awaitable<void> copyStream(TlsStream& from, TlsStream& to, TunnelState& state, std::uint64_t& counter) {
  std::array<char, 16 * 1024> buf;
  beast::get_lowest_layer(from).expires_never();
  beast::get_lowest_layer(to).expires_never();
  while (!state.finished) {
    auto [readEc, n] = co_await from.async_read_some(asio::buffer(buf), kAsTuple);
    if (readEc) break;
    state.lastActivity = Clock::now();
    counter += n;
    auto [writeEc, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n), kAsTuple);
    if (writeEc) break;
  }
  state.finish();
}

asio::awaitable<void> watch(TunnelState& state, TunnelLimits limits) {
  const auto started = Clock::now();
  while (!state.finished) {
    const auto now = Clock::now();
    const auto idleDeadline = state.lastActivity + limits.idle;
    const auto hardDeadline = std::min(started + limits.maxDuration, limits.sessionDeadline);
    if (now >= idleDeadline || now >= hardDeadline) break;
    state.watchdog.expires_at(std::min(idleDeadline, hardDeadline));
    co_await state.watchdog.async_wait(kAsTuple);
  }
  state.finish();
}

asio::awaitable<bool> writeAll(TlsStream& to, beast::flat_buffer& pending, std::chrono::seconds timeout) {
  if (pending.size() == 0) co_return true;
  beast::get_lowest_layer(to).expires_after(timeout);
  auto [ec, n] = co_await asio::async_write(to, pending.data(), kAsTuple);
  pending.consume(pending.size());
  co_return !ec;
}

// The 101 to the client, with the fields that complete the handshake.
http::response<http::empty_body> switchingProtocols(const http::fields& upstreamHead, const RequestScope& scope) {
  http::response<http::empty_body> res{http::status::switching_protocols, 11};
  copyResponseHeaders(upstreamHead, res, scope);
  res.set(http::field::connection, "Upgrade");
  res.set(http::field::upgrade, upstreamHead[http::field::upgrade]);
  return res;
}

}  // namespace

asio::awaitable<ForwardOutcome> forwardUpgrade(TlsStream& downstream, beast::flat_buffer& downstreamBuffer,
                                               http_io::InboundRequest& in, const RequestScope& scope,
                                               UpstreamPool& pool, const config::Limits& limits) {
  auto upstreamRequest = buildUpstreamRequest(in, scope);
  if (!upstreamRequest) co_return ForwardOutcome{.error = upstreamRequest.error()};
  auto acquired = co_await pool.acquire(scope.cluster, limits.upstreamConnectTimeout, /*allowPooled=*/false);
  if (!acquired) co_return ForwardOutcome{.error = acquired.error()};
  auto conn = std::move(*acquired);
  beast::get_lowest_layer(conn->stream).expires_after(limits.upstreamResponseTimeout);
  auto [writeEc, written] = co_await http::async_write(conn->stream, *upstreamRequest, kAsTuple);
  if (writeEc) co_return ForwardOutcome{.error = makeError(ErrorKind::BadGateway, "cluster " + scope.cluster->name() + " failed: " + writeEc.message())};
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [readEc, n] = co_await http::async_read_header(conn->stream, conn->buffer, parser, kAsTuple);
  if (readEc) {
    const auto kind = readEc == beast::error::timeout ? ErrorKind::GatewayTimeout : ErrorKind::BadGateway;
    co_return ForwardOutcome{.error = makeError(kind, "cluster " + scope.cluster->name() + " failed: " + readEc.message())};
  }
  if (parser.get().result() != http::status::switching_protocols) {
    // Refused upgrade: relay the answer, then drop this upstream connection. The client's
    // connection ends too, because it may already hold tunnel bytes meant for no one.
    auto out = co_await relayResponse(downstream, *conn, parser, in, scope, limits);
    out.keepDownstream = false;
    co_return out;
  }

  ForwardOutcome out;
  out.status = 101;
  auto res = switchingProtocols(parser.get(), scope);
  beast::get_lowest_layer(downstream).expires_after(limits.upstreamResponseTimeout);
  auto [resEc, resN] = co_await http::async_write(downstream, res, kAsTuple);
  out.responseStarted = true;
  out.keepDownstream = false;
  if (resEc) co_return out;
  // Bytes that arrived with the handshakes belong to the tunnel: the client's early frames go up
  // only now that the upstream accepted, and the server's first frames go down.
  if (!co_await writeAll(conn->stream, downstreamBuffer, limits.upstreamResponseTimeout)) co_return out;
  if (!co_await writeAll(downstream, conn->buffer, limits.upstreamResponseTimeout)) co_return out;

  admin::metrics().tunnelOpened(scope.cluster->name());
  TunnelState state{downstream, conn->stream, asio::steady_timer(co_await asio::this_coro::executor)};
  co_await (copyStream(downstream, conn->stream, state, state.bytesUp) &&
            copyStream(conn->stream, downstream, state, state.bytesDown) &&
            watch(state, {limits.tunnelIdleTimeout, limits.tunnelMaxDuration, scope.sessionDeadline}));
  admin::metrics().tunnelClosed(scope.cluster->name());
  out.bytesIn = state.bytesUp;
  out.bytesOut = state.bytesDown;
  co_return out;
}

}  // namespace kubegate::proxy
