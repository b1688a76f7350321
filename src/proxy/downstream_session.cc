#include "proxy/downstream_session.h"

#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "admin/json_log.h"
#include "admin/metrics.h"
#include "k8s/request_info.h"
#include "policy/policy.h"
#include "proxy/approval_gate.h"
#include "proxy/forwarder.h"
#include "proxy/grants_endpoint.h"
#include "proxy/request_audit.h"
#include "proxy/request_decision.h"
#include "proxy/tunnel.h"

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kClusterPrefix = "/clusters/";

std::vector<std::string> subjectEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

// The verified client certificate's subject, when the client presented one.
identity::Credentials connectionCredentials(TlsStream& stream) {
  identity::Credentials creds;
  SSL* ssl = stream.native_handle();
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return creds;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    X509_NAME* subject = X509_get_subject_name(cert);
    auto cn = subjectEntries(subject, NID_commonName);
    if (!cn.empty()) creds.clientCertSubjectCN = cn.front();
    creds.clientCertSubjectO = subjectEntries(subject, NID_organizationName);
  }
  X509_free(cert);
  return creds;
}

asio::awaitable<void> writeStatus(TlsStream& stream, const k8s::GatewayError& error, bool keepAlive,
                                  std::chrono::seconds timeout, std::string_view requestId = {}) {
  http::response<http::string_body> res{static_cast<http::status>(k8s::httpStatus(error.kind)), 11};
  res.set(http::field::content_type, "application/json");
  if (!requestId.empty()) res.set("Kubegate-Request-Id", requestId);
  res.set(http::field::cache_control, "no-cache, private");
  res.body() = k8s::statusBody(error);
  res.keep_alive(keepAlive && !k8s::closesConnection(error.kind));
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await http::async_write(stream, res, kAsTuple);
}

// After refusing a request whose body was not read, closing at once would make the kernel reset
// the connection and the client would lose the refusal. Stop sending, then discard what the client
// is still sending for a short, bounded while.
asio::awaitable<void> lingerClose(TlsStream& stream) {
  auto& tcpStream = beast::get_lowest_layer(stream);
  error_code ignored;
  tcpStream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  tcpStream.expires_after(std::chrono::seconds(2));
  std::array<char, 16 * 1024> sink;
  for (std::size_t drained = 0; drained < 4 * 1024 * 1024;) {
    auto [ec, n] = co_await tcpStream.async_read_some(asio::buffer(sink), kAsTuple);
    if (ec) break;
    drained += n;
  }
  tcpStream.close();
}

struct Routed {
  ClusterPtr cluster;
  std::string prefix;        // what the client sees before the API path (re-added to Location)
  std::string upstreamPath;  // what the cluster sees
  std::string purpose;       // from /clusters/<name>/purpose/<purpose>/..., when present
};

