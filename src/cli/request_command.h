// `kubegate request`: an agent asks for a just-in-time grant (docs/approvals.md, "Just-in-time
// grants"). It authenticates with the agent's own kubeconfig (the one it reaches the gateway with),
// posts the grant request to the gateway's /kubegate/v1/grants, prints the approval id and the
// reviewer's command, and with --wait stays until a reviewer decides.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kubegate::cli {

struct RequestCommandOptions {
  std::string kubeconfig;  // default: $KUBECONFIG, else ~/.kube/config
  std::string context;
  std::string cluster;     // default: the /clusters/<name> of the kubeconfig's server
  std::string namespace_;
  std::string verbs;       // "get,patch"
  std::string resources;   // "deployments,pods/exec"
  std::string names;
  std::string duration;    // "15m"
  std::string reason;
  std::string status;      // show this grant request instead of asking for one
  bool wait = false;
  std::chrono::seconds waitTimeout{3600};
  std::string output = "text";  // text | json
  std::chrono::seconds timeout{15};
};

CLI::App* addRequestCommand(CLI::App& app, RequestCommandOptions& options);

// Exit codes: 0 asked (or, with --wait, approved); 1 refused by the gateway, or denied or expired;
// 2 the options, the kubeconfig or the connection failed.
int runRequestCommand(const RequestCommandOptions& options, std::ostream& out, std::ostream& err);

// "https://gw:8443/clusters/demo/purpose/x" → base "https://gw:8443", cluster "demo"; empty
// cluster when the server names none. Public for the unit tests.
struct GatewayServer {
  std::string base;
  std::string cluster;
};
GatewayServer splitGatewayServer(const std::string& server);

}  // namespace kubegate::cli
