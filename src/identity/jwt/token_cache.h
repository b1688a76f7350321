// Verified tokens remembered by digest, so an agent's every request does not pay for a signature
// check. A hit needs one SHA-256 of the token and one uncontended lock (well under 2 µs).
//
// Why it is safe: the key is SHA-256 of the exact token bytes, and the strict verifier accepts
// exactly one spelling of a token (strict base64url), so a hit is the same token that was verified.
// An entry is dropped at the token's `exp` (no skew: the cache is never more lenient than the
// verifier) or after maxEntryAge, whichever comes first, so a key withdrawn from the JWK Set or a
// changed policy stops being honoured within maxEntryAge even without clear(). Callers clear() when
// an issuer's configuration or key set changes.
//
// Thread-safe: entries are spread over independently locked shards by digest; each shard is an LRU
// bounded to its share of the capacity.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "identity/jwt/verifier.h"

namespace kubegate::identity::jwt {

using TokenDigest = std::array<unsigned char, 32>;

// SHA-256 of the token bytes.
TokenDigest digestToken(std::string_view token);

class VerifiedTokenCache {
 public:
  struct Options {
    std::size_t capacity = 65536;
    std::chrono::seconds maxEntryAge{300};
  };

  VerifiedTokenCache() : VerifiedTokenCache(Options{}) {}
  explicit VerifiedTokenCache(Options options);
  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  // The verified token for this digest if it is cached and still valid at `now`.
  std::shared_ptr<const VerifiedToken> find(const TokenDigest& digest, std::chrono::system_clock::time_point now);
  std::shared_ptr<const VerifiedToken> find(std::string_view token, std::chrono::system_clock::time_point now) {
    return find(digestToken(token), now);
  }

  // Remembers a token that verifyToken accepted. Tokens already expired at `now` are not kept.
  void insert(const TokenDigest& digest, std::shared_ptr<const VerifiedToken> token,
              std::chrono::system_clock::time_point now);

  void clear();
  std::size_t size() const;

 private:
  static constexpr std::size_t kShards = 16;

  struct DigestHash {
    std::size_t operator()(const TokenDigest& digest) const;
  };
  struct Entry {
    TokenDigest digest;
    std::shared_ptr<const VerifiedToken> token;
    std::chrono::system_clock::time_point validUntil;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> recency;  // most recently used first
    std::unordered_map<TokenDigest, std::list<Entry>::iterator, DigestHash> index;
  };

  Shard& shardFor(const TokenDigest& digest) { return shards_[digest[0] % kShards]; }

  Options options_;
  std::size_t shardCapacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace kubegate::identity::jwt
