// The digest an approval is bound to: SHA-256 over the exact request as the gateway would forward
// it (requester, cluster, method, canonical path and re-encoded query, body), each field
// length-prefixed so no two different requests can share an encoding. Changing any byte of the
// body, the query or the target after approval needs a new approval.
#pragma once

#include <string>
#include <string_view>

namespace kubegate::approvals {

struct RequestIdentityForDigest {
  std::string_view issuer;
  std::string_view subject;
};

// Lowercase hex.
std::string requestDigest(RequestIdentityForDigest who, std::string_view cluster, std::string_view method,
                          std::string_view path, std::string_view canonicalQuery, std::string_view body);

}  // namespace kubegate::approvals
