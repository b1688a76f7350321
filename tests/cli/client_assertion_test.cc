// private_key_jwt client assertions (RFC 7523): the structure an IdP checks, and a signature that
// OpenSSL verifies with the public key, independently of the code that signed.
#include "identity/client_assertion.h"

#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "identity/jwt/base64url.h"

namespace kubegate::identity {
namespace {

using jwt::decodeBase64Url;

PrivateKey generate(const char* type, const char* param = nullptr, std::size_t bits = 0) {
  EVP_PKEY* key = nullptr;
  if (bits) key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, bits);
  else if (param) key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, param);
  else key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  if (!key) throw std::runtime_error("key generation failed");
  return PrivateKey(key);
}

std::string toPem(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  char pass[] = "passphrase";
  PEM_write_bio_PrivateKey(bio, key, cipher, reinterpret_cast<unsigned char*>(pass), cipher ? 10 : 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return pem;
}

struct Parts {
  boost::json::object header;
  boost::json::object claims;
  std::string signingInput;
  std::string signature;
};

Parts split(const std::string& jwt) {
  const auto a = jwt.find('.');
  const auto b = jwt.find('.', a + 1);
  EXPECT_EQ(jwt.find('.', b + 1), std::string::npos);
  Parts p;
  p.header = boost::json::parse(*decodeBase64Url(jwt.substr(0, a))).as_object();
  p.claims = boost::json::parse(*decodeBase64Url(jwt.substr(a + 1, b - a - 1))).as_object();
  p.signingInput = jwt.substr(0, b);
  p.signature = *decodeBase64Url(jwt.substr(b + 1));
  return p;
}

// JWS ECDSA signatures are R||S; OpenSSL verifies DER, so the test converts (RFC 7518 §3.4).
std::string rawToDer(const std::string& raw) {
  const int half = static_cast<int>(raw.size() / 2);
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, half, nullptr), BN_bin2bn(bytes + half, half, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

bool verifies(EVP_PKEY* key, const EVP_MD* md, const std::string& input, const std::string& signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

AssertionClaims claims() {
  AssertionClaims c;
  c.clientId = "jwt-agent";
  c.audience = "https://idp.example/token";
  c.keyId = "kid-1";
  c.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  return c;
}

TEST(ClientAssertion, HasTheClaimsOfRfc7523) {
  auto key = generate("RSA", nullptr, 2048);
  auto jwt = signClientAssertion(key.get(), claims());
  ASSERT_TRUE(jwt) << jwt.error().message;
  const auto p = split(*jwt);
  EXPECT_EQ(p.header, (boost::json::object{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-1"}}));
  EXPECT_EQ(p.claims.at("iss"), "jwt-agent");
  EXPECT_EQ(p.claims.at("sub"), "jwt-agent");
  EXPECT_EQ(p.claims.at("aud"), "https://idp.example/token");
  EXPECT_EQ(p.claims.at("iat").as_int64(), 1700000000);
  EXPECT_EQ(p.claims.at("exp").as_int64(), 1700000060);
  EXPECT_EQ(decodeBase64Url(std::string(p.claims.at("jti").as_string()))->size(), 16u);
  EXPECT_EQ(p.claims.size(), 6u);
  EXPECT_TRUE(verifies(key.get(), EVP_sha256(), p.signingInput, p.signature));
  EXPECT_FALSE(verifies(key.get(), EVP_sha256(), p.signingInput + "x", p.signature));
}

TEST(ClientAssertion, UsesEachJtiOnce) {
  auto key = generate("EC", "P-256");
  auto c = claims();
  c.keyId.clear();
  const auto first = split(*signClientAssertion(key.get(), c));
  const auto second = split(*signClientAssertion(key.get(), c));
  EXPECT_NE(first.claims.at("jti"), second.claims.at("jti"));
  EXPECT_FALSE(first.header.contains("kid"));
}

TEST(ClientAssertion, SignsEcdsaAsFixedWidthRAndS) {
  struct Case {
    const char* curve;
    const char* alg;
    const EVP_MD* md;
    std::size_t size;
  };
  for (const auto& c : {Case{"P-256", "ES256", EVP_sha256(), 64}, Case{"P-384", "ES384", EVP_sha384(), 96}}) {
    auto key = generate("EC", c.curve);
    const auto p = split(*signClientAssertion(key.get(), claims()));
    EXPECT_EQ(p.header.at("alg"), c.alg);
    ASSERT_EQ(p.signature.size(), c.size) << c.alg;
    EXPECT_TRUE(verifies(key.get(), c.md, p.signingInput, rawToDer(p.signature))) << c.alg;
  }
}

TEST(ClientAssertion, SignsEd25519) {
  auto key = generate("ED25519");
  const auto p = split(*signClientAssertion(key.get(), claims()));
  EXPECT_EQ(p.header.at("alg"), "EdDSA");
  EXPECT_TRUE(verifies(key.get(), nullptr, p.signingInput, p.signature));
}

TEST(ClientAssertion, RefusesKeysItWouldHaveToGuessFor) {
  auto small = generate("RSA", nullptr, 1024);
  EXPECT_EQ(signClientAssertion(small.get(), claims()).error().message, "the RSA private key is shorter than 2048 bits");
  auto p521 = generate("EC", "P-521");
  EXPECT_FALSE(signClientAssertion(p521.get(), claims()));
}

TEST(ClientAssertionKeyPem, ReadsPkcs8AndRefusesEncryptedKeys) {
  auto key = generate("EC", "P-256");
  auto parsed = parsePrivateKeyPem(toPem(key.get()));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(EVP_PKEY_eq(parsed->get(), key.get()), 1);

  auto encrypted = parsePrivateKeyPem(toPem(key.get(), EVP_aes_256_cbc()));
  ASSERT_FALSE(encrypted);
  EXPECT_NE(encrypted.error().message.find("encrypted"), std::string::npos);
  EXPECT_FALSE(parsePrivateKeyPem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
}

TEST(ClientAssertionKeyPem, NamesTheFileItCouldNotRead) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto file = (dir / ("kubegate-key-test-" + std::to_string(getpid()) + ".pem")).string();
  std::ofstream(file) << "not a key";
  auto bad = loadPrivateKeyFile(file);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(file), std::string::npos);
  auto key = generate("RSA", nullptr, 2048);
  std::ofstream(file, std::ios::trunc) << toPem(key.get());
  EXPECT_TRUE(loadPrivateKeyFile(file));
  std::filesystem::remove(file);
  EXPECT_NE(loadPrivateKeyFile(file).error().message.find(file), std::string::npos);
}

}  // namespace
}  // namespace kubegate::identity
