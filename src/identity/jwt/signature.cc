#include "identity/jwt/signature.h"

#include <array>
#include <cstring>

#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "identity/jwt/openssl_handles.h"

namespace kubegate::identity::jwt {
namespace {

const unsigned char* bytesOf(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Fetched once: an implicit fetch by name on every token costs more than the hash itself.
struct Digests {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
};

const EVP_MD* digestFor(Algorithm algorithm) {
  static const Digests digests;  // lives for the process; never freed on purpose
  switch (algorithm) {
    case Algorithm::RS256:
    case Algorithm::PS256:
    case Algorithm::ES256:
      return digests.sha256;
    case Algorithm::RS384:
    case Algorithm::PS384:
    case Algorithm::ES384:
      return digests.sha384;
    case Algorithm::RS512:
    case Algorithm::PS512:
      return digests.sha512;
    case Algorithm::EdDSA:
      return nullptr;  // Ed25519 hashes internally
  }
  return nullptr;
}

bool isPss(Algorithm a) { return a == Algorithm::PS256 || a == Algorithm::PS384 || a == Algorithm::PS512; }
bool isEcdsa(Algorithm a) { return a == Algorithm::ES256 || a == Algorithm::ES384; }

// A group order as big-endian bytes of the field size (P-256 and P-384 orders have as many bytes
// as their fields).
struct CurveOrder {
  std::array<unsigned char, 48> bytes{};
  std::size_t size = 0;
};

CurveOrder loadOrder(int nid, std::size_t size) {
  CurveOrder order;
  order.size = size;
  OpenSslPtr<EC_GROUP> group(EC_GROUP_new_by_curve_name(nid));
  if (group) BN_bn2binpad(EC_GROUP_get0_order(group.get()), order.bytes.data(), static_cast<int>(size));
  return order;
}

const CurveOrder& orderFor(Algorithm algorithm) {
  static const CurveOrder p256 = loadOrder(NID_X9_62_prime256v1, 32);
  static const CurveOrder p384 = loadOrder(NID_secp384r1, 48);
  return algorithm == Algorithm::ES256 ? p256 : p384;
}

// 1 <= scalar <= n-1, on fixed-width big-endian bytes: non-zero and lexicographically below n.
bool scalarInRange(std::string_view scalar, const CurveOrder& order) {
  bool nonZero = false;
  for (char c : scalar) nonZero = nonZero || c != '\0';
  return nonZero && std::memcmp(scalar.data(), order.bytes.data(), order.size) < 0;
}

// R||S → the DER ECDSA-Sig-Value OpenSSL verifies. Empty when it cannot be built.
std::string derFromRawEcdsa(std::string_view r, std::string_view s) {
  OpenSslPtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* rNumber = BN_bin2bn(bytesOf(r), static_cast<int>(r.size()), nullptr);
  BIGNUM* sNumber = BN_bin2bn(bytesOf(s), static_cast<int>(s.size()), nullptr);
  if (!sig || !rNumber || !sNumber || ECDSA_SIG_set0(sig.get(), rNumber, sNumber) != 1) {
    BN_free(rNumber);
    BN_free(sNumber);
    return {};
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return {};
  return der;
}

bool digestVerify(Algorithm algorithm, EVP_PKEY* key, std::string_view signingInput, std::string_view signature) {
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  EVP_PKEY_CTX* keyCtx = nullptr;  // owned by ctx
  const EVP_MD* md = digestFor(algorithm);
  if (EVP_DigestVerifyInit(ctx.get(), &keyCtx, md, nullptr, key) != 1) return false;
  if (isPss(algorithm)) {
    if (EVP_PKEY_CTX_set_rsa_padding(keyCtx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(keyCtx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(keyCtx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return false;
    }
  } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    if (EVP_PKEY_CTX_set_rsa_padding(keyCtx, RSA_PKCS1_PADDING) != 1) return false;
  }
  return EVP_DigestVerify(ctx.get(), bytesOf(signature), signature.size(), bytesOf(signingInput),
                          signingInput.size()) == 1;
}

}  // namespace

SignatureCheck checkSignature(Algorithm algorithm, EVP_PKEY* key, std::string_view signingInput,
                              std::string_view signature) {
  if (isEcdsa(algorithm)) {
    const CurveOrder& order = orderFor(algorithm);
    if (order.size == 0 || signature.size() != 2 * order.size) return SignatureCheck::WrongLength;
    const std::string_view r = signature.substr(0, order.size);
    const std::string_view s = signature.substr(order.size);
    // Checked here even though OpenSSL checks too: a zero or oversized scalar must never reach a
    // verifier (Java's did not check, CVE-2022-21449).
    if (!scalarInRange(r, order) || !scalarInRange(s, order)) return SignatureCheck::ScalarOutOfRange;
    const std::string der = derFromRawEcdsa(r, s);
    if (der.empty()) return SignatureCheck::Invalid;
    return digestVerify(algorithm, key, signingInput, der) ? SignatureCheck::Valid : SignatureCheck::Invalid;
  }
  if (algorithm == Algorithm::EdDSA) {
    if (signature.size() != 64) return SignatureCheck::WrongLength;
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key))) {
    // RSA: exactly the modulus length (RFC 8017 §8.2.2 step 1); a stripped leading zero or an
    // extra byte is a different token.
    return SignatureCheck::WrongLength;
  }
  return digestVerify(algorithm, key, signingInput, signature) ? SignatureCheck::Valid : SignatureCheck::Invalid;
}

}  // namespace kubegate::identity::jwt
