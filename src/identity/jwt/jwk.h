// JSON Web Keys (RFC 7517/7518) as the token verifier uses them: a JWK Set from an issuer's
// jwks_uri becomes a set of OpenSSL public keys, each bound to what it may verify.
//
// Loading is hygiene first (shared/notes/security.md §1.3, catalogue A10/A11). A key is skipped,
// with the reason recorded for the log, when it is:
//   - of a type or curve we do not verify with (oct, RSA-OAEP, P-521, X25519, Ed448, unknown kty):
//     symmetric keys above all, so an HMAC key can never exist next to an RSA key;
//   - an RSA key under 2048 bits (RFC 7518 §3.3) or over 8192 (verification cost), with an even
//     modulus, or an exponent that is even, below 3 or longer than 64 bits;
//   - an EC key whose coordinates are not exactly the field size or whose point is not on the
//     named curve (OpenSSL's full public key check);
//   - marked for something other than verification (`use` other than "sig", `key_ops` without
//     "verify"), or naming in `alg` an algorithm we do not verify with or one its type cannot do;
//   - carrying private key material (`d`): a published private key lets anyone sign;
//   - malformed (strict base64url, wrong member types).
// One bad key never spoils the set; a document that is not a strict-JSON JWK Set does.
//
// Duplicate kids: a second key with the same kid that is the same public key with the same alg is
// dropped as a repeat. Otherwise the kid is ambiguous and every token naming it is refused (the
// verifier cannot know which key the issuer meant; choosing the first would let the order of a
// document decide). Other kids are unaffected. `ambiguousKids()` lets the caller raise an alert.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>
#include <openssl/evp.h>

namespace kubegate::identity::jwt {

// The JWS algorithms (RFC 7518 §3, RFC 8037) the gateway verifies. There is deliberately no
// `none` and no HS*: a value that is not here can never be accepted, whatever a policy lists.
enum class Algorithm { RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA };

// Exact, case-sensitive JWA names (RFC 7515 §4.1.1: alg is case-sensitive). "none", "None",
// "HS256", "ES512" and anything else give nothing.
std::optional<Algorithm> parseAlgorithm(std::string_view name);
std::string_view algorithmName(Algorithm algorithm);

enum class KeyKind { Rsa, EcP256, EcP384, Ed25519 };

// RS* and PS* need RSA, ES256 needs P-256, ES384 needs P-384, EdDSA needs Ed25519.
bool kindVerifies(KeyKind kind, Algorithm algorithm);

struct VerificationKey {
  std::optional<std::string> kid;       // absent when the JWK has none
  KeyKind kind = KeyKind::Rsa;
  std::optional<Algorithm> algorithm;   // the JWK's own "alg": when present, the only one it verifies
  std::shared_ptr<EVP_PKEY> publicKey;  // read-only after loading; safe to share between threads

  // Whether a token signed with `a` may be verified with this key (RFC 8725 §3.1).
  bool verifies(Algorithm a) const { return kindVerifies(kind, a) && (!algorithm || *algorithm == a); }
};

// A JWK that was not loaded, and why (for the log; the reason is a fixed phrase).
struct SkippedKey {
  std::size_t index = 0;  // position in the "keys" array
  std::optional<std::string> kid;
  std::string_view reason;
};

struct JwksError {
  std::string_view what;  // a fixed phrase, never document content
};

enum class KeyLookupStatus {
  Found,
  UnknownKid,         // no key with this kid, or (no kid) no key for this algorithm: refresh the set
  Ambiguous,          // the kid names several keys, or (no kid) several keys could verify
  AlgorithmMismatch,  // the kid's key cannot verify this algorithm (type, curve or its own alg)
};

struct KeyLookup {
  KeyLookupStatus status = KeyLookupStatus::UnknownKid;
  const VerificationKey* key = nullptr;  // set when Found; valid while the KeySet lives
};

class KeySet {
 public:
  // At most this many keys are loaded; the rest are skipped (a JWK Set is a handful of keys).
  static constexpr std::size_t kMaxKeys = 64;

  static boost::system::result<KeySet, JwksError> parse(std::string_view jwksJson);

  // The key a token's header selects. With a kid: the key with exactly that kid (an opaque string
  // compared byte for byte; it is never a path, query or URL). Without: the one key that can
  // verify `algorithm`, if exactly one can.
  KeyLookup find(const std::optional<std::string_view>& kid, Algorithm algorithm) const;

  const std::vector<VerificationKey>& keys() const { return keys_; }
  const std::vector<SkippedKey>& skipped() const { return skipped_; }
  const std::vector<std::string>& ambiguousKids() const { return ambiguousKids_; }

 private:
  void addKey(VerificationKey key, std::size_t index);

  std::vector<VerificationKey> keys_;
  std::vector<SkippedKey> skipped_;
  std::vector<std::string> ambiguousKids_;
};

}  // namespace kubegate::identity::jwt
