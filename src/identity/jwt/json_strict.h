// A strict JSON reader for the small documents of token verification: JOSE headers, JWT claim sets
// and JWK Sets. It accepts exactly RFC 8259 and refuses what lets two readers see different
// documents (RFC 8725 §2.6, shared/notes/security.md §1.3):
//   - duplicate member names in any object at any depth (parsers differ on which one wins);
//   - invalid UTF-8 (overlong forms, surrogates, code points above U+10FFFF), lone surrogate escapes,
//     a byte order mark, and \u0000 unless allowed (a NUL truncates when a string reaches a C API);
//   - numbers that do not fit a double (1e400), nesting deeper than a limit, trailing content.
// Why not Boost.JSON or simdjson: Boost 1.81's boost::json::parse silently keeps the last of two
// duplicate members and reads 1e400 as infinity (both checked), and simdjson is not linked into the
// core; a recursive-descent reader of a few hundred lines is easy to audit and decides every one of
// the cases above itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace kubegate::identity::jwt {

struct JsonMember;

class JsonValue {
 public:
  enum class Type { Null, Boolean, Number, String, Array, Object };

  JsonValue() = default;

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::Null; }
  bool isBoolean() const { return type_ == Type::Boolean; }
  bool isNumber() const { return type_ == Type::Number; }
  bool isString() const { return type_ == Type::String; }
  bool isArray() const { return type_ == Type::Array; }
  bool isObject() const { return type_ == Type::Object; }

  bool boolean() const { return boolean_; }
  // Every number as a double (finite: the reader refuses numbers a double cannot hold).
  double number() const { return number_; }
  // The exact value when the literal is an integer (no fraction, no exponent) that fits int64.
  std::optional<std::int64_t> integer() const { return integer_; }
  const std::string& string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  // In document order; names are unique (the reader refuses duplicates).
  const std::vector<JsonMember>& members() const { return members_; }

  // The member with this exact name, or null when this is not an object or has no such member.
  const JsonValue* find(std::string_view name) const;

 private:
  friend class JsonReader;
  Type type_ = Type::Null;
  bool boolean_ = false;
  double number_ = 0;
  std::optional<std::int64_t> integer_;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<JsonMember> members_;
};

struct JsonMember {
  std::string name;
  JsonValue value;
};

struct JsonLimits {
  std::size_t maxDepth = 16;      // nested arrays and objects; a JWKS needs 3, a claim set a few
  bool allowNulInStrings = false;  // \u0000 is refused unless a caller really needs it
};

// Why a document was refused. `what` is always a string literal: it describes the rule, never the
// input, so it is safe to log even when the input was a credential.
struct JsonError {
  std::string_view what;
  std::size_t offset = 0;  // byte offset where reading stopped
};

boost::system::result<JsonValue, JsonError> parseStrictJson(std::string_view text, const JsonLimits& limits = {});

}  // namespace kubegate::identity::jwt
