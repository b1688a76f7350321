// A plain-HTTP client for the link-local credential endpoints only (EC2 instance metadata, the ECS /
// EKS Pod Identity container endpoint). Those endpoints are reachable only from the host itself and
// speak no TLS; nothing else may go over plain HTTP, so this client refuses every other scheme.
// Every call is bounded in time (one deadline over resolve, connect, write and read) and in size.
#pragma once

#include <string>

#include <boost/system/result.hpp>

#include "net/asio.h"
#include "net/https_client.h"

namespace kubegate::net {

// An http:// URL split for connecting; fails for any other scheme or a malformed URL.
using HttpTarget = HttpsTarget;
boost::system::result<HttpTarget, FetchError> parsePlainHttpUrl(const std::string& url);

// Same request and response shapes as httpsFetch; `request.url` must be http://host[:port]/path.
asio::awaitable<boost::system::result<HttpsResponse, FetchError>> plainHttpFetch(HttpsRequest request);

}  // namespace kubegate::net
