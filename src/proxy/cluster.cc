#include "proxy/cluster.h"

#include <fstream>

#include <openssl/ssl.h>
#include <sstream>

#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

namespace kubegate::proxy {

std::string TokenFile::current() {
  // Rotation is noticed within a second; checking the file on every request would cost a stat each.
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (!token_.empty() && now < nextCheck_) return token_;
  nextCheck_ = now + std::chrono::seconds(1);
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec) return token_;  // keep the last good token through a rotation's brief absence
  if (mtime != loadedAt_ || token_.empty()) {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (!token.empty()) {
      token_ = std::move(token);
      loadedAt_ = mtime;
    }
  }
  return token_;
}

Cluster::Cluster(const config::Cluster& cfg) : cfg_(cfg), tls_(ssl::context::tls_client) {
  auto url = boost::urls::parse_uri(cfg.server);
  host_ = std::string(url->host());
  port_ = url->has_port() ? std::string(url->port()) : "443";
  hostHeader_ = url->has_port() ? host_ + ":" + port_ : host_;
  tls_.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  SSL_CTX_set_mode(tls_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  try {
    if (cfg.insecureSkipTlsVerify) {
      tls_.set_verify_mode(ssl::verify_none);
    } else {
      tls_.load_verify_file(cfg.caFile);
      tls_.set_verify_mode(ssl::verify_peer);
    }
    if (!cfg.credentials.clientCertFile.empty()) {
      tls_.use_certificate_chain_file(cfg.credentials.clientCertFile);
      tls_.use_private_key_file(cfg.credentials.clientKeyFile, ssl::context::pem);
    }
  } catch (const boost::system::system_error& e) {
    throw config::ConfigError("clusters." + cfg.name + ": cannot load TLS material: " + e.what());
  }
  if (!cfg.credentials.tokenFile.empty()) token_ = std::make_unique<TokenFile>(cfg.credentials.tokenFile);
  if (cfg.eks.enabled) eks_ = std::make_unique<aws::EksSessions>(cfg.eks, aws::gatewayBaseCredentials(cfg.eks));
}

std::string Cluster::authorizationHeader() {
  if (!token_) return {};
  auto token = token_->current();
  return token.empty() ? std::string{} : "Bearer " + token;
}

}  // namespace kubegate::proxy
