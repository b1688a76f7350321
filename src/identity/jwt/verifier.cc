#include "identity/jwt/verifier.h"

#include <array>
#include <utility>

#include "identity/jwt/base64url.h"
#include "identity/jwt/claims.h"
#include "identity/jwt/json_strict.h"
#include "identity/jwt/signature.h"

namespace kubegate::identity::jwt {
namespace {

template <class T>
using Result = boost::system::result<T, TokenError>;

constexpr std::size_t kMaxKidBytes = 256;
constexpr std::size_t kMaxJsonDepth = 16;

// Header parameters that point at keys outside the issuer's JWK Set (RFC 8725 §3.10, CVE-2018-0114).
constexpr std::array<std::string_view, 4> kKeyReferenceHeaders{"jku", "x5u", "jwk", "x5c"};
// Header parameters of things this verifier does not do: nested tokens (cty), unencoded payloads
// (b64, RFC 7797), compression and JWE (catalogue A28).
constexpr std::array<std::string_view, 11> kUnsupportedHeaders{"cty", "b64", "zip", "enc", "p2c", "p2s",
                                                               "epk", "apu", "apv", "iv",  "tag"};

TokenError fail(TokenErrorReason reason, std::string_view message) { return TokenError{reason, message}; }

struct CompactParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signingInput;  // header '.' payload, exactly as received
};

// The size cap comes first: nothing is decoded or allocated for a token over it (CVE-2025-30204
// class). Then exactly two dots; a JWE (four) or JSON serialization (none) is malformed.
Result<CompactParts> splitCompact(std::string_view token, std::size_t maxTokenBytes) {
  if (token.size() > maxTokenBytes) return fail(TokenErrorReason::TooLarge, "token is larger than allowed");
  const std::size_t firstDot = token.find('.');
  if (firstDot == std::string_view::npos) return fail(TokenErrorReason::Malformed, "token is not a compact JWS");
  const std::size_t secondDot = token.find('.', firstDot + 1);
  if (secondDot == std::string_view::npos || token.find('.', secondDot + 1) != std::string_view::npos) {
    return fail(TokenErrorReason::Malformed, "token does not have exactly three parts");
  }
  CompactParts parts;
  parts.header = token.substr(0, firstDot);
  parts.payload = token.substr(firstDot + 1, secondDot - firstDot - 1);
  parts.signature = token.substr(secondDot + 1);
  parts.signingInput = token.substr(0, secondDot);
  if (parts.header.empty() || parts.payload.empty()) return fail(TokenErrorReason::Malformed, "token has an empty part");
  return parts;
}

constexpr std::string_view kHeaderNotObject = "token header is not a base64url JSON object";
constexpr std::string_view kPayloadNotObject = "token payload is not a base64url JSON object";

Result<JsonValue> parseObject(std::string_view bytes, std::string_view message) {
  JsonLimits limits;
  limits.maxDepth = kMaxJsonDepth;
  auto json = parseStrictJson(bytes, limits);
  if (!json || !json->isObject()) return fail(TokenErrorReason::Malformed, message);
  return std::move(*json);
}

// A segment that must be a base64url-encoded strict JSON object.
Result<JsonValue> decodeObjectSegment(std::string_view segment, std::string_view message) {
  const auto bytes = decodeBase64Url(segment);
  if (!bytes) return fail(TokenErrorReason::Malformed, message);
  return parseObject(*bytes, message);
}

bool policyAllows(const IssuerPolicy& policy, Algorithm algorithm) {
  if (policy.algorithms.empty()) return algorithm == Algorithm::RS256;
  const std::string_view name = algorithmName(algorithm);
  for (const std::string& allowed : policy.algorithms) {
    if (allowed == name) return true;
  }
  return false;
}

// RFC 7515 §4.1.9: media types compare case-insensitively, and a typ without '/' means
// "application/" + typ. So "JWT", "jwt" and "application/jwt" are one value.
std::string canonicalMediaType(std::string_view type) {
  std::string out;
  if (type.find('/') == std::string_view::npos) out = "application/";
  for (char c : type) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

Result<void> checkType(const JsonValue& header, const IssuerPolicy& policy) {
  const JsonValue* typ = header.find("typ");
  if (typ && !typ->isString()) return fail(TokenErrorReason::Malformed, "token typ is not a string");
  if (policy.acceptedTypes.empty()) return {};
  if (!typ) return fail(TokenErrorReason::BadType, "token has no type (typ)");
  const std::string type = canonicalMediaType(typ->string());
  for (const std::string& accepted : policy.acceptedTypes) {
    if (canonicalMediaType(accepted) == type) return {};
  }
  return fail(TokenErrorReason::BadType, "token type (typ) is not accepted");
}

struct HeaderFacts {
  Algorithm algorithm;
  std::optional<std::string_view> kid;  // points into the parsed header
};

Result<Algorithm> checkAlgorithm(const JsonValue& header, const IssuerPolicy& policy) {
  const JsonValue* alg = header.find("alg");
  if (!alg) return fail(TokenErrorReason::BadAlgorithm, "token names no algorithm");
  if (!alg->isString()) return fail(TokenErrorReason::Malformed, "token alg is not a string");
  const auto algorithm = parseAlgorithm(alg->string());
  if (!algorithm || !policyAllows(policy, *algorithm)) {
    return fail(TokenErrorReason::BadAlgorithm, "token algorithm is not accepted");
  }
  return *algorithm;
}

Result<std::optional<std::string_view>> headerKid(const JsonValue& header) {
  const JsonValue* kid = header.find("kid");
  if (!kid) return std::optional<std::string_view>{};
  if (!kid->isString()) return fail(TokenErrorReason::Malformed, "token kid is not a string");
  const std::string& text = kid->string();
  if (text.size() > kMaxKidBytes) return fail(TokenErrorReason::Malformed, "token kid is too long");
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(TokenErrorReason::Malformed, "token kid has control characters");
    }
  }
  return std::optional<std::string_view>{text};
}

