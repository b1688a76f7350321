#include "identity/jwt/jwk.h"

#include <algorithm>
#include <array>
#include <utility>

#include <openssl/core_names.h>

#include "identity/jwt/base64url.h"
#include "identity/jwt/json_strict.h"
#include "identity/jwt/openssl_handles.h"

namespace kubegate::identity::jwt {
namespace {

constexpr std::array<std::pair<std::string_view, Algorithm>, 9> kAlgorithmNames{{
    {"RS256", Algorithm::RS256},
    {"RS384", Algorithm::RS384},
    {"RS512", Algorithm::RS512},
    {"PS256", Algorithm::PS256},
    {"PS384", Algorithm::PS384},
    {"PS512", Algorithm::PS512},
    {"ES256", Algorithm::ES256},
    {"ES384", Algorithm::ES384},
    {"EdDSA", Algorithm::EdDSA},
}};

constexpr int kMinRsaBits = 2048;  // RFC 7518 §3.3
constexpr int kMaxRsaBits = 8192;  // a bigger modulus only buys an attacker CPU time per token
constexpr std::size_t kMaxRsaExponentBytes = 8;

struct SkipReason {
  std::string_view why;
};

using KeyResult = boost::system::result<VerificationKey, SkipReason>;

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

// A base64url member decoded strictly; nothing when absent, not a string or not canonical.
std::optional<std::string> decodedMember(const JsonValue& jwk, std::string_view name) {
  const JsonValue* member = jwk.find(name);
  if (!member || !member->isString()) return std::nullopt;
  return decodeBase64Url(member->string());
}

// RFC 7518 §6.3.1 says n and e carry no leading zero octets, but some issuers publish them; they
// do not change the number, so they are tolerated and removed.
std::string_view withoutLeadingZeros(std::string_view bytes) {
  while (!bytes.empty() && bytes.front() == '\0') bytes.remove_prefix(1);
  return bytes;
}

OpenSslPtr<BIGNUM> bigEndianNumber(std::string_view bytes) {
  return OpenSslPtr<BIGNUM>(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

// Builds a public key of `typeName` from provider parameters (OpenSSL 3's EVP_PKEY_fromdata).
EVP_PKEY* publicKeyFromParams(const char* typeName, OSSL_PARAM_BLD* builder) {
  OpenSslPtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder));
  OpenSslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, typeName, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return key;
}

KeyResult rsaKey(const JsonValue& jwk) {
  const auto modulusBytes = decodedMember(jwk, "n");
  const auto exponentBytes = decodedMember(jwk, "e");
  if (!modulusBytes || !exponentBytes) return SkipReason{"RSA key without valid n and e"};
  const std::string_view modulus = withoutLeadingZeros(*modulusBytes);
  const std::string_view exponent = withoutLeadingZeros(*exponentBytes);
  if (exponent.empty() || exponent.size() > kMaxRsaExponentBytes) return SkipReason{"RSA exponent out of range"};
  if ((static_cast<unsigned char>(exponent.back()) & 1) == 0) return SkipReason{"RSA exponent is even"};
  if (exponent.size() == 1 && static_cast<unsigned char>(exponent[0]) < 3) return SkipReason{"RSA exponent below 3"};
  if (modulus.empty() || (static_cast<unsigned char>(modulus.back()) & 1) == 0) return SkipReason{"RSA modulus is even"};

  OpenSslPtr<BIGNUM> n = bigEndianNumber(modulus);
  OpenSslPtr<BIGNUM> e = bigEndianNumber(exponent);
  if (!n || !e) return SkipReason{"RSA key could not be built"};
  const int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits) return SkipReason{"RSA modulus under 2048 bits"};
  if (bits > kMaxRsaBits) return SkipReason{"RSA modulus over 8192 bits"};

  OpenSslPtr<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return SkipReason{"RSA key could not be built"};
  }
  EVP_PKEY* key = publicKeyFromParams("RSA", builder.get());
  if (!key) return SkipReason{"RSA key could not be built"};
  VerificationKey out;
  out.kind = KeyKind::Rsa;
  out.publicKey = share(key);
  return out;
}

struct CurveFacts {
  KeyKind kind;
  const char* openSslGroup;
  std::size_t coordinateBytes;
};

std::optional<CurveFacts> curveFacts(std::string_view crv) {
  if (crv == "P-256") return CurveFacts{KeyKind::EcP256, "prime256v1", 32};
  if (crv == "P-384") return CurveFacts{KeyKind::EcP384, "secp384r1", 48};
  return std::nullopt;
}

