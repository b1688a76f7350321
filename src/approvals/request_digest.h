// The digest an approval is bound to: SHA-256 over the exact request as the gateway would forward
// it (requester, cluster, method, canonical path and re-encoded query, body), each field
// length-prefixed so no two different requests can share an encoding. Changing any byte of the
// body, the query or the target after approval needs a new approval.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kubegate::approvals {

struct RequestIdentityForDigest {
  std::string_view issuer;
  std::string_view subject;
};

// What a caller refuses with when there is no digest.
inline constexpr std::string_view kDigestUnavailable =
    "kubegate cannot compute the request's SHA-256 digest, so it cannot bind the request to an approval; retry later";

// Lowercase hex; none when OpenSSL cannot hash (out of memory, no SHA-256 provider): no request can
// be bound to an approval then, and the caller refuses rather than bind to a digest of nothing.
std::optional<std::string> requestDigest(RequestIdentityForDigest who, std::string_view cluster, std::string_view method,
                          std::string_view path, std::string_view canonicalQuery, std::string_view body);

}  // namespace kubegate::approvals
