// Token verification: every algorithm's happy path, and the token attacks of
// shared/notes/security.md catalogue A that a pure verifier decides (A1-A7, A11, A13, A14, A16,
// A17, A28, A29, crit, duplicate members, alg/key mismatch). Claim rules are in jwt_claims_test.cc.
#include <gtest/gtest.h>
#include <openssl/encoder.h>

#include "jwt_test_fixture.h"

namespace kubegate::identity::jwt {
namespace {

using testing::hmacSha256;
using testing::JwtFixture;
using testing::kNow;
using testing::publicJwk;
using testing::signBytes;
using testing::signCompact;
using testing::signingInput;
using Reason = TokenErrorReason;

class JwtVerify : public JwtFixture {};
class JwtAttack : public JwtFixture {};

std::string jsonText(const boost::json::object& o) { return boost::json::serialize(o); }

// header.payload.signature with the signature given as raw bytes.
std::string withSignature(const boost::json::object& header, const boost::json::object& payload, std::string_view sig) {
  return signingInput(jsonText(header), jsonText(payload)) + "." + encodeBase64Url(sig);
}

TEST_F(JwtVerify, AcceptsEveryAlgorithmWithAFittingKey) {
  const auto& k = testKeys();
  const std::vector<std::tuple<const char*, const char*, EVP_PKEY*>> cases{
      {"RS256", "rsa", k.rsa.get()},   {"RS384", "rsa", k.rsa.get()},     {"RS512", "rsa", k.rsa.get()},
      {"PS256", "rsa", k.rsa.get()},   {"PS384", "rsa", k.rsa.get()},     {"PS512", "rsa", k.rsa.get()},
      {"ES256", "ec256", k.p256.get()}, {"ES384", "ec384", k.p384.get()}, {"EdDSA", "ed", k.ed25519.get()}};
  for (const auto& [alg, kid, key] : cases) {
    auto result = verify(signCompact(header(alg, kid), claims(), key));
    ASSERT_TRUE(result) << alg << ": " << result.error().message;
    EXPECT_EQ(result->subject, "agent-7") << alg;
  }
}

TEST_F(JwtVerify, ReturnsTheVerifiedIdentity) {
  policy_.usernamePrefix = "oidc:";
  policy_.groupsPrefix = "oidc:";
  auto payload = claims();
  payload["azp"] = "agent-client";
  auto result = verify(rsaToken(payload));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->issuer, testing::kIssuer);
  EXPECT_EQ(result->subject, "agent-7");
  EXPECT_EQ(result->username, "oidc:agent-7");
  EXPECT_EQ(result->groups, (std::vector<std::string>{"oidc:agents", "oidc:readers"}));
  EXPECT_EQ(result->expiry, kNow + std::chrono::seconds(600));
  EXPECT_EQ(result->tokenId, "token-1");
  EXPECT_EQ(result->authorizedParty, "agent-client");
}

TEST_F(JwtVerify, DefaultPolicyAcceptsOnlyRs256) {
  policy_.algorithms.clear();
  EXPECT_TRUE(verify(rsaToken()));
  EXPECT_EQ(refusal(signCompact(header("PS256", "rsa"), claims(), testKeys().rsa.get())), Reason::BadAlgorithm);
  EXPECT_EQ(refusal(signCompact(header("ES256", "ec256"), claims(), testKeys().p256.get())), Reason::BadAlgorithm);
}

TEST_F(JwtVerify, KidMayBeAbsentOnlyWhenExactlyOneKeyFits) {
  EXPECT_TRUE(verify(signCompact(header("RS256", ""), claims(), testKeys().rsa.get())));
  EXPECT_TRUE(verify(signCompact(header("ES256", ""), claims(), testKeys().p256.get())));
  useKeys(testing::jwkSet({publicJwk(testKeys().rsa.get(), "rsa"), publicJwk(testKeys().rsaOther.get(), "rsa-2")}));
  EXPECT_EQ(refusal(signCompact(header("RS256", ""), claims(), testKeys().rsa.get())), Reason::AmbiguousKey);
  EXPECT_TRUE(verify(signCompact(header("RS256", "rsa-2"), claims(), testKeys().rsaOther.get())));
}

TEST_F(JwtVerify, TypIsCheckedCaseInsensitivelyWhenConfigured) {
  policy_.acceptedTypes = {"at+jwt"};
  for (const char* typ : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"}) {
    auto h = header("RS256", "rsa");
    h["typ"] = typ;
    EXPECT_TRUE(verify(signCompact(h, claims(), testKeys().rsa.get()))) << typ;
  }
  // Catalogue A26: an ID token (typ JWT) or a token without typ where at+jwt is required.
  EXPECT_EQ(refusal(rsaToken()), Reason::BadType);
  auto untyped = header("RS256", "rsa");
  untyped.erase("typ");
  EXPECT_EQ(refusal(signCompact(untyped, claims(), testKeys().rsa.get())), Reason::BadType);
  auto other = header("RS256", "rsa");
  other["typ"] = "dpop+jwt";
  EXPECT_EQ(refusal(signCompact(other, claims(), testKeys().rsa.get())), Reason::BadType);
  policy_.acceptedTypes = {"JWT"};
  EXPECT_TRUE(verify(rsaToken()));
}

TEST_F(JwtVerify, IgnoresThumbprintsAndUnknownHeaderParameters) {
  auto h = header("RS256", "rsa");
  h["x5t"] = "abc";
  h["x5t#S256"] = "abc";
  h["nonce"] = "n";
  EXPECT_TRUE(verify(signCompact(h, claims(), testKeys().rsa.get())));
}

// A1: none in every spelling, with or without a signature, never reaches key lookup.
TEST_F(JwtAttack, AlgNoneInAnySpelling) {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string input = signingInput(jsonText(header(alg, "rsa")), jsonText(claims()));
    EXPECT_EQ(refusal(input + "."), Reason::BadAlgorithm) << alg;
    EXPECT_EQ(refusal(input + "." + encodeBase64Url("sig")), Reason::BadAlgorithm) << alg;
  }
  auto noAlg = header("RS256", "rsa");
  noAlg.erase("alg");
  EXPECT_EQ(refusal(signingInput(jsonText(noAlg), jsonText(claims())) + ".AAAA"), Reason::BadAlgorithm);
  auto numericAlg = header("RS256", "rsa");
  numericAlg["alg"] = 256;
  EXPECT_EQ(refusal(signingInput(jsonText(numericAlg), jsonText(claims())) + ".AAAA"), Reason::Malformed);
}

