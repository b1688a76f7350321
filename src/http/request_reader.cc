#include "http/request_reader.h"

#include <algorithm>

namespace kubegate::http_io {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
using asio::use_awaitable;
constexpr auto kAsTuple = asio::as_tuple(use_awaitable);

bool isClosedError(const error_code& ec) {
  return ec == asio::error::eof || ec == ssl::error::stream_truncated || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted;
}

std::size_t countFields(const http::fields& fields, http::field name) {
  const auto range = fields.equal_range(name);
  return static_cast<std::size_t>(std::distance(range.first, range.second));
}

// Reads until the buffer holds a whole header block; returns its length, 0 when the peer closed.
asio::awaitable<Result<std::size_t>> readHeaderBlock(TlsStream& stream, beast::flat_buffer& buffer,
                                                      const config::Limits& limits, bool firstRequest) {
  beast::get_lowest_layer(stream).expires_after(firstRequest ? limits.headerTimeout : limits.idleTimeout);
  for (;;) {
    const auto data = buffer.data();
    const std::string_view view(static_cast<const char*>(data.data()), data.size());
    if (const auto end = view.find("\r\n\r\n"); end != std::string_view::npos) co_return end + 4;
    if (view.size() > limits.maxHeaderBytes) co_return makeError(ErrorKind::HeaderTooLarge, "request header is too large");
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kAsTuple);
    if (ec) {
      if (isClosedError(ec) && view.empty()) co_return std::size_t{0};
      if (isClosedError(ec)) co_return makeError(ErrorKind::BadRequest, "connection closed in the middle of a request header");
      co_return makeError(ErrorKind::BadRequest, "reading the request failed: " + ec.message());
    }
    buffer.commit(n);
    // Once bytes arrive, the rest of the header must follow within the header timeout.
    beast::get_lowest_layer(stream).expires_after(limits.headerTimeout);
  }
}

k8s::GatewayError parseError(const error_code& ec) {
  if (ec == http::error::body_limit) return makeError(ErrorKind::RequestTooLarge, "request body is larger than the gateway accepts");
  if (ec == http::error::header_limit) return makeError(ErrorKind::HeaderTooLarge, "request header is too large");
  return makeError(ErrorKind::BadRequest, "malformed HTTP request: " + ec.message());
}

}  // namespace

Result<void> checkFraming(const http::request_parser<http::string_body>& parser) {
  const auto& msg = parser.get();
  if (msg.version() != 11) return makeError(ErrorKind::BadRequest, "only HTTP/1.1 is accepted");
  switch (msg.method()) {
    case http::verb::get: case http::verb::head: case http::verb::post:
    case http::verb::put: case http::verb::patch: case http::verb::delete_:
      break;
    default:
      return makeError(ErrorKind::MethodNotAllowed, "method " + std::string(msg.method_string()) + " is not allowed");
  }
  if (countFields(msg, http::field::host) != 1) return makeError(ErrorKind::BadRequest, "exactly one Host header is required");
  const auto cl = countFields(msg, http::field::content_length);
  const auto te = countFields(msg, http::field::transfer_encoding);
  if (cl > 1) return makeError(ErrorKind::BadRequest, "duplicate Content-Length");
  if (cl && te) return makeError(ErrorKind::BadRequest, "Content-Length together with Transfer-Encoding is ambiguous");
  if (te) {
    const auto codings = http_hygiene::headerTokens(msg[http::field::transfer_encoding]);
    if (te > 1 || codings.size() != 1 || codings[0] != "chunked") {
      return makeError(ErrorKind::BadRequest, "only Transfer-Encoding: chunked is accepted");
    }
  }
  if (msg.count(http::field::content_encoding)) {
    const auto codings = http_hygiene::headerTokens(msg[http::field::content_encoding]);
    if (!(codings.size() == 1 && codings[0] == "identity")) {
      return makeError(ErrorKind::BadRequest, "compressed request bodies are not accepted");
    }
  }
  return {};
}

asio::awaitable<ReadOutcome> readRequest(TlsStream& stream, beast::flat_buffer& buffer, const config::Limits& limits,
                                         bool firstRequest) {
  ReadOutcome out;
  auto headerLength = co_await readHeaderBlock(stream, buffer, limits, firstRequest);
  if (!headerLength) { out.error = headerLength.error(); co_return out; }
  if (*headerLength == 0) { out.closed = true; co_return out; }

  const std::string_view block(static_cast<const char*>(buffer.data().data()), *headerLength);
  if (auto scan = http_hygiene::scanRawHeader(block, {limits.maxUrlBytes, limits.maxHeaderCount}); !scan) {
    out.error = scan.error();
    co_return out;
  }
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.maxHeaderBytes + 4));
  parser.body_limit(limits.maxBodyBytes);
  parser.eager(false);
  error_code ec;
  const auto used = parser.put(asio::buffer(block.data(), block.size()), ec);
  if (ec || !parser.is_header_done()) { out.error = parseError(ec ? ec : http::error::partial_message); co_return out; }
  buffer.consume(used);
  if (auto framing = checkFraming(parser); !framing) { out.error = framing.error(); co_return out; }

  auto target = http_hygiene::parseTarget(parser.get().target());
  if (!target) { out.error = target.error(); co_return out; }

  InboundRequest request;
  const auto& fields = parser.get();
  const auto connection = http_hygiene::headerTokens(fields[http::field::connection]);
  request.upgrade = fields.count(http::field::upgrade) &&
                    std::find(connection.begin(), connection.end(), "upgrade") != connection.end();
  if (request.upgrade) request.upgradeProtocol = std::string(fields[http::field::upgrade]);
  else if (!parser.is_done()) {
    beast::get_lowest_layer(stream).expires_after(limits.bodyTimeout);
    auto [readEc, n] = co_await http::async_read(stream, buffer, parser, kAsTuple);
    if (readEc) { out.error = parseError(readEc); co_return out; }
  }
  request.target = std::move(*target);
  request.message = parser.release();
  out.request = std::move(request);
  co_return out;
}

}  // namespace kubegate::http_io
