#include "cli/credential.h"
#include "cli/kubeconfig_reader.h"
#include "http/base64.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <openssl/evp.h>

#include "config/config.h"
#include "identity/client_assertion.h"
#include "identity/jwt/base64url.h"
#include "net/https_client.h"

namespace kubegate::cli {
namespace {

namespace json = boost::json;
constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;
constexpr std::size_t kMaxCacheFileBytes = 64 * 1024;
constexpr int kCacheFormat = 1;

using Text = boost::system::result<std::string, CliError>;
// CliError is constructible from a string, so a string result must say that it is the value.
Text value(std::string s) { return {boost::system::in_place_value, std::move(s)}; }

CliError errnoError(const std::string& what) { return CliError{what + ": " + std::strerror(errno)}; }


// Reads at most `limit` bytes; more is an error, so a wrong path (a log file, /dev/zero) fails fast.
boost::system::result<std::string, CliError> readSmallFile(const std::string& path, std::size_t limit,
                                                           const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return CliError{"cannot read the " + what + " " + path + ": " + std::strerror(errno)};
  std::string data(limit + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > limit) return CliError{"the " + what + " " + path + " is larger than " + std::to_string(limit) + " bytes"};
  return value(std::move(data));
}

std::string sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

// Removes every occurrence of `secret` from a message that quotes the IdP: an IdP is not supposed
// to echo a client secret in an error, but the plugin's output is shown to whoever runs kubectl.
std::string redact(std::string message, const std::string& secret) {
  if (secret.size() < 4) return message;
  for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos)) {
    message.replace(pos, secret.size(), "[redacted]");
  }
  return message;
}

// Quotes text that came from the network, bounded and without control characters, so an IdP's
// error cannot forge extra lines in a terminal or a log.
std::string printable(std::string_view text, std::size_t max = 200) {
  std::string out;
  for (char c : text.substr(0, max)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (text.size() > max) out += "…";
  return out;
}

// A JSON number as whole seconds. `digitString` also takes a string of digits, as some IdPs (Azure
// AD v1) send expires_in.
std::optional<std::int64_t> jsonSeconds(const json::value* v, bool digitString = false) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double() && v->as_double() >= 0 && v->as_double() < 9.2e18) return static_cast<std::int64_t>(v->as_double());
  if (digitString && v->is_string() && !v->as_string().empty() && v->as_string().size() < 19 &&
      v->as_string().find_first_not_of("0123456789") == json::string::npos) {
    return std::stoll(std::string(v->as_string()));
  }
  return std::nullopt;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ExecCredential

boost::system::result<std::string, CliError> execApiVersion(const char* execInfo) {
  if (!execInfo || !*execInfo) return value(std::string(kExecApiV1));
  boost::system::error_code ec;
  auto info = json::parse(execInfo, ec);
  if (ec || !info.is_object()) return CliError{"KUBERNETES_EXEC_INFO is not a JSON object"};
  const auto* version = info.as_object().if_contains("apiVersion");
  if (!version || !version->is_string()) return CliError{"KUBERNETES_EXEC_INFO has no apiVersion"};
  const std::string v(version->as_string());
  if (v != kExecApiV1 && v != kExecApiV1beta1) {
    return CliError{"the kubeconfig asks for ExecCredential " + printable(v) + "; kubegate speaks " +
                    std::string(kExecApiV1) + " and " + std::string(kExecApiV1beta1)};
  }
  return value(v);
}

