// A kubeconfig read as kubectl reads it, for kubegate's own client commands: the bearer token of a
// context's user and its cluster's server and CA. Nothing here logs or prints a token.
#pragma once

#include <string>

#include <boost/system/result.hpp>
#include <yaml-cpp/yaml.h>

namespace kubegate::cli {

struct ReviewError {
  std::string message;  // one sentence for stderr; never holds a token
};

template <typename T>
using ReviewResult = boost::system::result<T, ReviewError>;

// The default kubeconfig: $KUBECONFIG, else ~/.kube/config.
std::string defaultKubeconfigPath();

// The bearer token of the kubeconfig's user for `context` (empty: current-context). `path` may be a
// colon-separated list, as in $KUBECONFIG; the first file that names a thing wins, as kubectl reads it.
ReviewResult<std::string> kubeconfigToken(const std::string& path, const std::string& context);

struct KubeconfigCluster {
  std::string server;  // as written, e.g. https://127.0.0.1:8443/clusters/demo
  std::string caFile;  // certificate-authority, resolved beside its kubeconfig
  std::string caPem;   // certificate-authority-data, decoded
  bool insecureSkipTlsVerify = false;
};
ReviewResult<KubeconfigCluster> kubeconfigCluster(const std::string& path, const std::string& context);

// Small helpers the client commands share.
std::string trim(std::string s);
std::string scalar(const YAML::Node& node);  // a scalar's text, empty for anything else

}  // namespace kubegate::cli
