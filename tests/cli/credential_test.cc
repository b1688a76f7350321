// The exec credential plugin's pieces: what it prints, what it caches and when it stops trusting
// its cache, how it reads tokens and token-endpoint answers. The network side runs against the real
// IdP in tests/e2e/credential.test.js.
#include "cli/credential.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "identity/jwt/base64url.h"

namespace kubegate::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

Clock::time_point at(std::int64_t unix) { return Clock::time_point(seconds(unix)); }

// An unsigned JWT-shaped token with these claims (the plugin never verifies; the gateway does).
std::string jwtWith(const boost::json::object& claims) {
  using identity::jwt::encodeBase64Url;
  return encodeBase64Url(R"({"alg":"RS256","typ":"JWT"})") + "." + encodeBase64Url(boost::json::serialize(claims)) +
         ".c2ln";
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kubegate-cli-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& content) { std::ofstream(path(name)) << content; }
  static unsigned modeOf(const std::string& p) {
    struct stat st{};
    stat(p.c_str(), &st);
    return st.st_mode & 07777;
  }
  fs::path dir_;
};

// ---- ExecCredential

TEST(CredentialExecCredential, AnswersWithTheApiVersionKubectlAskedFor) {
  EXPECT_EQ(*execApiVersion(nullptr), "client.authentication.k8s.io/v1");
  EXPECT_EQ(*execApiVersion(""), "client.authentication.k8s.io/v1");
  EXPECT_EQ(*execApiVersion(R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}})"),
            "client.authentication.k8s.io/v1");
  EXPECT_EQ(*execApiVersion(R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}})"),
            "client.authentication.k8s.io/v1beta1");
}

TEST(CredentialExecCredential, RefusesApiVersionsItDoesNotSpeak) {
  auto alpha = execApiVersion(R"({"apiVersion":"client.authentication.k8s.io/v1alpha1"})");
  ASSERT_FALSE(alpha);
  EXPECT_NE(alpha.error().message.find("v1alpha1"), std::string::npos);
  EXPECT_FALSE(execApiVersion("not json"));
  EXPECT_FALSE(execApiVersion(R"({"kind":"ExecCredential"})"));
  EXPECT_FALSE(execApiVersion(R"(["client.authentication.k8s.io/v1"])"));
}

