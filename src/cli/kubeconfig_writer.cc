#include "cli/kubeconfig_writer.h"
#include "http/base64.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "net/https_client.h"

namespace kubegate::cli {
namespace {

using Text = boost::system::result<std::string, CliError>;
// CliError is constructible from a string, so a string result must say that it is the value.
Text value(std::string s) { return {boost::system::in_place_value, std::move(s)}; }

constexpr std::size_t kMaxCaBytes = 1024 * 1024;
constexpr const char* kUserName = "kubegate";

bool isLowerAlnumDash(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

// The binary kubectl should run: this one, by its real path, so the kubeconfig keeps working from
// any working directory and whatever PATH the agent has.
Text selfPath() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return CliError{"cannot find this binary's path (/proc/self/exe); pass --command"};
  return value(path.string());
}

Text readGatewayCa(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return CliError{"cannot read the gateway CA file " + path};
  std::ostringstream text;
  text << in.rdbuf();
  const auto pem = text.str();
  if (pem.size() > kMaxCaBytes || pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return CliError{"the gateway CA file " + path + " holds no PEM certificate"};
  }
  return value(encodeBase64(pem));
}

boost::system::result<std::vector<std::string>, CliError> clustersFromConfig(const std::string& configFlag) {
  try {
    const auto cfg = config::loadConfigFile(config::resolveConfigPath(configFlag));
    std::vector<std::string> names;
    for (const auto& c : cfg.clusters) names.push_back(c.name);
    return names;
  } catch (const config::ConfigError& e) {
    return CliError{std::string("cannot read the clusters from the gateway config: ") + e.what() +
                    " (or name them with --cluster)"};
  }
}

// Mentions, on stderr, what the kubeconfig depends on that is missing here; the kubeconfig may be
// meant for another machine, so this is a note, not an error.
void noteMissingFiles(const CredentialOptions& o) {
  for (const auto* file : {&o.clientSecretFile, &o.privateKeyFile, &o.caFile, &o.tokenFile}) {
    if (!file->empty() && access(file->c_str(), R_OK) != 0) {
      std::cerr << "kubegate kubeconfig: note: " << *file << " is not readable here; the plugin will need it\n";
    }
  }
  if (o.tokenFile.empty() && o.clientSecretFile.empty() && o.privateKeyFile.empty()) {
    std::cerr << "kubegate kubeconfig: note: the plugin will read the client secret from $" << kClientSecretEnv
              << " when kubectl runs it\n";
  }
}

}  // namespace

boost::system::result<void, CliError> validatePurpose(std::string_view purpose) {
  if (purpose.empty() || purpose.size() > 63 || !isLowerAlnumDash(purpose)) {
    return CliError{"purpose '" + std::string(purpose.substr(0, 80)) +
                    "' is not 1 to 63 characters of lowercase letters, digits and '-'"};
  }
  return {};
}

boost::system::result<void, CliError> validateClusterName(std::string_view name) {
  if (name.empty() || !isLowerAlnumDash(name)) {
    return CliError{"cluster name '" + std::string(name) + "' is not lowercase letters, digits and '-'"};
  }
  return {};
}

boost::system::result<std::string, CliError> gatewayAuthority(std::string_view gateway) {
  std::string authority(gateway);
  if (authority.starts_with("https://")) authority.erase(0, 8);
  if (authority.ends_with('/')) authority.pop_back();
  const auto bad = [&] {
    return CliError{"--gateway must be HOST:PORT (or https://HOST:PORT) without a path, user or query; got '" +
                    std::string(gateway) + "'"};
  };
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string::npos || gateway.starts_with("http://")) {
    return bad();
  }
  auto parsed = net::parseHttpsUrl("https://" + authority + "/");
  if (!parsed || parsed->target != "/") return bad();
  return value(authority);
}

std::string clusterServerUrl(std::string_view authority, std::string_view cluster, std::string_view purpose) {
  std::string url = "https://" + std::string(authority) + "/clusters/" + std::string(cluster);
  if (!purpose.empty()) url += "/purpose/" + std::string(purpose);
  return url;
}

std::vector<std::string> credentialArgs(const CredentialOptions& o) {
  const CredentialOptions defaults;
  std::vector<std::string> args;
  const auto add = [&](const char* flag, const std::string& value, const std::string& byDefault) {
    if (value != byDefault) args.push_back(std::string(flag) + "=" + value);
  };
  add("--issuer", o.issuer, defaults.issuer);
  add("--token-endpoint", o.tokenEndpoint, defaults.tokenEndpoint);
  add("--client-id", o.clientId, defaults.clientId);
  add("--client-secret-file", absolute(o.clientSecretFile), "");
  add("--auth-method", o.authMethod, defaults.authMethod);
  add("--private-key-file", absolute(o.privateKeyFile), "");
  add("--key-id", o.keyId, defaults.keyId);
  add("--resource", o.resource, defaults.resource);
  add("--scope", o.scope, defaults.scope);
  add("--ca-file", absolute(o.caFile), "");
  add("--token-file", absolute(o.tokenFile), "");
  add("--cache-dir", absolute(o.cacheDir), "");
  add("--refresh-margin", o.refreshMargin, defaults.refreshMargin);
  add("--timeout", o.timeout, defaults.timeout);
  if (o.noCache) args.push_back("--no-cache");
  return args;
}

