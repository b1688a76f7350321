#include "net/plain_http_client.h"

#include <boost/url/parse.hpp>

namespace kubegate::net {
namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// A function rather than braced aggregate initialisation inside the coroutines below: GCC 12
// mis-destroys braced temporaries of string-holding aggregates in coroutine frames.
FetchError failure(std::string message) {
  FetchError e;
  e.message = std::move(message);
  return e;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// tcp_stream's deadline does not cover name resolution (getaddrinfo runs on a private thread), so a
// timer cancels the resolver when the same deadline passes.
asio::awaitable<boost::system::result<tcp::resolver::results_type, FetchError>> resolveWithin(
    const HttpTarget& target, std::chrono::steady_clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  // Shared with the timer's handler: it may already be queued when the resolve completes, and must
  // not find a destroyed resolver when it runs.
  struct Race {
    explicit Race(asio::any_io_executor ex) : resolver(std::move(ex)) {}
    tcp::resolver resolver;
    bool timedOut = false;
  };
  auto race = std::make_shared<Race>(ex);
  asio::steady_timer timer(ex, deadline);
  timer.async_wait([race](error_code ec) {
    if (ec) return;
    race->timedOut = true;
    race->resolver.cancel();
  });
  auto [ec, endpoints] = co_await race->resolver.async_resolve(target.host, target.port, kAsTuple);
  timer.cancel();
  if (race->timedOut) co_return failure("resolving " + target.host + " timed out");
  if (ec) co_return failure("cannot resolve " + target.host + ": " + ec.message());
  co_return endpoints;
}

}  // namespace

boost::system::result<HttpTarget, FetchError> parsePlainHttpUrl(const std::string& url) {
  return parseUrlFor(url, "http", "80");
}

asio::awaitable<boost::system::result<HttpsResponse, FetchError>> plainHttpFetch(HttpsRequest request) {
  auto target = parsePlainHttpUrl(request.url);
  if (!target) co_return target.error();
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto endpoints = co_await resolveWithin(*target, deadline);
  if (!endpoints) co_return endpoints.error();

  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  // One deadline for connect, write and read; a new expires_after per await would let a slow
  // endpoint stretch the whole exchange to several times the timeout.
  stream.expires_at(deadline);
  auto [connectEc, ep] = co_await stream.async_connect(*endpoints, kAsTuple);
  if (connectEc) co_return failure("cannot connect to " + target->host + ": " + connectEc.message());

  http::request<http::string_body> req{http::string_to_verb(request.method), target->target, 11};
  if (req.method() == http::verb::unknown) co_return failure("unknown HTTP method");
  const bool defaultPort = target->port == "80";
  const std::string hostHeader = target->host.find(':') != std::string::npos ? "[" + target->host + "]" : target->host;
  req.set(http::field::host, defaultPort ? hostHeader : hostHeader + ":" + target->port);
  req.set(http::field::user_agent, "kubegate");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = std::move(request.body);
  req.prepare_payload();
  req.keep_alive(false);
  auto [writeEc, written] = co_await http::async_write(stream, req, kAsTuple);
  if (writeEc) co_return failure("sending to " + target->host + " failed: " + writeEc.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(request.maxResponseBytes);
  parser.header_limit(16 * 1024);
  auto [readEc, read] = co_await http::async_read(stream, buffer, parser, kAsTuple);
  if (readEc) co_return failure("reading from " + target->host + " failed: " + readEc.message());
  HttpsResponse out;
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  for (const auto& f : parser.get()) out.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

}  // namespace kubegate::net