// OpenSSL's full public key check: the point is on the curve, not the point at infinity, and of
// the group's order (RFC 8725 §3.4: validate cryptographic inputs). EVP_PKEY_fromdata already
// refuses a point off the curve; this states the requirement here rather than relying on it.
bool publicKeyChecks(EVP_PKEY* key) {
  OpenSslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

KeyResult ecKey(const JsonValue& jwk) {
  const JsonValue* crv = jwk.find("crv");
  if (!crv || !crv->isString()) return SkipReason{"EC key without crv"};
  const auto facts = curveFacts(crv->string());
  if (!facts) return SkipReason{"EC curve not supported"};
  const auto x = decodedMember(jwk, "x");
  const auto y = decodedMember(jwk, "y");
  // RFC 7518 §6.2.1.2: the coordinates MUST be the full size of the field, never shortened.
  if (!x || !y || x->size() != facts->coordinateBytes || y->size() != facts->coordinateBytes) {
    return SkipReason{"EC key coordinates missing or not the field size"};
  }
  std::string uncompressedPoint;
  uncompressedPoint.reserve(1 + 2 * facts->coordinateBytes);
  uncompressedPoint.push_back('\x04');
  uncompressedPoint.append(*x).append(*y);

  OpenSslPtr<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, facts->openSslGroup, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, uncompressedPoint.data(),
                                       uncompressedPoint.size()) != 1) {
    return SkipReason{"EC key could not be built"};
  }
  EVP_PKEY* key = publicKeyFromParams("EC", builder.get());
  if (!key) return SkipReason{"EC point is not on the curve"};
  auto shared = share(key);
  if (!publicKeyChecks(key)) return SkipReason{"EC point is not on the curve"};
  VerificationKey out;
  out.kind = facts->kind;
  out.publicKey = std::move(shared);
  return out;
}

KeyResult okpKey(const JsonValue& jwk) {
  const JsonValue* crv = jwk.find("crv");
  if (!crv || !crv->isString()) return SkipReason{"OKP key without crv"};
  if (crv->string() != "Ed25519") return SkipReason{"OKP curve not supported"};
  const auto x = decodedMember(jwk, "x");
  if (!x || x->size() != 32) return SkipReason{"Ed25519 key is not 32 bytes"};
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                                 reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (!key) return SkipReason{"Ed25519 key could not be built"};
  VerificationKey out;
  out.kind = KeyKind::Ed25519;
  out.publicKey = share(key);
  return out;
}

// use / key_ops (RFC 7517 §4.2, §4.3): when present they must allow signature verification.
std::optional<SkipReason> checkIntendedUse(const JsonValue& jwk) {
  if (const JsonValue* use = jwk.find("use")) {
    if (!use->isString() || use->string() != "sig") return SkipReason{"key is not for signatures (use)"};
  }
  if (const JsonValue* ops = jwk.find("key_ops")) {
    if (!ops->isArray()) return SkipReason{"key_ops is not an array"};
    bool verify = false;
    for (const JsonValue& op : ops->items()) {
      if (!op.isString()) return SkipReason{"key_ops is not an array of strings"};
      verify = verify || op.string() == "verify";
    }
    if (!verify) return SkipReason{"key is not for verification (key_ops)"};
  }
  return std::nullopt;
}

KeyResult loadKey(const JsonValue& jwk) {
  if (!jwk.isObject()) return SkipReason{"not a JSON object"};
  const JsonValue* kty = jwk.find("kty");
  if (!kty || !kty->isString()) return SkipReason{"no kty"};
  if (jwk.find("d")) return SkipReason{"contains private key material"};
  if (auto refused = checkIntendedUse(jwk)) return *refused;

  std::optional<std::string> kid;
  if (const JsonValue* kidValue = jwk.find("kid")) {
    if (!kidValue->isString()) return SkipReason{"kid is not a string"};
    kid = kidValue->string();
  }
  std::optional<Algorithm> algorithm;
  if (const JsonValue* alg = jwk.find("alg")) {
    if (!alg->isString()) return SkipReason{"alg is not a string"};
    algorithm = parseAlgorithm(alg->string());
    if (!algorithm) return SkipReason{"alg is not a signature algorithm we verify"};
  }

  KeyResult key = SkipReason{"key type not supported"};
  const std::string& type = kty->string();
  if (type == "oct") {
    key = SkipReason{"symmetric keys are never used"};
  } else if (type == "RSA") {
    key = rsaKey(jwk);
  } else if (type == "EC") {
    key = ecKey(jwk);
  } else if (type == "OKP") {
    key = okpKey(jwk);
  }
  if (!key) return key;
  if (algorithm && !kindVerifies(key->kind, *algorithm)) return SkipReason{"alg does not match the key type or curve"};
  key->kid = std::move(kid);
  key->algorithm = algorithm;
  return key;
}

