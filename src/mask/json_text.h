// JSON string contents as the streaming masker handles them: found in bulk, decoded only when a
// value must be inspected, encoded again only when it is replaced.
#pragma once

#include <emmintrin.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace kubegate::mask {

// Index of the first '"', '\\' or control character in text[i, n), or `n`; 32 bytes per step.
// Inline: it runs once per string value, most of them short.
inline std::size_t findJsonStringSpecial(const char* text, std::size_t i, std::size_t n) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i lastControl = _mm_set1_epi8(0x1F);
  auto specials = [&](std::size_t at) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, lastControl), bytes);
    return _mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), control));
  };
  for (; i + 32 <= n; i += 32) {
    const unsigned bits = static_cast<unsigned>(specials(i)) | static_cast<unsigned>(specials(i + 16)) << 16;
    if (bits) {
      return i + static_cast<std::size_t>(__builtin_ctz(bits));
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\' || c < 0x20) {
      return i;
    }
  }
  return n;
}

// The value of a hex digit, or -1.
int jsonHexDigitValue(char c);

// Decodes string contents (between the quotes) whose escapes are already known to be complete and
// well formed. A lone surrogate becomes U+FFFD, as Go's decoder does.
void unescapeJsonString(std::string_view raw, std::string& out);

// Appends `text` as JSON string contents (without quotes): quote, backslash and control characters
// escaped, everything else as is.
void appendJsonEscaped(std::string_view text, std::string& out);

}  // namespace kubegate::mask
