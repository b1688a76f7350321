#include "proxy/forwarder.h"

#include <array>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

#include "admin/json_log.h"


namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kRelayChunk = 32 * 1024;  // bounds the memory a flowing stream holds at once
// Beast reads as much as the buffer's spare capacity (at least 512 B); after a small header that
// capacity is a few hundred bytes, and every such read became its own TLS record and send(2) on
// the client side (49 sends for a 23 KB list). One TLS record's plaintext per read instead.
constexpr std::size_t kUpstreamReadBytes = 16 * 1024;

// A relay buffer from the worker's free list: responses follow each other on a worker, so the
// same few buffers serve them all instead of an allocation per response.
class RelayChunk {
 public:
  RelayChunk() = default;
  RelayChunk(const RelayChunk&) = delete;
  RelayChunk& operator=(const RelayChunk&) = delete;
  ~RelayChunk() { release(); }
  void acquire() {
    if (data_) return;
    if (freeList().empty()) {
      data_ = std::make_unique<char[]>(kRelayChunk);
    } else {
      data_ = std::move(freeList().back());
      freeList().pop_back();
    }
  }
  void release() {
    if (!data_) return;
    if (freeList().size() < kMaxFreeChunks) freeList().push_back(std::move(data_));
    data_.reset();
  }
  char* get() const { return data_.get(); }

 private:
  static constexpr std::size_t kMaxFreeChunks = 16;
  static std::vector<std::unique_ptr<char[]>>& freeList() {
    thread_local std::vector<std::unique_ptr<char[]>> list;
    return list;
  }
  std::unique_ptr<char[]> data_;
};

bool safeHeaderValue(std::string_view v) {
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return !v.empty();
}

void setImpersonation(http::request<http::string_body>& up, const identity::Identity& id) {
  up.set("Impersonate-User", id.username);
  for (const auto& g : id.groups) up.insert("Impersonate-Group", g);
  // kube-apiserver lowercases and percent-decodes the key: kubegate.dev/session.
  if (!id.sessionId.empty()) up.set("Impersonate-Extra-kubegate.dev%2Fsession", id.sessionId);
}

bool isIdempotent(http::verb v) { return v == http::verb::get || v == http::verb::head; }

bool connectionFailedBeforeAnswer(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == ssl::error::stream_truncated ||
         ec == http::error::end_of_stream || ec == asio::error::broken_pipe;
}

k8s::GatewayError upstreamError(const RequestScope& scope, const error_code& ec) {
  if (ec == beast::error::timeout) {
    return makeError(ErrorKind::GatewayTimeout, "cluster " + scope.cluster->name() + " did not answer in time");
  }
  return makeError(ErrorKind::BadGateway, "cluster " + scope.cluster->name() + " failed: " + ec.message());
}

// Watches the client connection while its response streams. It ends when the client sends
// something (kept for the next request), closes (the upstream is cut), or is cancelled. Callbacks,
// not a coroutine: an idle watch then holds one small pending operation and no read buffer, where
// a coroutine cost two frames and 4 KiB of buffer for every open watch.
struct ClientWatch {
  asio::steady_timer finished;  // cancelled when the watch is over
  bool done = false;
  bool clientGone = false;
};

void endWatch(ClientWatch& watch, TlsStream& upstream, const error_code& ec) {
  if (ec && ec != asio::error::operation_aborted) {
    watch.clientGone = true;
    beast::get_lowest_layer(upstream).cancel();
  }
  watch.done = true;
  watch.finished.cancel();
}

// Everything referenced outlives the watch: stopWatching() waits for `done` before the caller's
// frame goes.
void watchClient(TlsStream& downstream, beast::flat_buffer& buffer, TlsStream& upstream, ClientWatch& watch) {
  downstream.async_wait_readable([&downstream, &buffer, &upstream, &watch](error_code ec) {
    if (ec) return endWatch(watch, upstream, ec);
    downstream.async_read_some(buffer.prepare(4096), [&buffer, &upstream, &watch](error_code readEc, std::size_t n) {
      if (!readEc) buffer.commit(n);
      endWatch(watch, upstream, readEc);
    });
  });
}

