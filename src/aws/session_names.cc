#include "aws/session_names.h"

#include <cctype>

#include "aws/sigv4.h"

namespace kubegate::aws {
namespace {

constexpr std::string_view kPrefix = "kg-";
constexpr std::size_t kHashChars = 12;  // 48 bits: collisions need ~16 million subjects sharing a prefix
constexpr std::size_t kMaxLength = 64;  // STS limit for both RoleSessionName and SourceIdentity
constexpr std::size_t kMaxReadable = kMaxLength - kPrefix.size() - 1 - kHashChars;

// Length-prefixed so that ("ab", "c") and ("a", "bc") hash differently.
std::string identityHash(std::string_view issuer, std::string_view subject) {
  const std::string input = std::to_string(issuer.size()) + ":" + std::string(issuer) + std::string(subject);
  return sha256Hex(input).substr(0, kHashChars);
}

// Characters STS allows pass; anything else (':', '/', spaces, each byte of a multi-byte character)
// becomes '-'; runs of '-' shrink to one, and none is left at either end.
std::string readablePart(std::string_view subject, bool keepAt) {
  std::string out;
  for (const char c : subject) {
    const auto u = static_cast<unsigned char>(c);
    const bool allowed = u < 0x80 && (std::isalnum(u) || std::string_view("_+=,.-").find(c) != std::string_view::npos ||
                                      (keepAt && c == '@'));
    const char next = allowed ? c : '-';
    if (next == '-' && (out.empty() || out.back() == '-')) continue;
    out.push_back(next);
    if (out.size() >= kMaxReadable) break;
  }
  out.resize(std::min(out.size(), kMaxReadable));
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string derivedName(std::string_view issuer, std::string_view subject, bool keepAt) {
  const std::string readable = readablePart(subject, keepAt);
  std::string name(kPrefix);
  if (!readable.empty()) name += readable + "-";
  return name + identityHash(issuer, subject);
}

}  // namespace

std::string roleSessionNameFor(std::string_view issuer, std::string_view subject) {
  return derivedName(issuer, subject, false);
}

std::string sourceIdentityFor(std::string_view issuer, std::string_view subject) {
  return derivedName(issuer, subject, true);
}

}  // namespace kubegate::aws
