#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/url/parse.hpp>

namespace kubegate::config {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw ConfigError(path + ": " + why);
}

// Refuses fields the gateway does not know: a typo must not silently fall back to a default.
void rejectUnknown(const YAML::Node& node, const std::string& path, const std::set<std::string>& known) {
  if (!node.IsMap()) fail(path, "must be a mapping");
  for (const auto& item : node) {
    const auto key = item.first.as<std::string>();
    if (!known.count(key)) fail(path.empty() ? key : path + "." + key, "unknown field");
  }
}

std::string str(const YAML::Node& node, const std::string& path, const std::string& fallback = "") {
  if (!node) return fallback;
  if (!node.IsScalar()) fail(path, "must be a string");
  return node.as<std::string>();
}

bool boolean(const YAML::Node& node, const std::string& path, bool fallback) {
  if (!node) return fallback;
  try {
    return node.as<bool>();
  } catch (const YAML::Exception&) {
    fail(path, "must be true or false");
  }
}

std::size_t size(const YAML::Node& node, const std::string& path, std::size_t fallback) {
  if (!node) return fallback;
  try {
    const auto v = node.as<long long>();
    if (v <= 0) fail(path, "must be a positive number");
    return static_cast<std::size_t>(v);
  } catch (const YAML::Exception&) {
    fail(path, "must be a whole number");
  }
}

Seconds duration(const YAML::Node& node, const std::string& path, Seconds fallback) {
  if (!node) return fallback;
  auto parsed = parseDuration(node.as<std::string>());
  if (!parsed || parsed->count() <= 0) fail(path, "must be a positive duration such as 30s, 15m or 4h");
  return *parsed;
}

// A short interval in milliseconds ("5ms", "0ms", "1s"): at most a second, 0 allowed.
std::chrono::milliseconds milliseconds(const YAML::Node& node, const std::string& path,
                                       std::chrono::milliseconds fallback) {
  if (!node) return fallback;
  const auto text = node.as<std::string>();
  std::optional<std::chrono::milliseconds> parsed;
  if (text.ends_with("ms")) {
    long long value = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 2, value);
    if (ec == std::errc() && end == text.data() + text.size() - 2) parsed = std::chrono::milliseconds(value);
  } else if (auto seconds = parseDuration(text)) {
    parsed = *seconds;
  }
  if (!parsed || parsed->count() < 0 || *parsed > std::chrono::seconds(1))
    fail(path, "must be a duration from 0ms to 1s, such as 5ms");
  return *parsed;
}

void checkListen(const std::string& value, const std::string& path) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) fail(path, "must be HOST:PORT");
}

Limits parseLimits(const YAML::Node& n) {
  Limits l;
  if (!n) return l;
  rejectUnknown(n, "limits", {"maxHeaderBytes", "maxUrlBytes", "maxHeaderCount", "maxBodyBytes", "headerTimeout",
                              "bodyTimeout", "idleTimeout", "upstreamConnectTimeout", "upstreamResponseTimeout",
                              "streamIdleTimeout", "tunnelIdleTimeout", "tunnelMaxDuration", "upstreamPoolSize"});
  l.maxHeaderBytes = size(n["maxHeaderBytes"], "limits.maxHeaderBytes", l.maxHeaderBytes);
  l.maxUrlBytes = size(n["maxUrlBytes"], "limits.maxUrlBytes", l.maxUrlBytes);
  l.maxHeaderCount = size(n["maxHeaderCount"], "limits.maxHeaderCount", l.maxHeaderCount);
  l.maxBodyBytes = size(n["maxBodyBytes"], "limits.maxBodyBytes", l.maxBodyBytes);
  l.headerTimeout = duration(n["headerTimeout"], "limits.headerTimeout", l.headerTimeout);
  l.bodyTimeout = duration(n["bodyTimeout"], "limits.bodyTimeout", l.bodyTimeout);
  l.idleTimeout = duration(n["idleTimeout"], "limits.idleTimeout", l.idleTimeout);
  l.upstreamConnectTimeout = duration(n["upstreamConnectTimeout"], "limits.upstreamConnectTimeout", l.upstreamConnectTimeout);
  l.upstreamResponseTimeout = duration(n["upstreamResponseTimeout"], "limits.upstreamResponseTimeout", l.upstreamResponseTimeout);
  l.streamIdleTimeout = duration(n["streamIdleTimeout"], "limits.streamIdleTimeout", l.streamIdleTimeout);
  l.tunnelIdleTimeout = duration(n["tunnelIdleTimeout"], "limits.tunnelIdleTimeout", l.tunnelIdleTimeout);
  l.tunnelMaxDuration = duration(n["tunnelMaxDuration"], "limits.tunnelMaxDuration", l.tunnelMaxDuration);
  l.upstreamPoolSize = size(n["upstreamPoolSize"], "limits.upstreamPoolSize", l.upstreamPoolSize);
  return l;
}

