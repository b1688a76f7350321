// The one include for Asio, Beast and SSL, with the namespace aliases the whole tree uses.
// Kept in one header so it can be precompiled.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace kubegate {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
namespace net {
class TlsSocket;
}  // namespace net
// Client and server TLS connections. TlsSocket is its own lowest layer, with the timeout surface of
// beast::tcp_stream, and holds no record buffers while idle (net/tls_stream.h).
using TlsStream = net::TlsSocket;
}  // namespace kubegate

#include "net/tls_stream.h"
