// Base64url (RFC 4648 §5) exactly as JWS compact serialization uses it (RFC 7515 §2): the URL-safe
// alphabet, no padding, no whitespace, and canonical final bits. A decoder that tolerated any of
// those would let one token have several spellings, which defeats caches and replay detection keyed
// on the token and hides parser differentials (shared/notes/security.md §1.3, catalogue A16).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kubegate::identity::jwt {

// Decodes strict base64url. Nothing when the input has a byte outside [A-Za-z0-9_-] ('=' and
// whitespace included), a length that no encoding produces (4k+1), or non-zero unused bits in the
// last character (so every byte string has exactly one accepted encoding).
std::optional<std::string> decodeBase64Url(std::string_view encoded);

// Encodes without padding.
std::string encodeBase64Url(std::string_view bytes);

}  // namespace kubegate::identity::jwt