std::string formatRfc3339(Clock::time_point time) {
  const std::time_t t = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string renderExecCredential(std::string_view apiVersion, const Token& token) {
  json::object out{{"kind", "ExecCredential"},
                   {"apiVersion", apiVersion},
                   {"spec", json::object{{"interactive", false}}},
                   {"status", json::object{{"expirationTimestamp", formatRfc3339(token.expiresAt)}, {"token", token.value}}}};
  return json::serialize(out) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Token files

boost::system::result<Clock::time_point, CliError> unverifiedJwtExpiry(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return CliError{"the token is not a JWT (three dot-separated parts)"};
  }
  const auto payload = identity::jwt::decodeBase64Url(token.substr(first + 1, second - first - 1));
  if (!payload) return CliError{"the token's payload is not base64url"};
  boost::system::error_code ec;
  auto claims = json::parse(*payload, ec);
  if (ec || !claims.is_object()) return CliError{"the token's payload is not a JSON object"};
  const auto exp = jsonSeconds(claims.as_object().if_contains("exp"));
  if (!exp) return CliError{"the token has no numeric exp claim"};
  return Clock::time_point(std::chrono::seconds(*exp));
}

boost::system::result<Token, CliError> readTokenFile(const std::string& path, Clock::time_point now) {
  auto data = readSmallFile(path, kMaxTokenFileBytes, "token file");
  if (!data) return data.error();
  Token token{trim(std::move(*data)), {}};
  if (token.value.empty()) return CliError{"the token file " + path + " is empty"};
  auto exp = unverifiedJwtExpiry(token.value);
  if (!exp) return CliError{"the token file " + path + " holds no usable token: " + exp.error().message};
  if (*exp <= now) return CliError{"the token in " + path + " expired at " + formatRfc3339(*exp)};
  token.expiresAt = *exp;
  return token;
}

// ---------------------------------------------------------------------------------------------
// The cache

std::string CacheKey::digest() const {
  // Length-prefixed so that ("ab","c") and ("a","bc") differ; versioned so a format change
  // never reads an old entry.
  std::string material = "kubegate-token-cache-v1";
  for (const auto* field : {&issuer, &tokenEndpoint, &clientId, &resource, &scope}) {
    material += "\n" + std::to_string(field->size()) + ":" + *field;
  }
  return sha256Hex(material);
}

boost::system::result<std::string, CliError> TokenCache::defaultDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return value(std::string(xdg) + "/kubegate");
  std::string home;
  if (const char* env = std::getenv("HOME"); env && env[0] == '/') home = env;
  else if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir && pw->pw_dir[0] == '/') home = pw->pw_dir;
  if (home.empty()) return CliError{"no home folder for the token cache; set XDG_CACHE_HOME or pass --cache-dir"};
  return value(home + "/.kube/cache/kubegate");
}

std::string TokenCache::pathFor(const CacheKey& key) const { return dir_ + "/" + key.digest() + ".json"; }

namespace {

// Creates `dir` and its missing parents (0700), and makes sure `dir` is a directory of ours that
// nobody else can read: another user must not see our tokens, nor plant one for us to send.
boost::system::result<void, CliError> ensurePrivateDir(const std::string& dir) {
  struct stat st{};
  for (std::size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const auto prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST && stat(prefix.c_str(), &st) != 0) {
      return errnoError("cannot create " + prefix);
    }
  }
  if (stat(dir.c_str(), &st) != 0) return errnoError("cannot use " + dir);
  if (!S_ISDIR(st.st_mode)) return CliError{dir + " is not a directory"};
  if (st.st_uid != geteuid()) return CliError{dir + " belongs to another user"};
  if ((st.st_mode & 077) != 0 && chmod(dir.c_str(), 0700) != 0) return errnoError("cannot make " + dir + " private");
  return {};
}

// The cache file's content, read only if it is a regular file of ours that only we can read.
std::optional<std::string> readPrivateFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string data;
  struct stat st{};
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 077) == 0 &&
      static_cast<std::size_t>(st.st_size) <= kMaxCacheFileBytes) {
    data.resize(static_cast<std::size_t>(st.st_size));
    if (read(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) data.clear();
  }
  close(fd);
  if (data.empty()) return std::nullopt;
  return data;
}

json::object cacheIdentity(const CacheKey& key) {
  return {{"format", kCacheFormat},           {"issuer", key.issuer}, {"tokenEndpoint", key.tokenEndpoint},
          {"clientId", key.clientId},         {"resource", key.resource}, {"scope", key.scope}};
}

}  // namespace

