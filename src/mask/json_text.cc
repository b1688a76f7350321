// JSON string text: the bulk scan the masker's tokenizer runs over string contents, and the
// decoding and encoding of string contents it needs when a value is inspected or replaced.
#include "mask/json_text.h"

#include <cstdint>

namespace kubegate::mask {

int jsonHexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

namespace {

void appendUtf8(std::uint32_t codePoint, std::string& out) {
  if (codePoint < 0x80) {
    out += static_cast<char>(codePoint);
  } else if (codePoint < 0x800) {
    out += static_cast<char>(0xC0 | codePoint >> 6);
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  } else if (codePoint < 0x10000) {
    out += static_cast<char>(0xE0 | codePoint >> 12);
    out += static_cast<char>(0x80 | (codePoint >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | codePoint >> 18);
    out += static_cast<char>(0x80 | (codePoint >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (codePoint >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  }
}

std::uint32_t readHex4(std::string_view text) {
  std::uint32_t value = 0;
  for (char c : text.substr(0, 4)) {
    value = value << 4 | static_cast<std::uint32_t>(jsonHexDigitValue(c));
  }
  return value;
}

}  // namespace

void unescapeJsonString(std::string_view raw, std::string& out) {
  out.clear();
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::size_t backslash = raw.find('\\', i);
    if (backslash == std::string_view::npos) {
      out.append(raw.substr(i));
      return;
    }
    out.append(raw.substr(i, backslash - i));
    i = backslash + 1;
    const char escaped = raw[i];
    switch (escaped) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t codePoint = readHex4(raw.substr(i + 1));
        i += 4;
        if (codePoint >= 0xD800 && codePoint < 0xDC00) {
          const bool pairFollows = i + 6 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u';
          const std::uint32_t low = pairFollows ? readHex4(raw.substr(i + 3)) : 0;
          if (low >= 0xDC00 && low < 0xE000) {
            codePoint = 0x10000 + ((codePoint - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            codePoint = 0xFFFD;
          }
        } else if (codePoint >= 0xDC00 && codePoint < 0xE000) {
          codePoint = 0xFFFD;
        }
        appendUtf8(codePoint, out);
        break;
      }
      default: out += escaped; break;  // '"', '\\', '/'
    }
  }
}

void appendJsonEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0;; ++i) {
    const std::size_t special = findJsonStringSpecial(text.data(), i, text.size());
    out.append(text.substr(i, special - i));
    if (special == text.size()) {
      return;
    }
    i = special;
    const char c = text[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
}

}  // namespace kubegate::mask
