// Builds the upstream request from the parsed, decided request (never from the client's bytes),
// sends it, and streams the answer back with back-pressure and bounded memory. Upgrades (exec,
// attach, port-forward) go through tunnel.h once the upstream has answered 101.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "http/request_reader.h"
#include "identity/identity.h"
#include "k8s/request_info.h"
#include "net/asio.h"
#include "proxy/cluster.h"
#include "proxy/response_masking.h"
#include "proxy/upstream_pool.h"

namespace kubegate::proxy {

struct RequestScope {
  ClusterPtr cluster;
  std::string clusterPrefix;  // "/clusters/<name>", re-added to Location headers
  std::string upstreamPath;   // the path with the cluster prefix taken off
  identity::Identity identity;
  std::string clientAddress;
  k8s::RequestInfo info;
  // When the session's credential (plus grace) runs out: streams still open then are closed.
  std::chrono::steady_clock::time_point sessionDeadline = std::chrono::steady_clock::time_point::max();
  std::string_view requestId{};       // the record's id (owned by its RequestAudit), sent as Kubegate-Request-Id
  std::size_t responseBodyLimit = 0;  // bytes of the response body kept for the record
  // Receives a tunnel's recording chunk by chunk (asciicast lines); empty when nothing is recorded.
  std::function<void(std::string protocol, std::string asciicast, bool final, std::string summaryJson)> recordSession{};
  MaskingScope masking{};  // what the answer is masked with, for the client and for the record
  // EKS clusters (aws/eks_sessions.h): the role the agent got and the token the request carries
  // instead of the cluster's own credential. The token is never logged or recorded.
  const config::EksRole* eksRole = nullptr;
  std::string upstreamAuthorization{};
  std::string awsRoleArn{};
  std::string awsSessionName{};

  std::chrono::seconds secondsLeft() const;  // until sessionDeadline, at least 0
};

struct ForwardOutcome {
  unsigned status = 0;
  std::uint64_t bytesIn = 0;
  std::uint64_t bytesOut = 0;
  bool responseStarted = false;           // bytes already went to the client
  bool keepDownstream = true;             // the client connection may carry another request
  std::optional<k8s::GatewayError> error; // to answer with, when no response was started
  // For the record: made only when the response has something to keep, since an idle watch holds
  // its outcome for hours.
  struct Kept {
    std::string body;  // the first RequestScope::responseBodyLimit bytes
    std::string contentType;
    std::string contentEncoding;
    std::string brokenOff;  // why a started response ended early
  };
  std::unique_ptr<Kept> kept = nullptr;
  Kept& keep() {
    if (!kept) kept = std::make_unique<Kept>();
    return *kept;
  }
};

// The upstream request: method, canonical target, forwardable headers, the gateway's own identity
// and framing. Takes the body out of `in`. Fails when identity values cannot be carried in a header
// safely.
http_hygiene::Result<http::request<http::string_body>> buildUpstreamRequest(http_io::InboundRequest& in,
                                                                            const RequestScope& scope);

// Forwards an ordinary request and streams the response to the client. While the response streams,
// the client connection is watched: a client that goes away (Ctrl-C on `kubectl get -w`) ends the
// upstream request at once instead of when the cluster next sends something. Bytes a client
// pipelines meanwhile are kept in `downstreamBuffer` for the next request.
asio::awaitable<ForwardOutcome> forwardRequest(TlsStream& downstream, beast::flat_buffer& downstreamBuffer,
                                               http_io::InboundRequest& in,
                                               const RequestScope& scope, UpstreamPool& pool,
                                               const config::Limits& limits);

// Streams the rest of an upstream response (its header already read into `parser`) to the client.
asio::awaitable<ForwardOutcome> relayResponse(TlsStream& downstream, UpstreamConnection& upstream,
                                              http::response_parser<http::buffer_body>& parser,
                                              const http_io::InboundRequest& in, const RequestScope& scope,
                                              const config::Limits& limits);

// Copies an upstream response header to a downstream one: hop-by-hop and Connection-named fields
// dropped, Location re-prefixed with the cluster path.
void copyResponseHeaders(const http::fields& from, http::fields& to, const RequestScope& scope);

}  // namespace kubegate::proxy
