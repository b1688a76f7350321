#include "proxy/tunnel.h"

#include <array>

#include <spdlog/spdlog.h>

#include "admin/json_log.h"
#include "admin/metrics.h"
#include "audit/session_recording.h"
#include "proxy/tunnel_masking.h"

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
  // A constructor, not aggregate initialisation: GCC 12 leaves members of a braced aggregate in a
  // coroutine frame uninitialised (a std::string member then frees a garbage pointer).
  TunnelState(TlsStream& c, TlsStream& s, asio::any_io_executor ex, const RequestScope& sc)
      : client(c), server(s), watchdog(std::move(ex)), scope(sc) {}

  TlsStream& client;
  TlsStream& server;
  asio::steady_timer watchdog;
  Clock::time_point lastActivity = Clock::now();
  bool finished = false;
  std::uint64_t bytesUp = 0;
  std::uint64_t bytesDown = 0;
  // The session's recording, fed from both copy loops (null when the request is not recorded).
  const RequestScope& scope;
  std::unique_ptr<audit::SessionRecording> recording;
  std::string subprotocol;
  Clock::time_point lastFlush = Clock::now();
  // Masks what the session prints, for the client and the recording (null: nothing to mask).
  std::unique_ptr<SessionMasking> masking;

  // Hands the recorded lines to the record at 64 KiB, once a second, and at the end.
  void flushRecording(bool final) {
    if (!recording) return;
    constexpr std::size_t kChunkBytes = 64 * 1024;
    const auto now = Clock::now();
    if (!final && recording->pendingBytes() < kChunkBytes && (now - lastFlush < std::chrono::seconds(1) || recording->pendingBytes() == 0)) return;
    lastFlush = now;
    if (final) recording->finish();
    auto chunk = recording->takeChunk();
    if (chunk.empty() && !final) return;
    scope.recordSession(subprotocol, std::move(chunk), final, final ? recording->summaryJson() : std::string());
  }

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

asio::awaitable<void> copyStream(TlsStream& from, TlsStream& to, TunnelState& state, std::uint64_t& counter,
                                 bool fromClient) {
  std::array<char, 16 * 1024> buf;
  beast::get_lowest_layer(from).expires_never();
  beast::get_lowest_layer(to).expires_never();
  while (!state.finished) {
    auto [readEc, n] = co_await from.async_read_some(asio::buffer(buf), kAsTuple);
    if (readEc) break;
    state.lastActivity = Clock::now();
    counter += n;
    if (state.masking && fromClient) state.masking->fromClient({buf.data(), n});
    if (state.recording) {
      const std::span<const char> bytes(buf.data(), n);
      if (fromClient) state.recording->fromClient(bytes, state.lastActivity);
      else state.recording->fromServer(bytes, state.lastActivity);
      state.flushRecording(false);
    }
    auto [writeEc, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n), kAsTuple);
    if (writeEc) break;
  }
  state.finish();
}

// Sends what the maskers released to the client, and what the record takes to the recording.
asio::awaitable<bool> sendMasked(TunnelState& state, TlsStream& to, std::string& out) {
  if (state.recording) {
    const auto forRecord = state.masking->forRecord(out);
    if (!forRecord.empty()) state.recording->fromServer({forRecord.data(), forRecord.size()}, state.lastActivity);
    state.masking->recordTaken();
    state.flushRecording(false);
  }
  if (out.empty()) co_return true;
  auto [ec, n] = co_await asio::async_write(to, asio::buffer(out), kAsTuple);
  out.clear();
  co_return !ec;
}