TEST(CredentialExecCredential, HasTheShapeClientGoDecodes) {
  const auto text = renderExecCredential(kExecApiV1beta1, Token{"tok.en.x", at(1700000000)});
  ASSERT_EQ(text.back(), '\n');
  auto doc = boost::json::parse(text).as_object();
  EXPECT_EQ(doc.at("kind"), "ExecCredential");
  EXPECT_EQ(doc.at("apiVersion"), "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(doc.at("spec").at("interactive"), false);
  const auto& status = doc.at("status").as_object();
  EXPECT_EQ(status.at("token"), "tok.en.x");
  EXPECT_EQ(status.at("expirationTimestamp"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(status.size(), 2u);  // no client certificate fields
}

TEST(CredentialExecCredential, FormatsRfc3339InUtc) {
  EXPECT_EQ(formatRfc3339(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(at(951782400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(formatRfc3339(at(1700000000) + std::chrono::milliseconds(999)), "2023-11-14T22:13:20Z");
}

// ---- Token files

using CredentialTokenFile = TempDir;

TEST_F(CredentialTokenFile, ReturnsTheTokenWithItsExpiry) {
  const auto token = jwtWith({{"sub", "system:serviceaccount:ci:agent"}, {"exp", 2000000000}});
  write("token", "\n  " + token + "\n");  // kubelet writes no newline, CI tools sometimes do
  auto read = readTokenFile(path("token"), at(1900000000));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->value, token);
  EXPECT_EQ(read->expiresAt, at(2000000000));
}

TEST_F(CredentialTokenFile, RefusesWhatCouldOnlyEarnA401) {
  write("expired", jwtWith({{"exp", 1000}}));
  auto expired = readTokenFile(path("expired"), at(2000));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().message, "the token in " + path("expired") + " expired at 1970-01-01T00:16:40Z");

  write("no-exp", jwtWith({{"sub", "x"}}));
  auto noExp = readTokenFile(path("no-exp"), at(0));
  ASSERT_FALSE(noExp);
  EXPECT_NE(noExp.error().message.find("no numeric exp claim"), std::string::npos);

  write("string-exp", jwtWith({{"exp", "2000000000"}}));
  EXPECT_FALSE(readTokenFile(path("string-exp"), at(0)));

  write("opaque", "s3cr3t-opaque-token");
  auto opaque = readTokenFile(path("opaque"), at(0));
  ASSERT_FALSE(opaque);
  EXPECT_EQ(opaque.error().message.find("s3cr3t"), std::string::npos) << "the token must not be echoed";

  write("empty", "\n");
  EXPECT_FALSE(readTokenFile(path("empty"), at(0)));
  auto missing = readTokenFile(path("missing"), at(0));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(path("missing")), std::string::npos);
}

TEST(CredentialJwtExpiry, ReadsExpWithoutCaringAboutTheSignature) {
  EXPECT_EQ(*unverifiedJwtExpiry(jwtWith({{"exp", 1234}})), at(1234));
  EXPECT_FALSE(unverifiedJwtExpiry("a.b"));
  EXPECT_FALSE(unverifiedJwtExpiry("a.b.c.d"));
  EXPECT_FALSE(unverifiedJwtExpiry("eyJhbGciOiJub25lIn0.!!!.x"));
}

// ---- The cache

CacheKey demoKey() { return {"https://idp.example", "", "demo-agent", "urn:kubegate", ""}; }

TEST(CredentialCacheKey, IsADigestOfEveryField) {
  const auto base = demoKey().digest();
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(base, demoKey().digest());
  std::vector<CacheKey> variants(5, demoKey());
  variants[0].issuer = "https://other.example";
  variants[1].tokenEndpoint = "https://idp.example/token";
  variants[2].clientId = "trusted-agent";
  variants[3].resource = "urn:other";
  variants[4].scope = "kubernetes";
  for (const auto& v : variants) EXPECT_NE(v.digest(), base);
}

TEST(CredentialCacheKey, FieldBoundariesCannotBeShifted) {
  CacheKey a{"https://idp", "", "ab", "c", ""};
  CacheKey b{"https://idp", "", "a", "bc", ""};
  EXPECT_NE(a.digest(), b.digest());
}

using CredentialCache = TempDir;

TEST_F(CredentialCache, StoresPrivatelyAndReusesUntilTheMargin) {
  const auto dir = path("nested/kubegate");
  TokenCache cache(dir);
  const Token token{"the-token", at(1000)};
  ASSERT_TRUE(cache.store(demoKey(), token));
  EXPECT_EQ(modeOf(dir), 0700u);
  EXPECT_EQ(modeOf(path("nested")), 0700u);
  EXPECT_EQ(modeOf(cache.pathFor(demoKey())), 0600u);
  EXPECT_EQ(cache.pathFor(demoKey()), dir + "/" + demoKey().digest() + ".json");

  auto hit = cache.load(demoKey(), at(900), seconds(60));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->value, "the-token");
  EXPECT_EQ(hit->expiresAt, at(1000));
  EXPECT_TRUE(cache.load(demoKey(), at(939), seconds(60)));
  EXPECT_FALSE(cache.load(demoKey(), at(940), seconds(60))) << "60 s before expiry the token is refreshed";
  EXPECT_FALSE(cache.load(demoKey(), at(900), seconds(100))) << "the margin is configurable";
  EXPECT_FALSE(cache.load(demoKey(), at(1000), seconds(0)));
  EXPECT_TRUE(cache.load(demoKey(), at(999), seconds(0)));
}

TEST_F(CredentialCache, ReplacesAnEntryAndLeavesNoTemporaryFile) {
  TokenCache cache(dir_.string());
  ASSERT_TRUE(cache.store(demoKey(), {"first", at(1000)}));
  ASSERT_TRUE(cache.store(demoKey(), {"second", at(2000)}));
  EXPECT_EQ(cache.load(demoKey(), at(0), seconds(60))->value, "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(CredentialCache, TightensAFolderOthersCouldRead) {
  const auto dir = path("kubegate");
  fs::create_directory(dir);
  chmod(dir.c_str(), 0755);
  ASSERT_TRUE(TokenCache(dir).store(demoKey(), {"t", at(1000)}));
  EXPECT_EQ(modeOf(dir), 0700u);
}

TEST_F(CredentialCache, IgnoresEntriesItCannotTrust) {
  TokenCache cache(dir_.string());
  ASSERT_TRUE(cache.store(demoKey(), {"t", at(1000)}));
  const auto file = cache.pathFor(demoKey());

  // Readable by others: a file we did not write (or one tampered with) is never used.
  chmod(file.c_str(), 0644);
  EXPECT_FALSE(cache.load(demoKey(), at(0), seconds(0)));
  chmod(file.c_str(), 0600);
  EXPECT_TRUE(cache.load(demoKey(), at(0), seconds(0)));

  // An entry for another client copied under this key's name.
  auto other = demoKey();
  other.clientId = "trusted-agent";
  fs::copy_file(file, cache.pathFor(other));
  EXPECT_FALSE(cache.load(other, at(0), seconds(0)));

  // A symlink in place of the file.
  auto linked = demoKey();
  linked.scope = "kubernetes";
  fs::create_symlink(file, cache.pathFor(linked));
  EXPECT_FALSE(cache.load(linked, at(0), seconds(0)));

  // Garbage.
  std::ofstream(file, std::ios::trunc) << "{not json";
  EXPECT_FALSE(cache.load(demoKey(), at(0), seconds(0)));
  EXPECT_FALSE(TokenCache(path("absent")).load(demoKey(), at(0), seconds(0)));
}

TEST_F(CredentialCache, RefusesAFolderThatIsNotOne) {
  write("file", "x");
  auto stored = TokenCache(path("file")).store(demoKey(), {"t", at(1000)});
  ASSERT_FALSE(stored);
  EXPECT_NE(stored.error().message.find("not a directory"), std::string::npos);
}

TEST(CredentialCacheDir, FollowsXdgThenHome) {
  const char* savedXdg = std::getenv("XDG_CACHE_HOME");
  const char* savedHome = std::getenv("HOME");
  const std::string xdg = savedXdg ? savedXdg : "";
  const std::string home = savedHome ? savedHome : "";
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  setenv("HOME", "/home/agent", 1);
  EXPECT_EQ(*TokenCache::defaultDir(), "/xdg/kubegate");
  setenv("XDG_CACHE_HOME", "relative/is/ignored", 1);
  EXPECT_EQ(*TokenCache::defaultDir(), "/home/agent/.kube/cache/kubegate");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(*TokenCache::defaultDir(), "/home/agent/.kube/cache/kubegate");
  if (savedXdg) setenv("XDG_CACHE_HOME", xdg.c_str(), 1);
  if (savedHome) setenv("HOME", home.c_str(), 1);
  else unsetenv("HOME");
}

using CliPrivateFile = TempDir;

TEST_F(CliPrivateFile, IsWrittenWholeAndOnlyForUs) {
  const auto file = path("kubeconfig");
  write("kubeconfig", "old content that is longer");
  chmod(file.c_str(), 0644);
  ASSERT_TRUE(writePrivateFile(file, "new"));
  EXPECT_EQ(modeOf(file), 0600u);
  std::ifstream in(file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "new");
  auto failed = writePrivateFile(path("no/such/dir/file"), "x");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find(path("no/such/dir")), std::string::npos);
}

// ---- The token endpoint

TEST(CredentialTokenResponse, TakesTheTokenAndItsExpiresIn) {
  auto token = parseTokenResponse(200, R"({"access_token":"opaque","token_type":"Bearer","expires_in":300})", at(1000));
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->value, "opaque");
  EXPECT_EQ(token->expiresAt, at(1300));
  auto lower = parseTokenResponse(200, R"({"access_token":"t","token_type":"bearer","expires_in":"60"})", at(0));
  ASSERT_TRUE(lower) << lower.error().message;
  EXPECT_EQ(lower->expiresAt, at(60));
}

TEST(CredentialTokenResponse, TrustsTheEarlierOfExpiresInAndExp) {
  const auto jwt = jwtWith({{"exp", 1100}});
  auto token = parseTokenResponse(200, R"({"access_token":")" + jwt + R"(","token_type":"Bearer","expires_in":300})", at(1000));
  ASSERT_TRUE(token);
  EXPECT_EQ(token->expiresAt, at(1100));
  auto noExpiresIn = parseTokenResponse(200, R"({"access_token":")" + jwt + R"("})", at(1000));
  ASSERT_TRUE(noExpiresIn);
  EXPECT_EQ(noExpiresIn->expiresAt, at(1100));
}

TEST(CredentialTokenResponse, RefusesWhatItCannotUse) {
  auto noExpiry = parseTokenResponse(200, R"({"access_token":"opaque","token_type":"Bearer"})", at(0));
  ASSERT_FALSE(noExpiry);
  EXPECT_NE(noExpiry.error().message.find("expires"), std::string::npos);
  EXPECT_FALSE(parseTokenResponse(200, R"({"access_token":"t","token_type":"DPoP","expires_in":60})", at(0)));
  EXPECT_FALSE(parseTokenResponse(200, R"({"token_type":"Bearer","expires_in":60})", at(0)));
  EXPECT_FALSE(parseTokenResponse(200, "<html>", at(0)));
}

TEST(CredentialTokenResponse, ExplainsARefusalInOneLine) {
  auto refused = parseTokenResponse(
      401, R"({"error":"invalid_client","error_description":"client authentication\nfailed"})", at(0));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "the token endpoint refused the request (HTTP 401, invalid_client: client authentication failed) "
            "(check the client id and its secret or private key)");
  auto bare = parseTokenResponse(503, "Service Unavailable", at(0));
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().message, "the token endpoint refused the request (HTTP 503)");
}

