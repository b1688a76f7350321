// `kubegate credential`: a kubeconfig exec credential plugin (client.authentication.k8s.io/v1, and
// v1beta1 for older clients). It prints an ExecCredential whose status.token is either
//   - an access token from the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) at the issuer's
//     token endpoint, the client authenticated by a secret (client_secret_basic or _post) or by a
//     private_key_jwt assertion (RFC 7523), cached on disk until shortly before it expires; or
//   - the contents of a token file (a projected service-account token, a CI OIDC token).
// docs/agents.md is the user's guide. Secrets come from files or the environment, never argv (which
// any local user can read in /proc), and neither secrets nor tokens are written anywhere but the
// 0600 cache and the ExecCredential on stdout.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace CLI {
class App;
}

namespace kubegate::cli {

using Clock = std::chrono::system_clock;

inline constexpr std::string_view kExecApiV1 = "client.authentication.k8s.io/v1";
inline constexpr std::string_view kExecApiV1beta1 = "client.authentication.k8s.io/v1beta1";
inline constexpr const char* kClientSecretEnv = "KUBEGATE_CLIENT_SECRET";

struct CliError {
  std::string message;  // one sentence for stderr; never holds a secret or a token
};

struct CredentialOptions {
  std::string issuer;         // discovery at <issuer>/.well-known/openid-configuration
  std::string tokenEndpoint;  // or the token endpoint itself (no discovery)
  std::string clientId;
  std::string clientSecretFile;  // else $KUBEGATE_CLIENT_SECRET
  std::string authMethod = "client_secret_basic";  // or client_secret_post (private_key_jwt: implied by the key)
  std::string privateKeyFile;                      // private_key_jwt instead of a secret
  std::string keyId;                               // kid of the client assertion
  std::string resource;                            // RFC 8707 resource indicator
  std::string scope;
  std::string caFile;     // CA bundle for the IdP; empty: the system's
  std::string tokenFile;  // token-file mode instead of the grant
  std::string cacheDir;   // empty: $XDG_CACHE_HOME/kubegate, else ~/.kube/cache/kubegate
  std::string refreshMargin = "60s";
  std::string timeout = "10s";
  bool noCache = false;
};

// Registers the subcommand and its flags; main runs runCredential when it was given.
CLI::App* addCredentialCommand(CLI::App& app, CredentialOptions& options);
// The token-source flags alone, for `kubegate kubeconfig`, which passes them on to the plugin.
void addCredentialFlags(CLI::App& command, CredentialOptions& options);
// Whether the flags make sense together (one token source, valid URLs and durations), without
// reading any file.
boost::system::result<void, CliError> checkCredentialOptions(const CredentialOptions& options);

// Prints the ExecCredential on stdout and returns 0, or one sentence on stderr and returns 1.
// `execInfo` is $KUBERNETES_EXEC_INFO (null when unset).
int runCredential(const CredentialOptions& options, const char* execInfo);

// ---- The pieces, public for the unit tests.

struct Token {
  std::string value;
  Clock::time_point expiresAt;
};

// The apiVersion to answer with: the one client-go put in KUBERNETES_EXEC_INFO (v1 or v1beta1), or
// v1 when the variable is unset (the plugin run by hand).
boost::system::result<std::string, CliError> execApiVersion(const char* execInfo);

// {"kind":"ExecCredential","apiVersion":…,"spec":{"interactive":false},"status":{"expirationTimestamp":…,"token":…}}
std::string renderExecCredential(std::string_view apiVersion, const Token& token);
std::string formatRfc3339(Clock::time_point time);

// The `exp` claim of a JWT, read WITHOUT verifying the signature: the plugin only needs to know
// when to fetch a new token; the gateway verifies every token it receives.
boost::system::result<Clock::time_point, CliError> unverifiedJwtExpiry(std::string_view token);

// Token-file mode: the file's token (surrounding whitespace trimmed) with its `exp`; an expired
// token is an error (it could only earn a 401).
boost::system::result<Token, CliError> readTokenFile(const std::string& path, Clock::time_point now);

// What a cached token was issued for. Two plugins configured alike share the entry; any difference
// (another client, resource or scope) gets its own.
struct CacheKey {
  std::string issuer;
  std::string tokenEndpoint;
  std::string clientId;
  std::string resource;
  std::string scope;

  std::string digest() const;  // hex SHA-256 over the length-prefixed fields
};

// One JSON file per key, <dir>/<digest>.json, mode 0600 in a 0700 directory, replaced atomically.
class TokenCache {
 public:
  explicit TokenCache(std::string dir) : dir_(std::move(dir)) {}

  // $XDG_CACHE_HOME/kubegate when XDG_CACHE_HOME is absolute, else ~/.kube/cache/kubegate.
  static boost::system::result<std::string, CliError> defaultDir();

  std::string pathFor(const CacheKey& key) const;
  // The cached token if it is ours (a regular 0600 file owned by this user, issued for exactly this
  // key) and still valid for longer than `margin`; nothing otherwise, including on any read error.
  std::optional<Token> load(const CacheKey& key, Clock::time_point now, std::chrono::seconds margin) const;
  boost::system::result<void, CliError> store(const CacheKey& key, const Token& token) const;

 private:
  std::string dir_;
};

// The token endpoint's answer (RFC 6749 §5.1/§5.2). The expiry is the earlier of `requestedAt` +
// expires_in and the token's own `exp` when it is a JWT; a token with neither is refused, since it
// could be neither cached nor refreshed.
boost::system::result<Token, CliError> parseTokenResponse(unsigned status, const std::string& body,
                                                          Clock::time_point requestedAt);

// application/x-www-form-urlencoded value (RFC 6749 Appendix B).
std::string formEncode(std::string_view value);
// "Basic " + base64(formEncode(id) ":" formEncode(secret)) as RFC 6749 §2.3.1 prescribes.
std::string basicAuthorization(std::string_view clientId, std::string_view secret);

// Writes `content` to a temporary 0600 file beside `path`, then renames it over `path`, so a reader
// never sees half a file and the content is never readable by others, not even for a moment.
boost::system::result<void, CliError> writePrivateFile(const std::string& path, const std::string& content);

}  // namespace kubegate::cli
