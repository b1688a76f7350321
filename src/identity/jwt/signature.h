// The signature check of JWS (RFC 7515 §5.2 step 8) for the algorithms of RFC 7518 and RFC 8037,
// with OpenSSL. The caller has already chosen the key and checked that it may verify `algorithm`.
#pragma once

#include <string_view>

#include <openssl/evp.h>

#include "identity/jwt/jwk.h"

namespace kubegate::identity::jwt {

enum class SignatureCheck {
  Valid,
  WrongLength,       // RSA: not exactly the modulus size; ECDSA: not exactly 2 × field size; EdDSA: not 64
  ScalarOutOfRange,  // ECDSA r or s is 0 or not below the group order (CVE-2022-21449)
  Invalid,
};

// `signingInput` is ASCII(BASE64URL(header) || '.' || BASE64URL(payload)); `signature` the decoded
// third segment. RS*: PKCS#1 v1.5. PS*: PSS with MGF1 over the same hash and a salt exactly the
// hash length (RFC 7518 §3.5). ES*: the fixed-width R||S of RFC 7518 §3.4, never DER. EdDSA:
// Ed25519 over the input itself (no pre-hash).
SignatureCheck checkSignature(Algorithm algorithm, EVP_PKEY* key, std::string_view signingInput,
                              std::string_view signature);

}  // namespace kubegate::identity::jwt
