// Keys shared by the token tests, generated once per test binary (RSA generation is slow).
#pragma once

#include "jwt_test_signer.h"

namespace kubegate::identity::jwt::testing {

struct TestKeys {
  KeyPtr rsa = generateRsa(2048);
  KeyPtr rsaOther = generateRsa(2048);
  KeyPtr rsaWeak = generateRsa(1024);
  KeyPtr p256 = generateEc("P-256");
  KeyPtr p384 = generateEc("P-384");
  KeyPtr ed25519 = generateEd25519();
  KeyPtr attacker = generateRsa(2048);

  static const TestKeys& get() {
    static const TestKeys keys;
    return keys;
  }
};

}  // namespace kubegate::identity::jwt::testing
