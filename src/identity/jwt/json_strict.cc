#include "identity/jwt/json_strict.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace kubegate::identity::jwt {

const JsonValue* JsonValue::find(std::string_view name) const {
  for (const JsonMember& member : members_) {
    if (member.name == name) return &member.value;
  }
  return nullptr;
}

// Recursive descent over the bytes. Every method either consumes a whole production or returns an
// error; the position only moves forward, so the work is linear in the input.
class JsonReader {
 public:
  JsonReader(std::string_view text, const JsonLimits& limits) : text_(text), limits_(limits) {}

  boost::system::result<JsonValue, JsonError> readDocument() {
    JsonValue root;
    skipWhitespace();
    if (!readValue(root, 0)) return error_;
    skipWhitespace();
    if (pos_ != text_.size()) return JsonError{"trailing content after the JSON value", pos_};
    return root;
  }

 private:
  bool fail(std::string_view what) {
    error_ = JsonError{what, pos_};
    return false;
  }

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skipWhitespace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  bool consumeLiteral(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return fail("invalid literal");
    pos_ += literal.size();
    return true;
  }

  bool readValue(JsonValue& out, std::size_t depth) {
    if (atEnd()) return fail("unexpected end of input");
    switch (peek()) {
      case '{':
        return readObject(out, depth + 1);
      case '[':
        return readArray(out, depth + 1);
      case '"':
        out.type_ = JsonValue::Type::String;
        return readString(out.string_);
      case 't':
        out.type_ = JsonValue::Type::Boolean;
        out.boolean_ = true;
        return consumeLiteral("true");
      case 'f':
        out.type_ = JsonValue::Type::Boolean;
        out.boolean_ = false;
        return consumeLiteral("false");
      case 'n':
        out.type_ = JsonValue::Type::Null;
        return consumeLiteral("null");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return readNumber(out);
        return fail("unexpected character");
    }
  }

