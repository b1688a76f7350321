// Standard base64 (RFC 4648 section 4, padded): Basic credentials, kubeconfig data fields, tree-head
// signatures, exact bytes in recordings. One codec for all of them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kubegate {

std::string encodeBase64(std::string_view bytes);
// Strict: padded standard alphabet only; nothing for anything else (no whitespace, no url alphabet).
std::optional<std::string> decodeBase64(std::string_view text);
// RFC 4648 section 5 (url alphabet '-' '_'), no padding: the encoding EKS tokens and JWTs use.
std::string encodeBase64Url(std::string_view bytes);

}  // namespace kubegate