// A2: RS256 issuer, token re-signed HS256 with the public key as PEM, DER, JWK JSON and raw modulus.
TEST_F(JwtAttack, HmacWithThePublicKeyAsSecret) {
  EVP_PKEY* rsa = testKeys().rsa.get();
  const auto encoded = [&](int selection, const char* format) {
    unsigned char* data = nullptr;
    std::size_t length = 0;
    OSSL_ENCODER_CTX* ctx = OSSL_ENCODER_CTX_new_for_pkey(rsa, selection, format, "SubjectPublicKeyInfo", nullptr);
    OSSL_ENCODER_to_data(ctx, &data, &length);
    OSSL_ENCODER_CTX_free(ctx);
    std::string out(reinterpret_cast<char*>(data), length);
    OPENSSL_free(data);
    return out;
  };
  const std::string pem = encoded(EVP_PKEY_PUBLIC_KEY, "PEM");
  const std::string der = encoded(EVP_PKEY_PUBLIC_KEY, "DER");
  ASSERT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
  const std::string jwkJson = jsonText(publicJwk(rsa, "rsa"));
  const std::string modulus = testing::bignumParam(rsa, OSSL_PKEY_PARAM_RSA_N);
  for (const std::string& secret : {pem, der, jwkJson, modulus}) {
    const std::string input = signingInput(jsonText(header("HS256", "rsa")), jsonText(claims()));
    const std::string token = input + "." + encodeBase64Url(hmacSha256(secret, input));
    EXPECT_EQ(refusal(token), Reason::BadAlgorithm);
    policy_.algorithms.push_back("HS256");  // even a policy that (wrongly) lists HS256
    EXPECT_FALSE(checkIssuerPolicy(policy_));
    EXPECT_EQ(refusal(token), Reason::BadAlgorithm);
    policy_.algorithms.pop_back();
  }
}

