// kubegate's command line. Every subcommand reads the config from --config, else $KUBEGATE_CONFIG.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <unistd.h>
#include <iostream>

#include "admin/log_sink.h"
#include "audit/audit_setup.h"
#include "cli/audit_command.h"
#include "cli/request_command.h"
#include "cli/review_command.h"
#include "cli/credential.h"
#include "cli/kubeconfig_writer.h"
#include "cli/policy_command.h"
#include "config/config.h"
#include "net/gateway_server.h"
#include "proxy/runtime.h"

namespace {

constexpr const char* kVersion = "0.1.0";

// Request lines are written by a flusher thread every few milliseconds, not by the io threads
// (src/admin/log_sink.h says why).
constexpr auto kLogFlushInterval = std::chrono::milliseconds(5);

void useLogFlusher() {
  auto sink = std::make_shared<kubegate::admin::BufferedLogSink>(STDOUT_FILENO, kLogFlushInterval);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("kubegate", std::move(sink)));
}

void setUpLogging(const std::string& level) {
  // One JSON object per line: {"time":…,"level":…,"log":{…}}; messages are JSON objects themselves.
  spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","log":%v})", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

int serve(const std::string& configFlag) {
  using namespace kubegate;
  std::string path;
  proxy::RuntimePtr runtime;
  std::unique_ptr<audit::AuditLog> auditLog;
  try {
    path = config::resolveConfigPath(configFlag);
    auto cfg = config::loadConfigFile(path);
    useLogFlusher();
    setUpLogging(cfg.logLevel);
    runtime = proxy::buildRuntime(std::move(cfg), 1);
    // Opened once for the process: a reload changes policies and clusters, not where the record is.
    auditLog = audit::openConfiguredAuditLog(runtime->config.audit);
  } catch (const config::ConfigError& e) {
    std::cerr << "kubegate: " << e.what() << "\n";
    return 2;
  }
  int status = 0;
  {
    net::GatewayServer server(path, runtime, std::move(auditLog));
    try {
      server.start();
    } catch (const std::exception& e) {
      std::cerr << "kubegate: cannot start: " << e.what() << "\n";
      status = 1;
    }
    if (status == 0) {
      server.run();
      spdlog::info("{}", R"({"msg":"stopped"})");
    }
  }
  // After the server, whose threads log until they are joined: writes out what is still buffered.
  spdlog::shutdown();
  return status;
}

int checkConfig(const std::string& configFlag) {
  using namespace kubegate;
  try {
    const auto path = config::resolveConfigPath(configFlag);
    auto cfg = config::loadConfigFile(path);
    audit::validateAuditSettings(cfg.audit);
    proxy::buildRuntime(std::move(cfg), 1);
    std::cout << "config " << path << " is valid\n";
    return 0;
  } catch (const config::ConfigError& e) {
    std::cerr << "kubegate: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kubegate: a gateway for agents to reach Kubernetes, with identity, guardrails and a record"};
  app.require_subcommand(1);
  std::string configFlag;
  app.add_option("--config", configFlag, "config file (default: $KUBEGATE_CONFIG)");
  auto* serveCmd = app.add_subcommand("serve", "run the gateway");
  auto* checkCmd = app.add_subcommand("check-config", "validate the config and its TLS material, then exit");
  auto* versionCmd = app.add_subcommand("version", "print the version");
  for (auto* sub : {serveCmd, checkCmd}) sub->add_option("--config", configFlag, "config file (default: $KUBEGATE_CONFIG)");
  kubegate::cli::CredentialOptions credentialOptions;
  auto* credentialCmd = kubegate::cli::addCredentialCommand(app, credentialOptions);
  kubegate::cli::KubeconfigOptions kubeconfigOptions;
  auto* kubeconfigCmd = kubegate::cli::addKubeconfigCommand(app, kubeconfigOptions, configFlag);
  kubegate::cli::PolicyCommandOptions policyOptions;
  const auto policyCmds = kubegate::cli::addPolicyCommand(app, policyOptions);
  kubegate::cli::AuditCommandOptions auditOptions;
  const auto auditCmds = kubegate::cli::addAuditCommands(app, auditOptions, configFlag);
  kubegate::cli::ReviewCommandOptions reviewOptions;
  const auto reviewCmds = kubegate::cli::addReviewCommands(app, reviewOptions, configFlag);
  kubegate::cli::RequestCommandOptions requestOptions;
  auto* requestCmd = kubegate::cli::addRequestCommand(app, requestOptions);
  CLI11_PARSE(app, argc, argv);
  if (*versionCmd) {
    std::cout << "kubegate " << kVersion << "\n";
    return 0;
  }
  if (*credentialCmd) return kubegate::cli::runCredential(credentialOptions, std::getenv("KUBERNETES_EXEC_INFO"));
  if (*kubeconfigCmd) return kubegate::cli::runKubeconfig(std::move(kubeconfigOptions), configFlag);
  if (*policyCmds.test) return kubegate::cli::runPolicyTest(policyOptions.policyFile, policyOptions.casesFile, std::cout);
  if (*policyCmds.check) return kubegate::cli::runPolicyCheck(policyOptions.policyFile, std::cout);
  if (*checkCmd) return checkConfig(configFlag);
  for (auto* cmd : {auditCmds.verify, auditCmds.query, auditCmds.exportEvents, auditCmds.head, auditCmds.recover,
                    auditCmds.sessionsList,
                    auditCmds.sessionsShow, auditCmds.sessionsReplay}) {
    if (*cmd) return kubegate::cli::runAuditCommand(auditCmds, auditOptions, configFlag, std::cout, std::cerr);
  }
  for (auto* cmd : {reviewCmds.list, reviewCmds.show, reviewCmds.approve, reviewCmds.deny}) {
    if (*cmd) return kubegate::cli::runReviewCommand(reviewCmds, reviewOptions, configFlag, std::cout, std::cerr);
  }
  if (*requestCmd) return kubegate::cli::runRequestCommand(requestOptions, std::cout, std::cerr);
  return serve(configFlag);
}
