// Upstream connections to clusters, kept per worker (an Asio socket belongs to one io_context), so
// the pool needs no lock. Connections for upgrades are never taken from or returned to the pool.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "http/hygiene.h"
#include "net/asio.h"
#include "proxy/cluster.h"

namespace kubegate::proxy {

struct UpstreamConnection {
  explicit UpstreamConnection(asio::any_io_executor ex, ssl::context& tls) : stream(ex, tls) {}
  TlsStream stream;
  beast::flat_buffer buffer;
  bool reused = false;
  std::chrono::steady_clock::time_point idleSince{};
};

using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

class UpstreamPool {
 public:
  UpstreamPool(asio::any_io_executor ex, std::size_t maxIdlePerCluster)
      : executor_(std::move(ex)), maxIdle_(maxIdlePerCluster) {}

  // A pooled connection when one is idle and fresh, else a new one (connect + TLS handshake with
  // the cluster's CA and host name verified).
  asio::awaitable<http_hygiene::Result<UpstreamConnectionPtr>> acquire(const ClusterPtr& cluster,
                                                                       std::chrono::seconds connectTimeout,
                                                                       bool allowPooled = true);
  // Returns a connection whose last exchange ended cleanly and may carry another request.
  void release(const ClusterPtr& cluster, UpstreamConnectionPtr connection);
  // Drops every idle connection (config reload, drain).
  void clear();

 private:
  asio::any_io_executor executor_;
  std::size_t maxIdle_;
  std::map<const Cluster*, std::pair<ClusterPtr, std::vector<UpstreamConnectionPtr>>> idle_;
};

}  // namespace kubegate::proxy