Result<HeaderFacts> checkHeader(const JsonValue& header, const IssuerPolicy& policy) {
  auto algorithm = checkAlgorithm(header, policy);
  if (!algorithm) return algorithm.error();
  if (header.find("crit")) return fail(TokenErrorReason::Crit, "token requires extensions (crit) that are not understood");
  for (std::string_view name : kKeyReferenceHeaders) {
    if (header.find(name)) return fail(TokenErrorReason::KeyInHeader, "token header refers to a key; keys come only from the issuer");
  }
  for (std::string_view name : kUnsupportedHeaders) {
    if (header.find(name)) return fail(TokenErrorReason::UnsupportedHeader, "token header uses an unsupported feature");
  }
  if (auto type = checkType(header, policy); !type) return type.error();
  auto kid = headerKid(header);
  if (!kid) return kid.error();
  return HeaderFacts{*algorithm, *kid};
}

Result<const VerificationKey*> selectKey(const KeySet& keys, const HeaderFacts& facts) {
  const KeyLookup lookup = keys.find(facts.kid, facts.algorithm);
  switch (lookup.status) {
    case KeyLookupStatus::Found:
      return lookup.key;
    case KeyLookupStatus::UnknownKid:
      return fail(TokenErrorReason::UnknownKey, "token was signed with a key the issuer does not publish");
    case KeyLookupStatus::Ambiguous:
      return fail(TokenErrorReason::AmbiguousKey, facts.kid ? "token key id names several different keys"
                                                            : "token names no key id and several keys could verify it");
    case KeyLookupStatus::AlgorithmMismatch:
      return fail(TokenErrorReason::KeyMismatch, "token algorithm does not match its key");
  }
  return fail(TokenErrorReason::UnknownKey, "token was signed with a key the issuer does not publish");
}

Result<void> checkTokenSignature(const CompactParts& parts, const HeaderFacts& facts, const VerificationKey& key) {
  const auto signature = decodeBase64Url(parts.signature);
  if (!signature) return fail(TokenErrorReason::Malformed, "token signature is not base64url");
  switch (checkSignature(facts.algorithm, key.publicKey.get(), parts.signingInput, *signature)) {
    case SignatureCheck::Valid:
      return {};
    case SignatureCheck::WrongLength:
      return fail(TokenErrorReason::BadSignature, "token signature has the wrong length");
    case SignatureCheck::ScalarOutOfRange:
      return fail(TokenErrorReason::BadSignature, "token ECDSA signature values are out of range");
    case SignatureCheck::Invalid:
      break;
  }
  return fail(TokenErrorReason::BadSignature, "token signature does not verify");
}

}  // namespace