  bool readObject(JsonValue& out, std::size_t depth) {
    if (depth > limits_.maxDepth) return fail("nesting too deep");
    out.type_ = JsonValue::Type::Object;
    ++pos_;  // '{'
    skipWhitespace();
    if (!atEnd() && peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skipWhitespace();
      if (atEnd() || peek() != '"') return fail("expected a member name");
      JsonMember member;
      if (!readString(member.name)) return false;
      skipWhitespace();
      if (atEnd() || peek() != ':') return fail("expected ':' after a member name");
      ++pos_;
      skipWhitespace();
      if (!readValue(member.value, depth)) return false;
      out.members_.push_back(std::move(member));
      skipWhitespace();
      if (atEnd()) return fail("unexpected end of input in an object");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        break;
      }
      return fail("expected ',' or '}' in an object");
    }
    return checkUniqueNames(out.members_);
  }

  // Sorting views of the names keeps a hostile object with thousands of members at n log n.
  bool checkUniqueNames(const std::vector<JsonMember>& members) {
    if (members.size() < 2) return true;
    std::vector<std::string_view> names;
    names.reserve(members.size());
    for (const JsonMember& member : members) names.emplace_back(member.name);
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) return fail("duplicate member name");
    return true;
  }

  bool readArray(JsonValue& out, std::size_t depth) {
    if (depth > limits_.maxDepth) return fail("nesting too deep");
    out.type_ = JsonValue::Type::Array;
    ++pos_;  // '['
    skipWhitespace();
    if (!atEnd() && peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skipWhitespace();
      out.items_.emplace_back();
      if (!readValue(out.items_.back(), depth)) return false;
      skipWhitespace();
      if (atEnd()) return fail("unexpected end of input in an array");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  bool readNumber(JsonValue& out) {
    const std::size_t start = pos_;
    bool isInteger = true;
    if (peek() == '-') ++pos_;
    if (atEnd()) return fail("truncated number");
    if (peek() == '0') {
      ++pos_;  // a leading zero stands alone: 01 is not JSON
    } else if (peek() >= '1' && peek() <= '9') {
      while (!atEnd() && peek() >= '0' && peek() <= '9') ++pos_;
    } else {
      return fail("invalid number");
    }
    if (!atEnd() && peek() == '.') {
      isInteger = false;
      ++pos_;
      if (!consumeDigits()) return false;
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      isInteger = false;
      ++pos_;
      if (!atEnd() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!consumeDigits()) return false;
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    out.type_ = JsonValue::Type::Number;
    double value = 0;
    const auto parsed = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (parsed.ec != std::errc() || !std::isfinite(value)) return fail("number out of range");
    out.number_ = value;
    if (isInteger) {
      std::int64_t exact = 0;
      const auto parsedInteger = std::from_chars(literal.data(), literal.data() + literal.size(), exact);
      if (parsedInteger.ec == std::errc()) out.integer_ = exact;
    }
    return true;
  }

  bool consumeDigits() {
    if (atEnd() || peek() < '0' || peek() > '9') return fail("invalid number");
    while (!atEnd() && peek() >= '0' && peek() <= '9') ++pos_;
    return true;
  }

  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool readHex4(std::uint32_t& out) {
    if (text_.size() - pos_ < 4) return fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = hexDigit(text_[pos_ + i]);
      if (digit < 0) return fail("invalid \\u escape");
      out = out * 16 + static_cast<std::uint32_t>(digit);
    }
    pos_ += 4;
    return true;
  }

  static void appendUtf8(std::string& out, std::uint32_t codePoint) {
    if (codePoint < 0x80) {
      out.push_back(static_cast<char>(codePoint));
    } else if (codePoint < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (codePoint >> 6)));
      out.push_back(static_cast<char>(0x80 | (codePoint & 0x3f)));
    } else if (codePoint < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (codePoint >> 12)));
      out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (codePoint & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (codePoint >> 18)));
      out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (codePoint & 0x3f)));
    }
  }

  // After the backslash: one escape, surrogate pairs joined, lone surrogates refused.
  bool readEscape(std::string& out) {
    if (atEnd()) return fail("truncated escape");
    const char c = text_[pos_++];
    switch (c) {
      case '"': out.push_back('"'); return true;
      case '\\': out.push_back('\\'); return true;
      case '/': out.push_back('/'); return true;
      case 'b': out.push_back('\b'); return true;
      case 'f': out.push_back('\f'); return true;
      case 'n': out.push_back('\n'); return true;
      case 'r': out.push_back('\r'); return true;
      case 't': out.push_back('\t'); return true;
      case 'u': break;
      default: return fail("invalid escape");
    }
    std::uint32_t codePoint = 0;
    if (!readHex4(codePoint)) return false;
    if (codePoint >= 0xdc00 && codePoint <= 0xdfff) return fail("lone low surrogate escape");
    if (codePoint >= 0xd800 && codePoint <= 0xdbff) {
      if (text_.substr(pos_, 2) != "\\u") return fail("lone high surrogate escape");
      pos_ += 2;
      std::uint32_t low = 0;
      if (!readHex4(low)) return false;
      if (low < 0xdc00 || low > 0xdfff) return fail("lone high surrogate escape");
      codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (low - 0xdc00);
    }
    if (codePoint == 0 && !limits_.allowNulInStrings) return fail("NUL in a string");
    appendUtf8(out, codePoint);
    return true;
  }

  // One UTF-8 sequence starting at a byte >= 0x80, validated per RFC 3629 table 3-7 (no overlong
  // forms, no surrogates, nothing above U+10FFFF), copied as is.
  bool readUtf8Sequence(std::string& out) {
    const auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(text_[pos_ + i]); };
    const unsigned char lead = byteAt(0);
    std::size_t length = 0;
    unsigned char secondMin = 0x80, secondMax = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) secondMin = 0xa0;  // overlong
      if (lead == 0xed) secondMax = 0x9f;  // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) secondMin = 0x90;  // overlong
      if (lead == 0xf4) secondMax = 0x8f;  // above U+10FFFF
    } else {
      return fail("invalid UTF-8");
    }
    if (text_.size() - pos_ < length) return fail("truncated UTF-8");
    if (byteAt(1) < secondMin || byteAt(1) > secondMax) return fail("invalid UTF-8");
    for (std::size_t i = 2; i < length; ++i) {
      if (byteAt(i) < 0x80 || byteAt(i) > 0xbf) return fail("invalid UTF-8");
    }
    out.append(text_.substr(pos_, length));
    pos_ += length;
    return true;
  }

  bool readString(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (atEnd()) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!readEscape(out)) return false;
      } else if (c < 0x20) {
        return fail("control character in a string");
      } else if (c < 0x80) {
        // Copy the run of plain ASCII at once: most strings are nothing else.
        const std::size_t start = pos_;
        while (!atEnd()) {
          const unsigned char d = static_cast<unsigned char>(peek());
          if (d == '"' || d == '\\' || d < 0x20 || d >= 0x80) break;
          ++pos_;
        }
        out.append(text_.substr(start, pos_ - start));
      } else if (!readUtf8Sequence(out)) {
        return false;
      }
    }
  }

  std::string_view text_;
  const JsonLimits& limits_;
  std::size_t pos_ = 0;
  JsonError error_;
};

boost::system::result<JsonValue, JsonError> parseStrictJson(std::string_view text, const JsonLimits& limits) {
  return JsonReader(text, limits).readDocument();
}

}  // namespace kubegate::identity::jwt
