// `kubegate audit verify|query|export|head` and `kubegate sessions list|show|replay`: the auditors'
// tools (docs/audit.md). They open the record read-only, from --database or from the config's
// audit.database, and need no access to any cluster.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "audit/auditor_queries.h"

namespace CLI {
class App;
}

namespace kubegate::cli {

struct AuditCommandOptions {
  std::string database;
  std::string publicKeyFile;     // verify: the Ed25519 public key; default: derived from audit.signingKeyFile
  std::string trustedHeadsFile;  // verify: default audit.treeHeadsFile
  std::string signingKeyFile;    // recover: the Ed25519 private key for its tree head; default audit.signingKeyFile
  std::string output = "table";  // query: table | json
  std::string format = "k8s";    // export
  audit::AuditorFilter filter;
  std::string sessionRequestId;  // sessions show / replay
  double speed = 1.0;            // sessions replay: 2 = twice as fast, 0 = no waiting
  double maxIdle = 2.0;          // sessions replay: longest pause, in seconds
  std::string sessionFormat = "text";  // sessions show: text | asciicast
};

struct AuditCommands {
  CLI::App* verify = nullptr;
  CLI::App* query = nullptr;
  CLI::App* exportEvents = nullptr;
  CLI::App* head = nullptr;
  CLI::App* recover = nullptr;
  CLI::App* sessionsList = nullptr;
  CLI::App* sessionsShow = nullptr;
  CLI::App* sessionsReplay = nullptr;
};

// `configFlag` is main's --config, also accepted after `audit` and `sessions`.
AuditCommands addAuditCommands(CLI::App& app, AuditCommandOptions& options, std::string& configFlag);

// Exit codes: 0 done (verify: the log is intact); 1 verify found a problem, or nothing matched for
// show/replay; 2 the record or the options could not be used.
int runAuditCommand(const AuditCommands& which, const AuditCommandOptions& options, const std::string& configFlag,
                    std::ostream& out, std::ostream& err);

}  // namespace kubegate::cli
