#include "identity/jwt/claims.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

namespace kubegate::identity::jwt {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::size_t kMaxSubjectBytes = 255;  // OIDC Core §2: sub is at most 255 ASCII characters
constexpr std::size_t kMaxNameBytes = 1024;    // username, each group, jti
constexpr std::size_t kMaxGroups = 1024;
constexpr std::int64_t kLatestNumericDate = 253402300799;  // 9999-12-31T23:59:59Z

template <class T>
using Result = boost::system::result<T, TokenError>;

TokenError fail(TokenErrorReason reason, std::string_view message) { return TokenError{reason, message}; }

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Characters that make one identity print as another or break a log line or header: C0 controls
// and DEL, C1 controls (U+0080..U+009F), LRM/RLM (U+200E/F), line and paragraph separators
// (U+2028/9), bidi embeddings and overrides (U+202A..U+202E) and isolates (U+2066..U+2069). The
// JSON reader has already refused NUL and invalid UTF-8.
bool isSafeIdentityText(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return false;
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return false;
    }
    if (byte == 0xe2 && i + 2 < text.size()) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      const auto third = static_cast<unsigned char>(text[i + 2]);
      if (second == 0x80 && (third == 0x8e || third == 0x8f || (third >= 0xa8 && third <= 0xae))) return false;
      if (second == 0x81 && third >= 0xa6 && third <= 0xa9) return false;
    }
  }
  return true;
}

bool isAcceptableName(std::string_view text, std::size_t maxBytes) {
  return !text.empty() && text.size() <= maxBytes && isSafeIdentityText(text);
}

// RFC 7519 §2 NumericDate. A fraction is dropped (for exp that only shortens the token's life).
Result<std::int64_t> numericDate(const JsonValue& value, std::string_view wrongTypeMessage) {
  if (!value.isNumber()) return fail(TokenErrorReason::BadClaim, wrongTypeMessage);
  std::int64_t seconds = 0;
  if (value.integer()) {
    seconds = *value.integer();
  } else {
    const double whole = std::floor(value.number());
    if (!(whole >= 0 && whole <= static_cast<double>(kLatestNumericDate))) {
      return fail(TokenErrorReason::BadClaim, wrongTypeMessage);
    }
    seconds = static_cast<std::int64_t>(whole);
  }
  if (seconds < 0 || seconds > kLatestNumericDate) return fail(TokenErrorReason::BadClaim, wrongTypeMessage);
  return seconds;
}

Result<void> checkIssuer(const JsonValue& claims, const IssuerPolicy& policy) {
  const JsonValue* iss = claims.find("iss");
  if (!iss || !iss->isString() || iss->string() != policy.issuer) {
    return fail(TokenErrorReason::BadIssuer, "token issuer is not the expected issuer");
  }
  return {};
}

Result<std::vector<std::string_view>> audienceValues(const JsonValue& claims) {
  const JsonValue* aud = claims.find("aud");
  if (!aud) return fail(TokenErrorReason::BadAudience, "token has no audience");
  std::vector<std::string_view> values;
  if (aud->isString()) {
    values.push_back(aud->string());
  } else if (aud->isArray() && !aud->items().empty()) {
    for (const JsonValue& item : aud->items()) {
      if (!item.isString()) return fail(TokenErrorReason::BadAudience, "token audience is not a string or strings");
      values.push_back(item.string());
    }
  } else {
    return fail(TokenErrorReason::BadAudience, "token audience is not a string or strings");
  }
  return values;
}

