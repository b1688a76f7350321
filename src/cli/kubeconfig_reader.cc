// Reading a kubeconfig as kubectl does, for kubegate's own client commands (`kubegate review`,
// `kubegate request`): the current (or named) context's user token, from `token`, `tokenFile`, an
// `exec` credential plugin or the retired oidc auth provider, and its cluster's server and CA. A
// colon-separated $KUBECONFIG list is read in order, the first file that names a thing winning.
#include "cli/kubeconfig_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "http/base64.h"

extern char** environ;

namespace kubegate::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

using Text = ReviewResult<std::string>;
// ReviewError is constructible from a string, so a string result must say that it is the value.
Text value(std::string s) { return {boost::system::in_place_value, std::move(s)}; }
ReviewError failure(std::string message) { return ReviewError{std::move(message)}; }

constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;
constexpr std::size_t kMaxPluginOutputBytes = 1024 * 1024;
constexpr auto kPluginTimeout = std::chrono::seconds(60);
constexpr std::string_view kDefaultExecApi = "client.authentication.k8s.io/v1";

}  // namespace

std::string trim(std::string s) {
  const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && isSpace(s.back())) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && isSpace(s[start])) ++start;
  return s.substr(start);
}

std::string scalar(const YAML::Node& node) { return node && node.IsScalar() ? node.as<std::string>() : std::string(); }

namespace {

// A path in a kubeconfig is relative to the file that holds it, as kubectl resolves it.
std::string besideFile(const std::string& path, const std::string& kubeconfigFile) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(kubeconfigFile).parent_path() / path).string();
}

// ---- The reviewer's token from their kubeconfig.

struct KubeconfigFile {
  std::string path;
  YAML::Node root;
};

// The named entry of a kubeconfig list (contexts, users) and the file it came from.
std::optional<std::pair<YAML::Node, std::string>> namedEntry(const std::vector<KubeconfigFile>& files,
                                                             const std::string& list, const std::string& name) {
  for (const auto& file : files) {
    const auto entries = file.root[list];
    if (!entries || !entries.IsSequence()) continue;
    for (const auto& entry : entries) {
      if (scalar(entry["name"]) == name) return std::make_pair(entry, file.path);
    }
  }
  return std::nullopt;
}

Text readTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure("cannot read the token file " + path + ": " + std::strerror(errno));
  std::string data(kMaxTokenFileBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > kMaxTokenFileBytes) return failure("the token file " + path + " is too large to hold a token");
  data = trim(std::move(data));
  if (data.empty()) return failure("the token file " + path + " is empty");
  return value(std::move(data));
}

// The environment the plugin runs with: ours, the kubeconfig's `env` entries, and the exec info.
std::vector<std::string> pluginEnvironment(const YAML::Node& exec, const std::string& apiVersion) {
  std::vector<std::pair<std::string, std::string>> added;
  if (const auto env = exec["env"]; env && env.IsSequence()) {
    for (const auto& entry : env) added.emplace_back(scalar(entry["name"]), scalar(entry["value"]));
  }
  const json::object execInfo{{"apiVersion", apiVersion}, {"kind", "ExecCredential"}, {"spec", json::object{{"interactive", false}}}};
  added.emplace_back("KUBERNETES_EXEC_INFO", json::serialize(execInfo));
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(added.begin(), added.end(), [&](const auto& a) { return a.first == name; });
    if (!replaced) environment.emplace_back(entry);
  }
  for (const auto& [name, val] : added) environment.push_back(name + "=" + val);
  return environment;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (auto& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

// Reads the child's stdout until it closes, `limit` bytes, or the deadline; false on the latter two.
bool readAll(int fd, std::string& out, std::size_t limit, std::chrono::steady_clock::time_point deadline) {
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > limit) return false;
  }
}