std::optional<Token> TokenCache::load(const CacheKey& key, Clock::time_point now, std::chrono::seconds margin) const {
  const auto data = readPrivateFile(pathFor(key));
  if (!data) return std::nullopt;
  boost::system::error_code ec;
  auto doc = json::parse(*data, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto& o = doc.as_object();
  // The whole key is stored and compared, so an entry copied or renamed under another digest is
  // never handed out for a different client or audience.
  for (const auto& [name, value] : cacheIdentity(key)) {
    const auto* stored = o.if_contains(name);
    if (!stored || *stored != value) return std::nullopt;
  }
  const auto* token = o.if_contains("token");
  const auto expiresAt = jsonSeconds(o.if_contains("expiresAt"));
  if (!token || !token->is_string() || token->as_string().empty() || !expiresAt) return std::nullopt;
  const Clock::time_point expiry{std::chrono::seconds(*expiresAt)};
  if (now + margin >= expiry) return std::nullopt;
  return Token{std::string(token->as_string()), expiry};
}

boost::system::result<void, CliError> TokenCache::store(const CacheKey& key, const Token& token) const {
  if (auto dir = ensurePrivateDir(dir_); !dir) return dir.error();
  auto doc = cacheIdentity(key);
  doc["expiresAt"] = std::chrono::duration_cast<std::chrono::seconds>(token.expiresAt.time_since_epoch()).count();
  doc["expirationTimestamp"] = formatRfc3339(token.expiresAt);  // for a human looking at the file
  doc["token"] = token.value;
  return writePrivateFile(pathFor(key), json::serialize(doc) + "\n");
}

boost::system::result<void, CliError> writePrivateFile(const std::string& path, const std::string& content) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/." + base + ".tmp-XXXXXX";
  const int fd = mkstemp(tmp.data());  // mode 0600, O_EXCL: never an existing file or a symlink
  if (fd < 0) return errnoError("cannot create a file in " + dir);
  std::optional<CliError> error;
  if (fchmod(fd, 0600) != 0) error = errnoError("cannot make " + tmp + " private");
  for (std::size_t done = 0; !error && done < content.size();) {
    const auto n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = errnoError("cannot write " + tmp);
    else done += static_cast<std::size_t>(n);
  }
  if (!error && fsync(fd) != 0) error = errnoError("cannot write " + tmp);
  if (close(fd) != 0 && !error) error = errnoError("cannot write " + tmp);
  if (!error && rename(tmp.c_str(), path.c_str()) != 0) error = errnoError("cannot replace " + path);
  if (!error) return {};
  unlink(tmp.c_str());
  return *error;
}

// ---------------------------------------------------------------------------------------------
// The client-credentials grant

std::string formEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string basicAuthorization(std::string_view clientId, std::string_view secret) {
  const std::string pair = formEncode(clientId) + ":" + formEncode(secret);
  return "Basic " + encodeBase64(pair);
}

boost::system::result<Token, CliError> parseTokenResponse(unsigned status, const std::string& body,
                                                          Clock::time_point requestedAt) {
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  const json::object* o = (!ec && doc.is_object()) ? &doc.as_object() : nullptr;
  if (status != 200) {
    std::string detail = "HTTP " + std::to_string(status);
    const auto* error = o ? o->if_contains("error") : nullptr;
    const auto* description = o ? o->if_contains("error_description") : nullptr;
    if (error && error->is_string()) detail += ", " + printable(error->as_string());
    if (description && description->is_string()) detail += ": " + printable(description->as_string());
    std::string hint;
    if (error && error->is_string() && error->as_string() == "invalid_client") {
      hint = " (check the client id and its secret or private key)";
    }
    return CliError{"the token endpoint refused the request (" + detail + ")" + hint};
  }
  if (!o) return CliError{"the token endpoint's answer is not a JSON object"};
  const auto* accessToken = o->if_contains("access_token");
  if (!accessToken || !accessToken->is_string() || accessToken->as_string().empty()) {
    return CliError{"the token endpoint's answer has no access_token"};
  }
  if (const auto* type = o->if_contains("token_type");
      type && !(type->is_string() && equalsIgnoringCase(type->as_string(), "bearer"))) {
    return CliError{"the token endpoint issued a token that is not a Bearer token"};
  }
  Token token{std::string(accessToken->as_string()), {}};
  std::optional<Clock::time_point> expiry;
  if (auto expiresIn = jsonSeconds(o->if_contains("expires_in"), true); expiresIn && *expiresIn > 0) {
    expiry = requestedAt + std::chrono::seconds(*expiresIn);
  }
  if (auto exp = unverifiedJwtExpiry(token.value); exp && (!expiry || *exp < *expiry)) expiry = *exp;
  if (!expiry) return CliError{"the token endpoint's answer says nothing of when the token expires (no expires_in, no exp)"};
  token.expiresAt = *expiry;
  return token;
}