// OIDC Core §3.1.3.7 steps 3-5 and catalogue A22 (verifier.h states the rules).
Result<std::string> checkAudience(const JsonValue& claims, const IssuerPolicy& policy) {
  auto values = audienceValues(claims);
  if (!values) return values.error();
  bool ours = false;
  bool extra = false;
  for (std::string_view value : *values) {
    if (contains(policy.audiences, value)) {
      ours = true;
    } else {
      extra = true;
    }
  }
  if (!ours) return fail(TokenErrorReason::BadAudience, "token is not for this audience");
  if (extra && !policy.allowExtraAudiences) {
    return fail(TokenErrorReason::BadAudience, "token names audiences that are not accepted");
  }

  const JsonValue* azp = claims.find("azp");
  if (azp && !azp->isString()) return fail(TokenErrorReason::BadClaim, "token azp is not a string");
  std::string authorizedParty = azp ? azp->string() : std::string();
  if (!policy.authorizedParties.empty()) {
    if (!azp || !contains(policy.authorizedParties, authorizedParty)) {
      return fail(TokenErrorReason::BadAuthorizedParty, "token authorized party is not an accepted client");
    }
  } else if (values->size() > 1) {
    if (extra && !azp) {
      return fail(TokenErrorReason::BadAuthorizedParty, "token for several audiences names no authorized party");
    }
    if (azp && !contains(policy.audiences, authorizedParty)) {
      return fail(TokenErrorReason::BadAuthorizedParty, "token authorized party is not an accepted client");
    }
  }
  return authorizedParty;
}

Result<Clock::time_point> checkTimes(const JsonValue& claims, const IssuerPolicy& policy, Clock::time_point now) {
  const std::int64_t nowSeconds = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  // Clamped so that even a policy that skipped checkIssuerPolicy cannot open the window wider (or
  // overflow the arithmetic below).
  const std::int64_t skew = std::clamp<std::int64_t>(policy.clockSkew.count(), 0, kMaxClockSkew.count());

  const JsonValue* expValue = claims.find("exp");
  if (!expValue) return fail(TokenErrorReason::MissingClaim, "token has no expiry (exp)");
  auto exp = numericDate(*expValue, "token exp is not a NumericDate");
  if (!exp) return exp.error();
  if (nowSeconds >= *exp + skew) return fail(TokenErrorReason::Expired, "token has expired");

  if (const JsonValue* nbfValue = claims.find("nbf")) {
    auto nbf = numericDate(*nbfValue, "token nbf is not a NumericDate");
    if (!nbf) return nbf.error();
    if (nowSeconds + skew < *nbf) return fail(TokenErrorReason::NotYetValid, "token is not valid yet (nbf)");
  }
  std::int64_t lifetimeStart = nowSeconds;
  if (const JsonValue* iatValue = claims.find("iat")) {
    auto iat = numericDate(*iatValue, "token iat is not a NumericDate");
    if (!iat) return iat.error();
    if (*iat > nowSeconds + skew) return fail(TokenErrorReason::IssuedInFuture, "token was issued in the future (iat)");
    lifetimeStart = *iat;
  }
  if (*exp - lifetimeStart > policy.maxLifetime.count()) {
    return fail(TokenErrorReason::LifetimeTooLong, "token lifetime exceeds the maximum");
  }
  return Clock::time_point(std::chrono::seconds(*exp));
}

Result<std::string> checkSubject(const JsonValue& claims) {
  const JsonValue* sub = claims.find("sub");
  if (!sub) return fail(TokenErrorReason::MissingClaim, "token has no subject (sub)");
  if (!sub->isString() || !isAcceptableName(sub->string(), kMaxSubjectBytes)) {
    return fail(TokenErrorReason::BadClaim, "token subject is empty, too long or has forbidden characters");
  }
  return sub->string();
}

Result<void> checkRequiredClaims(const JsonValue& claims, const IssuerPolicy& policy) {
  for (const auto& [name, expected] : policy.requiredClaims) {
    const JsonValue* value = claims.find(name);
    if (!value) return fail(TokenErrorReason::MissingClaim, "token lacks a required claim");
    if (!value->isString() || value->string() != expected) {
      return fail(TokenErrorReason::BadClaim, "token required claim has the wrong value");
    }
  }
  return {};
}

