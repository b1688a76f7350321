// Claim rules after the signature verified: exact issuer, audience and azp per OIDC Core
// §3.1.3.7, times with skew and lifetime, identity claims (shared/notes/security.md catalogue A19,
// A20, A22, A23, A25, required claims, nested and colon group paths, prefixes).
#include <set>

#include <gtest/gtest.h>

#include "identity/jwt/claims.h"
#include "jwt_test_fixture.h"

namespace kubegate::identity::jwt {
namespace {

using testing::JwtFixture;
using testing::kNow;
using testing::kNowSeconds;
using Reason = TokenErrorReason;

class JwtClaims : public JwtFixture {};

// A23: exact comparison only.
TEST_F(JwtClaims, IssuerMustMatchExactly) {
  const std::string issuer = testing::kIssuer;
  for (const std::string& bad : {issuer + "/", std::string("https://IDP.example.com/realms/agents"),
                                 std::string("https://idp.example.com/realms/Agents"),
                                 std::string("https://idp.example.com.evil.net/realms/agents"),
                                 std::string("https://idp.example.com/realms"), issuer + "x", std::string("http://idp.example.com/realms/agents"),
                                 std::string(" ") + issuer, std::string()}) {
    auto c = claims();
    c["iss"] = bad;
    EXPECT_EQ(refusal(rsaToken(c)), Reason::BadIssuer) << bad;
  }
  auto missing = claims();
  missing.erase("iss");
  EXPECT_EQ(refusal(rsaToken(missing)), Reason::BadIssuer);
  auto numeric = claims();
  numeric["iss"] = 1;
  EXPECT_EQ(refusal(rsaToken(numeric)), Reason::BadIssuer);
  auto array = claims();
  array["iss"] = boost::json::array{testing::kIssuer};
  EXPECT_EQ(refusal(rsaToken(array)), Reason::BadIssuer);
}

TEST_F(JwtClaims, AudienceStringOrArray) {
  auto array = claims();
  array["aud"] = boost::json::array{"kubegate"};
  EXPECT_TRUE(verify(rsaToken(array)));
  policy_.audiences = {"kubegate", "kubegate-alt"};
  auto both = claims();
  both["aud"] = boost::json::array{"kubegate", "kubegate-alt"};
  EXPECT_TRUE(verify(rsaToken(both)));

  for (const boost::json::value& bad : {boost::json::value("other-api"), boost::json::value(boost::json::array{"other-api"}),
                                        boost::json::value(boost::json::array{}), boost::json::value(boost::json::array{1}),
                                        boost::json::value(boost::json::array{"kubegate", 1}), boost::json::value(1),
                                        boost::json::value(nullptr), boost::json::value("KUBEGATE"), boost::json::value("kubegate ")}) {
    auto c = claims();
    c["aud"] = bad;
    EXPECT_EQ(refusal(rsaToken(c)), Reason::BadAudience) << boost::json::serialize(bad);
  }
  auto missing = claims();
  missing.erase("aud");
  EXPECT_EQ(refusal(rsaToken(missing)), Reason::BadAudience);
}

// A22 (CVE-2020-26160 class): our audience among others.
TEST_F(JwtClaims, ExtraAudiencesAndAuthorizedParty) {
  auto c = claims();
  c["aud"] = boost::json::array{"kubegate", "other-api"};
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadAudience);

  policy_.allowExtraAudiences = true;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadAuthorizedParty);  // several audiences, no azp
  c["azp"] = "other-api";
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadAuthorizedParty);
  c["azp"] = "kubegate";
  EXPECT_TRUE(verify(rsaToken(c)));
  c["azp"] = 7;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim);
}

TEST_F(JwtClaims, AuthorizedPartiesWhenConfiguredAreRequired) {
  policy_.authorizedParties = {"agent-client"};
  EXPECT_EQ(refusal(rsaToken()), Reason::BadAuthorizedParty);
  auto c = claims();
  c["azp"] = "other-client";
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadAuthorizedParty);
  c["azp"] = "agent-client";
  EXPECT_TRUE(verify(rsaToken(c)));
  // Without the list, a single-audience token's azp is the requesting client and is not checked.
  policy_.authorizedParties.clear();
  c["azp"] = "any-client";
  EXPECT_TRUE(verify(rsaToken(c)));
}