// A4, A5: keys named or embedded in the token are never used; such tokens are refused.
TEST_F(JwtAttack, KeysReferencedOrEmbeddedInTheHeader) {
  EVP_PKEY* attacker = testKeys().attacker.get();
  const boost::json::value attackerJwk = publicJwk(attacker, "rsa");
  const std::vector<std::pair<const char*, boost::json::value>> cases{
      {"jwk", attackerJwk},
      {"jku", "https://attacker.example/jwks.json"},
      {"jku", "http://169.254.169.254/latest/meta-data/"},
      {"x5u", "https://attacker.example/cert.pem"},
      {"x5c", boost::json::array{"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"}}};
  for (const auto& [name, value] : cases) {
    auto h = header("RS256", "rsa");
    h[name] = value;
    EXPECT_EQ(refusal(signCompact(h, claims(), attacker)), Reason::KeyInHeader) << name;
    EXPECT_EQ(refusal(signCompact(h, claims(), testKeys().rsa.get())), Reason::KeyInHeader) << name;
  }
}

// A7: kid is an opaque bounded map key.
TEST_F(JwtAttack, KidInjection) {
  EVP_PKEY* attacker = testKeys().attacker.get();
  for (const char* kid : {"../../../../dev/null", "/dev/null", "' UNION SELECT 'k'--", "$(id)", "`id`", "rsa ", "RSA",
                          "rsa/../rsa", "https://attacker.example/jwks.json"}) {
    EXPECT_EQ(refusal(signCompact(header("RS256", kid), claims(), attacker)), Reason::UnknownKey) << kid;
  }
  EXPECT_EQ(refusal(signCompact(header("RS256", std::string(10 * 1024, 'k')), claims(), attacker)), Reason::Malformed);
  EXPECT_EQ(refusal(signCompact(header("RS256", "rsa\nx"), claims(), attacker)), Reason::Malformed);
  const std::string nulKid = R"({"alg":"RS256","kid":"rsa\u0000x"})";
  EXPECT_EQ(refusal(testing::signCompact(nulKid, jsonText(claims()), "RS256", attacker)), Reason::Malformed);
  EXPECT_EQ(refusal(signCompact(header("HS256", "../../../../dev/null"), claims(), attacker)), Reason::BadAlgorithm);
  auto numericKid = header("RS256", "rsa");
  numericKid["kid"] = 1;
  EXPECT_EQ(refusal(signCompact(numericKid, claims(), testKeys().rsa.get())), Reason::Malformed);
}

// A11: one kid on two different keys.
TEST_F(JwtAttack, DuplicateKidInTheKeySet) {
  useKeys(testing::jwkSet({publicJwk(testKeys().rsa.get(), "rsa"), publicJwk(testKeys().attacker.get(), "rsa")}));
  EXPECT_EQ(refusal(rsaToken()), Reason::AmbiguousKey);
  EXPECT_EQ(refusal(signCompact(header("RS256", "rsa"), claims(), testKeys().attacker.get())), Reason::AmbiguousKey);
}

TEST_F(JwtAttack, SignatureFromAnotherKeyOrOverOtherBytes) {
  EXPECT_EQ(refusal(signCompact(header("RS256", "rsa"), claims(), testKeys().attacker.get())), Reason::BadSignature);
  const std::string good = rsaToken();
  const std::size_t dot = good.find('.');
  auto tampered = claims();
  tampered["sub"] = "admin";
  const std::string swapped = good.substr(0, dot + 1) + encodeBase64Url(jsonText(tampered)) + good.substr(good.rfind('.'));
  EXPECT_EQ(refusal(swapped), Reason::BadSignature);
  EXPECT_EQ(refusal(good.substr(0, good.rfind('.') + 1)), Reason::BadSignature);  // empty signature
}

