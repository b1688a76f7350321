#include "net/https_client.h"

#include <openssl/ssl.h>

#include <boost/url/parse.hpp>

namespace kubegate::net {
namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

boost::system::result<HttpsTarget, FetchError> parseUrlFor(const std::string& url, std::string_view scheme,
                                                          std::string_view defaultPort) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return FetchError{"not a URL: " + parsed.error().message()};
  if (parsed->scheme() != scheme) return FetchError{"only " + std::string(scheme) + ":// URLs are allowed"};
  if (parsed->host().empty()) return FetchError{"the URL has no host"};
  if (parsed->has_userinfo()) return FetchError{"the URL carries user information"};
  HttpsTarget t;
  t.host = std::string(parsed->encoded_host());
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = parsed->has_port() ? std::string(parsed->port()) : std::string(defaultPort);
  t.target = std::string(parsed->encoded_path());
  // Boost.URL 1.81 reads https://127.0.0.1.evil.example/x as host 127.0.0.1 and path
  // ".evil.example/x": a path that does not start with '/' means the host was not what it seemed.
  if (!t.target.empty() && t.target.front() != '/') return FetchError{"the URL's host is not what it seems"};
  if (t.target.empty()) t.target = "/";
  if (parsed->has_query()) t.target += "?" + std::string(parsed->encoded_query());
  return t;
}

boost::system::result<HttpsTarget, FetchError> parseHttpsUrl(const std::string& url) {
  return parseUrlFor(url, "https", "443");
}

std::shared_ptr<ssl::context> makeClientTlsContext(const std::string& caFile) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (caFile.empty()) ctx->set_default_verify_paths();
  else ctx->load_verify_file(caFile);
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

asio::awaitable<boost::system::result<HttpsResponse, FetchError>> httpsFetch(HttpsRequest request, ssl::context& tls) {
  auto target = parseHttpsUrl(request.url);
  if (!target) co_return target.error();
  auto ex = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
  auto& tcpStream = beast::get_lowest_layer(stream);
  tcpStream.expires_after(request.timeout);  // one deadline for the whole exchange
  tcp::resolver resolver(ex);
  auto [resolveEc, endpoints] = co_await resolver.async_resolve(target->host, target->port, kAsTuple);
  if (resolveEc) co_return FetchError{"cannot resolve " + target->host + ": " + resolveEc.message()};
  auto [connectEc, ep] = co_await tcpStream.async_connect(endpoints, kAsTuple);
  if (connectEc) co_return FetchError{"cannot connect to " + target->host + ": " + connectEc.message()};
  SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(target->host));
  auto [hsEc] = co_await stream.async_handshake(ssl::stream_base::client, kAsTuple);
  if (hsEc) co_return FetchError{"TLS with " + target->host + " failed: " + hsEc.message()};

  http::request<http::string_body> req{http::string_to_verb(request.method), target->target, 11};
  req.set(http::field::host, target->port == "443" ? target->host : target->host + ":" + target->port);
  req.set(http::field::user_agent, "kubegate");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = std::move(request.body);
  req.prepare_payload();
  req.keep_alive(false);
  auto [writeEc, written] = co_await http::async_write(stream, req, kAsTuple);
  if (writeEc) co_return FetchError{"sending to " + target->host + " failed: " + writeEc.message()};

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(request.maxResponseBytes);
  auto [readEc, read] = co_await http::async_read(stream, buffer, parser, kAsTuple);
  if (readEc) co_return FetchError{"reading from " + target->host + " failed: " + readEc.message()};
  HttpsResponse out;
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  for (const auto& f : parser.get()) out.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  tcpStream.expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(kAsTuple);
  co_return out;
}

boost::system::result<HttpsResponse, FetchError> httpsFetchBlocking(HttpsRequest request, ssl::context& tls) {
  asio::io_context io;
  boost::system::result<HttpsResponse, FetchError> result = FetchError{"not run"};
  asio::co_spawn(io, httpsFetch(std::move(request), tls), [&](std::exception_ptr e, auto r) {
    result = e ? boost::system::result<HttpsResponse, FetchError>(FetchError{"internal error"}) : std::move(r);
  });
  io.run();
  return result;
}

}  // namespace kubegate::net