std::string_view reasonName(TokenErrorReason reason) {
  switch (reason) {
    case TokenErrorReason::Malformed: return "malformed";
    case TokenErrorReason::TooLarge: return "too_large";
    case TokenErrorReason::BadAlgorithm: return "bad_algorithm";
    case TokenErrorReason::Crit: return "crit";
    case TokenErrorReason::KeyInHeader: return "key_in_header";
    case TokenErrorReason::UnsupportedHeader: return "unsupported_header";
    case TokenErrorReason::BadType: return "bad_type";
    case TokenErrorReason::UnknownKey: return "unknown_key";
    case TokenErrorReason::AmbiguousKey: return "ambiguous_key";
    case TokenErrorReason::KeyMismatch: return "key_mismatch";
    case TokenErrorReason::BadSignature: return "bad_signature";
    case TokenErrorReason::BadIssuer: return "bad_issuer";
    case TokenErrorReason::BadAudience: return "bad_audience";
    case TokenErrorReason::BadAuthorizedParty: return "bad_authorized_party";
    case TokenErrorReason::Expired: return "expired";
    case TokenErrorReason::NotYetValid: return "not_yet_valid";
    case TokenErrorReason::IssuedInFuture: return "issued_in_future";
    case TokenErrorReason::LifetimeTooLong: return "lifetime_too_long";
    case TokenErrorReason::MissingClaim: return "missing_claim";
    case TokenErrorReason::BadClaim: return "bad_claim";
  }
  return "unknown";
}

k8s::GatewayError toGatewayError(const TokenError& error) {
  return k8s::makeError(k8s::ErrorKind::Unauthorized, "Unauthorized: " + std::string(error.message));
}

boost::system::result<void, std::string> checkIssuerPolicy(const IssuerPolicy& policy) {
  if (policy.issuer.empty()) return std::string("issuer is empty");
  if (policy.audiences.empty()) return std::string("no audiences: a token for any audience would be accepted");
  for (const std::string& name : policy.algorithms) {
    if (!parseAlgorithm(name)) {
      return "algorithm " + name + " is not supported (RS256/384/512, PS256/384/512, ES256/384, EdDSA; never none or HS*)";
    }
  }
  if (policy.clockSkew < std::chrono::seconds{0} || policy.clockSkew > kMaxClockSkew) {
    return std::string("clockSkew must be between 0 and 300 seconds");
  }
  if (policy.maxLifetime <= std::chrono::seconds{0}) return std::string("maxLifetime must be positive");
  if (policy.maxTokenBytes == 0) return std::string("maxTokenBytes must be positive");
  if (policy.usernameClaim.empty()) return std::string("usernameClaim is empty");
  return {};
}

boost::system::result<VerifiedToken, TokenError> verifyToken(std::string_view token, const IssuerPolicy& policy,
                                                             const KeySet& keys,
                                                             std::chrono::system_clock::time_point now) {
  auto parts = splitCompact(token, policy.maxTokenBytes);
  if (!parts) return parts.error();
  auto header = decodeObjectSegment(parts->header, kHeaderNotObject);
  if (!header) return header.error();
  auto facts = checkHeader(*header, policy);
  if (!facts) return facts.error();
  auto key = selectKey(keys, *facts);
  if (!key) return key.error();
  // The payload's spelling is checked before the signature (a non-canonical token is malformed
  // whoever signed it), but its content is read only after.
  const auto payload = decodeBase64Url(parts->payload);
  if (!payload) return fail(TokenErrorReason::Malformed, kPayloadNotObject);
  if (auto signature = checkTokenSignature(*parts, *facts, **key); !signature) return signature.error();
  auto claims = parseObject(*payload, kPayloadNotObject);
  if (!claims) return claims.error();
  return checkClaims(*claims, policy, now);
}

boost::system::result<std::string, TokenError> unverifiedIssuer(std::string_view token, std::size_t maxTokenBytes) {
  auto parts = splitCompact(token, maxTokenBytes);
  if (!parts) return parts.error();
  auto claims = decodeObjectSegment(parts->payload, kPayloadNotObject);
  if (!claims) return claims.error();
  const JsonValue* iss = claims->find("iss");
  if (!iss || !iss->isString()) return fail(TokenErrorReason::BadIssuer, "token names no issuer");
  return iss->string();
}

}  // namespace kubegate::identity::jwt