// The algorithm must agree with the key's type, curve and own alg (RFC 8725 §3.1).
TEST_F(JwtAttack, AlgorithmAndKeyMismatch) {
  const auto& k = testKeys();
  EXPECT_EQ(refusal(signCompact(header("RS256", "ec256"), claims(), k.rsa.get())), Reason::KeyMismatch);
  EXPECT_EQ(refusal(signCompact(header("ES256", "rsa"), claims(), k.p256.get())), Reason::KeyMismatch);
  EXPECT_EQ(refusal(signCompact(header("ES256", "ec384"), claims(), k.p256.get())), Reason::KeyMismatch);
  EXPECT_EQ(refusal(signCompact(header("ES384", "ec256"), claims(), k.p384.get())), Reason::KeyMismatch);
  EXPECT_EQ(refusal(signCompact(header("EdDSA", "rsa"), claims(), k.ed25519.get())), Reason::KeyMismatch);
  EXPECT_EQ(refusal(signCompact(header("PS256", "ed"), claims(), k.rsa.get())), Reason::KeyMismatch);
  auto pinned = publicJwk(k.rsa.get(), "rsa");
  pinned["alg"] = "PS256";
  useKeys(testing::jwkSet({pinned}));
  EXPECT_EQ(refusal(rsaToken()), Reason::KeyMismatch);
  EXPECT_TRUE(verify(signCompact(header("PS256", "rsa"), claims(), k.rsa.get())));
}

std::string curveOrder(int nid, int size) {
  OpenSslPtr<EC_GROUP> group(EC_GROUP_new_by_curve_name(nid));
  std::string out(static_cast<std::size_t>(size), '\0');
  BN_bn2binpad(EC_GROUP_get0_order(group.get()), reinterpret_cast<unsigned char*>(out.data()), size);
  return out;
}

// A13, A14: psychic signatures and non-JWS ECDSA encodings.
TEST_F(JwtAttack, EcdsaScalarsOutOfRangeAndWrongEncodings) {
  const auto h = header("ES256", "ec256");
  const auto c = claims();
  const std::string n = curveOrder(NID_X9_62_prime256v1, 32);
  const std::string zero(32, '\0');
  const std::string one = std::string(31, '\0') + "\x01";
  const std::string input = signingInput(jsonText(h), jsonText(c));
  const std::string good = signBytes("ES256", testKeys().p256.get(), input);
  const std::string r = good.substr(0, 32), s = good.substr(32);
  std::string nPlusOne = n;
  nPlusOne.back() = static_cast<char>(nPlusOne.back() + 1);
  for (const std::string& bad : {zero + zero, zero + s, r + zero, n + s, r + n, nPlusOne + s, std::string(64, '\xff')}) {
    EXPECT_EQ(refusal(withSignature(h, c, bad)), Reason::BadSignature);
    EXPECT_EQ(refusalMessage(withSignature(h, c, bad)), "token ECDSA signature values are out of range");
  }
  EXPECT_EQ(refusal(withSignature(h, c, one + one)), Reason::BadSignature);  // in range, just wrong
  EXPECT_EQ(refusal(withSignature(h, c, testing::derEcdsaSignature(testKeys().p256.get(), input))), Reason::BadSignature);
  EXPECT_EQ(refusal(withSignature(h, c, good.substr(1))), Reason::BadSignature);          // 63 bytes
  EXPECT_EQ(refusal(withSignature(h, c, std::string(1, '\0') + good)), Reason::BadSignature);  // 65 bytes
  EXPECT_TRUE(verify(withSignature(h, c, good)));

  const auto h384 = header("ES384", "ec384");
  const std::string n384 = curveOrder(NID_secp384r1, 48);
  const std::string good384 = signBytes("ES384", testKeys().p384.get(), signingInput(jsonText(h384), jsonText(c)));
  EXPECT_EQ(refusal(withSignature(h384, c, std::string(96, '\0'))), Reason::BadSignature);
  EXPECT_EQ(refusal(withSignature(h384, c, n384 + good384.substr(48))), Reason::BadSignature);
  EXPECT_EQ(refusal(withSignature(h384, c, good)), Reason::BadSignature);  // a P-256 sized signature
}