// Only called once the relay wrote its last byte: cancelling then touches no write in progress.
asio::awaitable<void> stopWatching(TlsStream& downstream, ClientWatch& watch) {
  if (!watch.done) beast::get_lowest_layer(downstream).socket().cancel();
  while (!watch.done) {
    watch.finished.expires_after(std::chrono::seconds(5));
    co_await watch.finished.async_wait(kAsTuple);
  }
}

}  // namespace

std::chrono::seconds RequestScope::secondsLeft() const {
  if (sessionDeadline == std::chrono::steady_clock::time_point::max()) return std::chrono::seconds::max();
  const auto left = std::chrono::ceil<std::chrono::seconds>(sessionDeadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::seconds(0));
}

http_hygiene::Result<http::request<http::string_body>> buildUpstreamRequest(http_io::InboundRequest& in,
                                                                            const RequestScope& scope) {
  const auto& id = scope.identity;
  if (!safeHeaderValue(id.username)) return makeError(ErrorKind::Unauthorized, "the identity's user name cannot be used");
  for (const auto& g : id.groups) {
    if (!safeHeaderValue(g)) return makeError(ErrorKind::Unauthorized, "the identity's groups cannot be used");
  }
  http::request<http::string_body> up;
  up.version(11);
  up.method(in.message.method());
  std::string target = scope.upstreamPath;
  if (!in.target.query.empty()) target += "?" + http_hygiene::encodeQuery(in.target.query);
  up.target(target);
  for (const auto& field : in.message) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (http_hygiene::isForwardableRequestHeader(name)) up.insert(field.name_string(), field.value());
  }
  // An answer to be masked must come as JSON, uncompressed: the maskers read nothing else.
  if (scope.masking.active() && !in.upgrade) {
    up.erase(http::field::accept_encoding);
    if (!answersWithByteStream(scope.info)) {
      auto accept = upstreamAccept(in.message[http::field::accept]);
      if (!accept) return accept.error();
      up.set(http::field::accept, *accept);
    }
  }
  up.set(http::field::host, scope.cluster->hostHeader());
  if (!scope.upstreamAuthorization.empty()) up.set(http::field::authorization, scope.upstreamAuthorization);
  else if (auto auth = scope.cluster->authorizationHeader(); !auth.empty()) up.set(http::field::authorization, auth);
  if (scope.cluster->config().impersonate) setImpersonation(up, id);
  up.set("X-Forwarded-For", scope.clientAddress);
  if (in.upgrade) {
    up.set(http::field::connection, "Upgrade");
    up.set(http::field::upgrade, in.upgradeProtocol);
    std::string offered;
    for (const auto& f : in.message) {
      if (f.name() == http::field::sec_websocket_protocol) offered += (offered.empty() ? "" : ",") + std::string(f.value());
    }
    auto kept = http_hygiene::filterWebSocketProtocols(offered);
    if (!kept) return kept.error();
    std::string joined;
    for (const auto& p : *kept) joined += (joined.empty() ? "" : ", ") + p;
    if (!joined.empty()) up.set(http::field::sec_websocket_protocol, joined);
  } else {
    up.keep_alive(true);
  }
  // The body moves into the upstream request: a request of up to 3 MiB is never held twice.
  up.body() = std::move(in.message.body());
  if (!up.body().empty() || in.message.method() == http::verb::post || in.message.method() == http::verb::put ||
      in.message.method() == http::verb::patch) {
    up.prepare_payload();
  }
  return up;
}

void copyResponseHeaders(const http::fields& from, http::fields& to, const RequestScope& scope) {
  const auto named = http_hygiene::headerTokens(from[http::field::connection]);
  for (const auto& field : from) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (http_hygiene::isHopByHopResponseHeader(name)) continue;
    if (std::find(named.begin(), named.end(), name) != named.end()) continue;
    if (field.name() == http::field::location && field.value().starts_with("/")) {
      to.insert(field.name_string(), scope.clusterPrefix + std::string(field.value()));
      continue;
    }
    to.insert(field.name_string(), field.value());
  }
}

