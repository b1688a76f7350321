#include "identity/client_assertion.h"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "identity/jwt/base64url.h"

namespace kubegate::identity {
namespace {

using jwt::encodeBase64Url;
using Text = boost::system::result<std::string, AssertionError>;
// AssertionError is constructible from a string, so a string result must say that it is the value.
Text value(std::string s) { return {boost::system::in_place_value, std::move(s)}; }

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

// A password callback that supplies none, so an encrypted key fails instead of prompting on the
// terminal (OpenSSL's default), which would hang kubectl.
int noPassword(char*, int, int, void*) { return 0; }

std::string curveName(EVP_PKEY* key) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) return "";
  return std::string(name, len);
}

const EVP_MD* digestFor(const std::string& alg) {
  if (alg == "RS256" || alg == "ES256") return EVP_sha256();
  if (alg == "ES384") return EVP_sha384();
  return nullptr;  // EdDSA signs the message itself
}

// ECDSA gives DER (SEQUENCE of two INTEGERs); JWS wants both scalars left-padded to the field size.
boost::system::result<std::string, AssertionError> derToRaw(const std::string& der, int scalarBytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return AssertionError{"ECDSA signing produced no signature"};
  std::string raw(static_cast<std::size_t>(scalarBytes) * 2, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, scalarBytes) != scalarBytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + scalarBytes, scalarBytes) != scalarBytes) {
    return AssertionError{"ECDSA signing produced an oversized scalar"};
  }
  return value(std::move(raw));
}

boost::system::result<std::string, AssertionError> sign(EVP_PKEY* key, const std::string& alg,
                                                        const std::string& input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digestFor(alg), nullptr, key) != 1) {
    return AssertionError{"cannot start signing with the private key"};
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) return AssertionError{"signing failed"};
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, data, input.size()) != 1) {
    return AssertionError{"signing failed"};
  }
  signature.resize(len);
  if (alg == "ES256") return derToRaw(signature, 32);
  if (alg == "ES384") return derToRaw(signature, 48);
  return value(std::move(signature));
}

std::string randomId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a client assertion jti");
  return encodeBase64Url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace

boost::system::result<PrivateKey, AssertionError> parsePrivateKeyPem(const std::string& pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return AssertionError{"out of memory"};
  PrivateKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
  if (!key) {
    if (pem.find("ENCRYPTED") != std::string::npos) {
      return AssertionError{"the private key is encrypted; kubegate needs an unencrypted PEM key"};
    }
    return AssertionError{"no PEM private key found"};
  }
  return key;
}

boost::system::result<PrivateKey, AssertionError> loadPrivateKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return AssertionError{"cannot read the private key file " + path};
  std::ostringstream text;
  text << in.rdbuf();
  auto key = parsePrivateKeyPem(text.str());
  if (!key) return AssertionError{key.error().message + " (in " + path + ")"};
  return key;
}

boost::system::result<std::string, AssertionError> assertionAlgorithm(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048) return AssertionError{"the RSA private key is shorter than 2048 bits"};
    return value("RS256");
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    const auto curve = curveName(key);
    if (curve == "prime256v1" || curve == "P-256") return value("ES256");
    if (curve == "secp384r1" || curve == "P-384") return value("ES384");
    return AssertionError{"the EC private key's curve " + curve + " is not supported (use P-256 or P-384)"};
  }
  if (EVP_PKEY_is_a(key, "ED25519")) return value("EdDSA");
  return AssertionError{"the private key's type is not supported (use RSA, EC P-256/P-384 or Ed25519)"};
}

boost::system::result<std::string, AssertionError> signClientAssertion(EVP_PKEY* key, const AssertionClaims& claims) {
  auto alg = assertionAlgorithm(key);
  if (!alg) return alg.error();
  boost::json::object header{{"alg", *alg}, {"typ", "JWT"}};
  if (!claims.keyId.empty()) header["kid"] = claims.keyId;
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(claims.now.time_since_epoch()).count();
  const boost::json::object payload{{"iss", claims.clientId},
                                    {"sub", claims.clientId},
                                    {"aud", claims.audience},
                                    {"jti", randomId()},
                                    {"iat", iat},
                                    {"exp", iat + claims.lifetime.count()}};
  const auto input = encodeBase64Url(boost::json::serialize(header)) + "." +
                     encodeBase64Url(boost::json::serialize(payload));
  auto signature = sign(key, *alg, input);
  if (!signature) return signature.error();
  return value(input + "." + encodeBase64Url(*signature));
}

}  // namespace kubegate::identity
