// JWK Set loading: only keys fit for signature verification are kept (shared/notes/security.md
// §1.3 "JWK hygiene", catalogue A10, A11).
#include "identity/jwt/jwk.h"

#include <gtest/gtest.h>

#include "jwt_test_keys.h"

namespace kubegate::identity::jwt {
namespace {

using testing::jwkSet;
using testing::publicJwk;
using testing::TestKeys;

KeySet parseSet(const std::string& json) {
  auto set = KeySet::parse(json);
  EXPECT_TRUE(set) << (set ? "" : set.error().what);
  return set ? std::move(*set) : KeySet{};
}

std::string_view skipReasonFor(const KeySet& set, std::string_view kid) {
  for (const auto& skipped : set.skipped()) {
    if (skipped.kid && *skipped.kid == kid) return skipped.reason;
  }
  return "";
}

TEST(JwkAlgorithms, NamesAreExactAndNeverNoneOrHmac) {
  EXPECT_EQ(parseAlgorithm("RS256"), Algorithm::RS256);
  EXPECT_EQ(parseAlgorithm("EdDSA"), Algorithm::EdDSA);
  for (const char* bad : {"none", "None", "NONE", "nOnE", "", "HS256", "HS384", "HS512", "rs256", "RS256 ", "ES512", "ES256K", "Ed25519"}) {
    EXPECT_FALSE(parseAlgorithm(bad)) << bad;
  }
  EXPECT_TRUE(kindVerifies(KeyKind::Rsa, Algorithm::PS384));
  EXPECT_FALSE(kindVerifies(KeyKind::Rsa, Algorithm::ES256));
  EXPECT_FALSE(kindVerifies(KeyKind::EcP256, Algorithm::ES384));
  EXPECT_FALSE(kindVerifies(KeyKind::EcP384, Algorithm::ES256));
  EXPECT_FALSE(kindVerifies(KeyKind::Ed25519, Algorithm::ES256));
}

TEST(JwkSet, LoadsRsaEcAndEd25519Keys) {
  const auto& keys = TestKeys::get();
  auto rsaJwk = publicJwk(keys.rsa.get(), "rsa");
  rsaJwk["use"] = "sig";
  rsaJwk["alg"] = "RS256";
  auto ecJwk = publicJwk(keys.p256.get(), "ec");
  ecJwk["key_ops"] = boost::json::array{"verify"};
  const KeySet set = parseSet(jwkSet({rsaJwk, ecJwk, publicJwk(keys.p384.get(), "ec384"), publicJwk(keys.ed25519.get(), "ed")}));
  ASSERT_EQ(set.keys().size(), 4u);
  EXPECT_TRUE(set.skipped().empty());
  EXPECT_EQ(set.keys()[0].kind, KeyKind::Rsa);
  EXPECT_EQ(set.keys()[0].algorithm, Algorithm::RS256);
  EXPECT_EQ(set.keys()[1].kind, KeyKind::EcP256);
  EXPECT_EQ(set.keys()[2].kind, KeyKind::EcP384);
  EXPECT_EQ(set.keys()[3].kind, KeyKind::Ed25519);
  EXPECT_EQ(EVP_PKEY_eq(set.keys()[0].publicKey.get(), keys.rsa.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(set.keys()[1].publicKey.get(), keys.p256.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(set.keys()[3].publicKey.get(), keys.ed25519.get()), 1);
}

TEST(JwkSet, RefusesDocumentsThatAreNotStrictJwkSets) {
  for (const char* bad : {"", "[]", "{}", R"({"keys":{}})", R"({"keys":[],"keys":[]})", R"({"keys":[{"kty":"RSA","kty":"EC"}]})"}) {
    EXPECT_FALSE(KeySet::parse(bad)) << bad;
  }
  EXPECT_TRUE(KeySet::parse(R"({"keys":[]})"));
}

// Catalogue A10: oct, RSA 1024, e=1, EC off the curve, use=enc are discarded; the rest survive.
TEST(JwkSet, SkipsKeysUnfitForVerificationWithoutSpoilingTheSet) {
  const auto& keys = TestKeys::get();
  auto weak = publicJwk(keys.rsaWeak.get(), "weak");
  auto exponentOne = publicJwk(keys.rsaOther.get(), "e1");
  exponentOne["e"] = "AQ";
  auto exponentEven = publicJwk(keys.rsaOther.get(), "e-even");
  exponentEven["e"] = "AQAA";
  auto offCurve = publicJwk(keys.p256.get(), "off-curve");
  std::string y = *decodeBase64Url(offCurve["y"].as_string());
  y.back() = static_cast<char>(y.back() ^ 1);
  offCurve["y"] = encodeBase64Url(y);
  auto shortX = publicJwk(keys.p256.get(), "short-x");
  shortX["x"] = encodeBase64Url(decodeBase64Url(shortX["x"].as_string())->substr(1));
  auto encryption = publicJwk(keys.rsaOther.get(), "enc");
  encryption["use"] = "enc";
  auto wrapOnly = publicJwk(keys.rsaOther.get(), "wrap");
  wrapOnly["key_ops"] = boost::json::array{"wrapKey"};
  auto oaep = publicJwk(keys.rsaOther.get(), "oaep");
  oaep["alg"] = "RSA-OAEP";
  auto hmacAlg = publicJwk(keys.rsaOther.get(), "hs");
  hmacAlg["alg"] = "HS256";
  auto wrongAlg = publicJwk(keys.p256.get(), "ec-as-rsa");
  wrongAlg["alg"] = "RS256";
  auto privateKey = publicJwk(keys.rsaOther.get(), "private");
  privateKey["d"] = "AQAB";
  auto paddedN = publicJwk(keys.rsaOther.get(), "padded");
  paddedN["n"] = std::string(paddedN["n"].as_string()) + "==";
  const boost::json::object oct{{"kty", "oct"}, {"kid", "oct"}, {"k", "c2VjcmV0"}};
  const boost::json::object p521{{"kty", "EC"}, {"kid", "p521"}, {"crv", "P-521"}, {"x", "AA"}, {"y", "AA"}};
  const boost::json::object x25519{{"kty", "OKP"}, {"kid", "x25519"}, {"crv", "X25519"}, {"x", "AA"}};
  const boost::json::object unknown{{"kty", "PQC"}, {"kid", "future"}};

  const KeySet set = parseSet(jwkSet({weak, exponentOne, exponentEven, offCurve, shortX, encryption, wrapOnly, oaep, hmacAlg,
                                      wrongAlg, privateKey, paddedN, oct, p521, x25519, unknown,
                                      publicJwk(keys.rsa.get(), "good")}));
  ASSERT_EQ(set.keys().size(), 1u);
  EXPECT_EQ(*set.keys()[0].kid, "good");
  EXPECT_EQ(set.skipped().size(), 16u);
  EXPECT_EQ(skipReasonFor(set, "weak"), "RSA modulus under 2048 bits");
  EXPECT_EQ(skipReasonFor(set, "e1"), "RSA exponent below 3");
  EXPECT_EQ(skipReasonFor(set, "e-even"), "RSA exponent is even");
  EXPECT_EQ(skipReasonFor(set, "off-curve"), "EC point is not on the curve");
  EXPECT_EQ(skipReasonFor(set, "oct"), "symmetric keys are never used");
  EXPECT_EQ(skipReasonFor(set, "enc"), "key is not for signatures (use)");
  EXPECT_EQ(skipReasonFor(set, "private"), "contains private key material");
  EXPECT_EQ(skipReasonFor(set, "ec-as-rsa"), "alg does not match the key type or curve");
  EXPECT_EQ(set.find(std::string_view("weak"), Algorithm::RS256).status, KeyLookupStatus::UnknownKid);
}

TEST(JwkSet, ToleratesLeadingZeroOctetsInRsaNumbers) {
  auto jwk = publicJwk(TestKeys::get().rsa.get(), "rsa");
  jwk["n"] = encodeBase64Url(std::string(1, '\0') + *decodeBase64Url(jwk["n"].as_string()));
  const KeySet set = parseSet(jwkSet({jwk}));
  ASSERT_EQ(set.keys().size(), 1u);
  EXPECT_EQ(EVP_PKEY_eq(set.keys()[0].publicKey.get(), TestKeys::get().rsa.get()), 1);
}

// Catalogue A11: one kid on two different keys is ambiguous; repeating the same key is harmless.
TEST(JwkSet, DuplicateKidsAreAmbiguousUnlessTheSameKey) {
  const auto& keys = TestKeys::get();
  const KeySet set = parseSet(jwkSet({publicJwk(keys.rsa.get(), "dup"), publicJwk(keys.rsaOther.get(), "dup"),
                                      publicJwk(keys.rsa.get(), "same"), publicJwk(keys.rsa.get(), "same"),
                                      publicJwk(keys.p256.get(), "ec")}));
  EXPECT_EQ(set.ambiguousKids(), std::vector<std::string>{"dup"});
  EXPECT_EQ(set.find(std::string_view("dup"), Algorithm::RS256).status, KeyLookupStatus::Ambiguous);
  EXPECT_EQ(set.find(std::string_view("same"), Algorithm::RS256).status, KeyLookupStatus::Found);
  EXPECT_EQ(set.find(std::string_view("ec"), Algorithm::ES256).status, KeyLookupStatus::Found);
  EXPECT_EQ(skipReasonFor(set, "same"), "repeats an earlier key");
}

TEST(JwkSet, FindHonoursKidTypeCurveAndTheKeysOwnAlg) {
  const auto& keys = TestKeys::get();
  auto pinned = publicJwk(keys.rsaOther.get(), "pinned");
  pinned["alg"] = "PS256";
  const KeySet set = parseSet(jwkSet({publicJwk(keys.rsa.get(), "rsa"), pinned, publicJwk(keys.p256.get(), "ec")}));
  EXPECT_EQ(set.find(std::string_view("rsa"), Algorithm::RS512).status, KeyLookupStatus::Found);
  EXPECT_EQ(set.find(std::string_view("rsa"), Algorithm::ES256).status, KeyLookupStatus::AlgorithmMismatch);
  EXPECT_EQ(set.find(std::string_view("ec"), Algorithm::ES384).status, KeyLookupStatus::AlgorithmMismatch);
  EXPECT_EQ(set.find(std::string_view("pinned"), Algorithm::PS256).status, KeyLookupStatus::Found);
  EXPECT_EQ(set.find(std::string_view("pinned"), Algorithm::RS256).status, KeyLookupStatus::AlgorithmMismatch);
  EXPECT_EQ(set.find(std::string_view("nope"), Algorithm::RS256).status, KeyLookupStatus::UnknownKid);
  EXPECT_EQ(set.find(std::string_view("RSA"), Algorithm::RS256).status, KeyLookupStatus::UnknownKid);  // exact
  // Without a kid: only when exactly one key can verify the algorithm.
  EXPECT_EQ(set.find(std::nullopt, Algorithm::ES256).status, KeyLookupStatus::Found);
  EXPECT_EQ(set.find(std::nullopt, Algorithm::RS256).status, KeyLookupStatus::Found);  // "pinned" is PS256 only
  EXPECT_EQ(set.find(std::nullopt, Algorithm::PS256).status, KeyLookupStatus::Ambiguous);
  EXPECT_EQ(set.find(std::nullopt, Algorithm::EdDSA).status, KeyLookupStatus::UnknownKid);
}

TEST(JwkSet, LoadsAtMostMaxKeys) {
  const auto jwk = publicJwk(TestKeys::get().ed25519.get(), "");
  boost::json::array array;
  for (std::size_t i = 0; i < KeySet::kMaxKeys + 5; ++i) array.push_back(jwk);
  const KeySet set = parseSet(boost::json::serialize(boost::json::object{{"keys", array}}));
  EXPECT_EQ(set.keys().size(), KeySet::kMaxKeys);
  EXPECT_EQ(set.skipped().size(), 5u);
}

}  // namespace
}  // namespace kubegate::identity::jwt
