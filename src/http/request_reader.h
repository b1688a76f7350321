// Reads one request from a downstream connection: the raw header block is scanned by
// http/hygiene.h first, then Beast parses it, then framing is checked, then the body is read
// within its limit. The result is the one reading of the request that every later stage uses.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "http/hygiene.h"
#include "net/asio.h"

namespace kubegate::http_io {

struct InboundRequest {
  http::request<http::string_body> message;  // parsed header fields and the whole (bounded) body
  http_hygiene::Target target;                // canonical path and decoded query
  bool upgrade = false;                       // Connection: upgrade with an Upgrade header
  std::string upgradeProtocol;                // "websocket" or "SPDY/3.1", as sent
};

template <class T>
using Result = http_hygiene::Result<T>;

// What reading produced: a request, a clean end of the connection, or an error to answer with.
struct ReadOutcome {
  std::optional<InboundRequest> request;
  std::optional<k8s::GatewayError> error;  // set when the client must get an error answer
  bool closed = false;                     // the client went away or idled out; nothing to answer
};

// Reads the next request. `buffer` keeps bytes read past this request (pipelining, early upgrade
// data); it belongs to the connection.
asio::awaitable<ReadOutcome> readRequest(TlsStream& stream, beast::flat_buffer& buffer, const config::Limits& limits,
                                         bool firstRequest);

// The checks on parsed header fields that Beast leaves to us: one Host, no Content-Length with
// Transfer-Encoding, only chunked transfer coding, no duplicate Content-Length, allowed methods,
// and a recognised upgrade.
Result<void> checkFraming(const http::request_parser<http::string_body>& parser);

}  // namespace kubegate::http_io
