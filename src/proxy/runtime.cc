#include "proxy/runtime.h"
#include "admin/json_log.h"

#include <spdlog/spdlog.h>

namespace kubegate::proxy {

namespace {

// Profiles compile here, on the control plane, and a policy rule may only name one that exists: a
// typo must not quietly give an agent the default (or no) masking.
std::shared_ptr<const mask::ProfileSet> compileMasking(const config::Masking& masking, const policy::Policy& policy) {
  std::shared_ptr<const mask::ProfileSet> set;
  try {
    set = mask::ProfileSet::compile(masking.profiles, masking.defaultProfile);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(e.what());
  }
  for (const auto& rule : policy.rules()) {
    if (!rule.maskingProfile.empty() && !set->find(rule.maskingProfile)) {
      throw config::ConfigError("policy: rule " + rule.id + " names masking profile \"" + rule.maskingProfile +
                                "\", which masking.profiles does not define");
    }
  }
  return set;
}

}  // namespace

RuntimePtr buildRuntime(config::Config cfg, std::uint64_t generation) {
  auto rt = std::make_shared<Runtime>();
  rt->generation = generation;
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  try {
    tls->use_certificate_chain_file(cfg.tls.certFile);
    tls->use_private_key_file(cfg.tls.keyFile, ssl::context::pem);
    if (!cfg.tls.clientCaFile.empty()) {
      tls->load_verify_file(cfg.tls.clientCaFile);
      // Ask for a certificate; a client without one goes on to the other authenticators.
      tls->set_verify_mode(ssl::verify_peer);
    }
  } catch (const boost::system::system_error& e) {
    throw config::ConfigError(std::string("tls: cannot load the gateway's certificate or client CA: ") + e.what());
  }
  // Upgrade connections must stay HTTP/1.1; ALPN is answered with http/1.1 only.
  SSL_CTX_set_alpn_select_cb(
      tls->native_handle(),
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen, void*) {
        static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
        for (unsigned int i = 0; i < inlen;) {
          const unsigned len = in[i];
          if (len == sizeof(kHttp11) && i + 1 + len <= inlen && std::equal(kHttp11, kHttp11 + len, in + i + 1)) {
            *out = in + i + 1;
            *outlen = static_cast<unsigned char>(len);
            return SSL_TLSEXT_ERR_OK;
          }
          i += 1 + len;
        }
        return SSL_TLSEXT_ERR_NOACK;
      },
      nullptr);
  // Idle connections (watches, keep-alive) give their 16 KiB+ record buffers back.
  SSL_CTX_set_mode(tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  // No TLS 1.3 session tickets: client-go and kubectl never resume a session, so the two tickets
  // OpenSSL sends after every handshake were work and memory for nothing.
  SSL_CTX_set_num_tickets(tls->native_handle(), 0);
  rt->serverTls = std::move(tls);
  for (const auto& c : cfg.clusters) {
    if (c.insecureSkipTlsVerify) {
      spdlog::warn(R"({{"msg":"insecureSkipTLSVerify is set: the gateway does not verify this cluster's certificate","cluster":"{}"}})",
                   admin::JsonText{c.name});
    }
    rt->clusters.emplace(c.name, std::make_shared<Cluster>(c));
  }
  // A bearer token, when sent, decides alone: a bad token is refused even with a good certificate.
  for (const auto& issuer : cfg.authentication.oidc) {
    rt->issuerKeys.push_back(std::make_shared<identity::IssuerKeyCache>(issuer));
  }
  if (!rt->issuerKeys.empty()) rt->authenticators.add(std::make_unique<identity::OidcAuthenticator>(rt->issuerKeys));
  rt->authenticators.add(std::make_unique<identity::ClientCertAuthenticator>());
  if (cfg.policy.file.empty()) {
    spdlog::warn("{}", R"({"msg":"no policy configured: every request is refused until the config sets policy.file"})");
    rt->policy = policy::Policy::refuseAll("no policy configured: kubegate refuses every request until its config sets policy.file");
  } else {
    try {
      rt->policy = policy::loadPolicyFile(cfg.policy.file);
      spdlog::info(R"({{"msg":"policy loaded","file":"{}","rules":{},"digest":"{}"}})", admin::JsonText{cfg.policy.file},
                   rt->policy->rules().size(), rt->policy->digest());
    } catch (const policy::PolicyError& e) {
      throw config::ConfigError(std::string("policy: ") + e.what());
    }
  }
  rt->masking = compileMasking(cfg.masking, *rt->policy);
  rt->config = std::move(cfg);
  return rt;
}

void Runtime::startBackground(asio::any_io_executor control) const {
  for (const auto& keys : issuerKeys) keys->start(control);
}

bool Runtime::identityReady() const {
  const auto now = std::chrono::system_clock::now();
  for (const auto& keys : issuerKeys) {
    if (!keys->keys(now)) return false;
  }
  return true;
}

void Runtime::stopBackground() const {
  for (const auto& keys : issuerKeys) keys->stop();
}

}  // namespace kubegate::proxy
