// A small HTTPS client for the control plane: OIDC discovery and JWKS fetches, and the agent-side
// token requests of `kubegate credential`. Every call is bounded in time and in response size, and
// verifies the server against the given CA bundle (or the system's) and host name.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <boost/system/result.hpp>

#include "net/asio.h"

namespace kubegate::net {

struct FetchError {
  std::string message;  // says what failed, never what was sent
};

struct HttpsResponse {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names; the last value wins
};

struct HttpsRequest {
  std::string method = "GET";
  std::string url;  // https://host[:port]/path?query
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::seconds timeout{10};
  std::size_t maxResponseBytes = 1024 * 1024;
};

// An https:// URL split for connecting; fails for any other scheme or a malformed URL.
struct HttpsTarget {
  std::string host;
  std::string port;
  std::string target;  // path and query
};
boost::system::result<HttpsTarget, FetchError> parseHttpsUrl(const std::string& url);
// The same for a given scheme ("http" or "https") and its default port; user information in the
// URL is refused (it would be sent nowhere, or somewhere unexpected).
boost::system::result<HttpsTarget, FetchError> parseUrlFor(const std::string& url, std::string_view scheme,
                                                          std::string_view defaultPort);

// A client TLS context that verifies peers against `caFile`, or the system's trust store when empty.
// Throws on an unreadable CA file (control plane).
std::shared_ptr<ssl::context> makeClientTlsContext(const std::string& caFile);

asio::awaitable<boost::system::result<HttpsResponse, FetchError>> httpsFetch(HttpsRequest request, ssl::context& tls);

// Runs one fetch to completion on a private io_context (for the CLI, which has no loop of its own).
boost::system::result<HttpsResponse, FetchError> httpsFetchBlocking(HttpsRequest request, ssl::context& tls);

}  // namespace kubegate::net
