#include "cli/request_command.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <iostream>
#include <thread>

#include "approvals/approval_json.h"
#include "cli/kubeconfig_reader.h"
#include "net/https_client.h"

namespace kubegate::cli {
namespace {

namespace json = boost::json;
using approvals::displayField;
using approvals::displaySafe;

constexpr std::string_view kGrantsPath = "/kubegate/v1/grants";
constexpr auto kPollInterval = std::chrono::seconds(2);

ReviewResult<std::shared_ptr<ssl::context>> tlsFor(const KubeconfigCluster& cluster) {
  if (cluster.insecureSkipTlsVerify)
    return ReviewError{"the kubeconfig skips TLS verification; kubegate request will not send a token that way"};
  if (cluster.caPem.empty()) {
    try {
      return net::makeClientTlsContext(cluster.caFile);
    } catch (const boost::system::system_error& e) {
      return ReviewError{"cannot load the certificate authority " + cluster.caFile + ": " + e.what()};
    }
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->add_certificate_authority(asio::buffer(cluster.caPem), ec);
  if (ec) return ReviewError{"the kubeconfig's certificate-authority-data is not a PEM certificate"};
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

struct Session {
  std::string base;
  std::string token;
  std::shared_ptr<ssl::context> tls;
  std::chrono::seconds timeout;
};

struct Reply {
  unsigned status = 0;
  json::object body;
};

ReviewResult<Reply> call(const Session& s, std::string method, std::string path, std::string body) {
  net::HttpsRequest request;
  request.method = std::move(method);
  request.url = s.base + path;
  request.headers["Authorization"] = "Bearer " + s.token;
  request.headers["Accept"] = "application/json";
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.body = std::move(body);
  request.timeout = s.timeout;
  auto response = net::httpsFetchBlocking(std::move(request), *s.tls);
  if (!response) return ReviewError{"cannot reach the gateway: " + response.error().message};
  boost::system::error_code ec;
  auto parsed = json::parse(response->body, ec);
  if (ec || !parsed.is_object()) return ReviewError{"the gateway answered HTTP " + std::to_string(response->status) + " without JSON"};
  return Reply{response->status, std::move(parsed.get_object())};
}

void printGrant(const json::object& g, std::ostream& out) {
  out << "Grant request: " << displayField(g, "id") << "\n";
  out << "State:         " << displayField(g, "state") << "\n";
  out << "What:          " << displayField(g, "summary") << "\n";
  if (const auto until = displayField(g, "usableUntil"); !until.empty()) out << "Ends:          " << until << "\n";
  if (const auto reason = displayField(g, "denyReason"); !reason.empty()) out << "Deny reason:   " << reason << "\n";
  if (const auto command = displayField(g, "decideCommand"); !command.empty()) out << "A reviewer decides with: " << command << "\n";
}

ReviewResult<std::string> grantRequestBody(const RequestCommandOptions& o, const std::string& cluster) {
  if (o.verbs.empty() || o.resources.empty() || o.duration.empty() || o.reason.empty())
    return ReviewError{"a grant request needs --verbs, --resources, --for and --reason"};
  // Lists go as typed ("get,patch"): the gateway reads comma lists and arrays alike, and checks them.
  json::object body{{"cluster", cluster},
                    {"namespace", o.namespace_},
                    {"verbs", o.verbs},
                    {"resources", o.resources},
                    {"duration", o.duration},
                    {"reason", o.reason}};
  if (!o.names.empty()) body["names"] = o.names;
  return {boost::system::in_place_value, json::serialize(body)};
}

// Polls until the grant is no longer pending (or the wait ends); returns its last view.
ReviewResult<json::object> waitForDecision(const Session& s, const std::string& id, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto reply = call(s, "GET", std::string(kGrantsPath) + "/" + id, "");
    if (!reply) return reply.error();
    if (reply->status != 200) return ReviewError{"the gateway answered: " + displayField(reply->body, "message")};
    if (displayField(reply->body, "state") != "pending" || std::chrono::steady_clock::now() >= deadline) return reply->body;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

GatewayServer splitGatewayServer(const std::string& server) {
  const auto at = server.find("/clusters/");
  if (at == std::string::npos) {
    std::string base = server;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return {base, ""};
  }
  const auto rest = server.substr(at + 10);
  return {server.substr(0, at), rest.substr(0, rest.find('/'))};
}

CLI::App* addRequestCommand(CLI::App& app, RequestCommandOptions& o) {
  auto* cmd = app.add_subcommand("request", "Ask reviewers for a just-in-time grant (docs/approvals.md)");
  cmd->add_option("--kubeconfig", o.kubeconfig, "The agent's kubeconfig (default $KUBECONFIG, ~/.kube/config)");
  cmd->add_option("--context", o.context, "Context to use (default: current-context)");
  cmd->add_option("--cluster", o.cluster, "Cluster (default: the one the kubeconfig's server names)");
  cmd->add_option("--namespace,-n", o.namespace_, "Namespace the grant covers (none: cluster-scoped resources)");
  cmd->add_option("--verbs", o.verbs, "Verbs, comma-separated: get,list,watch,create,update,patch,delete");
  cmd->add_option("--resources", o.resources, "Resources: deployments, deployments.apps, pods/exec, ...");
  cmd->add_option("--names", o.names, "Only these object names");
  cmd->add_option("--for", o.duration, "How long, counted from the approval: 15m, 1h, 90s");
  cmd->add_option("--reason", o.reason, "Why: reviewers read this");
  cmd->add_option("--status", o.status, "Show grant request ID instead of asking for one");
  cmd->add_flag("--wait", o.wait, "Wait for the reviewers' decision");
  cmd->add_option("--output,-o", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  return cmd;
}

int runRequestCommand(const RequestCommandOptions& o, std::ostream& out, std::ostream& err) {
  const auto path = o.kubeconfig.empty() ? defaultKubeconfigPath() : o.kubeconfig;
  auto cluster = kubeconfigCluster(path, o.context);
  auto token = cluster ? kubeconfigToken(path, o.context) : ReviewResult<std::string>(cluster.error());
  auto tls = cluster ? tlsFor(*cluster) : ReviewResult<std::shared_ptr<ssl::context>>(cluster.error());
  if (!cluster || !token || !tls) {
    err << "kubegate request: " << (!cluster ? cluster.error() : !token ? token.error() : tls.error()).message << "\n";
    return 2;
  }
  const auto server = splitGatewayServer(cluster->server);
  const Session session{server.base, *token, *tls, o.timeout};
  ReviewResult<Reply> reply = ReviewError{};
  if (!o.status.empty()) {
    if (!approvals::plausibleApprovalId(o.status)) {
      err << "kubegate request: " << displaySafe(o.status) << " is not a grant request id (apr-…)\n";
      return 2;
    }
    reply = call(session, "GET", std::string(kGrantsPath) + "/" + o.status, "");
  } else {
    auto body = grantRequestBody(o, o.cluster.empty() ? server.cluster : o.cluster);
    if (!body) {
      err << "kubegate request: " << body.error().message << "\n";
      return 2;
    }
    reply = call(session, "POST", std::string(kGrantsPath), *body);
  }
  if (!reply) {
    err << "kubegate request: " << reply.error().message << "\n";
    return 2;
  }
  if (reply->status >= 300) {
    err << "kubegate request: " << displayField(reply->body, "message") << "\n";
    return 1;
  }
  json::object grant = std::move(reply->body);
  if (o.wait && displayField(grant, "state") == "pending") {
    if (o.output == "text") printGrant(grant, out);
    out.flush();
    auto decided = waitForDecision(session, displayField(grant, "id"), o.waitTimeout);
    if (!decided) {
      err << "kubegate request: " << decided.error().message << "\n";
      return 2;
    }
    grant = std::move(*decided);
  }
  if (o.output == "json") out << json::serialize(grant) << "\n";
  else printGrant(grant, out);
  const auto state = displayField(grant, "state");
  return (o.wait && state != "approved") || state == "denied" || state == "expired" ? 1 : 0;
}

}  // namespace kubegate::cli
