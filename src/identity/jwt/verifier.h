// JWS compact token verification (RFC 7515, 7518, 7519, 8725; OpenID Connect Core §3.1.3.7) for one
// configured issuer. Pure: no I/O, no clock (the caller passes `now`), no global state beyond
// OpenSSL's. Everything an issuer is trusted for comes from `IssuerPolicy` and its `KeySet`;
// nothing in the token chooses an algorithm, a key source or a rule (shared/notes/security.md §1).
//
// Order of checks, each refusing with its own reason (TokenErrorReason):
//   1. size cap, before any byte is parsed (too_large); exactly three segments, header and
//      payload non-empty (malformed);
//   2. header: strict base64url, strict JSON object (malformed); `alg` is one we verify and the
//      policy allows — never none or HS* (bad_algorithm); `crit` present at all (crit: we
//      understand no extension); `jku`, `x5u`, `jwk`, `x5c` present (key_in_header: keys come only
//      from the issuer's JWK Set, and a token pointing elsewhere is an attack, not noise);
//      `cty`, `b64`, `zip` or JWE parameters (unsupported_header); `typ` when types are configured
//      (bad_type); `kid` a bounded string (malformed);
//   3. key: `kid` selects exactly one key, no kid only when exactly one key fits (unknown_key,
//      ambiguous_key); the key's type, curve and own alg agree with `alg` (key_mismatch);
//   4. signature (bad_signature). The payload's base64url spelling is checked just before (a
//      non-canonical token is malformed whoever signed it) but its JSON is parsed only after:
//      claims are never read unverified;
//   5. claims: see verifyToken below.
// `x5t`/`x5t#S256` and unknown header parameters are ignored (RFC 7515 §4: not understood and not
// critical); some issuers (Azure AD) send x5t next to kid.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "identity/jwt/jwk.h"
#include "k8s/gateway_error.h"

