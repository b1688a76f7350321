#include "audit/merkle.h"

#include <openssl/evp.h>

#include <bit>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "audit/compression.h"
#include "net/byte_order.h"

namespace kubegate::audit {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One context per thread: the writer hashes every entry, and EVP_MD_CTX_new per hash would cost an
// allocation each time.
EVP_MD_CTX* threadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

Digest sha256Parts(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = threadContext();
  Digest out{};
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(ctx, part.data(), part.size());
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

std::string_view asChars(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

void putString(std::string& out, const std::string& s) {
  net::appendBigEndian<4>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Digest sha256(std::string_view bytes) { return sha256Parts({bytes}); }

Digest hashLeaf(std::string_view leafInput) { return sha256Parts({std::string_view("\0", 1), leafInput}); }

Digest hashChildren(const Digest& left, const Digest& right) {
  return sha256Parts({std::string_view("\1", 1), asChars(left), asChars(right)});
}

Digest emptyTreeRoot() { return sha256({}); }

namespace {

// Everything but the attachment's part, shared by both formats.
std::string leafInputBeforeAttachment(std::uint64_t seq, const Entry& entry) {
  const EntryIndex& ix = entry.index;
  std::string out;
  out.reserve(8 + 1 + 8 + 40 + ix.requestId.size() + ix.sessionId.size() + ix.username.size() + ix.subject.size() +
              ix.cluster.size() + ix.namespace_.size() + ix.resource.size() + ix.verb.size() + ix.decision.size() +
              ix.approvalId.size() + 4 + 32 + 41);
  net::appendBigEndian<8>(out, seq);
  out.push_back(static_cast<char>(entry.kind));
  net::appendBigEndian<8>(out, static_cast<std::uint64_t>(entry.timeMicros));
  for (const std::string* field : {&ix.requestId, &ix.sessionId, &ix.username, &ix.subject, &ix.cluster,
                                   &ix.namespace_, &ix.resource, &ix.verb, &ix.decision, &ix.approvalId}) {
    putString(out, *field);
  }
  net::appendBigEndian<4>(out, static_cast<std::uint32_t>(ix.status));
  out += asChars(sha256(entry.document));
  return out;
}

// Everything before the attachment's part has a fixed width or a length prefix, so the bytes parse
// one way only, and format 2 carries nine bytes after the digest where format 1 ends: no leaf input
// reads as the other format, so a sealed attachment cannot be passed off as a raw one of equal hash.
constexpr char kLeafFormat2 = '\x02';

}  // namespace

std::string leafInput(std::uint64_t seq, const Entry& entry) {
  std::string out = leafInputBeforeAttachment(seq, entry);
  out += asChars(sha256(entry.attachment));
  return out;
}

Digest entryLeafHash(std::uint64_t seq, const Entry& entry) { return hashLeaf(leafInput(seq, entry)); }

std::string leafInput(const StoredEntry& stored) {
  if (!isSealedAttachment(stored.storedAttachment)) return leafInput(stored.seq, stored.entry);
  std::string out = leafInputBeforeAttachment(stored.seq, stored.entry);
  out += asChars(sha256(stored.storedAttachment));
  net::appendBigEndian<8>(out, stored.attachmentSize);
  out.push_back(kLeafFormat2);
  return out;
}

Digest entryLeafHash(const StoredEntry& stored) { return hashLeaf(leafInput(stored)); }

StoreResult<void> sealEntry(StoredEntry& stored) {
  stored.storedAttachment.clear();
  stored.attachmentSize = stored.entry.attachment.size();
  if (!stored.entry.attachment.empty()) {
    auto sealed = sealAttachment(stored.entry.attachment);
    if (!sealed) return sealed.error();
    stored.storedAttachment = std::move(*sealed);
  }
  stored.leafHash = entryLeafHash(stored);
  return {};
}

std::string toHex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::optional<Digest> digestFromHex(std::string_view hex) {
  Digest out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hexValue(hex[2 * i]), lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

std::optional<Digest> digestFromBytes(std::string_view bytes) {
  Digest out{};
  if (bytes.size() != out.size()) return std::nullopt;
  std::memcpy(out.data(), bytes.data(), out.size());
  return out;
}

std::optional<MerkleFrontier> MerkleFrontier::fromRoots(std::uint64_t size, std::vector<Digest> roots) {
  if (roots.size() != static_cast<std::size_t>(std::popcount(size))) return std::nullopt;
  MerkleFrontier frontier;
  frontier.size_ = size;
  frontier.roots_ = std::move(roots);
  return frontier;
}

void MerkleFrontier::append(const Digest& leafHash) {
  roots_.push_back(leafHash);
  // Each trailing one bit of the old size is a perfect subtree of the new leaf's height: merge them.
  for (std::uint64_t n = size_; n & 1; n >>= 1) {
    Digest right = roots_.back();
    roots_.pop_back();
    roots_.back() = hashChildren(roots_.back(), right);
  }
  ++size_;
}

Digest MerkleFrontier::root() const {
  if (roots_.empty()) return emptyTreeRoot();
  // RFC 6962 splits at the largest power of two below n, so the smaller subtrees nest on the right.
  Digest acc = roots_.back();
  for (std::size_t i = roots_.size() - 1; i-- > 0;) acc = hashChildren(roots_[i], acc);
  return acc;
}

}  // namespace kubegate::audit
