// Client assertions for OAuth 2.0 private_key_jwt client authentication (RFC 7523 §2.2, OpenID
// Connect Core §9): a short-lived JWT, signed with the client's private key, that replaces a shared
// secret at the token endpoint. `kubegate credential --private-key-file` sends one per token request.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/system/result.hpp>
#include <openssl/evp.h>

namespace kubegate::identity {

struct PrivateKeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PrivateKey = std::unique_ptr<EVP_PKEY, PrivateKeyDeleter>;

struct AssertionError {
  std::string message;  // names the file or the problem, never key material
};

// Reads a PEM private key (PKCS#8 "PRIVATE KEY", or the traditional RSA/EC forms). Encrypted keys
// are refused: the plugin runs non-interactively and has no passphrase to ask for.
boost::system::result<PrivateKey, AssertionError> loadPrivateKeyFile(const std::string& path);
boost::system::result<PrivateKey, AssertionError> parsePrivateKeyPem(const std::string& pem);

// The JWS algorithm a key signs with: RS256 for RSA (2048 bits or more), ES256 for P-256, ES384 for
// P-384, EdDSA for Ed25519. Anything else is refused rather than guessed.
boost::system::result<std::string, AssertionError> assertionAlgorithm(EVP_PKEY* key);

struct AssertionClaims {
  std::string clientId;  // becomes iss and sub
  std::string audience;  // the token endpoint URL
  std::string keyId;     // header kid; empty: no kid
  std::chrono::seconds lifetime{60};
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Header {alg, typ: JWT, kid?}; claims {iss, sub, aud, jti, iat, exp}. jti is 128 random bits, so
// each assertion is used once (the IdP refuses a replay). ECDSA signatures are the fixed-width
// R||S of RFC 7518 §3.4, not DER.
boost::system::result<std::string, AssertionError> signClientAssertion(EVP_PKEY* key, const AssertionClaims& claims);

}  // namespace kubegate::identity
