#include "proxy/upstream_pool.h"

#include <openssl/ssl.h>

#include "admin/metrics.h"

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// Upstreams close idle keep-alive connections on their own schedule; reusing one they are about to
// close costs a failed request, so connections idle longer than this are not reused.
constexpr auto kMaxIdleAge = std::chrono::seconds(30);

}  // namespace

asio::awaitable<http_hygiene::Result<UpstreamConnectionPtr>> UpstreamPool::acquire(const ClusterPtr& cluster,
                                                                                   std::chrono::seconds connectTimeout,
                                                                                   bool allowPooled) {
  if (allowPooled) {
    auto it = idle_.find(cluster.get());
    while (it != idle_.end() && !it->second.second.empty()) {
      auto conn = std::move(it->second.second.back());
      it->second.second.pop_back();
      admin::metrics().setUpstreamIdle(cluster->name(), -1);
      if (std::chrono::steady_clock::now() - conn->idleSince < kMaxIdleAge) {
        conn->reused = true;
        admin::metrics().upstreamConnection(cluster->name(), true);
        co_return conn;
      }
    }
  }
  auto conn = std::make_unique<UpstreamConnection>(executor_, cluster->tlsContext());
  auto& tcpStream = beast::get_lowest_layer(conn->stream);
  tcpStream.expires_after(connectTimeout);
  tcp::resolver resolver(executor_);
  auto [resolveEc, endpoints] = co_await resolver.async_resolve(cluster->host(), cluster->port(), kAsTuple);
  if (resolveEc) co_return makeError(ErrorKind::BadGateway, "cluster " + cluster->name() + " cannot be resolved: " + resolveEc.message());
  auto [connectEc, ep] = co_await tcpStream.async_connect(endpoints, kAsTuple);
  if (connectEc) {
    const auto kind = connectEc == beast::error::timeout ? ErrorKind::GatewayTimeout : ErrorKind::BadGateway;
    co_return makeError(kind, "cluster " + cluster->name() + " is unreachable: " + connectEc.message());
  }
  tcpStream.socket().set_option(tcp::no_delay(true));
  // SNI and host name verification: the certificate must name the configured server.
  SSL_set_tlsext_host_name(conn->stream.native_handle(), cluster->host().c_str());
  if (!cluster->config().insecureSkipTlsVerify) {
    conn->stream.set_verify_callback(ssl::host_name_verification(cluster->host()));
  }
  auto [hsEc] = co_await conn->stream.async_handshake(ssl::stream_base::client, kAsTuple);
  if (hsEc == beast::error::timeout) {
    co_return makeError(ErrorKind::GatewayTimeout, "cluster " + cluster->name() + " did not complete TLS in time");
  }
  if (hsEc) co_return makeError(ErrorKind::BadGateway, "TLS with cluster " + cluster->name() + " failed: " + hsEc.message());
  admin::metrics().upstreamConnection(cluster->name(), false);
  co_return conn;
}

void UpstreamPool::release(const ClusterPtr& cluster, UpstreamConnectionPtr connection) {
  auto& entry = idle_[cluster.get()];
  if (!entry.first) entry.first = cluster;
  if (entry.second.size() >= maxIdle_) return;  // dropping it closes it
  connection->idleSince = std::chrono::steady_clock::now();
  connection->buffer.clear();
  entry.second.push_back(std::move(connection));
  admin::metrics().setUpstreamIdle(cluster->name(), 1);
}

void UpstreamPool::clear() {
  for (auto& [key, entry] : idle_) {
    admin::metrics().setUpstreamIdle(entry.first->name(), -static_cast<std::int64_t>(entry.second.size()));
  }
  idle_.clear();
}

}  // namespace kubegate::proxy