// A19, A20.
TEST_F(JwtClaims, ExpiryNotBeforeIssuedAtWithSkew) {
  using std::chrono::seconds;
  auto c = claims();
  EXPECT_EQ(refusal(rsaToken(c), kNow + seconds(600 + 60)), Reason::Expired);
  EXPECT_EQ(refusal(rsaToken(c), kNow + seconds(600 + 300)), Reason::Expired);
  EXPECT_TRUE(verify(rsaToken(c), kNow + seconds(600 + 59)));  // within skew
  policy_.clockSkew = seconds(0);
  EXPECT_EQ(refusal(rsaToken(c), kNow + seconds(600)), Reason::Expired);
  EXPECT_TRUE(verify(rsaToken(c), kNow + seconds(599)));
  policy_.clockSkew = seconds(60);

  auto future = claims();
  future["nbf"] = kNowSeconds + 300;
  EXPECT_EQ(refusal(rsaToken(future)), Reason::NotYetValid);
  future["nbf"] = kNowSeconds + 30;
  EXPECT_TRUE(verify(rsaToken(future)));

  auto issuedLater = claims();
  issuedLater["iat"] = kNowSeconds + 300;
  EXPECT_EQ(refusal(rsaToken(issuedLater)), Reason::IssuedInFuture);
  issuedLater["iat"] = kNowSeconds + 30;
  EXPECT_TRUE(verify(rsaToken(issuedLater)));

  auto missing = claims();
  missing.erase("exp");
  EXPECT_EQ(refusal(rsaToken(missing)), Reason::MissingClaim);
  auto minimal = claims();
  minimal.erase("iat");
  minimal.erase("nbf");
  EXPECT_TRUE(verify(rsaToken(minimal)));
}

TEST_F(JwtClaims, LifetimeIsBounded) {
  auto c = claims();
  c["iat"] = kNowSeconds;
  c["exp"] = kNowSeconds + 30 * 24 * 3600;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::LifetimeTooLong);
  c["exp"] = kNowSeconds + 24 * 3600;
  EXPECT_TRUE(verify(rsaToken(c)));
  c["exp"] = kNowSeconds + 24 * 3600 + 1;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::LifetimeTooLong);
  // An old iat with a far exp is caught even though little of the lifetime remains.
  c["iat"] = kNowSeconds - 40 * 24 * 3600;
  c["exp"] = kNowSeconds + 60;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::LifetimeTooLong);
  // Without iat the remaining lifetime counts.
  c.erase("iat");
  c["exp"] = kNowSeconds + 30 * 24 * 3600;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::LifetimeTooLong);
  policy_.maxLifetime = std::chrono::hours(24 * 31);
  EXPECT_TRUE(verify(rsaToken(c)));
}

TEST_F(JwtClaims, NumericDates) {
  auto fractional = claims();
  fractional["exp"] = static_cast<double>(kNowSeconds) + 600.75;
  auto accepted = verify(rsaToken(fractional));
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->expiry, kNow + std::chrono::seconds(600));  // the fraction is dropped
  for (const boost::json::value& bad : {boost::json::value(std::to_string(kNowSeconds + 600)), boost::json::value(-1),
                                        boost::json::value(1e300), boost::json::value(true), boost::json::value(nullptr),
                                        boost::json::value(boost::json::array{kNowSeconds + 600}),
                                        boost::json::value(INT64_MAX), boost::json::value(UINT64_MAX)}) {
    auto c = claims();
    c["exp"] = bad;
    EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim) << boost::json::serialize(bad);
  }
  auto badNbf = claims();
  badNbf["nbf"] = "soon";
  EXPECT_EQ(refusal(rsaToken(badNbf)), Reason::BadClaim);
  auto badIat = claims();
  badIat["iat"] = -5;
  EXPECT_EQ(refusal(rsaToken(badIat)), Reason::BadClaim);
  auto withoutIat = claims();
  withoutIat.erase("iat");
  std::string overflow = boost::json::serialize(withoutIat);
  overflow.insert(1, R"("iat":1e400,)");
  EXPECT_EQ(refusal(testing::signCompact(boost::json::serialize(header("RS256", "rsa")), overflow, "RS256", testKeys().rsa.get())),
            Reason::Malformed);
}

