// In-process stand-ins for the AWS endpoints the credential code talks to: a small Beast server on
// 127.0.0.1 (plain HTTP for IMDS and the container endpoint, TLS with a throwaway certificate for STS)
// that records every request and answers through a handler the test writes. It runs on the test's
// io_context, so handler and recorded requests need no locking.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "net/asio.h"

namespace kubegate::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
  bool hasHeader(const std::string& name) const { return headers.count(name) > 0; }
};

struct Reply {
  unsigned status = 200;
  std::string body;
  std::string contentType = "text/plain";
};
inline Reply reply(unsigned status, std::string body, std::string contentType = "text/plain") {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.contentType = std::move(contentType);
  return r;
}

using Handler = std::function<Reply(const RecordedRequest&)>;

// A self-signed certificate for 127.0.0.1 and the server/client TLS contexts that use/trust it.
struct ThrowawayTls {
  std::shared_ptr<ssl::context> server = std::make_shared<ssl::context>(ssl::context::tls_server);
  std::shared_ptr<ssl::context> client = std::make_shared<ssl::context>(ssl::context::tls_client);

  ThrowawayTls() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sts-stand-in"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(server->native_handle(), cert);
    SSL_CTX_use_PrivateKey(server->native_handle(), key);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client->native_handle()), cert);
    client->set_verify_mode(ssl::verify_peer);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

class LocalServer {
 public:
  // Plain HTTP when `tls` is null.
  LocalServer(asio::io_context& io, Handler handler, std::shared_ptr<ssl::context> tls = nullptr)
      : state_(std::make_shared<State>(io)) {
    state_->handler = std::move(handler);
    state_->tls = std::move(tls);
    state_->acceptor.open(tcp::v4());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    state_->acceptor.listen();
    asio::co_spawn(io, acceptLoop(state_), asio::detached);
  }
  ~LocalServer() {
    error_code ignored;
    state_->acceptor.close(ignored);
  }

  unsigned short port() const { return state_->acceptor.local_endpoint().port(); }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(port()); }
  std::string url(const std::string& path = "") const { return "http://" + hostPort() + path; }
  const std::vector<RecordedRequest>& requests() const { return state_->requests; }
  void setHandler(Handler handler) { state_->handler = std::move(handler); }

 private:
  struct State {
    explicit State(asio::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    Handler handler;
    std::shared_ptr<ssl::context> tls;
    std::vector<RecordedRequest> requests;
  };

  template <class Stream>
  static asio::awaitable<void> serveOne(std::shared_ptr<State> state, Stream& stream) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [readEc, n] = co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (readEc) co_return;
    RecordedRequest recorded;
    recorded.method = std::string(request.method_string());
    recorded.target = std::string(request.target());
    for (const auto& field : request) {
      std::string lowerName(field.name_string());
      for (auto& c : lowerName) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      recorded.headers[lowerName] = std::string(field.value());
    }
    recorded.body = request.body();
    state->requests.push_back(recorded);
    Reply answer = state->handler(recorded);
    http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
    response.set(http::field::content_type, answer.contentType);
    response.body() = answer.body;
    response.prepare_payload();
    response.keep_alive(false);
    co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
  }

  static asio::awaitable<void> serveConnection(std::shared_ptr<State> state, tcp::socket socket) {
    if (!state->tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await serveOne(state, stream);
      error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *state->tls);
    auto [hsEc] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (hsEc) co_return;
    co_await serveOne(state, stream);
    co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  }

  static asio::awaitable<void> acceptLoop(std::shared_ptr<State> state) {
    for (;;) {
      auto [ec, socket] = co_await state->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(state->acceptor.get_executor(), serveConnection(state, std::move(socket)), asio::detached);
    }
  }

  std::shared_ptr<State> state_;
};

// Runs `task` on `io` (with whatever servers are on it) until the task finishes.
template <class T>
T runUntilDone(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) out.emplace(std::move(value));
    io.stop();
  });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

// A private directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("kubegate-aws-test-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace kubegate::testing
