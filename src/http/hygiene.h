// HTTP hygiene: the checks that make the gateway read a request exactly one way, and refuse what a
// backend might read another way. Nothing here normalises: a non-canonical input is an error.
// (shared/notes/security.md §2.3, §3, catalogue C and F.)
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>

#include "k8s/gateway_error.h"

namespace kubegate::http_hygiene {

template <class T>
using Result = boost::system::result<T, k8s::GatewayError>;

struct RawHeaderLimits {
  std::size_t maxUrlBytes;
  std::size_t maxHeaderCount;
};

// Scans the raw header block (request line through the blank line) before any parser sees it:
// every line must end in CRLF, no NUL, no bare CR or LF, no obs-fold, no space before a colon,
// request target and header count within limits.
Result<void> scanRawHeader(std::string_view block, const RawHeaderLimits& limits);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct Target {
  std::string path;   // canonical, as received (it contains no escapes)
  QueryParams query;  // decoded, in order
};

// Parses an origin-form request target. Refuses absolute-form, fragments, percent escapes, empty,
// "." or ".." segments, backslashes, semicolons, control and non-ASCII bytes in the path, and
// malformed escapes or semicolons in the query.
Result<Target> parseTarget(std::string_view target);

// Re-encodes query parameters canonically (the upstream request is built from what was decided on).
std::string encodeQuery(const QueryParams& query);

// The first value of a parameter, as kube-apiserver reads it.
const std::string* firstValue(const QueryParams& query, std::string_view name);

// Splits a comma-separated header value into trimmed tokens, as sent / lowercased.
std::vector<std::string> splitHeaderList(std::string_view value);
std::vector<std::string> headerTokens(std::string_view value);

// Request headers an agent may send that are forwarded as they are. Everything else is dropped:
// identity (Authorization, Impersonate-*, X-Remote-*), hop-by-hop and framing headers, and anything
// unknown. Framing and identity are then set by the gateway.
bool isForwardableRequestHeader(std::string_view lowercaseName);

// Response headers never relayed as they are: hop-by-hop and framing (rebuilt by the gateway).
bool isHopByHopResponseHeader(std::string_view lowercaseName);

// WebSocket subprotocols the gateway forwards; a bearer token in a subprotocol is an error.
Result<std::vector<std::string>> filterWebSocketProtocols(std::string_view headerValue);

// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, spaces around the
// token ignored). Any other scheme, or an empty token, is Unauthorized: refused rather than ignored.
Result<std::string> parseBearerAuthorization(std::string_view value);

}  // namespace kubegate::http_hygiene
