#include "mask/card_numbers.h"

#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kubegate::mask::detail {

namespace {

constexpr std::size_t kMinDigits = 13;
constexpr std::size_t kMaxDigits = 19;
constexpr std::size_t kWindow = 64;
// Windows overlap by kMinDigits - 1 bytes, so every stretch of 13 bytes lies whole in one of them.
constexpr std::size_t kWindowStep = kWindow - (kMinDigits - 1);

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isSeparator(char c) { return c == ' ' || c == '-'; }
bool isWordByte(char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

struct WindowMasks {
  std::uint64_t digits = 0;      // bit i: byte i is a digit
  std::uint64_t cardBytes = 0;   // bit i: byte i is a digit, or a separator that may sit between two
};

WindowMasks windowMasks(const char* window) {
  std::uint64_t digits = 0;
  std::uint64_t separators = 0;
#if defined(__SSE2__)
  for (int k = 0; k < 4; ++k) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(window + 16 * k));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8('0' - 1)),
                                        _mm_cmplt_epi8(bytes, _mm_set1_epi8('9' + 1)));
    const __m128i separator = _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(' ')),
                                           _mm_cmpeq_epi8(bytes, _mm_set1_epi8('-')));
    digits |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(digit))} << (16 * k);
    separators |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(separator))} << (16 * k);
  }
#else
  for (std::size_t i = 0; i < kWindow; ++i) {
    digits |= std::uint64_t{isDigit(window[i])} << i;
    separators |= std::uint64_t{isSeparator(window[i])} << i;
  }
#endif
  // What lies outside the window is unknown: count it as a digit; the bytes are checked anyway.
  const std::uint64_t digitBefore = (digits << 1) | 1;
  const std::uint64_t digitAfter = (digits >> 1) | (std::uint64_t{1} << 63);
  return {digits, digits | (separators & digitBefore & digitAfter)};
}

// Bit i: bits i..i+12 of `mask` are all set.
std::uint64_t thirteenInARow(std::uint64_t mask) {
  std::uint64_t eight = mask & (mask >> 1);
  eight &= eight >> 2;
  eight &= eight >> 4;
  return eight & (eight >> 5);
}

bool luhnValid(std::string_view text, std::size_t begin, std::size_t end) {
  unsigned sum = 0;
  bool doubled = false;
  for (std::size_t i = end; i-- > begin;) {
    if (!isDigit(text[i])) continue;
    unsigned digit = static_cast<unsigned>(text[i] - '0');
    if (doubled) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

// A card number must not be part of a word, a hex string or a decimal fraction.
bool standsAlone(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin > 0) {
    const char before = text[begin - 1];
    if (isWordByte(before) || (before == '.' && begin >= 2 && isDigit(text[begin - 2]))) return false;
  }
  if (end < text.size()) {
    const char after = text[end];
    if (isWordByte(after) || (after == '.' && end + 1 < text.size() && isDigit(text[end + 1]))) return false;
  }
  return true;
}

struct Finder {
  std::string_view text;
  std::vector<Range>& found;
  bool stopAtFirst;
  std::size_t judgedUpTo = 0;  // runs ending here or before were already judged
  bool any = false;

  // Within a run of digit groups, masks every stretch of whole groups that holds 13-19 digits and
  // passes the Luhn check. A card written after a date (`2024-01-15 4111 1111 1111 1111`) is still
  // found; a date stretch that happens to pass as well is masked with it, erring on the safe side.
  void judgeGroups(std::size_t runBegin, std::size_t runEnd) {
    for (std::size_t groupBegin = runBegin; groupBegin < runEnd;) {
      std::size_t digits = 0;
      for (std::size_t at = groupBegin; at < runEnd;) {
        std::size_t groupEnd = at;
        while (groupEnd < runEnd && isDigit(text[groupEnd])) ++groupEnd;
        digits += groupEnd - at;
        if (digits > kMaxDigits) break;
        if (digits >= kMinDigits && luhnValid(text, groupBegin, groupEnd)) {
          found.push_back(Range{groupBegin, groupEnd});
          any = true;
          if (stopAtFirst) return;
        }
        at = groupEnd + 1;
      }
      while (groupBegin < runEnd && isDigit(text[groupBegin])) ++groupBegin;
      ++groupBegin;
    }
  }

  // Judges the whole run of digits joined by single separators around `at`.
  void judgeRunAround(std::size_t at) {
    if (!isDigit(text[at])) {
      if (at + 1 >= text.size() || !isDigit(text[at + 1])) return;
      ++at;
    }
    std::size_t begin = at;
    while (begin > 0) {
      if (isDigit(text[begin - 1])) {
        --begin;
      } else if (begin >= 2 && isSeparator(text[begin - 1]) && isDigit(text[begin - 2])) {
        begin -= 2;
      } else {
        break;
      }
    }
    std::size_t end = at + 1;
    while (end < text.size()) {
      if (isDigit(text[end])) {
        ++end;
      } else if (end + 1 < text.size() && isSeparator(text[end]) && isDigit(text[end + 1])) {
        end += 2;
      } else {
        break;
      }
    }
    judgedUpTo = end;
    if (standsAlone(text, begin, end)) judgeGroups(begin, end);
  }

  void scanWindow(std::size_t windowBegin, const char* window) {
    const WindowMasks masks = windowMasks(window);
    std::uint64_t starts = thirteenInARow(masks.cardBytes);
    while (starts != 0 && !(any && stopAtFirst)) {
      const unsigned first = static_cast<unsigned>(std::countr_zero(starts));
      const std::uint64_t fromFirst = masks.cardBytes >> first;
      const unsigned runLength = fromFirst == ~std::uint64_t{0} ? 64 - first : std::countr_one(fromFirst);
      const std::uint64_t run = (runLength >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << runLength) - 1) << first;
      const bool wholeInWindow = first > 0 && first + runLength < kWindow;
      // Most runs (`2024-11-29 17`) are ruled out by their digit count without leaving the masks.
      if (windowBegin + first >= judgedUpTo &&
          (!wholeInWindow || static_cast<std::size_t>(std::popcount(masks.digits & run)) >= kMinDigits)) {
        judgeRunAround(windowBegin + first);
      }
      starts &= ~run;
      if (judgedUpTo > windowBegin) {
        const std::size_t judged = judgedUpTo - windowBegin;
        starts &= judged >= kWindow ? 0 : ~std::uint64_t{0} << judged;
      }
    }
  }
};

}  // namespace

bool findCardNumbers(std::string_view text, std::vector<Range>& found, bool stopAtFirst) {
  Finder finder{text, found, stopAtFirst};
  for (std::size_t windowBegin = 0; windowBegin + kMinDigits <= text.size() && !(finder.any && stopAtFirst);
       windowBegin += kWindowStep) {
    if (text.size() - windowBegin >= kWindow) {
      finder.scanWindow(windowBegin, text.data() + windowBegin);
    } else {
      char padded[kWindow] = {};
      std::memcpy(padded, text.data() + windowBegin, text.size() - windowBegin);
      finder.scanWindow(windowBegin, padded);
    }
  }
  return finder.any;
}

}  // namespace kubegate::mask::detail
