#include "approvals/request_digest.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>

#include "net/byte_order.h"

namespace kubegate::approvals {
namespace {

struct DigestContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// The length goes first, as 8 bytes big-endian: ("ab", "c") and ("a", "bc") then hash differently.
bool addField(EVP_MD_CTX* ctx, std::string_view field) {
  std::string length;
  net::appendBigEndian<8>(length, field.size());
  return EVP_DigestUpdate(ctx, length.data(), length.size()) == 1 && EVP_DigestUpdate(ctx, field.data(), field.size()) == 1;
}

}  // namespace

std::optional<std::string> requestDigest(RequestIdentityForDigest who, std::string_view cluster, std::string_view method,
                                         std::string_view path, std::string_view canonicalQuery, std::string_view body) {
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  for (std::string_view field : {who.issuer, who.subject, cluster, method, path, canonicalQuery, body})
    if (!addField(ctx.get(), field)) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digestLength = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &digestLength) != 1) return std::nullopt;

  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digestLength * 2);
  for (unsigned int i = 0; i < digestLength; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0f]);
  }
  return hex;
}

}  // namespace kubegate::approvals
