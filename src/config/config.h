// The gateway's configuration, read from YAML (docs/configuration.md lists every field). Loading
// happens on the control plane: errors are reported with the field's path and the old config stays.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <map>
#include <vector>

#include "mask/profile.h"

namespace kubegate::config {

using Seconds = std::chrono::seconds;

struct TlsServer {
  std::string certFile;
  std::string keyFile;
  std::string clientCaFile;  // empty: client certificates are not requested
};

struct Limits {
  std::size_t maxHeaderBytes = 32 * 1024;
  std::size_t maxUrlBytes = 8 * 1024;
  std::size_t maxHeaderCount = 100;
  std::size_t maxBodyBytes = 3 * 1024 * 1024;  // kube-apiserver's own request limit
  Seconds headerTimeout{10};                    // to read a request's headers
  Seconds bodyTimeout{60};                      // to read a request body
  Seconds idleTimeout{90};                      // keep-alive between requests
  Seconds upstreamConnectTimeout{5};
  Seconds upstreamResponseTimeout{60};  // to the first response byte, for ordinary requests
  Seconds streamIdleTimeout{30 * 60};   // watches and log follows with no byte either way
  Seconds tunnelIdleTimeout{15 * 60};
  Seconds tunnelMaxDuration{4 * 60 * 60};
  std::size_t upstreamPoolSize = 64;  // idle connections kept per cluster
};

struct UpstreamCredentials {
  std::string tokenFile;       // bearer token, re-read when the file changes
  std::string clientCertFile;  // or a client certificate
  std::string clientKeyFile;
};

// An IAM role the gateway assumes for agents on an EKS cluster (docs/eks.md). An entry applies when
// the deciding policy rule is one of `rules`, or the agent is in one of `groups`; the first entry
// that applies wins, and an agent no entry applies to is refused.
struct EksRole {
  std::string roleArn;
  std::vector<std::string> groups;
  std::vector<std::string> rules;
  std::string externalId;
  std::string sessionPolicy;  // inline IAM policy JSON that scopes the session down
};

// Upstream mode `eks`: the gateway assumes a role through STS and mints the cluster's token itself.
struct Eks {
  bool enabled = false;
  std::string clusterName;     // the x-k8s-aws-id the token is bound to
  std::string region;          // the STS region the token is signed for
  std::string stsEndpoint;     // https://host[:port] for AssumeRole; default the regional endpoint
  std::string stsCaFile;       // CA bundle for stsEndpoint; empty: the system's
  std::string profile;         // the gateway's own AWS profile (default chain when empty)
  Seconds sessionDuration{900};
  std::vector<EksRole> roles;
};

struct Cluster {
  std::string name;
  std::string server;  // https://host:port, no path
  std::string caFile;
  bool insecureSkipTlsVerify = false;
  UpstreamCredentials credentials;
  bool impersonate = true;
  Eks eks;
};

// One OpenID Connect issuer whose tokens authenticate agents (docs/configuration.md).
struct OidcIssuer {
  std::string issuer;  // exact `iss`; discovery at <issuer>/.well-known/openid-configuration
  std::string caFile;  // CA bundle for the issuer's HTTPS; empty: the system's
  std::vector<std::string> audiences;
  std::string usernameClaim = "sub";
  std::string usernamePrefix;
  std::string groupsClaim;  // dot path; empty: no groups
  std::string groupsPrefix;
  std::vector<std::pair<std::string, std::string>> requiredClaims;
  std::vector<std::string> algorithms = {"RS256", "ES256"};
  std::vector<std::string> acceptedTypes;  // empty: any typ (or none)
  Seconds clockSkew{60};
  std::size_t maxTokenBytes = 16 * 1024;
  Seconds maxLifetime{24 * 3600};
  Seconds jwksMaxStale{3600};          // keys stay usable this long past their max-age while the IdP is down
  Seconds jwksMinRefreshInterval{10};  // unknown-kid refreshes at most this often
};

struct Authentication {
  std::vector<OidcIssuer> oidc;
  Seconds sessionExpiryGrace{0};  // open streams live this long past their token's expiry
};

struct Admin {
  std::string listen;  // empty: no admin listener
};

// The guardrail policy (docs/policy.md). Without one the gateway refuses every request.
struct PolicySource {
  std::string file;  // empty: no policy configured
};

// The record (docs/audit.md). Without an `audit` section the gateway does not start: an agent's
// actions off the record would defeat the gateway's purpose. `enabled: false` says so explicitly.
struct AuditRetention {
  Seconds maxAge{0};           // 0: keep every entry
  std::uint64_t maxBytes = 0;  // 0: no size bound
};

struct Audit {
  bool configured = false;  // an `audit` section was present
  bool enabled = true;
  std::string database;        // SQLite file (WAL)
  std::string signingKeyFile;  // Ed25519 private key (PEM) that signs tree heads; empty: unsigned
  std::string treeHeadsFile;   // signed heads also appended here, for `kubegate audit verify --trusted-heads`
  Seconds treeHeadInterval{1};
  // false (normal, the default): a request's entry goes to the journal before it is forwarded and
  // survives a killed gateway; true (full): the request waits for its fsynced commit (power loss).
  bool syncFull = false;
  std::chrono::milliseconds commitInterval{5};  // entries nobody waits for are committed within this
  bool failClosed = true;      // refuse requests with 503 while the record cannot be written
  Seconds writeTimeout{2};     // longest a request waits for its record to be durable
  std::size_t requestBodyLimit = 64 * 1024;      // bytes of a request body kept in the record
  std::size_t responseBodyLimit = 256 * 1024;    // bytes of a response body kept in the record
  std::string auditorsGroup = "kubegate:auditors";  // who may read the record over the admin API
  AuditRetention retention;
};

// Masking profiles (docs/masking.md): what callers may not see. Without the section, the built-in
// "default" profile masks everything kubegate knows how to mask.
struct Masking {
  std::string defaultProfile = "default";
  std::map<std::string, mask::ProfileSpec> profiles;
};

// Approvals (docs/approvals.md): where held requests and decisions live, how long they wait, and
// whom to tell. Without the section, review decisions are refused (403) as needing an approval
// that cannot be given.
struct ApprovalWebhook {
  std::string format = "generic";  // generic | slack
  std::string url;
  std::string caFile;
  std::string secretFile;  // generic: HMAC-SHA256 key
};

// Just-in-time grants (docs/approvals.md): who decides on them and how long one may last. Without
// this section agents cannot ask for grants.
struct Grants {
  bool enabled = false;
  std::vector<std::string> approverGroups;
  int approvals = 1;
  Seconds maxDuration{3600};
};

struct Approvals {
  bool configured = false;
  std::string database;            // SQLite file (WAL)
  Seconds holdTimeout{600};        // the longest a held request waits for its decision
  Seconds pendingTimeout{3600};    // a pending approval expires after this
  std::vector<ApprovalWebhook> notify;
  // Shown to reviewers in notices and to agents in retry-mode refusals; {id} is the approval id.
  std::string reviewCommand = "kubegate review approve {id}";
  Grants grants;
};

struct Config {
  std::string listen = "127.0.0.1:8443";
  TlsServer tls;
  Authentication authentication;
  Admin admin;
  unsigned workers = 0;  // 0: one per core
  Limits limits;
  std::vector<Cluster> clusters;
  PolicySource policy;
  Audit audit;
  Masking masking;
  Approvals approvals;
  Seconds drainTimeout{20};
  std::string logLevel = "info";

  const Cluster* findCluster(std::string_view name) const;
};

using ConfigPtr = std::shared_ptr<const Config>;

// Parses and validates a config. Throws ConfigError with the field path on any problem.
Config parseConfig(const std::string& yamlText);
Config loadConfigFile(const std::string& path);

// --config, else $KUBEGATE_CONFIG; throws ConfigError when neither names a file.
std::string resolveConfigPath(const std::string& flag);

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "90s", "15m", "4h", or a bare number of seconds.
std::optional<Seconds> parseDuration(const std::string& text);

}  // namespace kubegate::config
