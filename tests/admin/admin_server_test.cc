// The admin listener as a kubelet probe, a load balancer and a Prometheus scraper see it: a real
// server on 127.0.0.1:0 and a Beast client talking HTTP/1.1 to it over loopback.
#include "admin/admin_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

namespace kubegate::admin {
namespace {

using namespace std::chrono_literals;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kClientTimeout = 5s;  // a broken server fails a test instead of hanging it

struct Reply {
  error_code ec;
  http::response<http::string_body> response;
};

// A keep-alive client connection. Every operation is bounded by kClientTimeout.
class Client {
 public:
  explicit Client(unsigned short port) {
    error_code ec;
    stream_.socket().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connectError_ = ec;
  }

  error_code connectError() const { return connectError_; }

  Reply request(http::verb method, std::string target, bool keepAlive = true) {
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(keepAlive);
    request.prepare_payload();
    std::ostringstream raw;
    raw << request;
    return sendRaw(raw.str(), method == http::verb::head);
  }

  // Sends bytes as they are and reads one response.
  Reply sendRaw(std::string bytes, bool headResponse = false) {
    return run(exchange(std::move(bytes), headResponse));
  }

  // Waits for the server to close the connection; returns the error the read ended with.
  error_code readUntilClosed() { return run(waitForClose()); }

 private:
  asio::awaitable<Reply> exchange(std::string bytes, bool headResponse) {
    stream_.expires_after(kClientTimeout);
    Reply reply;
    auto [writeEc, written] = co_await asio::async_write(stream_, asio::buffer(bytes), kAsTuple);
    if (writeEc) co_return Reply{writeEc, {}};
    http::response_parser<http::string_body> parser;
    parser.skip(headResponse);  // a response to HEAD has headers only
    auto [readEc, read] = co_await http::async_read(stream_, buffer_, parser, kAsTuple);
    reply.ec = readEc;
    if (!readEc) reply.response = parser.release();
    co_return reply;
  }

  asio::awaitable<error_code> waitForClose() {
    stream_.expires_after(kClientTimeout);
    char byte;
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(&byte, 1), kAsTuple);
    co_return ec ? ec : error_code(asio::error::would_block);  // a byte arrived: not closed
  }

  template <class T>
  T run(asio::awaitable<T> operation) {
    auto result = asio::co_spawn(io_, std::move(operation), asio::use_future);
    io_.restart();
    while (result.wait_for(0s) != std::future_status::ready) {
      if (io_.run_one_for(2 * kClientTimeout) == 0) throw std::runtime_error("client operation never completed");
    }
    return result.get();
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  error_code connectError_;
};

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.emplace(io_.get_executor(), tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0},
                    [this] { return ready_.load(); });
    server_->start();
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] {
      io_.run();
      ioFinished_.set_value();
    });
  }

  void TearDown() override {
    server_->stop();
    // Once stopped, nothing of the server may keep its executor busy.
    if (ioFinishedFuture_.wait_for(kClientTimeout) != std::future_status::ready) {
      ADD_FAILURE() << "work was still pending on the executor after stop()";
      io_.stop();
    }
    thread_.join();
  }

  asio::io_context io_;  // declared first: outlives the server
  std::atomic<bool> ready_{true};
  std::optional<AdminServer> server_;
  std::promise<void> ioFinished_;
  std::future<void> ioFinishedFuture_ = ioFinished_.get_future();
  std::thread thread_;
};

TEST_F(AdminServerTest, HealthzSaysOkOnOneKeepAliveConnection) {
  Client client(server_->port());
  ASSERT_FALSE(client.connectError());
  for (const char* target : {"/healthz", "/healthz", "/healthz?verbose=1"}) {
    auto reply = client.request(http::verb::get, target);
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::ok);
    EXPECT_EQ(reply.response.body(), "ok");
    EXPECT_EQ(reply.response[http::field::content_type], "text/plain; charset=utf-8");
    EXPECT_TRUE(reply.response.keep_alive());
  }
}