std::vector<std::string> strings(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) fail(path, "must be a list");
  for (std::size_t i = 0; i < node.size(); ++i) out.push_back(str(node[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

OidcIssuer parseIssuer(const YAML::Node& n, const std::string& path) {
  rejectUnknown(n, path, {"issuer", "caFile", "audiences", "usernameClaim", "usernamePrefix", "groupsClaim", "groupsPrefix",
                          "requiredClaims", "algorithms", "acceptedTypes", "clockSkew", "maxTokenBytes", "maxLifetime",
                          "jwksMaxStale", "jwksMinRefreshInterval"});
  OidcIssuer o;
  o.issuer = str(n["issuer"], path + ".issuer");
  if (o.issuer.rfind("https://", 0) != 0) fail(path + ".issuer", "must be an https:// URL");
  o.caFile = str(n["caFile"], path + ".caFile");
  o.audiences = strings(n["audiences"], path + ".audiences");
  if (o.audiences.empty()) fail(path + ".audiences", "needs at least one accepted audience");
  o.usernameClaim = str(n["usernameClaim"], path + ".usernameClaim", o.usernameClaim);
  o.usernamePrefix = str(n["usernamePrefix"], path + ".usernamePrefix");
  o.groupsClaim = str(n["groupsClaim"], path + ".groupsClaim");
  o.groupsPrefix = str(n["groupsPrefix"], path + ".groupsPrefix");
  if (const auto rc = n["requiredClaims"]) {
    if (!rc.IsMap()) fail(path + ".requiredClaims", "must be a mapping of claim to value");
    for (const auto& item : rc) o.requiredClaims.emplace_back(item.first.as<std::string>(), item.second.as<std::string>());
  }
  if (n["algorithms"]) o.algorithms = strings(n["algorithms"], path + ".algorithms");
  static const std::set<std::string> kAllowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"};
  for (const auto& a : o.algorithms) {
    if (!kAllowed.count(a)) fail(path + ".algorithms", "unsupported algorithm " + a + " (never none or HS*)");
  }
  o.acceptedTypes = strings(n["acceptedTypes"], path + ".acceptedTypes");
  o.clockSkew = n["clockSkew"] ? duration(n["clockSkew"], path + ".clockSkew", o.clockSkew) : o.clockSkew;
  o.maxTokenBytes = size(n["maxTokenBytes"], path + ".maxTokenBytes", o.maxTokenBytes);
  o.maxLifetime = duration(n["maxLifetime"], path + ".maxLifetime", o.maxLifetime);
  o.jwksMaxStale = duration(n["jwksMaxStale"], path + ".jwksMaxStale", o.jwksMaxStale);
  o.jwksMinRefreshInterval = duration(n["jwksMinRefreshInterval"], path + ".jwksMinRefreshInterval", o.jwksMinRefreshInterval);
  return o;
}

Authentication parseAuthentication(const YAML::Node& n) {
  Authentication a;
  if (!n) return a;
  rejectUnknown(n, "authentication", {"oidc", "sessionExpiryGrace"});
  if (const auto oidc = n["oidc"]) {
    if (!oidc.IsSequence()) fail("authentication.oidc", "must be a list of issuers");
    for (std::size_t i = 0; i < oidc.size(); ++i) a.oidc.push_back(parseIssuer(oidc[i], "authentication.oidc[" + std::to_string(i) + "]"));
  }
  if (n["sessionExpiryGrace"]) {
    auto grace = parseDuration(n["sessionExpiryGrace"].as<std::string>());
    if (!grace || grace->count() < 0) fail("authentication.sessionExpiryGrace", "must be a duration such as 0s or 30s");
    a.sessionExpiryGrace = *grace;
  }
  return a;
}

Audit parseAudit(const YAML::Node& n) {
  Audit a;
  if (!n) return a;
  a.configured = true;
  rejectUnknown(n, "audit", {"enabled", "database", "signingKeyFile", "treeHeadsFile", "treeHeadInterval", "sync", "commitInterval",
                             "onFailure", "writeTimeout", "requestBodyLimit", "responseBodyLimit", "auditorsGroup",
                             "retention"});
  a.enabled = boolean(n["enabled"], "audit.enabled", true);
  a.database = str(n["database"], "audit.database");
  if (a.enabled && a.database.empty()) fail("audit.database", "is required (the SQLite file the record is kept in)");
  a.signingKeyFile = str(n["signingKeyFile"], "audit.signingKeyFile");
  a.treeHeadsFile = str(n["treeHeadsFile"], "audit.treeHeadsFile");
  a.treeHeadInterval = duration(n["treeHeadInterval"], "audit.treeHeadInterval", a.treeHeadInterval);
  const auto sync = str(n["sync"], "audit.sync", "normal");
  if (sync != "full" && sync != "normal") fail("audit.sync", "must be full (fsync every commit) or normal");
  a.syncFull = sync == "full";
  a.commitInterval = milliseconds(n["commitInterval"], "audit.commitInterval", a.commitInterval);
  const auto onFailure = str(n["onFailure"], "audit.onFailure", "refuse");
  if (onFailure != "refuse" && onFailure != "warn") fail("audit.onFailure", "must be refuse or warn");
  a.failClosed = onFailure == "refuse";
  a.writeTimeout = duration(n["writeTimeout"], "audit.writeTimeout", Seconds(2));
  a.requestBodyLimit = size(n["requestBodyLimit"], "audit.requestBodyLimit", a.requestBodyLimit);
  a.responseBodyLimit = size(n["responseBodyLimit"], "audit.responseBodyLimit", a.responseBodyLimit);
  a.auditorsGroup = str(n["auditorsGroup"], "audit.auditorsGroup", a.auditorsGroup);
  if (a.auditorsGroup.empty()) fail("audit.auditorsGroup", "must name a group");
  if (const auto r = n["retention"]) {
    rejectUnknown(r, "audit.retention", {"maxAge", "maxBytes"});
    a.retention.maxAge = duration(r["maxAge"], "audit.retention.maxAge", Seconds(0));
    a.retention.maxBytes = size(r["maxBytes"], "audit.retention.maxBytes", 0);
  }
  return a;
}

mask::ProfileSpec parseMaskingProfile(const YAML::Node& n, const std::string& path) {
  mask::ProfileSpec p;
  if (n.IsNull()) return p;
  rejectUnknown(n, path, {"secretValues", "lastAppliedConfiguration", "envNames", "configMapKeys", "detectors",
                          "patterns", "streams"});
  p.secretValues = boolean(n["secretValues"], path + ".secretValues", p.secretValues);
  p.lastAppliedConfiguration = boolean(n["lastAppliedConfiguration"], path + ".lastAppliedConfiguration",
                                       p.lastAppliedConfiguration);
  if (n["envNames"]) p.envNames = strings(n["envNames"], path + ".envNames");
  if (n["configMapKeys"]) p.configMapKeys = strings(n["configMapKeys"], path + ".configMapKeys");
  if (n["detectors"]) p.detectors = strings(n["detectors"], path + ".detectors");
  p.streams = boolean(n["streams"], path + ".streams", p.streams);
  if (const auto patterns = n["patterns"]) {
    if (!patterns.IsSequence()) fail(path + ".patterns", "must be a list of {name, regex}");
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      const auto at = path + ".patterns[" + std::to_string(i) + "]";
      rejectUnknown(patterns[i], at, {"name", "regex"});
      mask::PatternSpec spec{str(patterns[i]["name"], at + ".name"), str(patterns[i]["regex"], at + ".regex")};
      if (spec.name.empty() || spec.regex.empty()) fail(at, "needs a name and a regex");
      p.patterns.push_back(std::move(spec));
    }
  }
  return p;
}

Approvals parseApprovals(const YAML::Node& n) {
  Approvals a;
  if (!n) return a;
  a.configured = true;
  rejectUnknown(n, "approvals", {"database", "holdTimeout", "pendingTimeout", "notify", "reviewCommand", "grants"});
  a.database = str(n["database"], "approvals.database");
  if (a.database.empty()) fail("approvals.database", "is required (the SQLite file approvals are kept in)");
  a.holdTimeout = duration(n["holdTimeout"], "approvals.holdTimeout", a.holdTimeout);
  a.pendingTimeout = duration(n["pendingTimeout"], "approvals.pendingTimeout", a.pendingTimeout);
  a.reviewCommand = str(n["reviewCommand"], "approvals.reviewCommand", a.reviewCommand);
  if (const auto hooks = n["notify"]) {
    if (!hooks.IsSequence()) fail("approvals.notify", "must be a list of webhooks");
    for (std::size_t i = 0; i < hooks.size(); ++i) {
      const auto at = "approvals.notify[" + std::to_string(i) + "]";
      rejectUnknown(hooks[i], at, {"format", "url", "caFile", "secretFile"});
      ApprovalWebhook w;
      w.format = str(hooks[i]["format"], at + ".format", w.format);
      if (w.format != "generic" && w.format != "slack") fail(at + ".format", "must be generic or slack");
      w.url = str(hooks[i]["url"], at + ".url");
      if (w.url.empty()) fail(at + ".url", "is required");
      w.caFile = str(hooks[i]["caFile"], at + ".caFile");
      w.secretFile = str(hooks[i]["secretFile"], at + ".secretFile");
      a.notify.push_back(std::move(w));
    }
  }
  if (const auto g = n["grants"]) {
    rejectUnknown(g, "approvals.grants", {"approverGroups", "approvals", "maxDuration"});
    a.grants.enabled = true;
    a.grants.approverGroups = strings(g["approverGroups"], "approvals.grants.approverGroups");
    if (a.grants.approverGroups.empty()) fail("approvals.grants.approverGroups", "must name who decides on grants");
    if (const auto count = g["approvals"]) {
      a.grants.approvals = count.as<int>(0);
      if (a.grants.approvals < 1 || a.grants.approvals > 10) fail("approvals.grants.approvals", "must be 1 to 10");
    }
    a.grants.maxDuration = duration(g["maxDuration"], "approvals.grants.maxDuration", a.grants.maxDuration);
    if (a.grants.maxDuration.count() < 1) fail("approvals.grants.maxDuration", "must be at least 1s");
  }
  return a;
}

Masking parseMasking(const YAML::Node& n) {
  Masking m;
  if (!n) return m;
  rejectUnknown(n, "masking", {"defaultProfile", "profiles"});
  m.defaultProfile = str(n["defaultProfile"], "masking.defaultProfile", m.defaultProfile);
  if (const auto profiles = n["profiles"]) {
    if (!profiles.IsMap()) fail("masking.profiles", "must map profile names to profiles");
    for (const auto& item : profiles) {
      const auto name = item.first.as<std::string>();
      m.profiles[name] = parseMaskingProfile(item.second, "masking.profiles." + name);
    }
  }
  if (m.defaultProfile != "default" && !m.profiles.count(m.defaultProfile)) {
    fail("masking.defaultProfile", "names no profile in masking.profiles: " + m.defaultProfile);
  }
  return m;
}

Eks parseEks(const YAML::Node& n, const std::string& path) {
  rejectUnknown(n, path, {"clusterName", "region", "stsEndpoint", "stsCaFile", "profile", "sessionDuration", "roles"});
  Eks e;
  e.enabled = true;
  e.clusterName = str(n["clusterName"], path + ".clusterName");
  if (e.clusterName.empty()) fail(path + ".clusterName", "is required (the EKS cluster's name, which its tokens are bound to)");
  e.region = str(n["region"], path + ".region");
  if (e.region.empty()) fail(path + ".region", "is required (the STS region tokens are signed for)");
  e.stsEndpoint = str(n["stsEndpoint"], path + ".stsEndpoint");
  if (!e.stsEndpoint.empty()) {
    auto url = boost::urls::parse_uri(e.stsEndpoint);
    if (!url || url->scheme() != "https" || url->host().empty() || !(url->path().empty() || url->path() == "/"))
      fail(path + ".stsEndpoint", "must be an https:// URL with a host and no path");
  }
  e.stsCaFile = str(n["stsCaFile"], path + ".stsCaFile");
  e.profile = str(n["profile"], path + ".profile");
  e.sessionDuration = duration(n["sessionDuration"], path + ".sessionDuration", e.sessionDuration);
  if (e.sessionDuration.count() < 900 || e.sessionDuration.count() > 43200)
    fail(path + ".sessionDuration", "must be 15m to 12h (STS's limits)");
  const auto roles = n["roles"];
  if (!roles || !roles.IsSequence() || roles.size() == 0) fail(path + ".roles", "must list at least one IAM role");
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const auto at = path + ".roles[" + std::to_string(i) + "]";
    rejectUnknown(roles[i], at, {"roleArn", "groups", "rules", "externalId", "sessionPolicy"});
    EksRole r;
    r.roleArn = str(roles[i]["roleArn"], at + ".roleArn");
    if (!r.roleArn.starts_with("arn:aws") || r.roleArn.find(":role/") == std::string::npos)
      fail(at + ".roleArn", "must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
    r.groups = strings(roles[i]["groups"], at + ".groups");
    r.rules = strings(roles[i]["rules"], at + ".rules");
    if (r.groups.empty() && r.rules.empty()) fail(at, "needs groups or rules: which agents get this role");
    r.externalId = str(roles[i]["externalId"], at + ".externalId");
    r.sessionPolicy = str(roles[i]["sessionPolicy"], at + ".sessionPolicy");
    e.roles.push_back(std::move(r));
  }
  return e;
}

Cluster parseCluster(const YAML::Node& n, const std::string& path) {
  rejectUnknown(n, path, {"name", "server", "caFile", "insecureSkipTLSVerify", "credentials", "impersonate", "eks"});
  Cluster c;
  c.name = str(n["name"], path + ".name");
  if (c.name.empty()) fail(path + ".name", "is required");
  for (char ch : c.name) {
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '-')) {
      fail(path + ".name", "must be lowercase letters, digits and '-' (it is a URL path segment)");
    }
  }
  c.server = str(n["server"], path + ".server");
  auto url = boost::urls::parse_uri(c.server);
  if (!url || url->scheme() != "https" || url->host().empty() || !(url->path().empty() || url->path() == "/")) {
    fail(path + ".server", "must be an https:// URL with a host and no path");
  }
  c.caFile = str(n["caFile"], path + ".caFile");
  c.insecureSkipTlsVerify = boolean(n["insecureSkipTLSVerify"], path + ".insecureSkipTLSVerify", false);
  if (c.caFile.empty() && !c.insecureSkipTlsVerify) fail(path + ".caFile", "is required (the cluster's CA bundle)");
  if (const auto eks = n["eks"]) c.eks = parseEks(eks, path + ".eks");
  // On EKS the assumed role is the identity the cluster sees; impersonating on top needs a role
  // allowed to impersonate, so it is asked for explicitly there.
  c.impersonate = boolean(n["impersonate"], path + ".impersonate", !c.eks.enabled);
  if (const auto cred = n["credentials"]) {
    rejectUnknown(cred, path + ".credentials", {"tokenFile", "clientCertFile", "clientKeyFile"});
    c.credentials.tokenFile = str(cred["tokenFile"], path + ".credentials.tokenFile");
    c.credentials.clientCertFile = str(cred["clientCertFile"], path + ".credentials.clientCertFile");
    c.credentials.clientKeyFile = str(cred["clientKeyFile"], path + ".credentials.clientKeyFile");
  }
  const auto& cr = c.credentials;
  if (c.eks.enabled) {
    if (!cr.tokenFile.empty() || !cr.clientCertFile.empty())
      fail(path + ".credentials", "is not used with eks: the gateway mints the cluster's token itself");
    return c;
  }
  if (cr.tokenFile.empty() && cr.clientCertFile.empty()) fail(path + ".credentials", "needs tokenFile or clientCertFile");
  if (cr.clientCertFile.empty() != cr.clientKeyFile.empty()) fail(path + ".credentials", "clientCertFile and clientKeyFile go together");
  return c;
}

}  // namespace

