// `kubegate kubeconfig`: writes a ready kubeconfig for an agent. One context per gateway cluster,
// each pointing at https://<gateway>/clusters/<name>[/purpose/<purpose>], and one user whose exec
// plugin is this binary's `credential` subcommand with the token-source flags given here
// (docs/agents.md). The kubeconfig holds no secret: only the paths of the files that do.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "cli/credential.h"

namespace kubegate::cli {

struct KubeconfigOptions {
  std::string gateway;      // HOST:PORT (or https://HOST:PORT) agents reach the gateway at
  std::string gatewayCaFile;  // PEM CA of the gateway's serving certificate; empty: the system's
  std::vector<std::string> clusters;  // else the names in the gateway config's `clusters`
  std::string purpose;      // session purpose carried in the server URL path
  std::string output;       // file (written 0600); empty: stdout
  std::string command;      // the plugin binary; empty: this one (/proc/self/exe)
  CredentialOptions credential;  // the flags the plugin runs with
};

CLI::App* addKubeconfigCommand(CLI::App& app, KubeconfigOptions& options, std::string& configFlag);
// Writes the kubeconfig and returns 0, or one sentence on stderr and returns 1. `configFlag` is
// --config (else $KUBEGATE_CONFIG), read only when no --cluster is given.
int runKubeconfig(KubeconfigOptions options, const std::string& configFlag);

// ---- The pieces, public for the unit tests.

// A session purpose: 1 to 63 characters of [a-z0-9-], as the gateway accepts it in the URL path.
boost::system::result<void, CliError> validatePurpose(std::string_view purpose);
// A gateway cluster name: [a-z0-9-]+, as the gateway config requires (it is a URL path segment).
boost::system::result<void, CliError> validateClusterName(std::string_view name);
// "host:port" from "host:port", "host", "[::1]:8443" or "https://host:port[/]"; no path, user or query.
boost::system::result<std::string, CliError> gatewayAuthority(std::string_view gateway);
// https://<authority>/clusters/<cluster>[/purpose/<purpose>]
std::string clusterServerUrl(std::string_view authority, std::string_view cluster, std::string_view purpose);

// The `credential` arguments for these options: only the flags that differ from the defaults, each
// as one --flag=value word, file paths made absolute (kubectl runs the plugin in its own cwd).
std::vector<std::string> credentialArgs(const CredentialOptions& options);

struct KubeconfigSpec {
  std::string authority;
  std::string caData;  // base64 of the gateway CA PEM; empty: none
  std::vector<std::string> clusters;
  std::string purpose;
  std::string command;
  std::vector<std::string> args;  // "credential", then credentialArgs
};
std::string renderKubeconfig(const KubeconfigSpec& spec);

}  // namespace kubegate::cli
