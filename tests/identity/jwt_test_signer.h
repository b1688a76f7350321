// Test-only JWS signing: just enough of an issuer to mint the tokens the verifier tests need, with
// OpenSSL directly so the verifier is never checked against itself. Header-only because the test
// target builds only *_test.cc files.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "identity/jwt/base64url.h"
#include "identity/jwt/openssl_handles.h"

namespace kubegate::identity::jwt::testing {

using KeyPtr = std::shared_ptr<EVP_PKEY>;

inline KeyPtr own(EVP_PKEY* key) {
  if (!key) throw std::runtime_error("key generation failed");
  return KeyPtr(key, EVP_PKEY_free);
}

inline KeyPtr generateRsa(std::size_t bits) { return own(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)); }
inline KeyPtr generateEc(const char* curve) { return own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)); }
inline KeyPtr generateEd25519() { return own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }

inline std::string bignumParam(EVP_PKEY* key, const char* name, int padTo = 0) {
  BIGNUM* number = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &number) != 1) throw std::runtime_error("no such key parameter");
  OpenSslPtr<BIGNUM> owned(number);
  const int size = padTo > 0 ? padTo : BN_num_bytes(number);
  std::string out(static_cast<std::size_t>(size), '\0');
  BN_bn2binpad(number, reinterpret_cast<unsigned char*>(out.data()), size);
  return out;
}

inline std::size_t ecFieldBytes(EVP_PKEY* key) { return EVP_PKEY_get_bits(key) == 384 ? 48 : 32; }

// The public JWK of a key as a JSON object, so tests can add or spoil members.
inline boost::json::object publicJwk(EVP_PKEY* key, std::string_view kid) {
  boost::json::object jwk;
  if (!kid.empty()) jwk["kid"] = kid;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      jwk["kty"] = "RSA";
      jwk["n"] = encodeBase64Url(bignumParam(key, OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = encodeBase64Url(bignumParam(key, OSSL_PKEY_PARAM_RSA_E));
      break;
    case EVP_PKEY_EC: {
      const int field = static_cast<int>(ecFieldBytes(key));
      jwk["kty"] = "EC";
      jwk["crv"] = field == 48 ? "P-384" : "P-256";
      jwk["x"] = encodeBase64Url(bignumParam(key, OSSL_PKEY_PARAM_EC_PUB_X, field));
      jwk["y"] = encodeBase64Url(bignumParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, field));
      break;
    }
    case EVP_PKEY_ED25519: {
      std::string raw(32, '\0');
      std::size_t length = raw.size();
      EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length);
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = encodeBase64Url(raw);
      break;
    }
    default:
      throw std::runtime_error("unsupported key type");
  }
  return jwk;
}

inline std::string jwkSet(std::initializer_list<boost::json::object> keys) {
  boost::json::array array;
  for (const auto& key : keys) array.push_back(key);
  return boost::json::serialize(boost::json::object{{"keys", array}});
}

inline const EVP_MD* digestForName(std::string_view alg) {
  if (alg.ends_with("256")) return EVP_sha256();
  if (alg.ends_with("384")) return EVP_sha384();
  if (alg.ends_with("512")) return EVP_sha512();
  return nullptr;
}

// The JWS signature bytes for `alg` (RS*, PS*, ES*, EdDSA) over `input`; ECDSA as raw R||S.
inline std::string signBytes(std::string_view alg, EVP_PKEY* key, std::string_view input) {
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* keyCtx = nullptr;
  const EVP_MD* md = alg == "EdDSA" ? nullptr : digestForName(alg);
  if (EVP_DigestSignInit(ctx.get(), &keyCtx, md, nullptr, key) != 1) throw std::runtime_error("sign init");
  if (alg.starts_with("PS")) {
    EVP_PKEY_CTX_set_rsa_padding(keyCtx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_mgf1_md(keyCtx, md);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(keyCtx, RSA_PSS_SALTLEN_DIGEST);
  }
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) != 1) throw std::runtime_error("sign size");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data, input.size()) != 1) {
    throw std::runtime_error("sign");
  }
  signature.resize(length);
  if (!alg.starts_with("ES")) return signature;
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  OpenSslPtr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
  const int field = static_cast<int>(ecFieldBytes(key));
  std::string raw(static_cast<std::size_t>(2 * field), '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), field);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + field, field);
  return raw;
}

// The DER form OpenSSL produces natively (what RFC 7518 §3.4 forbids in a JWS).
inline std::string derEcdsaSignature(EVP_PKEY* key, std::string_view input) {
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data, input.size());
  signature.resize(length);
  return signature;
}

inline std::string hmacSha256(std::string_view secret, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

inline std::string signingInput(std::string_view headerJson, std::string_view payloadJson) {
  return encodeBase64Url(headerJson) + "." + encodeBase64Url(payloadJson);
}

// A compact JWS over exactly these header and payload bytes.
inline std::string signCompact(std::string_view headerJson, std::string_view payloadJson, std::string_view alg,
                               EVP_PKEY* key) {
  const std::string input = signingInput(headerJson, payloadJson);
  return input + "." + encodeBase64Url(signBytes(alg, key, input));
}

inline std::string signCompact(const boost::json::object& header, const boost::json::object& payload, EVP_PKEY* key) {
  const std::string alg(header.at("alg").as_string());
  return signCompact(boost::json::serialize(header), boost::json::serialize(payload), alg, key);
}

}  // namespace kubegate::identity::jwt::testing
