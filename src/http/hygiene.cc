#include "http/hygiene.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace kubegate::http_hygiene {
namespace {

using k8s::ErrorKind;
using k8s::makeError;

k8s::GatewayError badRequest(std::string why) { return makeError(ErrorKind::BadRequest, std::move(why)); }

bool isUnreservedOrAllowedPathChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  // RFC 3986 pchar minus '%' (escapes are refused) and ';' (path parameters are refused).
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,=:@";
  return kAllowed.find(static_cast<char>(c)) != std::string_view::npos;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape: '+' is a space, %XX must be two hex digits.
Result<std::string> unescapeQueryComponent(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return badRequest("malformed percent escape in query");
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return badRequest("malformed percent escape in query");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return badRequest("NUL in query");
      out.push_back(decoded);
      i += 2;
    } else if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return badRequest("control or non-ASCII byte in query");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<void> checkPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return badRequest("request target must be a path starting with /");
  if (path == "/") return {};
  for (unsigned char c : path) {
    if (c == '%') return badRequest("percent-encoded characters are not allowed in the path");
    if (c == '\\') return badRequest("backslash in path");
    if (c == ';') return badRequest("path parameters (;) are not allowed");
    if (c != '/' && !isUnreservedOrAllowedPathChar(c)) return badRequest("invalid character in path");
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty()) return badRequest("empty path segment (// or a trailing /) is not canonical");
    if (segment == "." || segment == "..") return badRequest("dot segments are not allowed in the path");
    start = end + 1;
  }
  return {};
}

}  // namespace

Result<void> scanRawHeader(std::string_view block, const RawHeaderLimits& limits) {
  std::size_t lineStart = 0;
  std::size_t lineNumber = 0;
  std::size_t headerCount = 0;
  while (lineStart < block.size()) {
    const std::size_t lf = block.find('\n', lineStart);
    if (lf == std::string_view::npos) return badRequest("header block does not end in CRLF");
    if (lf == lineStart || block[lf - 1] != '\r') return badRequest("bare LF in header");
    const std::string_view line = block.substr(lineStart, lf - 1 - lineStart);
    if (line.find('\r') != std::string_view::npos) return badRequest("bare CR in header");
    if (line.find('\0') != std::string_view::npos) return badRequest("NUL in header");
    if (line.empty()) break;  // end of the header block
    if (lineNumber == 0) {
      const auto sp1 = line.find(' ');
      const auto sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp1 == sp2) return badRequest("malformed request line");
      if (sp2 - sp1 - 1 > limits.maxUrlBytes) return makeError(ErrorKind::UriTooLong, "request URI is too long");
    } else {
      if (line.front() == ' ' || line.front() == '\t') return badRequest("obsolete line folding in header");
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return badRequest("header line without a name");
      if (line[colon - 1] == ' ' || line[colon - 1] == '\t') return badRequest("whitespace before colon in header");
      if (++headerCount > limits.maxHeaderCount) return makeError(ErrorKind::HeaderTooLarge, "too many header fields");
    }
    ++lineNumber;
    lineStart = lf + 1;
  }
  return {};
}

Result<Target> parseTarget(std::string_view target) {
  if (target.find('#') != std::string_view::npos) return badRequest("fragment in request target");
  const auto q = target.find('?');
  Target out;
  const std::string_view path = target.substr(0, q);
  if (auto ok = checkPath(path); !ok) return ok.error();
  out.path = std::string(path);
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  if (query.find(';') != std::string_view::npos) return badRequest("semicolons are not allowed in the query");
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = unescapeQueryComponent(pair.substr(0, eq));
    if (!key) return key.error();
    auto value = unescapeQueryComponent(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) return value.error();
    out.query.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::string encodeQuery(const QueryParams& query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto append = [&out](const std::string& s) {
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  for (const auto& [k, v] : query) {
    if (!out.empty()) out.push_back('&');
    append(k);
    out.push_back('=');
    append(v);
  }
  return out;
}

const std::string* firstValue(const QueryParams& query, std::string_view name) {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::vector<std::string> splitHeaderList(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view token = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty()) out.emplace_back(token);
  }
  return out;
}

std::vector<std::string> headerTokens(std::string_view value) {
  auto out = splitHeaderList(value);
  for (auto& token : out) {
    std::transform(token.begin(), token.end(), token.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  return out;
}

bool isForwardableRequestHeader(std::string_view name) {
  // What kubectl, client-go, the python client and kubernetes-mcp-server send (wire §2.1, §3).
  static constexpr std::array<std::string_view, 12> kAllowed = {
      "accept", "accept-encoding", "content-type", "user-agent", "kubectl-command", "kubectl-session",
      "x-stream-protocol-version", "sec-websocket-key", "sec-websocket-version", "if-none-match",
      "if-modified-since", "accept-language"};
  return std::find(kAllowed.begin(), kAllowed.end(), name) != kAllowed.end();
}

bool isHopByHopResponseHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {
      "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer", "transfer-encoding",
      "upgrade", "content-length"};
  return std::find(kHopByHop.begin(), kHopByHop.end(), name) != kHopByHop.end();
}

Result<std::vector<std::string>> filterWebSocketProtocols(std::string_view headerValue) {
  // Subprotocols compare case-sensitively (RFC 6455), so they are kept exactly as sent.
  std::vector<std::string> kept;
  for (auto& token : splitHeaderList(headerValue)) {
    if (token.rfind("base64url.bearer.authorization.k8s.io", 0) == 0) {
      return badRequest("bearer tokens in WebSocket subprotocols are not accepted; the gateway authenticates you");
    }
    const bool channel = token == "channel.k8s.io" || (token.size() > 15 && token.ends_with(".channel.k8s.io"));
    const bool portForward = token == "portforward.k8s.io" || token == "SPDY/3.1+portforward.k8s.io";
    if (channel || portForward) kept.push_back(std::move(token));
  }
  return kept;
}

Result<std::string> parseBearerAuthorization(std::string_view value) {
  const auto space = value.find(' ');
  std::string scheme(value.substr(0, space));
  for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme != "bearer" || space == std::string_view::npos) {
    return k8s::makeError(k8s::ErrorKind::Unauthorized, "Unauthorized: only Bearer tokens are accepted in Authorization");
  }
  auto token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return k8s::makeError(k8s::ErrorKind::Unauthorized, "Unauthorized: empty bearer token");
  return std::string(token);
}

}  // namespace kubegate::http_hygiene