// A17: an RSA signature must be exactly the modulus length.
TEST_F(JwtAttack, RsaSignatureLength) {
  const auto h = header("RS256", "rsa");
  const auto c = claims();
  const std::string good = signBytes("RS256", testKeys().rsa.get(), signingInput(jsonText(h), jsonText(c)));
  ASSERT_EQ(good.size(), 256u);
  EXPECT_EQ(refusal(withSignature(h, c, good.substr(1))), Reason::BadSignature);
  EXPECT_EQ(refusal(withSignature(h, c, std::string(1, '\0') + good)), Reason::BadSignature);
  EXPECT_EQ(refusal(withSignature(h, c, good + std::string(1, '\0'))), Reason::BadSignature);

  // A signature that starts with a zero byte is the same number without it, and OpenSSL alone
  // would accept the shorter form; the verifier must not (one token, one spelling).
  for (int attempt = 0; attempt < 5000; ++attempt) {
    auto numbered = claims();
    numbered["jti"] = "token-" + std::to_string(attempt);
    const std::string sig = signBytes("RS256", testKeys().rsa.get(), signingInput(jsonText(h), jsonText(numbered)));
    if (sig[0] != '\0') continue;
    EXPECT_TRUE(verify(withSignature(h, numbered, sig)));
    EXPECT_EQ(refusal(withSignature(h, numbered, sig.substr(1))), Reason::BadSignature);
    EXPECT_EQ(refusalMessage(withSignature(h, numbered, sig.substr(1))), "token signature has the wrong length");
    return;
  }
  FAIL() << "no signature with a leading zero byte in 5000 attempts";
}

TEST_F(JwtAttack, EdDsaSignatureLength) {
  const auto h = header("EdDSA", "ed");
  const auto c = claims();
  const std::string good = signBytes("EdDSA", testKeys().ed25519.get(), signingInput(jsonText(h), jsonText(c)));
  EXPECT_TRUE(verify(withSignature(h, c, good)));
  EXPECT_EQ(refusal(withSignature(h, c, good.substr(1))), Reason::BadSignature);
  EXPECT_EQ(refusal(withSignature(h, c, std::string(64, '\0'))), Reason::BadSignature);
}

TEST_F(JwtAttack, CritIsNeverUnderstood) {
  for (const boost::json::value& crit : {boost::json::value(boost::json::array{"exp"}), boost::json::value(boost::json::array{}),
                                         boost::json::value(boost::json::array{"b64"}), boost::json::value("exp")}) {
    auto h = header("RS256", "rsa");
    h["crit"] = crit;
    h["exp"] = 1;
    EXPECT_EQ(refusal(signCompact(h, claims(), testKeys().rsa.get())), Reason::Crit);
  }
}

// A28 and RFC 8725 §2.8: nested tokens, unencoded payloads, compression, JWE parameters.
TEST_F(JwtAttack, UnsupportedHeaderFeatures) {
  const std::vector<std::pair<const char*, boost::json::value>> cases{
      {"cty", "JWT"}, {"b64", false}, {"zip", "DEF"}, {"enc", "A256GCM"}, {"p2c", 2147483647}, {"epk", boost::json::object{}}};
  for (const auto& [name, value] : cases) {
    auto h = header("RS256", "rsa");
    h[name] = value;
    EXPECT_EQ(refusal(signCompact(h, claims(), testKeys().rsa.get())), Reason::UnsupportedHeader) << name;
  }
}