namespace {

// The record keeps the first responseBodyLimit bytes of what it is given.
void keepForRecord(ForwardOutcome& out, const RequestScope& scope, std::string_view bytes) {
  const std::size_t have = out.kept ? out.kept->body.size() : 0;
  if (bytes.empty() || have >= scope.responseBodyLimit) return;
  out.keep().body.append(bytes.substr(0, scope.responseBodyLimit - have));
}

// Passes one upstream piece through the masker; the client's bytes come back. False when masking
// failed: then nothing more may be sent.
bool maskPiece(ResponseMasker& masker, std::string_view& piece, bool last, ForwardOutcome& out,
               const RequestScope& scope) {
  if (!masker.write(piece) || (last && !masker.finish())) return false;
  piece = masker.clientBytes();
  if (auto* forRecord = masker.recordBytes()) {
    keepForRecord(out, scope, *forRecord);
    forRecord->clear();
    if (out.kept && out.kept->body.size() >= scope.responseBodyLimit) masker.stopRecording();
  } else {
    keepForRecord(out, scope, piece);
  }
  return true;
}

// A masker that fails ends the response: a response not yet started is answered with the error,
// a started one is cut (no final chunk), so the client sees a broken stream, never unmasked bytes.
void maskingFailed(ForwardOutcome& out, const RequestScope& scope, const std::string& why) {
  spdlog::warn(R"({{"msg":"response cut: it could not be masked","requestId":"{}","why":"{}"}})",
               admin::JsonText{scope.requestId}, admin::JsonText{why});
  if (!out.responseStarted) out.error = makeError(ErrorKind::BadGateway, why);
  else out.keep().brokenOff = why;
  out.keepDownstream = false;
}

// The client's response header, from the upstream's: a masked body is re-chunked, since its
// length is not known until it has streamed.
void prepareResponseHead(http::response<http::buffer_body>& res, const http::fields& head, unsigned status,
                         bool bodyless, bool masked, const RequestScope& scope, std::uint64_t contentLength) {
  res.version(11);
  res.result(status);
  copyResponseHeaders(head, res, scope);
  if (!scope.requestId.empty()) res.set("Kubegate-Request-Id", scope.requestId);
  if (masked) {
    res.erase(http::field::content_length);
    if (scope.masking.client) res.set("Kubegate-Masking", scope.masking.client->name());
  }
  if (bodyless) return;
  if (masked) res.chunked(true);
  else if (head.count(http::field::content_length)) res.content_length(contentLength);
  else res.chunked(true);
}

}  // namespace