namespace {

// Every string value is double-quoted: kubectl reads YAML 1.1 (sigs.k8s.io/yaml), where a cluster
// named `on`, `no`, `123` or `0x1f` would become a boolean or a number and fail to load.
struct Quoted {
  const std::string& text;
};
YAML::Emitter& operator<<(YAML::Emitter& out, Quoted q) { return out << YAML::DoubleQuoted << q.text; }

void emitPair(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << Quoted{value};
}

void emitExec(YAML::Emitter& out, const KubeconfigSpec& spec) {
  out << YAML::BeginMap;
  emitPair(out, "apiVersion", std::string(kExecApiV1));
  emitPair(out, "command", spec.command);
  out << YAML::Key << "args" << YAML::Value << YAML::BeginSeq;
  for (const auto& arg : spec.args) out << Quoted{arg};
  out << YAML::EndSeq;
  // The plugin never prompts; provideClusterInfo stays off because it needs nothing of the cluster.
  emitPair(out, "interactiveMode", "Never");
  out << YAML::Key << "provideClusterInfo" << YAML::Value << false;
  emitPair(out, "installHint",
           "kubectl runs " + spec.command +
               " (kubegate credential) to get a token; install kubegate there or write a new kubeconfig with "
               "`kubegate kubeconfig`.");
  out << YAML::EndMap;
}

}  // namespace

std::string renderKubeconfig(const KubeconfigSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emitPair(out, "apiVersion", "v1");
  emitPair(out, "kind", "Config");
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq;
  for (const auto& name : spec.clusters) {
    out << YAML::BeginMap;
    emitPair(out, "name", name);
    out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
    emitPair(out, "server", clusterServerUrl(spec.authority, name, spec.purpose));
    if (!spec.caData.empty()) emitPair(out, "certificate-authority-data", spec.caData);
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq;
  for (const auto& name : spec.clusters) {
    out << YAML::BeginMap;
    emitPair(out, "name", name);
    out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
    emitPair(out, "cluster", name);
    emitPair(out, "user", kUserName);
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq;
  emitPair(out, "current-context", spec.clusters.empty() ? "" : spec.clusters.front());
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  emitPair(out, "name", kUserName);
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap << YAML::Key << "exec" << YAML::Value;
  emitExec(out, spec);
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

CLI::App* addKubeconfigCommand(CLI::App& app, KubeconfigOptions& o, std::string& configFlag) {
  auto* cmd = app.add_subcommand("kubeconfig", "write a kubeconfig for an agent, with `kubegate credential` wired in");
  cmd->add_option("--gateway", o.gateway, "HOST:PORT agents reach the gateway at")->required();
  cmd->add_option("--gateway-ca", o.gatewayCaFile, "PEM CA of the gateway's certificate (default: the system's)");
  cmd->add_option("--cluster", o.clusters, "cluster name, repeatable (default: every cluster in --config)");
  cmd->add_option("--config", configFlag, "gateway config whose clusters to list (default: $KUBEGATE_CONFIG)");
  cmd->add_option("--purpose", o.purpose, "session purpose put in each server URL ([a-z0-9-], 1-63)");
  cmd->add_option("--output,-o", o.output, "write to this file (mode 0600) instead of stdout");
  cmd->add_option("--command", o.command, "plugin binary path (default: this kubegate binary)");
  addCredentialFlags(*cmd, o.credential);
  return cmd;
}

int runKubeconfig(KubeconfigOptions o, const std::string& configFlag) {
  auto fail = [](const std::string& message) {
    std::cerr << "kubegate kubeconfig: " << message << "\n";
    return 1;
  };
  KubeconfigSpec spec;
  auto authority = gatewayAuthority(o.gateway);
  if (!authority) return fail(authority.error().message);
  spec.authority = *authority;
  if (!o.purpose.empty()) {
    if (auto ok = validatePurpose(o.purpose); !ok) return fail(ok.error().message);
    spec.purpose = o.purpose;
  }
  if (o.clusters.empty()) {
    auto names = clustersFromConfig(configFlag);
    if (!names) return fail(names.error().message);
    o.clusters = std::move(*names);
  }
  if (o.clusters.empty()) return fail("there is no cluster to write a context for");
  for (const auto& name : o.clusters) {
    if (auto ok = validateClusterName(name); !ok) return fail(ok.error().message);
  }
  spec.clusters = o.clusters;
  if (!o.gatewayCaFile.empty()) {
    auto ca = readGatewayCa(o.gatewayCaFile);
    if (!ca) return fail(ca.error().message);
    spec.caData = std::move(*ca);
  }
  if (auto ok = checkCredentialOptions(o.credential); !ok) return fail(ok.error().message);
  auto command = o.command.empty() ? selfPath() : value(absolute(o.command));
  if (!command) return fail(command.error().message);
  spec.command = *command;
  spec.args = {"credential"};
  for (auto& arg : credentialArgs(o.credential)) spec.args.push_back(std::move(arg));
  noteMissingFiles(o.credential);
  const auto text = renderKubeconfig(spec);
  if (o.output.empty()) {
    std::cout << text << std::flush;
    return std::cout ? 0 : 1;
  }
  if (auto written = writePrivateFile(o.output, text); !written) return fail(written.error().message);
  return 0;
}

}  // namespace kubegate::cli