TEST_F(JwtAttack, NotACompactJws) {
  const std::string good = rsaToken();
  const std::string jwe = "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJlbmMiOiJBMTI4R0NNIiwicDJjIjoyMTQ3NDgzNjQ3fQ.AAAA.AAAA.AAAA.AAAA";
  for (const std::string& bad : {std::string(), std::string("."), std::string(".."), std::string("..."), jwe,
                                 good + ".", good + ".x", "." + good.substr(good.find('.')),
                                 good.substr(0, good.find('.')) + ".." + good.substr(good.rfind('.') + 1),
                                 std::string(R"({"payload":"e30","signatures":[{"protected":"e30","signature":"AAAA"}]})"),
                                 good.substr(0, good.rfind('.')), " " + good, good + " ", "Bearer " + good}) {
    EXPECT_EQ(refusal(bad), Reason::Malformed) << bad;
  }
}

TEST_F(JwtAttack, HeaderOrPayloadThatIsNotAStrictJsonObject) {
  const std::string payload = jsonText(claims());
  for (const char* bad : {"[]", "\"RS256\"", "null", "{\"alg\":\"RS256\",\"kid\":\"rsa\",}", "\xef\xbb\xbf{\"alg\":\"RS256\"}"}) {
    EXPECT_EQ(refusal(testing::signCompact(bad, payload, "RS256", testKeys().rsa.get())), Reason::Malformed) << bad;
  }
  const std::string h = jsonText(header("RS256", "rsa"));
  for (const char* bad : {"[]", "\"x\"", "1", "{\"sub\":\"a\"", "{\"sub\":\"\\ud800\"}"}) {
    EXPECT_EQ(refusal(testing::signCompact(h, bad, "RS256", testKeys().rsa.get())), Reason::Malformed) << bad;
  }
}

// Duplicate members: one reader would take the first, another the last.
TEST_F(JwtAttack, DuplicateMembersInHeaderOrPayload) {
  const std::string payload = jsonText(claims());
  EXPECT_EQ(refusal(testing::signCompact(R"({"alg":"RS256","kid":"rsa","alg":"none"})", payload, "RS256", testKeys().rsa.get())),
            Reason::Malformed);
  EXPECT_EQ(refusal(testing::signCompact(R"({"alg":"RS256","kid":"rsa","kid":"other"})", payload, "RS256", testKeys().rsa.get())),
            Reason::Malformed);
  std::string duplicateSub = payload;
  duplicateSub.insert(1, R"("sub":"admin",)");
  EXPECT_EQ(refusal(testing::signCompact(jsonText(header("RS256", "rsa")), duplicateSub, "RS256", testKeys().rsa.get())),
            Reason::Malformed);
  std::string nestedDuplicate = payload;
  nestedDuplicate.insert(1, R"("realm_access":{"roles":["a"],"roles":["admin"]},)");
  EXPECT_EQ(refusal(testing::signCompact(jsonText(header("RS256", "rsa")), nestedDuplicate, "RS256", testKeys().rsa.get())),
            Reason::Malformed);
}

