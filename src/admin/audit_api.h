// The record over HTTP, read-only, on the admin listener, for callers in the auditors group:
//   GET /audit/v1/requests?identity=&cluster=&namespace=&resource=&verb=&decision=&approval=
//                         &session=&request=&since=&until=&limit=      {"items":[...]}
//   GET /audit/v1/requests/<id>          the request, its completion and its session chunks
//   GET /audit/v1/sessions/<id>/cast     the terminal recording (asciicast v2)
//   GET /audit/v1/export?format=k8s&...  audit.k8s.io/v1 Events, one per line
//   GET /audit/v1/verify                 the verifier's report
// Callers authenticate with their own OIDC bearer token, verified as on the data path.
#pragma once

#include <boost/system/result.hpp>

#include <functional>
#include <memory>
#include <string>

#include "audit/store.h"
#include "audit/verify.h"
#include "identity/identity.h"
#include "k8s/gateway_error.h"
#include "net/asio.h"

namespace kubegate::admin {

using AuthenticateCaller = std::function<asio::awaitable<boost::system::result<identity::Identity, k8s::GatewayError>>(
    identity::Credentials)>;

class AuditApi {
 public:
  // `verifyOptions` is asked at each /verify (the trusted heads file grows while the gateway runs);
  // when it throws, /verify answers 503.
  AuditApi(std::unique_ptr<audit::Store> store, std::string auditorsGroup,
           std::function<audit::VerifyOptions()> verifyOptions, AuthenticateCaller authenticate);

  // For any path under /audit/. Runs on the admin listener's executor; reads are short SQLite reads.
  asio::awaitable<http::response<http::string_body>> handle(const http::request<http::string_body>& request);

 private:
  http::response<http::string_body> serve(std::string_view path, std::string_view target);

  std::unique_ptr<audit::Store> store_;
  std::string auditorsGroup_;
  std::function<audit::VerifyOptions()> verifyOptions_;
  AuthenticateCaller authenticate_;
};

}  // namespace kubegate::admin