TEST_F(AdminServerTest, ReadyzFollowsTheReadyCheck) {
  Client client(server_->port());
  auto reply = client.request(http::verb::get, "/readyz");
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::ok);
  EXPECT_EQ(reply.response.body(), "ok");

  ready_ = false;  // draining
  reply = client.request(http::verb::get, "/readyz");
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::service_unavailable);
  EXPECT_EQ(reply.response.body(), "not ready");
  // Liveness is a different question: the process is still alive while it drains.
  EXPECT_EQ(client.request(http::verb::get, "/healthz").response.result(), http::status::ok);

  ready_ = true;
  reply = client.request(http::verb::get, "/readyz");
  EXPECT_EQ(reply.response.result(), http::status::ok);
}

TEST_F(AdminServerTest, MetricsServesThePrometheusTextFormat) {
  metrics().requestFinished("admin-test-cluster", "list", 200, 0.2, 10, 20);
  Client client(server_->port());
  auto reply = client.request(http::verb::get, "/metrics");
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::ok);
  EXPECT_EQ(reply.response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const auto& body = reply.response.body();
  EXPECT_NE(body.find("\nkubegate_requests_total{cluster=\"admin-test-cluster\",verb=\"list\",code=\"200\"} "),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("\nkubegate_request_duration_seconds_bucket{cluster=\"admin-test-cluster\",verb=\"list\",le=\"0.25\"} "),
            std::string::npos);
  EXPECT_NE(body.find("# TYPE kubegate_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(body.find("kubegate_build_info{version=\"" + std::string(kBuildVersion) + "\"} 1\n"), std::string::npos);
}

TEST_F(AdminServerTest, UnknownPathsAre404AndOtherMethods405) {
  Client client(server_->port());
  for (const char* target : {"/", "/nope", "/metrics/", "/healthzz"}) {
    auto reply = client.request(http::verb::get, target);
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::not_found) << target;
  }
  for (auto method : {http::verb::post, http::verb::delete_, http::verb::put}) {
    auto reply = client.request(method, "/metrics");
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::method_not_allowed) << http::to_string(method);
    EXPECT_EQ(reply.response[http::field::allow], "GET");
  }
  // A HEAD answer carries headers only, so the connection stays usable for the next request.
  auto head = client.request(http::verb::head, "/healthz");
  ASSERT_FALSE(head.ec) << head.ec.message();
  EXPECT_EQ(head.response.result(), http::status::method_not_allowed);
  EXPECT_EQ(client.request(http::verb::get, "/healthz").response.body(), "ok");
}

TEST_F(AdminServerTest, OversizedOrMalformedRequestsAreRefusedAndClosed) {
  {
    Client client(server_->port());
    auto reply = client.sendRaw("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10 * 1024, 'a') + "\r\n\r\n");
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::request_header_fields_too_large);
    EXPECT_FALSE(reply.response.keep_alive());
    EXPECT_EQ(client.readUntilClosed(), asio::error::eof);
  }
  {
    Client client(server_->port());
    auto reply = client.sendRaw("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'a'));
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
  }
  {
    Client client(server_->port());
    auto reply = client.sendRaw("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::bad_request);
    EXPECT_EQ(client.readUntilClosed(), asio::error::eof);
  }
}

TEST_F(AdminServerTest, ConnectionCloseIsHonoured) {
  Client client(server_->port());
  auto reply = client.request(http::verb::get, "/healthz", /*keepAlive=*/false);
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_FALSE(reply.response.keep_alive());
  EXPECT_EQ(client.readUntilClosed(), asio::error::eof);
}

TEST_F(AdminServerTest, StopClosesTheListenerAndIdleConnections) {
  Client idle(server_->port());
  ASSERT_FALSE(idle.request(http::verb::get, "/healthz").ec);
  server_->stop();
  EXPECT_EQ(idle.readUntilClosed(), asio::error::eof);
  EXPECT_EQ(ioFinishedFuture_.wait_for(kClientTimeout), std::future_status::ready)
      << "the accept loop and connections should all have ended";
  Client late(server_->port());
  EXPECT_EQ(late.connectError(), asio::error::connection_refused);
}

}  // namespace
}  // namespace kubegate::admin