// Replaces segment `index` of a token with `segment`.
std::string replaceSegment(const std::string& token, int index, const std::string& segment) {
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  const std::string parts[3] = {token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
  std::string out;
  for (int i = 0; i < 3; ++i) out += (i ? "." : "") + (i == index ? segment : parts[i]);
  return out;
}

std::string segmentOf(const std::string& token, int index) {
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  if (index == 0) return token.substr(0, first);
  if (index == 1) return token.substr(first + 1, second - first - 1);
  return token.substr(second + 1);
}

// A16: each segment in a non-canonical spelling of the same bytes, or not base64url at all.
TEST_F(JwtAttack, NonCanonicalBase64Url) {
  // Pad header and payload so no segment's length is a multiple of 4: each has unused bits.
  std::string token;
  for (int headerPad = 0; headerPad < 3 && token.empty(); ++headerPad) {
    for (int payloadPad = 0; payloadPad < 3; ++payloadPad) {
      auto h = header("RS256", "rsa");
      h["x-pad"] = std::string(headerPad, 'p');
      auto c = claims();
      c["x-pad"] = std::string(payloadPad, 'p');
      const std::string candidate = signCompact(h, c, testKeys().rsa.get());
      if (segmentOf(candidate, 0).size() % 4 != 0 && segmentOf(candidate, 1).size() % 4 != 0) {
        token = candidate;
        break;
      }
    }
  }
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(verify(token));
  for (int index = 0; index < 3; ++index) {
    const std::string segment = segmentOf(token, index);
    std::string spoiledBits = segment;
    spoiledBits.back() = std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        [(std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_").find(segment.back()) | 1)];
    ASSERT_NE(spoiledBits, segment);
    std::string padded = segment + std::string((4 - segment.size() % 4) % 4, '=');
    std::string standardAlphabet = segment;
    for (char& c : standardAlphabet) c = c == '-' ? '+' : c == '_' ? '/' : c;
    for (const std::string& bad : {spoiledBits, padded, segment + "=", segment.substr(0, 4) + " " + segment.substr(4),
                                   segment.substr(0, 4) + "\n" + segment.substr(4), segment + "\t"}) {
      EXPECT_EQ(refusal(replaceSegment(token, index, bad)), Reason::Malformed) << index << ": " << bad;
    }
    if (standardAlphabet != segment) {
      EXPECT_EQ(refusal(replaceSegment(token, index, standardAlphabet)), Reason::Malformed) << index;
    }
  }
  // Even when the issuer itself signed a padded payload, the spelling is refused.
  const std::string input = encodeBase64Url(jsonText(header("RS256", "rsa"))) + "." + segmentOf(token, 1) + "==";
  EXPECT_EQ(refusal(input + "." + encodeBase64Url(signBytes("RS256", testKeys().rsa.get(), input))), Reason::Malformed);
}

// A29: the size cap comes before any parsing.
TEST_F(JwtAttack, OversizedTokens) {
  EXPECT_EQ(refusal(std::string(1 << 20, 'A')), Reason::TooLarge);
  EXPECT_EQ(refusal(std::string(1'000'000, '.')), Reason::TooLarge);
  EXPECT_EQ(refusal(std::string(policy_.maxTokenBytes + 1, '.')), Reason::TooLarge);
  auto big = claims();
  big["filler"] = std::string(policy_.maxTokenBytes, 'x');
  EXPECT_EQ(refusal(rsaToken(big)), Reason::TooLarge);
  policy_.maxTokenBytes = 64 * 1024;
  EXPECT_TRUE(verify(rsaToken(big)));
}

// Every one-character change and every truncation of a valid token is refused (a cheap fuzz).
TEST_F(JwtAttack, EveryEditOfAValidTokenIsRefused) {
  for (const std::string& token : {rsaToken(), signCompact(header("ES256", "ec256"), claims(), testKeys().p256.get()),
                                   signCompact(header("EdDSA", "ed"), claims(), testKeys().ed25519.get())}) {
    ASSERT_TRUE(verify(token));
    for (std::size_t i = 0; i < token.size(); ++i) {
      for (char replacement : {'A', '_', '.', '='}) {
        if (token[i] == replacement) continue;
        std::string edited = token;
        edited[i] = replacement;
        EXPECT_FALSE(verify(edited)) << "position " << i << " -> " << replacement;
      }
      EXPECT_FALSE(verify(std::string_view(token).substr(0, i))) << "prefix " << i;
    }
  }
}

TEST_F(JwtAttack, UnknownKidIsDistinguishableForRefresh) {
  auto result = verify(signCompact(header("RS256", "rotated-key"), claims(), testKeys().rsaOther.get()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().reason, Reason::UnknownKey);
  EXPECT_EQ(reasonName(result.error().reason), "unknown_key");
  useKeys(testing::jwkSet({publicJwk(testKeys().rsa.get(), "rsa"), publicJwk(testKeys().rsaOther.get(), "rotated-key")}));
  EXPECT_TRUE(verify(signCompact(header("RS256", "rotated-key"), claims(), testKeys().rsaOther.get())));
}

}  // namespace
}  // namespace kubegate::identity::jwt
