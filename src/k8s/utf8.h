// UTF-8 as Go's unicode/utf8 judges it (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). The classifier and the body decoders must agree with the server byte for byte on what
// is valid, so there is one definition.
#pragma once

#include <cstddef>
#include <string_view>

namespace kubegate::k8s {

// Length of the valid UTF-8 sequence at s[i] as Go's utf8.DecodeRuneInString judges it, or 0 when
// the byte starts none (Go then yields U+FFFD with width 1).
std::size_t validRuneLength(std::string_view s, std::size_t i);

bool isValidUtf8(std::string_view s);

}  // namespace kubegate::k8s