namespace kubegate::identity::jwt {

struct IssuerPolicy {
  std::string issuer;                  // compared byte for byte with `iss`
  std::vector<std::string> audiences;  // `aud` must contain one; required (empty refuses everything)
  // Clients (OIDC client ids) whose tokens are accepted, compared with `azp`. When set, `azp` is
  // required and must be one of them. See the audience rules in verifyToken.
  std::vector<std::string> authorizedParties;
  // Whether `aud` may name audiences besides ours (RFC 9068 tokens for several resource servers).
  // Off by default: OIDC Core §3.1.3.7 step 3 rejects audiences the client does not trust.
  bool allowExtraAudiences = false;
  std::string usernameClaim = "sub";  // a claim path, see resolveClaimPath
  std::string usernamePrefix;
  std::string groupsClaim;  // empty: the token carries no groups
  std::string groupsPrefix;
  // Top-level claims that must be strings with exactly these values (as kube-apiserver's
  // requiredClaims).
  std::map<std::string, std::string, std::less<>> requiredClaims;
  std::vector<std::string> algorithms;     // JWA names; empty means RS256 only (OIDC's default)
  std::vector<std::string> acceptedTypes;  // `typ` values; empty accepts any typ or none
  std::chrono::seconds clockSkew{60};
  std::chrono::seconds maxLifetime{std::chrono::hours{24}};  // exp - iat, or exp - now when there is no iat
  std::size_t maxTokenBytes = 16384;
};

// The widest clockSkew a policy may have (catalogue A20 expects at most 60 s in practice).
inline constexpr std::chrono::seconds kMaxClockSkew{300};

// Checks a policy when configuration is loaded: issuer and audiences set, algorithms all known
// (none and HS* are refused by name), skew within 5 minutes, positive lifetime and size cap.
// The message names the offending field; it is for the operator.
boost::system::result<void, std::string> checkIssuerPolicy(const IssuerPolicy& policy);

struct VerifiedToken {
  std::string issuer;
  std::string subject;
  std::string username;             // usernamePrefix + the username claim
  std::vector<std::string> groups;  // groupsPrefix + each group
  std::chrono::system_clock::time_point expiry;  // `exp`: the session built on this token ends then
  std::string tokenId;                           // `jti`, empty when absent
  std::string authorizedParty;                   // `azp`, empty when absent
};

enum class TokenErrorReason {
  Malformed,           // not a strict compact JWS: segments, base64url, JSON, member types
  TooLarge,            // over maxTokenBytes (checked before parsing)
  BadAlgorithm,        // none, HS*, unknown, or not in the policy's algorithms
  Crit,                // a `crit` header: no extension is understood
  KeyInHeader,         // jku, x5u, jwk or x5c in the header
  UnsupportedHeader,   // cty (nested JWT), b64, zip, or JWE parameters
  BadType,             // typ not among acceptedTypes
  UnknownKey,          // no key for this kid (the caller may refresh the JWK Set, rate-limited)
  AmbiguousKey,        // the kid names several different keys, or no kid and several keys fit
  KeyMismatch,         // the selected key cannot verify the token's alg (kty, crv or its own alg)
  BadSignature,        // wrong length, ECDSA scalar out of range, or does not verify
  BadIssuer,           // iss missing or not exactly the configured issuer
  BadAudience,         // aud missing, not ours, or names audiences we do not accept
  BadAuthorizedParty,  // azp missing where required, or not an accepted client
  Expired,             // now >= exp + skew
  NotYetValid,         // now + skew < nbf
  IssuedInFuture,      // iat > now + skew
  LifetimeTooLong,     // exp - iat (or exp - now) > maxLifetime
  MissingClaim,        // exp, sub, the username claim or a required claim is absent
  BadClaim,            // a claim has the wrong type, value, size or characters
};

// The reason as a metric label / audit field: "bad_signature", "unknown_key", ...
std::string_view reasonName(TokenErrorReason reason);

struct TokenError {
  TokenErrorReason reason;
  // Always a string literal: it says which rule failed and can never carry token contents, claim
  // values or key material, so it may be shown to the client and logged.
  std::string_view message;
};

// A 401 Unauthorized with the error's message.
k8s::GatewayError toGatewayError(const TokenError& error);

// Verifies `token` for the issuer described by `policy`, with `keys` from that issuer's JWK Set.
//
// Claims, after the signature verified:
//   - iss: exact string equality with policy.issuer (no normalisation: no trailing-slash, case or
//     prefix leniency);
//   - aud (string or non-empty array of strings): must contain an accepted audience; any other
//     value refuses the token unless allowExtraAudiences. azp: with authorizedParties set it is
//     required and must be one of them; otherwise, when aud has several values, a present azp must
//     be an accepted audience, and extra audiences (when allowed) require azp;
//   - exp required; nbf and iat optional; all NumericDates (a JSON integer, or a finite number whose
//     fraction is dropped, within 0 .. year 9999). skew applies both ways; maxLifetime bounds
//     exp - iat, or exp - now without iat;
//   - sub required: a non-empty string of at most 255 bytes (OIDC Core §2);
//   - requiredClaims, the username claim (non-empty string; "email" also needs email_verified not
//     false) and the groups claim (a string or an array of strings; absent means none);
//   - sub, username, groups and jti must be free of control, line-separator and bidi-override
//     characters and bounded in length (they reach logs, headers and C APIs).
boost::system::result<VerifiedToken, TokenError> verifyToken(std::string_view token, const IssuerPolicy& policy,
                                                             const KeySet& keys,
                                                             std::chrono::system_clock::time_point now);

// The `iss` of a token whose signature has NOT been checked, to choose which configured issuer
// verifies it. Never use it for anything else. Same size cap and strictness as verifyToken.
boost::system::result<std::string, TokenError> unverifiedIssuer(std::string_view token, std::size_t maxTokenBytes);

}  // namespace kubegate::identity::jwt
