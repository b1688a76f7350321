// `kubegate review list|show|approve|deny`: the reviewers' tool (docs/approvals.md). It talks to the
// approvals API on the gateway's admin listener (admin/approvals_api.h), from --admin URL or the
// config's admin.listen, and authenticates with the reviewer's own token from their kubeconfig
// (`token`, `tokenFile`, or an `exec` credential plugin). Every value it prints is escaped for the
// terminal first (approvals::displaySafe), so a crafted name cannot hide or reorder what is shown.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

#include <boost/system/result.hpp>

#include "cli/kubeconfig_reader.h"

namespace CLI {
class App;
}

namespace kubegate::cli {

struct ReviewCommandOptions {
  std::string admin;       // http://HOST:PORT of the admin listener; default: admin.listen from the config
  std::string kubeconfig;  // default: $KUBECONFIG, else ~/.kube/config
  std::string context;     // default: the kubeconfig's current-context
  std::string output = "text";  // text | json
  bool all = false;             // list: every state, not only pending
  std::size_t limit = 0;        // list: 0 = the API's default
  std::string id;               // show / approve / deny
  std::string reason;           // approve (optional) / deny (required)
  std::chrono::seconds timeout{15};
};

struct ReviewCommands {
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* approve = nullptr;
  CLI::App* deny = nullptr;
};

// `configFlag` is main's --config, also accepted after `review`.
ReviewCommands addReviewCommands(CLI::App& app, ReviewCommandOptions& options, std::string& configFlag);

// Exit codes: 0 done; 1 the API refused (its message is printed); 2 the options, the kubeconfig,
// the credential plugin or the connection failed.
int runReviewCommand(const ReviewCommands& which, const ReviewCommandOptions& options, const std::string& configFlag,
                     std::ostream& out, std::ostream& err);

// ---- The pieces, public for the unit tests.


// http://HOST:PORT of the admin listener from the gateway config's admin.listen; a wildcard address
// (0.0.0.0, ::) is reached on loopback.
ReviewResult<std::string> adminUrlFromConfig(const std::string& configPath);

}  // namespace kubegate::cli
