#include "identity/jwt/token_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <openssl/evp.h>

#include "identity/jwt/openssl_handles.h"

namespace kubegate::identity::jwt {

TokenDigest digestToken(std::string_view token) {
  // Fetched once and a context per thread: implicit fetches and allocations would cost more than
  // hashing a token.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  TokenDigest digest{};
  unsigned int length = 0;
  if (!sha256 || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), token.data(), token.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1 || length != digest.size()) {
    // SHA-256 over bytes in memory cannot fail unless OpenSSL itself is broken; keying tokens by
    // garbage would let one token's entry answer for another, so stop instead.
    std::abort();
  }
  return digest;
}

std::size_t VerifiedTokenCache::DigestHash::operator()(const TokenDigest& digest) const {
  std::size_t value = 0;
  std::memcpy(&value, digest.data() + 8, sizeof value);  // a digest is already uniform
  return value;
}

VerifiedTokenCache::VerifiedTokenCache(Options options)
    : options_(options), shardCapacity_(std::max<std::size_t>(1, (options.capacity + kShards - 1) / kShards)) {}

std::shared_ptr<const VerifiedToken> VerifiedTokenCache::find(const TokenDigest& digest,
                                                              std::chrono::system_clock::time_point now) {
  Shard& shard = shardFor(digest);
  std::lock_guard lock(shard.mutex);
  const auto found = shard.index.find(digest);
  if (found == shard.index.end()) return nullptr;
  const auto entry = found->second;
  if (now >= entry->validUntil) {
    shard.index.erase(found);
    shard.recency.erase(entry);
    return nullptr;
  }
  shard.recency.splice(shard.recency.begin(), shard.recency, entry);
  return entry->token;
}

void VerifiedTokenCache::insert(const TokenDigest& digest, std::shared_ptr<const VerifiedToken> token,
                                std::chrono::system_clock::time_point now) {
  if (!token) return;
  const auto validUntil = std::min(token->expiry, now + options_.maxEntryAge);
  if (validUntil <= now) return;
  Shard& shard = shardFor(digest);
  std::lock_guard lock(shard.mutex);
  if (const auto found = shard.index.find(digest); found != shard.index.end()) {
    found->second->token = std::move(token);
    found->second->validUntil = validUntil;
    shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
    return;
  }
  if (shard.index.size() >= shardCapacity_) {
    shard.index.erase(shard.recency.back().digest);
    shard.recency.pop_back();
  }
  shard.recency.push_front(Entry{digest, std::move(token), validUntil});
  shard.index.emplace(digest, shard.recency.begin());
}

void VerifiedTokenCache::clear() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.index.clear();
    shard.recency.clear();
  }
}

std::size_t VerifiedTokenCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.index.size();
  }
  return total;
}

}  // namespace kubegate::identity::jwt