bool sameKey(const VerificationKey& a, const VerificationKey& b) {
  return a.kind == b.kind && a.algorithm == b.algorithm && EVP_PKEY_eq(a.publicKey.get(), b.publicKey.get()) == 1;
}

}  // namespace

std::optional<Algorithm> parseAlgorithm(std::string_view name) {
  for (const auto& [algorithmText, algorithm] : kAlgorithmNames) {
    if (algorithmText == name) return algorithm;
  }
  return std::nullopt;
}

std::string_view algorithmName(Algorithm algorithm) {
  for (const auto& [algorithmText, candidate] : kAlgorithmNames) {
    if (candidate == algorithm) return algorithmText;
  }
  return "unknown";
}

bool kindVerifies(KeyKind kind, Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512:
    case Algorithm::PS256:
    case Algorithm::PS384:
    case Algorithm::PS512:
      return kind == KeyKind::Rsa;
    case Algorithm::ES256:
      return kind == KeyKind::EcP256;
    case Algorithm::ES384:
      return kind == KeyKind::EcP384;
    case Algorithm::EdDSA:
      return kind == KeyKind::Ed25519;
  }
  return false;
}

boost::system::result<KeySet, JwksError> KeySet::parse(std::string_view jwksJson) {
  JsonLimits limits;
  limits.maxDepth = 8;
  auto document = parseStrictJson(jwksJson, limits);
  if (!document) return JwksError{"JWK Set is not strict JSON"};
  if (!document->isObject()) return JwksError{"JWK Set is not a JSON object"};
  const JsonValue* keys = document->find("keys");
  if (!keys || !keys->isArray()) return JwksError{"JWK Set has no keys array"};

  KeySet set;
  for (std::size_t index = 0; index < keys->items().size(); ++index) {
    const JsonValue& jwk = keys->items()[index];
    if (set.keys_.size() >= kMaxKeys) {
      set.skipped_.push_back({index, std::nullopt, "more keys than a JWK Set may hold"});
      continue;
    }
    KeyResult key = loadKey(jwk);
    if (key) {
      set.addKey(std::move(*key), index);
      continue;
    }
    std::optional<std::string> kid;
    if (const JsonValue* kidValue = jwk.find("kid"); kidValue && kidValue->isString()) kid = kidValue->string();
    set.skipped_.push_back({index, std::move(kid), key.error().why});
  }
  return set;
}

void KeySet::addKey(VerificationKey key, std::size_t index) {
  if (key.kid) {
    for (const VerificationKey& earlier : keys_) {
      if (earlier.kid != key.kid) continue;
      if (sameKey(earlier, key)) {
        skipped_.push_back({index, key.kid, "repeats an earlier key"});
        return;
      }
      if (std::find(ambiguousKids_.begin(), ambiguousKids_.end(), *key.kid) == ambiguousKids_.end()) {
        ambiguousKids_.push_back(*key.kid);
      }
    }
  }
  keys_.push_back(std::move(key));
}

KeyLookup KeySet::find(const std::optional<std::string_view>& kid, Algorithm algorithm) const {
  KeyLookup lookup;
  if (kid) {
    for (const std::string& ambiguous : ambiguousKids_) {
      if (ambiguous == *kid) return {KeyLookupStatus::Ambiguous, nullptr};
    }
    for (const VerificationKey& key : keys_) {
      if (!key.kid || *key.kid != *kid) continue;
      if (!key.verifies(algorithm)) return {KeyLookupStatus::AlgorithmMismatch, nullptr};
      return {KeyLookupStatus::Found, &key};
    }
    return {KeyLookupStatus::UnknownKid, nullptr};
  }
  for (const VerificationKey& key : keys_) {
    if (!key.verifies(algorithm)) continue;
    if (lookup.key) return {KeyLookupStatus::Ambiguous, nullptr};
    lookup = {KeyLookupStatus::Found, &key};
  }
  return lookup;
}

}  // namespace kubegate::identity::jwt