std::optional<Seconds> parseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t idx = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &idx);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(idx);
  if (unit.empty() || unit == "s") return Seconds(value);
  if (unit == "m") return Seconds(value * 60);
  if (unit == "h") return Seconds(value * 3600);
  if (unit == "d") return Seconds(value * 86400);
  return std::nullopt;
}

const Cluster* Config::findCluster(std::string_view name) const {
  for (const auto& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Config parseConfig(const std::string& yamlText) {
  YAML::Node root;
  try {
    root = YAML::Load(yamlText);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("config is not valid YAML: ") + e.what());
  }
  Config cfg;
  rejectUnknown(root, "", {"listen", "tls", "authentication", "admin", "workers", "limits", "clusters", "drainTimeout",
                           "logLevel", "policy", "audit", "masking", "approvals"});
  cfg.listen = str(root["listen"], "listen", cfg.listen);
  checkListen(cfg.listen, "listen");
  const auto tls = root["tls"];
  if (!tls) fail("tls", "is required (certFile and keyFile)");
  rejectUnknown(tls, "tls", {"certFile", "keyFile", "clientCAFile"});
  cfg.tls.certFile = str(tls["certFile"], "tls.certFile");
  cfg.tls.keyFile = str(tls["keyFile"], "tls.keyFile");
  cfg.tls.clientCaFile = str(tls["clientCAFile"], "tls.clientCAFile");
  if (cfg.tls.certFile.empty() || cfg.tls.keyFile.empty()) fail("tls", "certFile and keyFile are required");
  cfg.authentication = parseAuthentication(root["authentication"]);
  if (const auto admin = root["admin"]) {
    rejectUnknown(admin, "admin", {"listen"});
    cfg.admin.listen = str(admin["listen"], "admin.listen");
    if (!cfg.admin.listen.empty()) checkListen(cfg.admin.listen, "admin.listen");
  }
  cfg.workers = static_cast<unsigned>(root["workers"] ? size(root["workers"], "workers", 1) : 0);
  cfg.limits = parseLimits(root["limits"]);
  cfg.drainTimeout = duration(root["drainTimeout"], "drainTimeout", cfg.drainTimeout);
  cfg.logLevel = str(root["logLevel"], "logLevel", cfg.logLevel);
  if (const auto policy = root["policy"]) {
    rejectUnknown(policy, "policy", {"file"});
    cfg.policy.file = str(policy["file"], "policy.file");
    if (cfg.policy.file.empty()) fail("policy.file", "is required (the policy YAML; docs/policy.md)");
  }
  cfg.audit = parseAudit(root["audit"]);
  cfg.masking = parseMasking(root["masking"]);
  cfg.approvals = parseApprovals(root["approvals"]);
  const auto clusters = root["clusters"];
  if (!clusters || !clusters.IsSequence() || clusters.size() == 0) fail("clusters", "needs at least one cluster");
  std::set<std::string> names;
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    auto c = parseCluster(clusters[i], "clusters[" + std::to_string(i) + "]");
    if (!names.insert(c.name).second) fail("clusters[" + std::to_string(i) + "].name", "duplicate cluster name " + c.name);
    cfg.clusters.push_back(std::move(c));
  }
  return cfg;
}

Config loadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parseConfig(text.str());
}

std::string resolveConfigPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("KUBEGATE_CONFIG"); env && *env) return env;
  throw ConfigError("no config: pass --config FILE or set KUBEGATE_CONFIG");
}

}  // namespace kubegate::config