asio::awaitable<ForwardOutcome> relayResponse(TlsStream& downstream, UpstreamConnection& upstream,
                                              http::response_parser<http::buffer_body>& parser,
                                              const http_io::InboundRequest& in, const RequestScope& scope,
                                              const config::Limits& limits) {
  ForwardOutcome out;
  const auto& head = parser.get();
  out.status = head.result_int();
  if (scope.responseBodyLimit > 0) {
    out.keep().contentType = std::string(head[http::field::content_type]);
    out.keep().contentEncoding = std::string(head[http::field::content_encoding]);
    // Kept whole in one allocation when the length is known, instead of regrown (and copied) as
    // the pieces arrive; masking changes the length only a little either way.
    if (parser.content_length())
      out.keep().body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*parser.content_length(), scope.responseBodyLimit)));
  }
  const bool bodyless = in.message.method() == http::verb::head || head.result_int() == 204 || head.result_int() == 304;
  std::unique_ptr<ResponseMasker> masker;
  if (!bodyless) {
    auto started = ResponseMasker::start(scope.masking, scope.info, head, scope.responseBodyLimit > 0);
    if (!started) co_return ForwardOutcome{.status = out.status, .keepDownstream = false, .error = started.error()};
    masker = std::move(*started);
  }
  http::response<http::buffer_body> res;
  prepareResponseHead(res, head, head.result_int(), bodyless, masker != nullptr, scope,
                      head.has_content_length() ? *parser.content_length() : 0);
  res.reason(head.reason());
  res.keep_alive(in.message.keep_alive());
  out.keepDownstream = in.message.keep_alive();

  http::response_serializer<http::buffer_body> serializer{res};
  auto& down = beast::get_lowest_layer(downstream);
  auto& up = beast::get_lowest_layer(upstream.stream);
  down.expires_after(limits.streamIdleTimeout);
  res.body().data = nullptr;
  res.body().more = !parser.is_done();
  // A watch's client waits for the header before any event exists, so it goes out at once. Any
  // other response sends it with the first piece of body: one TLS record and one send(2) fewer,
  // and an upstream that fails before its first byte still gets a proper error Status.
  const bool longRunning = k8s::isLongRunning(scope.info);
  if (longRunning) {
    out.responseStarted = true;
    auto [headEc, headN] = co_await http::async_write_header(downstream, serializer, kAsTuple);
    if (headEc) { out.keepDownstream = false; co_return out; }
  }

  RelayChunk chunk;
  while (!parser.is_done()) {
    // A quiet long-running stream (an idle watch) holds no relay memory while it waits: the chunk
    // goes back and the gateway waits for the socket to become readable before taking one again.
    if (longRunning && upstream.buffer.size() == 0) {
      chunk.release();
      upstream.buffer.shrink_to_fit();
      if (masker) masker->clientBytes().shrink_to_fit();
      up.expires_after(std::min(limits.streamIdleTimeout, scope.secondsLeft()));
      auto [waitEc] = co_await upstream.stream.async_wait_readable(kAsTuple);
      if (waitEc) { out.keepDownstream = false; break; }
    }
    // The credential this stream was opened with has run out: the stream ends with it.
    if (std::chrono::steady_clock::now() >= scope.sessionDeadline) { out.keepDownstream = false; break; }
    chunk.acquire();
    upstream.buffer.reserve(kUpstreamReadBytes);
    parser.get().body().data = chunk.get();
    parser.get().body().size = kRelayChunk;
    // A stream may not outlive its credential; bytes of framing left in the buffer (a chunk's CRLF)
    // can skip the readiness wait above, so the read itself carries the session deadline too.
    up.expires_after(std::min(limits.streamIdleTimeout, scope.secondsLeft()));
    // read_some, not read: a watch event must go out as soon as it arrives, not once 32 KiB have.
    auto [readEc, readN] = co_await http::async_read_some(upstream.stream, upstream.buffer, parser, kAsTuple);
    if (readEc && readEc != http::error::need_buffer) {
      if (!out.responseStarted) out.error = upstreamError(scope, readEc);
      else out.keep().brokenOff = upstreamError(scope, readEc).message;
      out.keepDownstream = false;
      break;
    }
    const std::size_t got = kRelayChunk - parser.get().body().size;
    if (got == 0 && !parser.is_done()) continue;  // framing only (a chunk header): nothing to send yet
    std::string_view piece(chunk.get(), got);
    if (!masker) keepForRecord(out, scope, piece);
    else if (!maskPiece(*masker, piece, parser.is_done(), out, scope)) {
      maskingFailed(out, scope, masker->error());
      co_return out;
    }
    if (piece.empty() && !parser.is_done()) continue;  // the masker holds a value still being read
    out.bytesOut += piece.size();
    res.body().data = piece.empty() ? nullptr : const_cast<char*>(piece.data());
    res.body().size = piece.size();
    res.body().more = !parser.is_done();
    down.expires_after(limits.streamIdleTimeout);
    out.responseStarted = true;
    auto [writeEc, writeN] = co_await http::async_write(downstream, serializer, kAsTuple);
    if (masker) masker->clientBytes().clear();
    if (writeEc && writeEc != http::error::need_buffer) { out.keepDownstream = false; co_return out; }
  }
  if (out.error) co_return out;
  if (!serializer.is_done()) {
    // An upstream that broke mid-body leaves the masker holding an unfinished value: it is dropped.
    out.responseStarted = true;
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    auto [endEc, endN] = co_await http::async_write(downstream, serializer, kAsTuple);
    if (endEc) out.keepDownstream = false;
  }
  // An upstream stream that broke mid-body cannot end cleanly for the client either.
  if (!parser.is_done()) out.keepDownstream = false;
  co_return out;
}