Result<std::string> username(const JsonValue& claims, const IssuerPolicy& policy) {
  const JsonValue* value = resolveClaimPath(claims, policy.usernameClaim);
  if (!value) return fail(TokenErrorReason::MissingClaim, "token lacks the username claim");
  if (!value->isString() || !isAcceptableName(value->string(), kMaxNameBytes)) {
    return fail(TokenErrorReason::BadClaim, "token username claim is not an acceptable name");
  }
  // As kube-apiserver: an email is only an identity once the issuer says it verified it.
  if (policy.usernameClaim == "email") {
    const JsonValue* verified = claims.find("email_verified");
    if (verified && !(verified->isBoolean() && verified->boolean())) {
      return fail(TokenErrorReason::BadClaim, "token email is not verified");
    }
  }
  return policy.usernamePrefix + value->string();
}

Result<std::vector<std::string>> groups(const JsonValue& claims, const IssuerPolicy& policy) {
  std::vector<std::string> out;
  if (policy.groupsClaim.empty()) return out;
  const JsonValue* value = resolveClaimPath(claims, policy.groupsClaim);
  if (!value) return out;
  const auto add = [&](const JsonValue& group) {
    if (!group.isString() || !isAcceptableName(group.string(), kMaxNameBytes)) return false;
    out.push_back(policy.groupsPrefix + group.string());
    return true;
  };
  if (value->isString()) {
    if (!add(*value)) return fail(TokenErrorReason::BadClaim, "token group is not an acceptable name");
    return out;
  }
  if (!value->isArray()) return fail(TokenErrorReason::BadClaim, "token groups claim is not a string or strings");
  if (value->items().size() > kMaxGroups) return fail(TokenErrorReason::BadClaim, "token has too many groups");
  out.reserve(value->items().size());
  for (const JsonValue& group : value->items()) {
    if (!add(group)) return fail(TokenErrorReason::BadClaim, "token group is not an acceptable name");
  }
  return out;
}

Result<std::string> tokenId(const JsonValue& claims) {
  const JsonValue* jti = claims.find("jti");
  if (!jti) return std::string();
  if (!jti->isString() || !isAcceptableName(jti->string(), kMaxNameBytes)) {
    return fail(TokenErrorReason::BadClaim, "token id (jti) is not an acceptable string");
  }
  return jti->string();
}

}  // namespace

const JsonValue* resolveClaimPath(const JsonValue& claims, std::string_view path) {
  if (path.empty()) return nullptr;
  if (const JsonValue* literal = claims.find(path)) return literal;
  const JsonValue* current = &claims;
  while (true) {
    const std::size_t dot = path.find('.');
    const std::string_view segment = path.substr(0, dot);
    if (segment.empty()) return nullptr;
    current = current->find(segment);  // null when current is not an object
    if (!current || dot == std::string_view::npos) return current;
    path.remove_prefix(dot + 1);
  }
}

Result<VerifiedToken> checkClaims(const JsonValue& claims, const IssuerPolicy& policy, Clock::time_point now) {
  VerifiedToken token;
  if (auto issuer = checkIssuer(claims, policy); !issuer) return issuer.error();
  token.issuer = policy.issuer;

  auto authorizedParty = checkAudience(claims, policy);
  if (!authorizedParty) return authorizedParty.error();
  token.authorizedParty = std::move(*authorizedParty);

  auto expiry = checkTimes(claims, policy, now);
  if (!expiry) return expiry.error();
  token.expiry = *expiry;

  auto subject = checkSubject(claims);
  if (!subject) return subject.error();
  token.subject = std::move(*subject);

  if (auto required = checkRequiredClaims(claims, policy); !required) return required.error();

  auto name = username(claims, policy);
  if (!name) return name.error();
  token.username = std::move(*name);

  auto groupList = groups(claims, policy);
  if (!groupList) return groupList.error();
  token.groups = std::move(*groupList);

  auto id = tokenId(claims);
  if (!id) return id.error();
  token.tokenId = std::move(*id);
  return token;
}

}  // namespace kubegate::identity::jwt