// Runs an exec credential plugin as client-go does, non-interactively, and takes status.token from
// the ExecCredential it prints. Its stderr is the reviewer's terminal (it may explain a failure);
// its stdout holds the token and is never shown.
Text execPluginToken(const YAML::Node& exec, const std::string& kubeconfigFile) {
  std::string command = scalar(exec["command"]);
  if (command.empty()) return failure("the kubeconfig's exec credential plugin has no command");
  if (command.find('/') != std::string::npos) command = besideFile(command, kubeconfigFile);
  std::string apiVersion = scalar(exec["apiVersion"]);
  if (apiVersion.empty()) apiVersion = kDefaultExecApi;
  std::vector<std::string> argv{command};
  if (const auto args = exec["args"]; args && args.IsSequence()) {
    for (const auto& a : args) argv.push_back(scalar(a));
  }
  auto environment = pluginEnvironment(exec, apiVersion);
  auto argvPointers = pointers(argv);
  auto envPointers = pointers(environment);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return failure(std::string("cannot start the credential plugin: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return failure(std::string("cannot start the credential plugin: ") + std::strerror(errno));
  }
  if (pid == 0) {
    const int devNull = ::open("/dev/null", O_RDONLY);
    if (devNull >= 0) ::dup2(devNull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::execvpe(argvPointers[0], argvPointers.data(), envPointers.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  const bool complete = readAll(out[0], output, kMaxPluginOutputBytes, std::chrono::steady_clock::now() + kPluginTimeout);
  ::close(out[0]);
  if (!complete) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string name = "the credential plugin " + command;
  if (!complete) return failure(name + " did not finish in time or wrote too much");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    std::string hint = scalar(exec["installHint"]);
    return failure("cannot run " + name + (hint.empty() ? "" : ": " + trim(hint)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return failure(name + " failed (" + (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "killed by a signal") + ")");
  }
  boost::system::error_code ec;
  const auto credential = json::parse(output, ec);
  const json::value* token = nullptr;
  if (!ec && credential.is_object()) {
    if (const auto* status = credential.get_object().if_contains("status"); status && status->is_object()) {
      token = status->get_object().if_contains("token");
    }
  }
  if (!token || !token->is_string() || token->get_string().empty()) {
    return failure(name + " printed no ExecCredential with a status.token");
  }
  return value(std::string(token->get_string()));
}

Text userToken(const YAML::Node& user, const std::string& userName, const std::string& file) {
  if (const auto token = scalar(user["token"]); !token.empty()) return value(token);
  if (const auto tokenFile = scalar(user["tokenFile"]); !tokenFile.empty()) return readTokenFile(besideFile(tokenFile, file));
  if (const auto exec = user["exec"]; exec && exec.IsMap()) return execPluginToken(exec, file);
  // The retired oidc auth provider still holds an ID token some reviewers use.
  if (const auto idToken = scalar(user["auth-provider"]["config"]["id-token"]); !idToken.empty()) return value(idToken);
  return failure("user " + userName + " in " + file + " has no token, tokenFile or exec credential plugin");
}

}  // namespace

std::string defaultKubeconfigPath() {
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.kube/config";
}

namespace {

struct LoadedContext {
  std::vector<KubeconfigFile> files;
  std::string name;
  YAML::Node context;  // the context entry's `context` map
};

ReviewResult<LoadedContext> loadContext(const std::string& path, const std::string& context) {
  std::vector<KubeconfigFile> files;
  std::stringstream list(path);
  for (std::string file; std::getline(list, file, ':');) {
    if (file.empty() || !fs::exists(file)) continue;  // kubectl skips missing files in a list
    try {
      files.push_back({file, YAML::LoadFile(file)});
    } catch (const YAML::Exception& e) {
      return failure("cannot read the kubeconfig " + file + ": " + e.what());
    }
  }
  if (files.empty()) return failure("no kubeconfig at " + path + " (give --kubeconfig FILE)");
  std::string contextName = context;
  for (const auto& f : files) {
    if (contextName.empty()) contextName = scalar(f.root["current-context"]);
  }
  if (contextName.empty()) return failure("the kubeconfig has no current-context (give --context NAME)");
  const auto contextEntry = namedEntry(files, "contexts", contextName);
  if (!contextEntry) return failure("the kubeconfig has no context " + contextName);
  return LoadedContext{std::move(files), contextName, contextEntry->first["context"]};
}

}  // namespace

ReviewResult<std::string> kubeconfigToken(const std::string& path, const std::string& context) {
  auto loaded = loadContext(path, context);
  if (!loaded) return loaded.error();
  const auto& files = loaded->files;
  const auto& contextName = loaded->name;
  const auto userName = scalar(loaded->context["user"]);
  if (userName.empty()) return failure("context " + contextName + " names no user");
  const auto userEntry = namedEntry(files, "users", userName);
  if (!userEntry) return failure("the kubeconfig has no user " + userName);
  return userToken(userEntry->first["user"], userName, userEntry->second);
}

ReviewResult<KubeconfigCluster> kubeconfigCluster(const std::string& path, const std::string& context) {
  auto loaded = loadContext(path, context);
  if (!loaded) return loaded.error();
  const auto clusterName = scalar(loaded->context["cluster"]);
  if (clusterName.empty()) return failure("context " + loaded->name + " names no cluster");
  const auto entry = namedEntry(loaded->files, "clusters", clusterName);
  if (!entry) return failure("the kubeconfig has no cluster " + clusterName);
  const auto cluster = entry->first["cluster"];
  KubeconfigCluster out;
  out.server = scalar(cluster["server"]);
  if (out.server.empty()) return failure("cluster " + clusterName + " has no server");
  out.caFile = besideFile(scalar(cluster["certificate-authority"]), entry->second);
  if (const auto data = scalar(cluster["certificate-authority-data"]); !data.empty()) {
    auto pem = decodeBase64(data);
    if (!pem) return failure("certificate-authority-data of cluster " + clusterName + " is not base64");
    out.caPem = std::move(*pem);
  }
  out.insecureSkipTlsVerify = scalar(cluster["insecure-skip-tls-verify"]) == "true";
  return out;
}

}  // namespace kubegate::cli