// 1-63 characters of [a-z0-9-]: it travels into logs, records and policy, never as free text.
bool validPurpose(std::string_view p) {
  if (p.empty() || p.size() > 63) return false;
  for (char c : p) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

http_hygiene::Result<Routed> route(const Runtime& rt, const std::string& path) {
  if (!path.starts_with(kClusterPrefix)) {
    return makeError(ErrorKind::NotFound, "kubegate serves clusters at /clusters/<name>; point the kubeconfig server there");
  }
  auto rest = std::string_view(path).substr(kClusterPrefix.size());
  const auto slash = rest.find('/');
  const auto name = rest.substr(0, slash);
  auto it = rt.clusters.find(name);
  if (it == rt.clusters.end()) return makeError(ErrorKind::NotFound, "no cluster named \"" + std::string(name) + "\" behind this gateway");
  Routed r{it->second, std::string(kClusterPrefix) + std::string(name), "/", ""};
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  // A kubeconfig cannot add headers, so an agent may name its purpose in the server URL instead.
  constexpr std::string_view kPurpose = "/purpose/";
  if (rest.starts_with(kPurpose)) {
    const auto after = rest.substr(kPurpose.size());
    const auto end = after.find('/');
    r.purpose = std::string(after.substr(0, end));
    if (!validPurpose(r.purpose)) return makeError(ErrorKind::BadRequest, "a purpose is 1 to 63 characters of a-z, 0-9 and '-'");
    r.prefix += std::string(kPurpose) + r.purpose;
    rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
  }
  if (!rest.empty()) r.upstreamPath = std::string(rest);
  return r;
}

// The session's purpose: the Kubegate-Purpose header, or the one in the server URL; both must agree.
http_hygiene::Result<std::string> sessionPurpose(const http_io::InboundRequest& in, const std::string& fromPath) {
  const auto header = in.message.find("Kubegate-Purpose");
  if (header == in.message.end()) return fromPath;
  const std::string value(header->value());
  if (!validPurpose(value)) return makeError(ErrorKind::BadRequest, "a purpose is 1 to 63 characters of a-z, 0-9 and '-'");
  if (!fromPath.empty() && fromPath != value) return makeError(ErrorKind::BadRequest, "the purpose in the header and in the URL differ");
  return value;
}

// The connection's credentials plus this request's bearer token. One Authorization header at
// most, and only the Bearer scheme: anything else is refused rather than ignored.
http_hygiene::Result<identity::Credentials> requestCredentials(const http_io::InboundRequest& in,
                                                               const identity::Credentials& connection) {
  identity::Credentials c = connection;
  const auto range = in.message.equal_range(http::field::authorization);
  if (range.first == range.second) return c;
  if (std::next(range.first) != range.second) return makeError(ErrorKind::Unauthorized, "Unauthorized: more than one Authorization header");
  auto token = http_hygiene::parseBearerAuthorization(range.first->value());
  if (!token) return token.error();
  c.bearerToken = std::move(*token);
  return c;
}

// Upgrades are only for the streaming subresources; anything else (h2c, a WebSocket to a secret)
// would be a tunnel past every check.
http_hygiene::Result<void> checkUpgrade(const http_io::InboundRequest& in, const k8s::RequestInfo& info) {
  if (!in.upgrade) return {};
  const bool streaming = info.isResourceRequest && info.resource == "pods" &&
                         (info.subresource == "exec" || info.subresource == "attach" || info.subresource == "portforward");
  if (!streaming) return makeError(ErrorKind::BadRequest, "upgrades are accepted only for pods/exec, pods/attach and pods/portforward");
  auto proto = http_hygiene::headerTokens(in.upgradeProtocol);
  if (proto.size() != 1 || (proto[0] != "websocket" && proto[0] != "spdy/3.1")) {
    return makeError(ErrorKind::BadRequest, "only WebSocket and SPDY/3.1 upgrades are accepted");
  }
  return {};
}

struct RequestLog {
  std::string_view cluster;
  const k8s::RequestInfo& info;
  const policy::Decision& decision;
  std::string_view user;
  std::string_view path;
  std::string_view method;
  unsigned status;
  std::uint64_t bytesIn;
  std::uint64_t bytesOut;
  std::chrono::steady_clock::time_point started;
};

void logRequest(const RequestLog& r) {
  using admin::JsonText;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
  const auto& i = r.info;
  admin::metrics().requestFinished(r.cluster, i.verb, r.status, seconds, r.bytesIn, r.bytesOut);
  // The query is left out: exec commands and selectors can carry values nobody should read in a log.
  // The classification is logged as the gateway read it, so what was decided on can be checked.
  spdlog::info(R"({{"msg":"request","cluster":"{}","method":"{}","path":"{}","verb":"{}","effectiveVerb":"{}","group":"{}","version":"{}","resource":"{}","subresource":"{}","namespace":"{}","name":"{}","execClass":{},"user":"{}","decision":"{}","rule":"{}","policy":"{}","status":{},"bytesIn":{},"bytesOut":{},"seconds":{:.6f}}})",
               JsonText{r.cluster}, JsonText{r.method}, JsonText{r.path}, JsonText{i.verb}, JsonText{i.effectiveVerb},
               JsonText{i.apiGroup}, JsonText{i.apiVersion}, JsonText{i.resource}, JsonText{i.subresource},
               JsonText{i.namespace_}, JsonText{i.name}, i.execClass, JsonText{r.user},
               policy::toString(r.decision.effect), JsonText{r.decision.ruleId}, r.decision.policyDigest, r.status, r.bytesIn, r.bytesOut,
               seconds);
}

// Records the refusal, answers with a Status; returns whether the connection may carry another request.
asio::awaitable<bool> refuse(TlsStream& stream, bool clientKeepAlive, std::chrono::seconds timeout,
                             k8s::GatewayError error, RequestAudit& audit) {
  admin::metrics().refusal(k8s::statusReason(error.kind));
  audit.recordRefusal(error);
  co_await writeStatus(stream, error, clientKeepAlive, timeout, audit.requestId());
  co_return clientKeepAlive && !k8s::closesConnection(error.kind);
}

// A request whose answer will be masked must accept JSON (406 otherwise), decided before the
// request is recorded as forwarded.
std::optional<k8s::GatewayError> unmaskableAccept(const http_io::InboundRequest& in, const RequestScope& scope) {
  if (!scope.masking.active() || in.upgrade || answersWithByteStream(scope.info)) return std::nullopt;
  auto accept = upstreamAccept(in.message[http::field::accept]);
  if (!accept) return accept.error();
  return std::nullopt;
}

// A request admitted to go upstream: what it carries from admission to its end.
struct Admitted {
  // A constructor, not aggregate initialisation: GCC 12 mishandles braced aggregates in coroutines.
  explicit Admitted(RequestScope s) : scope(std::move(s)) {}
  RequestScope scope;
  policy::Decision decision;  // views into the runtime's policy, which the request keeps alive
  // Set when a just-in-time grant let the request through: the decision's rule id views grantRule,
  // and open streams end when the grant does.
  std::string grantRule;
  std::optional<std::chrono::system_clock::time_point> grantEnds;
};

// A just-in-time grant lets through what no rule allowed and what a review rule would hold, never
// what a deny rule (or an unreadable body) refused.
bool grantMayDecide(const RequestVerdict& verdict) {
  const auto& d = verdict.decision;
  return verdict.objectError.empty() &&
         (d.effect == policy::Effect::review || (d.effect == policy::Effect::deny && d.ruleId == policy::kRuleDefaultDeny));
}

void applyGrant(Admitted& admitted, const approvals::Approval& grant) {
  admitted.grantRule = "grant:" + grant.id;
  admitted.grantEnds = grant.usableUntil;
  auto& d = admitted.decision;
  d.effect = policy::Effect::allow;
  d.ruleId = admitted.grantRule;
  d.message = {};
  d.maskingProfile = {};  // a grant widens access, never what is shown: the default masking profile
  d.review = nullptr;
}

// EKS clusters: the IAM role mapped to this agent and rule, its role session and a token for the
// cluster, all made by the gateway (aws/eks_sessions.h). No mapping, or STS refusing, refuses the
// request: it never goes with anyone else's credential.
asio::awaitable<std::optional<k8s::GatewayError>> assumeEksRole(RequestScope& scope, const policy::Decision& decision) {
  auto* eks = scope.cluster->eks();
  const auto* role = eks->roleFor(scope.identity, decision.ruleId);
  if (!role) {
    co_return makeError(ErrorKind::Forbidden, "kubegate: no IAM role of cluster " + scope.cluster->name() +
                                                  " is mapped to this agent's groups or to rule " + std::string(decision.ruleId));
  }
  auto credential = co_await eks->credentialFor(scope.identity, *role, false);
  if (!credential) {
    const auto& e = credential.error();
    // AWS refusing the role (trust policy, external id) is a refusal; anything else is the path to the cluster failing.
    const auto kind = e.kind == aws::AwsError::Kind::service && e.httpStatus == 403 ? ErrorKind::Forbidden : ErrorKind::BadGateway;
    co_return makeError(kind, "kubegate cannot assume " + role->roleArn + " for cluster " + scope.cluster->name() + ": " +
                                  (e.code.empty() ? "" : e.code + ": ") + e.message);
  }
  scope.eksRole = role;
  scope.upstreamAuthorization = std::move(credential->authorization);
  scope.awsRoleArn = role->roleArn;
  scope.awsSessionName = std::move(credential->sessionName);
  co_return std::nullopt;
}

// What the request is, before anyone is asked who sent it.
struct Understood {
  Routed routed;
  identity::Credentials credentials;
};

// `info` is filled as soon as the request is classified, so that a refusal after that point is
// recorded with its classification.
http_hygiene::Result<Understood> understand(const Runtime& rt, SessionHost& host, const http_io::InboundRequest& in,
                                            const identity::Credentials& connection, audit::RequestFacts& facts,
                                            std::optional<k8s::RequestInfo>& info) {
  if (host.draining()) return makeError(ErrorKind::ServiceUnavailable, "kubegate is shutting down; retry");
  auto routed = route(rt, in.target.path);
  if (!routed) return routed.error();
  facts.cluster = routed->cluster->name();
  auto classified = k8s::classify(in.message.method_string(), routed->upstreamPath, in.target.query);
  if (!classified) return classified.error();
  info = std::move(*classified);
  facts.info = &*info;
  if (auto ok = checkUpgrade(in, *info); !ok) return ok.error();
  auto credentials = requestCredentials(in, connection);
  if (!credentials) {
    admin::metrics().authenticationFailure("none", "bad_authorization_header");
    facts.authenticationFailure = credentials.error().message;
    return credentials.error();
  }
  return Understood{std::move(*routed), std::move(*credentials)};
}

// Routes, classifies, authenticates, decides and records the request, answering any refusal
// itself (then `keep` says whether the connection may carry another request). A coroutine of its
// own, so that everything admission needed is freed before a watch or tunnel starts streaming.
asio::awaitable<std::optional<Admitted>> admit(TlsStream& stream, beast::flat_buffer& buffer, http_io::InboundRequest& in,
                                               const identity::Credentials& creds, const Runtime& rt,
                                               SessionHost& host, UpstreamPool& pool, RequestAudit& audit, bool& keep,
                                               std::chrono::steady_clock::time_point started) {
  const bool clientKeepAlive = in.message.keep_alive();
  const auto timeout = rt.config.limits.headerTimeout;
  auto& facts = audit.facts();
  std::optional<k8s::RequestInfo> info;
  auto understood = understand(rt, host, in, creds, facts, info);
  if (!understood) {
    keep = co_await refuse(stream, clientKeepAlive, timeout, understood.error(), audit);
    co_return std::nullopt;
  }
  // Awaited: a token signed by a key the gateway is fetching right now waits (bounded) for it.
  auto id = co_await rt.authenticators.authenticate(understood->credentials);
  if (!id) {
    facts.authenticationFailure = id.error().message;
    keep = co_await refuse(stream, clientKeepAlive, timeout, id.error(), audit);
    co_return std::nullopt;
  }
  id->sessionId = facts.sessionId;
  auto purpose = sessionPurpose(in, understood->routed.purpose);
  if (!purpose) {
    keep = co_await refuse(stream, clientKeepAlive, timeout, purpose.error(), audit);
    co_return std::nullopt;
  }
  id->purpose = std::move(*purpose);

  auto& routed = understood->routed;
  std::optional<Admitted> admitted;
  admitted.emplace(RequestScope{routed.cluster, routed.prefix, routed.upstreamPath, std::move(*id), facts.sourceAddress,
                                std::move(*info)});
  auto& scope = admitted->scope;
  facts.identity = &scope.identity;
  facts.info = &scope.info;
  // Guardrails: nothing goes upstream that the policy did not allow; a refusal is logged like any
  // other request, with the rule that made it.
  const auto verdict = decideRequest(rt, in, scope);
  admitted->decision = verdict.decision;
  facts.decision = &admitted->decision;
  if (host.approvalGate() && grantMayDecide(verdict)) {
    if (auto grant = host.approvalGate()->grantCovering(scope)) {
      applyGrant(*admitted, *grant);
      facts.approvalId = grant->id;
    }
  }
  const auto& decision = admitted->decision;
  std::optional<k8s::GatewayError> refusal;
  const bool reviewable = decision.effect == policy::Effect::review && host.approvalGate() && verdict.objectError.empty();
  if (decision.effect == policy::Effect::allow || reviewable) {
    scope.masking = maskingFor(rt.masking, decision, scope.info);
    refusal = unmaskableAccept(in, scope);
  } else {
    refusal = makeError(ErrorKind::Forbidden, refusalMessage(verdict));
  }
  // On EKS the role and token come first: the reviewer's dry run is asked with them too.
  if (!refusal && scope.cluster->eks()) refusal = co_await assumeEksRole(scope, decision);
  if (!refusal && reviewable) {
    // Held (or refused with the approval's id) until a reviewer decides on exactly this request.
    PreviewContext preview(pool, rt.config.limits, host.auditLog(), rt.config.audit, facts.sessionId);
    auto gate = co_await host.approvalGate()->admit(stream, buffer, in, scope, decision, audit.requestId(), &preview);
    facts.approvalId = gate.approvalId;
    refusal = std::move(gate.refusal);
    if (gate.clientGone) {
      audit.recordRefusal(*refusal);
      keep = false;
      co_return std::nullopt;
    }
  }
  // A request held for minutes may have outlived its token: asked again (cached while still good).
  if (!refusal && reviewable && scope.cluster->eks()) refusal = co_await assumeEksRole(scope, decision);
  if (!refusal) {
    // Write-ahead: the request is on the record before any byte of it reaches the cluster.
    refusal = co_await audit.recordBeforeForwarding(in, scope);
  }
  if (refusal) {
    keep = co_await refuse(stream, clientKeepAlive, timeout, *refusal, audit);
    logRequest({scope.cluster->name(), scope.info, decision, scope.identity.username, scope.upstreamPath,
                in.message.method_string(), k8s::httpStatus(refusal->kind), 0, 0, started});
    co_return std::nullopt;
  }
  co_return admitted;
}

// The gateway's own API for agents (grants_endpoint.h): authenticated like any request, answered by
// the gateway, recorded.
asio::awaitable<bool> serveGrantCall(TlsStream& stream, http_io::InboundRequest& in, const identity::Credentials& connection,
                                     const Runtime& rt, SessionHost& host, RequestAudit& audit) {
  const bool clientKeepAlive = in.message.keep_alive();
  const auto timeout = rt.config.limits.headerTimeout;
  auto& facts = audit.facts();
  auto credentials = requestCredentials(in, connection);
  if (!credentials) co_return co_await refuse(stream, clientKeepAlive, timeout, credentials.error(), audit);
  auto id = co_await rt.authenticators.authenticate(*credentials);
  if (!id) {
    facts.authenticationFailure = id.error().message;
    co_return co_await refuse(stream, clientKeepAlive, timeout, id.error(), audit);
  }
  id->sessionId = facts.sessionId;
  auto purpose = sessionPurpose(in, "");
  if (!purpose) co_return co_await refuse(stream, clientKeepAlive, timeout, purpose.error(), audit);
  id->purpose = std::move(*purpose);
  facts.identity = &*id;
  auto answer = answerGrantCall(host.approvalGate(), rt, in, *id, audit.requestId());
  if (!answer) co_return co_await refuse(stream, clientKeepAlive, timeout, answer.error(), audit);
  facts.approvalId = answer->approvalId;
  audit.recordAnswer(answer->status, answer->reason, "");
  http::response<http::string_body> res{static_cast<http::status>(answer->status), 11};
  res.set(http::field::content_type, "application/json");
  res.set("Kubegate-Request-Id", audit.requestId());
  res.set(http::field::cache_control, "no-cache, private");
  res.body() = std::move(answer->body);
  res.keep_alive(clientKeepAlive);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [ec, written] = co_await http::async_write(stream, res, kAsTuple);
  co_return !ec && clientKeepAlive;
}

// Handles one parsed request; returns whether the connection may carry another. Every way out is
// recorded: refusals at once, forwarded requests before they go and again when they complete.
asio::awaitable<bool> serveRequest(TlsStream& stream, beast::flat_buffer& buffer, http_io::InboundRequest& in,
                                   const identity::Credentials& creds, const std::string& sessionId,
                                   const std::string& clientAddress, SessionHost& host, UpstreamPool& pool) {
  const auto started = std::chrono::steady_clock::now();
  auto rt = host.runtime();
  const auto& limits = rt->config.limits;
  const bool clientKeepAlive = in.message.keep_alive();
  RequestAudit audit(host.auditLog(), rt->config.audit, sessionId, clientAddress);
  audit.describe(in);
  if (isGrantsPath(in.target.path)) co_return co_await serveGrantCall(stream, in, creds, *rt, host, audit);
  bool keep = false;
  auto admitted = co_await admit(stream, buffer, in, creds, *rt, host, pool, audit, keep, started);
  if (!admitted) co_return keep;
  auto& scope = admitted->scope;
  if (scope.identity.expiry) {
    const auto left = *scope.identity.expiry - std::chrono::system_clock::now() + rt->config.authentication.sessionExpiryGrace;
    scope.sessionDeadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
  }
  if (admitted->grantEnds) {
    // No grace: the grant's window is what the reviewer approved.
    const auto left = *admitted->grantEnds - std::chrono::system_clock::now();
    scope.sessionDeadline = std::min(scope.sessionDeadline, std::chrono::steady_clock::now() +
                                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(left));
  }
  scope.requestId = audit.requestId();
  scope.responseBodyLimit = audit.responseBodyLimit(scope.info);
  if (host.auditLog()) {
    scope.recordSession = [&audit, &scope](std::string protocol, std::string asciicast, bool final, std::string summary) {
      audit.recordSessionChunk(scope, std::move(protocol), std::move(asciicast), final, std::move(summary));
    };
  }
  host.requestStarted();
  // Not a conditional expression: GCC 12 destroys temporaries of a co_await inside ?: twice.
  ForwardOutcome out;
  if (in.upgrade) {
    out = co_await forwardUpgrade(stream, buffer, in, scope, pool, limits);
  } else {
    out = co_await forwardRequest(stream, buffer, in, scope, pool, limits);
  }
  host.requestFinished();
  keep = out.keepDownstream;
  if (out.error && !out.responseStarted) {
    admin::metrics().refusal(k8s::statusReason(out.error->kind));
    co_await writeStatus(stream, *out.error, clientKeepAlive, limits.headerTimeout, audit.requestId());
    keep = clientKeepAlive && !k8s::closesConnection(out.error->kind);
    out.status = k8s::httpStatus(out.error->kind);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  audit.recordCompletion(out, scope, seconds);
  logRequest({scope.cluster->name(), scope.info, admitted->decision, scope.identity.username, scope.upstreamPath,
              in.message.method_string(), out.status, out.bytesIn, out.bytesOut, started});
  co_return keep && in.message.keep_alive();
}

}  // namespace

asio::awaitable<void> runDownstreamSession(tcp::socket socket, SessionHost& host, UpstreamPool& pool,
                                           std::function<void(std::function<void()>)> registerCloser,
                                           std::function<void()> onClose) {
  error_code ignored;
  const auto remote = socket.remote_endpoint(ignored);
  const std::string clientAddress = remote.address().to_string();
  auto rt = host.runtime();
  TlsStream stream(std::move(socket), *rt->serverTls);
  registerCloser([&stream] { beast::get_lowest_layer(stream).close(); });
  admin::metrics().downstreamConnection(1);
  beast::get_lowest_layer(stream).expires_after(rt->config.limits.headerTimeout);
  auto [hsEc] = co_await stream.async_handshake(ssl::stream_base::server, kAsTuple);
  if (!hsEc) {
    const auto creds = connectionCredentials(stream);
    const std::string sessionId = timeOrderedId();
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
      auto outcome = co_await http_io::readRequest(stream, buffer, host.runtime()->config.limits, first);
      if (outcome.closed) break;
      if (outcome.error) {
        admin::metrics().refusal(k8s::statusReason(outcome.error->kind));
        recordMalformedRequest(host.auditLog(), sessionId, clientAddress, *outcome.error);
        co_await writeStatus(stream, *outcome.error, false, rt->config.limits.headerTimeout);
        co_await lingerClose(stream);
        break;
      }
      if (!co_await serveRequest(stream, buffer, *outcome.request, creds, sessionId, clientAddress, host, pool)) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kAsTuple);
  }
  beast::get_lowest_layer(stream).close();
  admin::metrics().downstreamConnection(-1);
  onClose();
}

}  // namespace kubegate::proxy