namespace {

struct ClientAuth {
  std::string secret;                 // client_secret_basic / client_secret_post
  identity::PrivateKey privateKey;    // or private_key_jwt
};

struct Settings {
  CacheKey key;
  std::chrono::seconds margin{60};
  std::chrono::seconds timeout{10};
};

boost::system::result<std::string, CliError> discoverTokenEndpoint(const std::string& issuer, ssl::context& tls,
                                                                   std::chrono::seconds timeout) {
  net::HttpsRequest req;
  req.url = (issuer.ends_with('/') ? issuer.substr(0, issuer.size() - 1) : issuer) + "/.well-known/openid-configuration";
  req.headers["Accept"] = "application/json";
  req.timeout = timeout;
  req.maxResponseBytes = 256 * 1024;
  auto resp = net::httpsFetchBlocking(req, tls);
  if (!resp) return CliError{"OIDC discovery at " + req.url + " failed: " + resp.error().message};
  if (resp->status != 200) return CliError{"OIDC discovery at " + req.url + " answered HTTP " + std::to_string(resp->status)};
  boost::system::error_code ec;
  auto doc = json::parse(resp->body, ec);
  if (ec || !doc.is_object()) return CliError{"OIDC discovery at " + req.url + " returned no JSON object"};
  // OpenID Connect Discovery §4.3: the document must be about the issuer we asked for.
  const auto* iss = doc.as_object().if_contains("issuer");
  if (!iss || !iss->is_string() || iss->as_string() != issuer) {
    return CliError{"OIDC discovery at " + req.url + " names another issuer" +
                    (iss && iss->is_string() ? " (" + printable(iss->as_string()) + ")" : std::string())};
  }
  const auto* endpoint = doc.as_object().if_contains("token_endpoint");
  if (!endpoint || !endpoint->is_string()) return CliError{"the issuer " + issuer + " publishes no token_endpoint"};
  std::string url(endpoint->as_string());
  if (!net::parseHttpsUrl(url)) return CliError{"the issuer's token_endpoint is not an https:// URL"};
  return value(std::move(url));
}

// The form body and headers of the token request for the configured client authentication.
boost::system::result<net::HttpsRequest, CliError> buildTokenRequest(const CredentialOptions& o, const ClientAuth& auth,
                                                                     const std::string& endpoint) {
  net::HttpsRequest req;
  req.method = "POST";
  req.url = endpoint;
  req.headers["Content-Type"] = "application/x-www-form-urlencoded";
  req.headers["Accept"] = "application/json";
  std::string body = "grant_type=client_credentials";
  if (!o.scope.empty()) body += "&scope=" + formEncode(o.scope);
  if (!o.resource.empty()) body += "&resource=" + formEncode(o.resource);
  if (auth.privateKey) {
    identity::AssertionClaims claims{o.clientId, endpoint, o.keyId};
    auto assertion = identity::signClientAssertion(auth.privateKey.get(), claims);
    if (!assertion) return CliError{"cannot sign the client assertion: " + assertion.error().message};
    body += "&client_id=" + formEncode(o.clientId) +
            "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" +
            "&client_assertion=" + *assertion;
  } else if (o.authMethod == "client_secret_post") {
    body += "&client_id=" + formEncode(o.clientId) + "&client_secret=" + formEncode(auth.secret);
  } else {
    req.headers["Authorization"] = basicAuthorization(o.clientId, auth.secret);
  }
  req.body = std::move(body);
  return req;
}

boost::system::result<Token, CliError> fetchToken(const CredentialOptions& o, const Settings& s, const ClientAuth& auth) {
  std::shared_ptr<ssl::context> tls;
  try {
    tls = net::makeClientTlsContext(o.caFile);
  } catch (const std::exception&) {
    return CliError{"cannot load the CA file " + o.caFile};
  }
  std::string endpoint = o.tokenEndpoint;
  if (endpoint.empty()) {
    auto discovered = discoverTokenEndpoint(o.issuer, *tls, s.timeout);
    if (!discovered) return discovered.error();
    endpoint = *discovered;
  }
  auto req = buildTokenRequest(o, auth, endpoint);
  if (!req) return req.error();
  req->timeout = s.timeout;
  req->maxResponseBytes = 64 * 1024;
  const auto requestedAt = Clock::now();
  auto resp = net::httpsFetchBlocking(std::move(*req), *tls);
  if (!resp) return CliError{"the token request to " + endpoint + " failed: " + resp.error().message};
  auto token = parseTokenResponse(resp->status, resp->body, requestedAt);
  if (!token) return CliError{redact(token.error().message, auth.secret)};
  return token;
}

boost::system::result<ClientAuth, CliError> loadClientAuth(const CredentialOptions& o) {
  ClientAuth auth;
  if (!o.privateKeyFile.empty()) {
    auto key = identity::loadPrivateKeyFile(o.privateKeyFile);
    if (!key) return CliError{key.error().message};
    auth.privateKey = std::move(*key);
    return auth;
  }
  if (!o.clientSecretFile.empty()) {
    auto secret = readSmallFile(o.clientSecretFile, 4096, "client secret file");
    if (!secret) return secret.error();
    auth.secret = trim(std::move(*secret));
    if (auth.secret.empty()) return CliError{"the client secret file " + o.clientSecretFile + " is empty"};
  } else if (const char* env = std::getenv(kClientSecretEnv); env && *env) {
    auth.secret = env;
  } else {
    return CliError{std::string("no client secret: set ") + kClientSecretEnv +
                    ", or pass --client-secret-file or --private-key-file"};
  }
  return auth;
}

boost::system::result<Settings, CliError> checkGrantOptions(const CredentialOptions& o) {
  if (o.clientId.empty()) return CliError{"--client-id is required (or --token-file)"};
  if (o.issuer.empty() && o.tokenEndpoint.empty()) return CliError{"--issuer or --token-endpoint is required"};
  for (const auto* url : {&o.issuer, &o.tokenEndpoint}) {
    if (!url->empty() && !net::parseHttpsUrl(*url)) return CliError{*url + " is not an https:// URL"};
  }
  if (!o.privateKeyFile.empty() && !o.clientSecretFile.empty()) {
    return CliError{"--private-key-file and --client-secret-file exclude each other"};
  }
  const bool keyMethod = o.authMethod == "private_key_jwt";
  if (o.authMethod != "client_secret_basic" && o.authMethod != "client_secret_post" && !keyMethod) {
    return CliError{"--auth-method must be client_secret_basic, client_secret_post or private_key_jwt"};
  }
  if (keyMethod && o.privateKeyFile.empty()) return CliError{"private_key_jwt needs --private-key-file"};
  if (!o.privateKeyFile.empty() && o.authMethod == "client_secret_post") {
    return CliError{"--auth-method client_secret_post does not go with --private-key-file"};
  }
  Settings s{{o.issuer, o.tokenEndpoint, o.clientId, o.resource, o.scope}};
  const auto margin = config::parseDuration(o.refreshMargin);
  if (!margin || margin->count() < 0) return CliError{"--refresh-margin must be a duration such as 60s or 5m"};
  const auto timeout = config::parseDuration(o.timeout);
  if (!timeout || timeout->count() <= 0) return CliError{"--timeout must be a positive duration such as 10s"};
  s.margin = *margin;
  s.timeout = *timeout;
  return s;
}

boost::system::result<Token, CliError> clientCredentialsToken(const CredentialOptions& o) {
  auto settings = checkGrantOptions(o);
  if (!settings) return settings.error();
  auto auth = loadClientAuth(o);  // before the cache, so a broken setup shows at once, not at expiry
  if (!auth) return auth.error();
  std::optional<TokenCache> cache;
  if (!o.noCache) {
    auto dir = o.cacheDir.empty() ? TokenCache::defaultDir() : value(o.cacheDir);
    if (!dir) return dir.error();
    cache.emplace(*dir);
    if (auto cached = cache->load(settings->key, Clock::now(), settings->margin)) return std::move(*cached);
  }
  auto token = fetchToken(o, *settings, *auth);
  if (token && cache) {
    // A token we cannot cache still works; the next run just asks the IdP again.
    if (auto stored = cache->store(settings->key, *token); !stored) {
      std::cerr << "kubegate credential: warning: the token is not cached: " << stored.error().message << "\n";
    }
  }
  return token;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The command

void addCredentialFlags(CLI::App& cmd, CredentialOptions& o) {
  cmd.add_option("--issuer", o.issuer, "OIDC issuer URL (token endpoint found by discovery)");
  cmd.add_option("--token-endpoint", o.tokenEndpoint, "token endpoint URL (instead of discovery)");
  cmd.add_option("--client-id", o.clientId, "OAuth client id");
  cmd.add_option("--client-secret-file", o.clientSecretFile,
                 std::string("file holding the client secret (default: $") + kClientSecretEnv + ")");
  cmd.add_option("--auth-method", o.authMethod, "client_secret_basic (default), client_secret_post or private_key_jwt");
  cmd.add_option("--private-key-file", o.privateKeyFile, "PEM private key: authenticate with private_key_jwt");
  cmd.add_option("--key-id", o.keyId, "kid of the private key (client assertion header)");
  cmd.add_option("--resource", o.resource, "resource indicator (RFC 8707) to request the token for");
  cmd.add_option("--scope", o.scope, "scope to request");
  cmd.add_option("--ca-file", o.caFile, "CA bundle that verifies the IdP (default: the system's)");
  cmd.add_option("--token-file", o.tokenFile, "return the token in this file instead (projected SA token, CI OIDC token)");
  cmd.add_option("--cache-dir", o.cacheDir, "token cache folder (default: $XDG_CACHE_HOME/kubegate or ~/.kube/cache/kubegate)");
  cmd.add_option("--refresh-margin", o.refreshMargin, "fetch a new token this long before the cached one expires (default 60s)");
  cmd.add_option("--timeout", o.timeout, "limit on each request to the IdP (default 10s)");
  cmd.add_flag("--no-cache", o.noCache, "neither read nor write the token cache");
}

CLI::App* addCredentialCommand(CLI::App& app, CredentialOptions& o) {
  auto* cmd = app.add_subcommand("credential", "kubeconfig exec credential plugin: print an ExecCredential with a token");
  addCredentialFlags(*cmd, o);
  return cmd;
}

boost::system::result<void, CliError> checkCredentialOptions(const CredentialOptions& o) {
  if (o.tokenFile.empty()) {
    auto settings = checkGrantOptions(o);
    if (!settings) return settings.error();
    return {};
  }
  for (const auto* grantFlag : {&o.clientId, &o.issuer, &o.tokenEndpoint, &o.privateKeyFile, &o.clientSecretFile}) {
    if (!grantFlag->empty()) {
      return CliError{"--token-file does not go with the client-credentials flags (--issuer, --client-id, ...)"};
    }
  }
  return {};
}

int runCredential(const CredentialOptions& o, const char* execInfo) {
  auto fail = [](const std::string& message) {
    std::cerr << "kubegate credential: " << message << "\n";
    return 1;
  };
  auto apiVersion = execApiVersion(execInfo);
  if (!apiVersion) return fail(apiVersion.error().message);
  if (auto checked = checkCredentialOptions(o); !checked) return fail(checked.error().message);
  auto token = o.tokenFile.empty() ? clientCredentialsToken(o) : readTokenFile(o.tokenFile, Clock::now());
  if (!token) return fail(token.error().message);
  std::cout << renderExecCredential(*apiVersion, *token) << std::flush;
  return std::cout ? 0 : 1;
}

}  // namespace kubegate::cli
