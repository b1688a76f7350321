// A test issuer: a policy, its JWK Set and helpers that mint tokens and name why one was refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "identity/jwt/verifier.h"
#include "jwt_test_keys.h"

namespace kubegate::identity::jwt::testing {

using Clock = std::chrono::system_clock;

inline constexpr std::int64_t kNowSeconds = 1'750'000'000;
inline const Clock::time_point kNow{std::chrono::seconds(kNowSeconds)};
inline constexpr const char* kIssuer = "https://idp.example.com/realms/agents";
inline constexpr const char* kAudience = "kubegate";

class JwtFixture : public ::testing::Test {
 protected:
  JwtFixture() {
    policy_.issuer = kIssuer;
    policy_.audiences = {kAudience};
    policy_.algorithms = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"};
    policy_.groupsClaim = "groups";
    const auto& keys = TestKeys::get();
    useKeys(jwkSet({publicJwk(keys.rsa.get(), "rsa"), publicJwk(keys.p256.get(), "ec256"),
                    publicJwk(keys.p384.get(), "ec384"), publicJwk(keys.ed25519.get(), "ed")}));
  }

  void useKeys(const std::string& jwks) {
    auto parsed = KeySet::parse(jwks);
    ASSERT_TRUE(parsed);
    keys_ = std::move(*parsed);
  }

  static const TestKeys& testKeys() { return TestKeys::get(); }

  static boost::json::object claims() {
    return {{"iss", kIssuer},
            {"aud", kAudience},
            {"sub", "agent-7"},
            {"exp", kNowSeconds + 600},
            {"iat", kNowSeconds - 10},
            {"nbf", kNowSeconds - 10},
            {"jti", "token-1"},
            {"groups", boost::json::array{"agents", "readers"}}};
  }

  static boost::json::object header(std::string_view alg, std::string_view kid) {
    boost::json::object h{{"alg", alg}, {"typ", "JWT"}};
    if (!kid.empty()) h["kid"] = kid;
    return h;
  }

  // A token from the test issuer's RSA key, RS256.
  static std::string rsaToken(const boost::json::object& payload = claims()) {
    return signCompact(header("RS256", "rsa"), payload, testKeys().rsa.get());
  }

  boost::system::result<VerifiedToken, TokenError> verify(std::string_view token, Clock::time_point now = kNow) const {
    return verifyToken(token, policy_, keys_, now);
  }

  // Why the token was refused; fails the test if it was accepted.
  TokenErrorReason refusal(std::string_view token, Clock::time_point now = kNow) const {
    auto result = verify(token, now);
    EXPECT_FALSE(result) << "accepted a token that must be refused";
    return result ? TokenErrorReason::BadClaim : result.error().reason;
  }

  std::string_view refusalMessage(std::string_view token) const {
    auto result = verify(token);
    return result ? std::string_view("accepted") : result.error().message;
  }

  IssuerPolicy policy_;
  KeySet keys_;
};

}  // namespace kubegate::identity::jwt::testing
