// A cluster behind the gateway: where it is, how the gateway verifies it, and the credential the
// gateway presents to it. Built from config on the control plane; shared read-only by all workers.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "aws/eks_sessions.h"
#include "config/config.h"
#include "net/asio.h"

namespace kubegate::proxy {

// A bearer token read from a file and re-read when the file changes (projected service-account
// tokens are rotated in place).
class TokenFile {
 public:
  explicit TokenFile(std::string path) : path_(std::move(path)) {}
  // The current token; empty when the file cannot be read (the request then fails as 502).
  std::string current();

 private:
  std::string path_;
  std::mutex mutex_;
  std::filesystem::file_time_type loadedAt_{};
  std::chrono::steady_clock::time_point nextCheck_{};
  std::string token_;
};

class Cluster {
 public:
  // Throws config::ConfigError when the CA or client certificate cannot be loaded.
  explicit Cluster(const config::Cluster& cfg);

  const config::Cluster& config() const { return cfg_; }
  const std::string& name() const { return cfg_.name; }
  const std::string& host() const { return host_; }
  const std::string& port() const { return port_; }
  const std::string& hostHeader() const { return hostHeader_; }
  ssl::context& tlsContext() { return tls_; }
  // "Bearer <token>" or empty when the cluster uses a client certificate (or is an EKS cluster).
  std::string authorizationHeader();
  // Set for an EKS cluster: the role sessions and tokens the gateway makes for agents.
  aws::EksSessions* eks() const { return eks_.get(); }

 private:
  config::Cluster cfg_;
  std::string host_;
  std::string port_;
  std::string hostHeader_;
  ssl::context tls_;
  std::unique_ptr<TokenFile> token_;
  std::unique_ptr<aws::EksSessions> eks_;
};

using ClusterPtr = std::shared_ptr<Cluster>;

}  // namespace kubegate::proxy