// A25: identity strings that could impersonate, truncate or break logs.
TEST_F(JwtClaims, SubjectAndNamesMustBeSafe) {
  for (const char* bad : {"", "admin\x01", "admin\x7f", "admin\u202e", "admin\u2066x", "a\u2028b", "x\u200fy", "a\u0085b", "tab\there"}) {
    auto c = claims();
    c["sub"] = bad;
    EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim) << bad;
  }
  auto longSub = claims();
  longSub["sub"] = std::string(256, 'a');
  EXPECT_EQ(refusal(rsaToken(longSub)), Reason::BadClaim);
  longSub["sub"] = std::string(255, 'a');
  EXPECT_TRUE(verify(rsaToken(longSub)));
  auto unicode = claims();
  unicode["sub"] = "agent-\u00e9\u4e2d";
  EXPECT_TRUE(verify(rsaToken(unicode)));

  std::string nul = boost::json::serialize(claims());
  nul.replace(nul.find("agent-7"), 7, R"(admin\u0000x)");
  EXPECT_EQ(refusal(testing::signCompact(boost::json::serialize(header("RS256", "rsa")), nul, "RS256", testKeys().rsa.get())),
            Reason::Malformed);
  auto missing = claims();
  missing.erase("sub");
  EXPECT_EQ(refusal(rsaToken(missing)), Reason::MissingClaim);
  auto numeric = claims();
  numeric["sub"] = 7;
  EXPECT_EQ(refusal(rsaToken(numeric)), Reason::BadClaim);
  auto badGroup = claims();
  badGroup["groups"] = boost::json::array{"agents", "system:masters\u202e"};
  EXPECT_EQ(refusal(rsaToken(badGroup)), Reason::BadClaim);
  auto badJti = claims();
  badJti["jti"] = 5;
  EXPECT_EQ(refusal(rsaToken(badJti)), Reason::BadClaim);
}

TEST_F(JwtClaims, RequiredClaims) {
  policy_.requiredClaims = {{"tenant", "acme"}, {"token_use", "access"}};
  auto c = claims();
  c["tenant"] = "acme";
  c["token_use"] = "access";
  EXPECT_TRUE(verify(rsaToken(c)));
  c["token_use"] = "id";
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim);
  c["token_use"] = boost::json::array{"access"};
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim);
  c.erase("token_use");
  EXPECT_EQ(refusal(rsaToken(c)), Reason::MissingClaim);
}

TEST_F(JwtClaims, UsernameClaimAndPrefix) {
  policy_.usernameClaim = "preferred_username";
  policy_.usernamePrefix = "idp:";
  auto c = claims();
  c["preferred_username"] = "deploy-bot";
  auto result = verify(rsaToken(c));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->username, "idp:deploy-bot");
  EXPECT_EQ(result->subject, "agent-7");
  c.erase("preferred_username");
  EXPECT_EQ(refusal(rsaToken(c)), Reason::MissingClaim);
  c["preferred_username"] = boost::json::array{"a"};
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim);

  policy_.usernameClaim = "email";
  policy_.usernamePrefix = "";
  c["email"] = "bot@example.com";
  EXPECT_TRUE(verify(rsaToken(c)));
  c["email_verified"] = false;
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim);
  c["email_verified"] = "true";
  EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim);
  c["email_verified"] = true;
  EXPECT_EQ(verify(rsaToken(c))->username, "bot@example.com");
}

TEST_F(JwtClaims, GroupsFromNestedAndColonPathsWithPrefix) {
  policy_.groupsPrefix = "oidc:";
  policy_.groupsClaim = "realm_access.roles";
  auto keycloak = claims();
  keycloak["realm_access"] = boost::json::object{{"roles", boost::json::array{"agents", "trusted"}}};
  EXPECT_EQ(verify(rsaToken(keycloak))->groups, (std::vector<std::string>{"oidc:agents", "oidc:trusted"}));
  keycloak["realm_access"] = boost::json::object{{"other", 1}};
  EXPECT_TRUE(verify(rsaToken(keycloak))->groups.empty());  // absent: no groups
  keycloak["realm_access"] = "roles";
  EXPECT_TRUE(verify(rsaToken(keycloak))->groups.empty());  // the path does not lead anywhere

  policy_.groupsClaim = "cognito:groups";
  auto cognito = claims();
  cognito["cognito:groups"] = boost::json::array{"admins-of-nothing"};
  EXPECT_EQ(verify(rsaToken(cognito))->groups, std::vector<std::string>{"oidc:admins-of-nothing"});

  policy_.groupsClaim = "https://example.com/groups";  // a namespaced claim with dots in its name
  auto auth0 = claims();
  auth0["https://example.com/groups"] = "single-group";
  EXPECT_EQ(verify(rsaToken(auth0))->groups, std::vector<std::string>{"oidc:single-group"});

  policy_.groupsClaim = "groups";
  for (const boost::json::value& bad : {boost::json::value(boost::json::object{}), boost::json::value(1),
                                        boost::json::value(boost::json::array{"a", 1}), boost::json::value(boost::json::array{""}),
                                        boost::json::value(boost::json::array{boost::json::array{"a"}})}) {
    auto c = claims();
    c["groups"] = bad;
    EXPECT_EQ(refusal(rsaToken(c)), Reason::BadClaim) << boost::json::serialize(bad);
  }
  policy_.groupsClaim.clear();
  EXPECT_TRUE(verify(rsaToken())->groups.empty());
}