// The server-to-client loop of a masked session. While a masker holds bytes a pause would release,
// the wait for more is bounded by StreamRedactor::kPause, after which those bytes go out (masked),
// but for a trailing word that may be a secret's first half.
asio::awaitable<void> copyMaskedFromServer(TlsStream& from, TlsStream& to, TunnelState& state) {
  std::array<char, 16 * 1024> buf;
  asio::steady_timer quiet(co_await asio::this_coro::executor);
  std::string out;
  bool readable = true;
  while (!state.finished) {
    if (state.masking->pauseWouldRelease()) {
      quiet.expires_after(mask::StreamRedactor::kPause);
      auto woke = co_await (from.async_wait_readable(kAsTuple) || quiet.async_wait(kAsTuple));
      if (woke.index() == 1) {
        state.masking->releaseAfterPause(out);
        if (!co_await sendMasked(state, to, out)) break;
        continue;
      }
    }
    auto [readEc, n] = co_await from.async_read_some(asio::buffer(buf), kAsTuple);
    if (readEc) break;
    state.lastActivity = Clock::now();
    state.bytesDown += n;
    if (!state.masking->fromServer({buf.data(), n}, out)) {
      // Never relayed unmasked: a stream the masker cannot read ends the session.
      spdlog::warn(R"({{"msg":"session cut: its output could not be masked","requestId":"{}"}})",
                   admin::JsonText{state.scope.requestId});
      readable = false;
      break;
    }
    if (!co_await sendMasked(state, to, out)) break;
  }
  // The server is done: what the maskers still hold is its last output.
  if (readable && !state.finished) {
    state.masking->flush(out);
    co_await sendMasked(state, to, out);
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
    // Wakes at least once a second while recording, so a quiet session's last lines reach the record.
    const auto nextFlush = state.recording ? now + std::chrono::seconds(1) : Clock::time_point::max();
    state.watchdog.expires_at(std::min({idleDeadline, hardDeadline, nextFlush}));
    co_await state.watchdog.async_wait(kAsTuple);
    state.flushRecording(false);
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

bool isSpdy(const http_io::InboundRequest& in) {
  return http_hygiene::headerTokens(in.upgradeProtocol) != std::vector<std::string>{"websocket"};
}

// The stream protocol both ends agreed on (v5.channel.k8s.io, or SPDY's v4.channel.k8s.io).
std::string negotiatedSubprotocol(const http_io::InboundRequest& in, const http::fields& upstreamHead) {
  return std::string(upstreamHead[isSpdy(in) ? "X-Stream-Protocol-Version" : "Sec-WebSocket-Protocol"]);
}

// The server's first frames, which came with its 101: masked and recorded like every later byte.
asio::awaitable<bool> handOverServerBytes(TunnelState& state, beast::flat_buffer& first, std::chrono::seconds timeout) {
  const auto data = first.data();
  const std::span<const char> bytes(static_cast<const char*>(data.data()), data.size());
  if (!state.masking) {
    if (state.recording) state.recording->fromServer(bytes, Clock::now());
    co_return co_await writeAll(state.client, first, timeout);
  }
  std::string out;
  const bool masked = state.masking->fromServer(bytes, out);
  first.consume(first.size());
  if (!masked) co_return false;
  beast::get_lowest_layer(state.client).expires_after(timeout);
  co_return co_await sendMasked(state, state.client, out);
}

// Observes the tunnel for the record: exec and attach as asciicast, port-forward as byte counts.
std::unique_ptr<audit::SessionRecording> startRecording(const http_io::InboundRequest& in, const RequestScope& scope,
                                                        const http::fields& upstreamHead, std::string& subprotocol) {
  if (!scope.recordSession) return nullptr;
  const bool websocket = !isSpdy(in);
  subprotocol = negotiatedSubprotocol(in, upstreamHead);
  audit::ExecDetails exec;
  for (const auto& [name, value] : in.target.query) {
    if (name == "command") exec.command.push_back(value);
  }
  exec.tty = k8s::parseBoolParam(in.target.query, "tty");
  exec.stdinRequested = k8s::parseBoolParam(in.target.query, "stdin");
  if (const auto* container = http_hygiene::firstValue(in.target.query, "container")) exec.container = *container;
  exec.stdinDetectors = recordStreamDetectors(scope.masking);
  const auto now = std::chrono::system_clock::now();
  return std::make_unique<audit::SessionRecording>(
      websocket ? audit::TunnelProtocol::websocket : audit::TunnelProtocol::spdy, subprotocol,
      scope.info.subresource == "portforward", std::move(exec),
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
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
  TunnelState state(downstream, conn->stream, co_await asio::this_coro::executor, scope);
  state.recording = startRecording(in, scope, parser.get(), state.subprotocol);
  // Bytes that arrived with the handshakes belong to the tunnel: the client's early frames go up
  // only now that the upstream accepted, and the server's first frames go down.
  if (scope.info.subresource != "portforward") {
    state.masking = SessionMasking::start(scope.masking, !isSpdy(in), negotiatedSubprotocol(in, parser.get()));
  }
  // Flat buffers: each holds its bytes in one piece.
  const auto early = downstreamBuffer.data();
  const std::span<const char> earlyBytes(static_cast<const char*>(early.data()), early.size());
  if (state.recording) state.recording->fromClient(earlyBytes, Clock::now());
  if (state.masking) state.masking->fromClient(earlyBytes);
  bool handedOver = co_await writeAll(conn->stream, downstreamBuffer, limits.upstreamResponseTimeout);
  if (handedOver) handedOver = co_await handOverServerBytes(state, conn->buffer, limits.upstreamResponseTimeout);
  if (handedOver) {
    admin::metrics().tunnelOpened(scope.cluster->name());
    if (state.masking) {
      co_await (copyStream(downstream, conn->stream, state, state.bytesUp, true) &&
                copyMaskedFromServer(conn->stream, downstream, state) &&
                watch(state, {limits.tunnelIdleTimeout, limits.tunnelMaxDuration, scope.sessionDeadline}));
    } else {
      co_await (copyStream(downstream, conn->stream, state, state.bytesUp, true) &&
                copyStream(conn->stream, downstream, state, state.bytesDown, false) &&
                watch(state, {limits.tunnelIdleTimeout, limits.tunnelMaxDuration, scope.sessionDeadline}));
    }
    admin::metrics().tunnelClosed(scope.cluster->name());
  }
  state.flushRecording(true);
  out.bytesIn = state.bytesUp;
  out.bytesOut = state.bytesDown;
  co_return out;
}

}  // namespace kubegate::proxy