asio::awaitable<ForwardOutcome> forwardRequest(TlsStream& downstream, beast::flat_buffer& downstreamBuffer,
                                               http_io::InboundRequest& in,
                                               const RequestScope& scope, UpstreamPool& pool,
                                               const config::Limits& limits) {
  auto upstreamRequest = buildUpstreamRequest(in, scope);
  if (!upstreamRequest) co_return ForwardOutcome{.error = upstreamRequest.error()};
  bool reminted = false;
  for (int attempt = 0;; ++attempt) {
    auto acquired = co_await pool.acquire(scope.cluster, limits.upstreamConnectTimeout, attempt == 0);
    if (!acquired) co_return ForwardOutcome{.error = acquired.error()};
    auto conn = std::move(*acquired);
    auto& up = beast::get_lowest_layer(conn->stream);
    up.expires_after(limits.upstreamResponseTimeout);
    auto [writeEc, written] = co_await http::async_write(conn->stream, *upstreamRequest, kAsTuple);
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (in.message.method() == http::verb::head) parser.skip(true);
    error_code readEc = writeEc;
    if (!writeEc) {
      auto [ec, n] = co_await http::async_read_header(conn->stream, conn->buffer, parser, kAsTuple);
      readEc = ec;
    }
    if (readEc) {
      // A pooled connection the upstream had already closed: the request never reached it.
      const bool retry = conn->reused && attempt == 0 && connectionFailedBeforeAnswer(readEc) &&
                         (writeEc || isIdempotent(in.message.method()));
      if (retry) continue;
      co_return ForwardOutcome{.error = upstreamError(scope, readEc)};
    }
    // EKS refuses a token whose session was revoked or ended early: one fresh session and token,
    // then whatever the cluster answers stands.
    if (parser.get().result() == http::status::unauthorized && scope.eksRole && !reminted) {
      reminted = true;
      auto fresh = co_await scope.cluster->eks()->credentialFor(scope.identity, *scope.eksRole, true);
      if (fresh) {
        upstreamRequest->set(http::field::authorization, fresh->authorization);
        continue;
      }
    }
    // Only long-running responses (watches, log follows) can outlive their client by much; the
    // watch costs a coroutine and a timer, so ordinary responses go without.
    ForwardOutcome out;
    if (k8s::isLongRunning(scope.info)) {
      ClientWatch watch{asio::steady_timer(co_await asio::this_coro::executor)};
      if (downstreamBuffer.size() == 0) downstreamBuffer.shrink_to_fit();
      watchClient(downstream, downstreamBuffer, conn->stream, watch);
      out = co_await relayResponse(downstream, *conn, parser, in, scope, limits);
      co_await stopWatching(downstream, watch);
      if (watch.clientGone) out.keepDownstream = false;
    } else {
      out = co_await relayResponse(downstream, *conn, parser, in, scope, limits);
    }
    out.bytesIn = upstreamRequest->body().size();
    // A HEAD of a watch is answered at the header while the server's watch goes on streaming on
    // that connection; the next request sent on it would never be answered.
    const bool streamStillRunning = in.message.method() == http::verb::head && k8s::isLongRunning(scope.info);
    if (parser.is_done() && parser.get().keep_alive() && !streamStillRunning) pool.release(scope.cluster, std::move(conn));
    co_return out;
  }
}

}  // namespace kubegate::proxy