TEST(JwtClaimPath, LiteralNameFirstThenDotSplit) {
  auto doc = parseStrictJson(R"({"a.b":1,"a":{"b":2,"c":{"d":3}},"x:y":4,"e":{"f.g":5}})");
  ASSERT_TRUE(doc);
  EXPECT_EQ(resolveClaimPath(*doc, "a.b")->integer(), 1);
  EXPECT_EQ(resolveClaimPath(*doc, "a.c.d")->integer(), 3);
  EXPECT_EQ(resolveClaimPath(*doc, "x:y")->integer(), 4);
  EXPECT_EQ(resolveClaimPath(*doc, "e.f.g"), nullptr);  // dots inside nested names are not reachable
  EXPECT_EQ(resolveClaimPath(*doc, "a..b"), nullptr);
  EXPECT_EQ(resolveClaimPath(*doc, ".a"), nullptr);
  EXPECT_EQ(resolveClaimPath(*doc, "a."), nullptr);
  EXPECT_EQ(resolveClaimPath(*doc, ""), nullptr);
  EXPECT_EQ(resolveClaimPath(*doc, "a.b.c"), nullptr);
}

TEST(JwtPolicy, CheckIssuerPolicyRefusesUnsafeConfiguration) {
  IssuerPolicy policy;
  policy.issuer = "https://idp";
  policy.audiences = {"kubegate"};
  EXPECT_TRUE(checkIssuerPolicy(policy));
  for (const char* alg : {"none", "HS256", "HS512", "ES512", "rs256"}) {
    IssuerPolicy bad = policy;
    bad.algorithms = {"RS256", alg};
    EXPECT_FALSE(checkIssuerPolicy(bad)) << alg;
  }
  IssuerPolicy noAudience = policy;
  noAudience.audiences.clear();
  EXPECT_FALSE(checkIssuerPolicy(noAudience));
  IssuerPolicy noIssuer = policy;
  noIssuer.issuer.clear();
  EXPECT_FALSE(checkIssuerPolicy(noIssuer));
  IssuerPolicy bigSkew = policy;
  bigSkew.clockSkew = std::chrono::minutes(10);
  EXPECT_FALSE(checkIssuerPolicy(bigSkew));
}

TEST_F(JwtClaims, NoAudienceConfiguredRefusesEverything) {
  policy_.audiences.clear();
  EXPECT_EQ(refusal(rsaToken()), Reason::BadAudience);
}

TEST_F(JwtClaims, UnverifiedIssuerPeeksWithoutTrusting) {
  std::string token = rsaToken();
  token.back() = token.back() == 'A' ? 'Q' : 'A';  // break the signature: the peek does not care
  auto issuer = unverifiedIssuer(token, 16384);
  ASSERT_TRUE(issuer);
  EXPECT_EQ(*issuer, testing::kIssuer);
  EXPECT_EQ(unverifiedIssuer(token, 100).error().reason, Reason::TooLarge);
  EXPECT_EQ(unverifiedIssuer("a.b", 100).error().reason, Reason::Malformed);
  auto noIss = claims();
  noIss.erase("iss");
  EXPECT_EQ(unverifiedIssuer(rsaToken(noIss), 16384).error().reason, Reason::BadIssuer);
  std::string duplicate = boost::json::serialize(claims());
  duplicate.insert(1, R"("iss":"https://attacker",)");
  EXPECT_EQ(unverifiedIssuer(testing::signCompact("{}", duplicate, "RS256", testKeys().rsa.get()), 16384).error().reason,
            Reason::Malformed);
}

// Messages say which rule failed; they never echo the token.
TEST_F(JwtClaims, ErrorsLeakNothingAndMapTo401) {
  auto c = claims();
  c["sub"] = "secret-subject\u202e";
  c["iss"] = "https://secret-issuer";
  auto h = header("RS256", "secret-kid");
  const std::vector<std::string> tokens{rsaToken(c), testing::signCompact(h, claims(), testKeys().rsa.get()),
                                        "secret-kid.secret-kid.secret-kid"};
  for (const std::string& token : tokens) {
    auto result = verify(token);
    ASSERT_FALSE(result);
    const std::string message(result.error().message);
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    const k8s::GatewayError error = toGatewayError(result.error());
    EXPECT_EQ(error.kind, k8s::ErrorKind::Unauthorized);
    EXPECT_EQ(error.message.find("secret"), std::string::npos);
  }
}

TEST(JwtReasons, NamesAreDistinctLabels) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(TokenErrorReason::BadClaim); ++i) {
    const std::string_view name = reasonName(static_cast<TokenErrorReason>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

}  // namespace
}  // namespace kubegate::identity::jwt
