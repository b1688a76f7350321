// The metadata-endpoint client: only http:// URLs, requests as given, bounded in time and size.
#include "net/plain_http_client.h"

#include <gtest/gtest.h>

#include "aws/aws_stand_ins.h"

namespace kubegate::net {
namespace {

using testing::LocalServer;
using testing::RecordedRequest;
using testing::reply;
using testing::runUntilDone;
using FetchResult = boost::system::result<HttpsResponse, FetchError>;

HttpsRequest requestFor(std::string method, std::string url) {
  HttpsRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.timeout = std::chrono::seconds(2);
  return r;
}

TEST(PlainHttpUrl, AcceptsOnlyHttp) {
  auto t = parsePlainHttpUrl("http://169.254.169.254/latest/api/token");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "169.254.169.254");
  EXPECT_EQ(t->port, "80");
  EXPECT_EQ(t->target, "/latest/api/token");
  EXPECT_EQ(parsePlainHttpUrl("http://[fd00:ec2::254]/x")->host, "fd00:ec2::254");
  EXPECT_EQ(parsePlainHttpUrl("http://127.0.0.1:8080")->target, "/");
  EXPECT_FALSE(parsePlainHttpUrl("https://169.254.169.254/"));
  EXPECT_FALSE(parsePlainHttpUrl("file:///etc/passwd"));
  EXPECT_FALSE(parsePlainHttpUrl("ftp://127.0.0.1/"));
  EXPECT_FALSE(parsePlainHttpUrl("http://user:pw@127.0.0.1/"));
}

TEST(PlainHttpFetch, SendsMethodHeadersAndBodyAndReadsTheAnswer) {
  asio::io_context io;
  LocalServer server(io, [](const RecordedRequest&) { return reply(201, "made", "application/json"); });
  auto request = requestFor("PUT", server.url("/latest/api/token?x=1"));
  request.headers["x-aws-ec2-metadata-token-ttl-seconds"] = "21600";
  request.body = "payload";
  FetchResult result = runUntilDone(io, plainHttpFetch(request));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, 201u);
  EXPECT_EQ(result->body, "made");
  EXPECT_EQ(result->headers["content-type"], "application/json");
  ASSERT_EQ(server.requests().size(), 1u);
  const auto& seen = server.requests()[0];
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.target, "/latest/api/token?x=1");
  EXPECT_EQ(seen.header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(seen.header("host"), server.hostPort());
  EXPECT_EQ(seen.body, "payload");
}

TEST(PlainHttpFetch, RefusesAnHttpsUrlWithoutConnecting) {
  asio::io_context io;
  FetchResult result = runUntilDone(io, plainHttpFetch(requestFor("GET", "https://127.0.0.1:1/")));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("http://"), std::string::npos);
}

TEST(PlainHttpFetch, CapsTheResponseSize) {
  asio::io_context io;
  LocalServer server(io, [](const RecordedRequest&) { return reply(200, std::string(5000, 'x')); });
  auto request = requestFor("GET", server.url("/big"));
  request.maxResponseBytes = 1000;
  FetchResult result = runUntilDone(io, plainHttpFetch(request));
  EXPECT_FALSE(result);
}

TEST(PlainHttpFetch, GivesUpAtTheDeadlineWhenTheServerNeverAnswers) {
  asio::io_context io;
  // Accepts the connection and never reads or writes.
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<tcp::socket> held;
  silent.async_accept([&](error_code ec, tcp::socket s) {
    if (!ec) held.push_back(std::move(s));
  });
  auto request = requestFor("GET", "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/");
  request.timeout = std::chrono::seconds(1);
  const auto started = std::chrono::steady_clock::now();
  FetchResult result = runUntilDone(io, plainHttpFetch(request));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result);
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_GE(took, std::chrono::milliseconds(900));
}

}  // namespace
}  // namespace kubegate::net