TEST(CredentialClientAuth, EncodesAsRfc6749Says) {
  EXPECT_EQ(formEncode("a b+c/d:é~._-"), "a%20b%2Bc%2Fd%3A%C3%A9~._-");
  // base64("demo-agent:s3cr%3At") — the secret is form-encoded before base64 (RFC 6749 §2.3.1).
  EXPECT_EQ(basicAuthorization("demo-agent", "s3cr:t"), "Basic ZGVtby1hZ2VudDpzM2NyJTNBdA==");
}

// ---- Flags

TEST(CredentialFlags, OneTokenSourceAtATime) {
  CredentialOptions grant;
  grant.issuer = "https://idp.example";
  grant.clientId = "demo-agent";
  EXPECT_TRUE(checkCredentialOptions(grant));

  auto both = grant;
  both.tokenFile = "/var/run/secrets/tokens/kubegate";
  EXPECT_FALSE(checkCredentialOptions(both));
  CredentialOptions fileOnly;
  fileOnly.tokenFile = both.tokenFile;
  EXPECT_TRUE(checkCredentialOptions(fileOnly));

  auto noClient = grant;
  noClient.clientId.clear();
  EXPECT_FALSE(checkCredentialOptions(noClient));
  auto noIssuer = grant;
  noIssuer.issuer.clear();
  EXPECT_FALSE(checkCredentialOptions(noIssuer));
  auto plainHttp = grant;
  plainHttp.issuer = "http://idp.example";
  EXPECT_FALSE(checkCredentialOptions(plainHttp));
  auto keyAndSecret = grant;
  keyAndSecret.privateKeyFile = "k.pem";
  keyAndSecret.clientSecretFile = "s";
  EXPECT_FALSE(checkCredentialOptions(keyAndSecret));
  auto jwtWithoutKey = grant;
  jwtWithoutKey.authMethod = "private_key_jwt";
  EXPECT_FALSE(checkCredentialOptions(jwtWithoutKey));
  auto unknownMethod = grant;
  unknownMethod.authMethod = "tls_client_auth";
  EXPECT_FALSE(checkCredentialOptions(unknownMethod));
  auto badMargin = grant;
  badMargin.refreshMargin = "soon";
  EXPECT_FALSE(checkCredentialOptions(badMargin));
  auto zeroMargin = grant;
  zeroMargin.refreshMargin = "0s";
  EXPECT_TRUE(checkCredentialOptions(zeroMargin));
}

}  // namespace
}  // namespace kubegate::cli
