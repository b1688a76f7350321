// The strict JSON reader behind JOSE headers, claim sets and JWK Sets: exactly RFC 8259, no
// duplicate members, valid UTF-8, no NUL (shared/notes/security.md §1.3).
#include "identity/jwt/json_strict.h"

#include <gtest/gtest.h>

namespace kubegate::identity::jwt {
namespace {

bool parses(std::string_view text) { return static_cast<bool>(parseStrictJson(text)); }

TEST(JwtJson, ReadsEveryKindOfValue) {
  auto doc = parseStrictJson(R"( {"s":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","n":-12,"f":1.5e3,"big":18446744073709551616,)"
                             R"("t":true,"x":false,"z":null,"a":[1,[2,{}]],"o":{"k":"v"}} )");
  ASSERT_TRUE(doc) << doc.error().what;
  EXPECT_EQ(doc->find("s")->string(), "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(doc->find("n")->integer(), -12);
  EXPECT_FALSE(doc->find("f")->integer());
  EXPECT_DOUBLE_EQ(doc->find("f")->number(), 1500);
  EXPECT_FALSE(doc->find("big")->integer());  // too big for int64: only the double
  EXPECT_TRUE(doc->find("t")->boolean());
  EXPECT_TRUE(doc->find("z")->isNull());
  EXPECT_EQ(doc->find("a")->items().size(), 2u);
  EXPECT_EQ(doc->find("o")->find("k")->string(), "v");
  EXPECT_EQ(doc->find("missing"), nullptr);
  EXPECT_EQ(doc->find("s")->find("s"), nullptr);  // not an object
}

TEST(JwtJson, RefusesDuplicateMembersAtAnyDepth) {
  EXPECT_FALSE(parses(R"({"a":1,"a":2})"));
  EXPECT_FALSE(parses(R"({"a":1,"b":{"c":1,"c":1}})"));
  EXPECT_FALSE(parses(R"([{"x":[{"y":1,"y":1}]}])"));
  EXPECT_FALSE(parses(R"({"a":1,"\u0061":2})"));  // the same name, spelt differently
  std::string many = "{";
  for (int i = 0; i < 3000; ++i) many += "\"k" + std::to_string(i) + "\":0,";
  EXPECT_TRUE(parses(many + "\"end\":0}"));
  EXPECT_FALSE(parses(many + "\"k1500\":0}"));
}

TEST(JwtJson, RefusesWhatIsNotJson) {
  for (const char* bad : {"", " ", "{", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\" 1}", "01", "1.", ".5", "1e", "+1", "-",
                          "NaN", "Infinity", "tru", "nulls", "{} {}", "{}x", "\"a\tb\"", "\"\\x\"", "\"\\u12\"",
                          "{\"a\":1}/*c*/", "\xef\xbb\xbf{}", "[1e400]", "[-1e400]"}) {
    EXPECT_FALSE(parses(bad)) << bad;
  }
}

TEST(JwtJson, RefusesInvalidUtf8LoneSurrogatesAndNul) {
  for (const char* bad : {"\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"",
                          "\"\xc3\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\\u0000b\""}) {
    EXPECT_FALSE(parses(bad)) << bad;
  }
  JsonLimits allowNul;
  allowNul.allowNulInStrings = true;
  EXPECT_TRUE(parseStrictJson("\"a\\u0000b\"", allowNul));
}

TEST(JwtJson, LimitsNesting) {
  JsonLimits limits;
  limits.maxDepth = 4;
  EXPECT_TRUE(parseStrictJson("[[[[1]]]]", limits));
  EXPECT_FALSE(parseStrictJson("[[[[[1]]]]]", limits));
  EXPECT_FALSE(parseStrictJson(std::string(100000, '[')));  // no stack overflow: refused at depth 17
}

}  // namespace
}  // namespace kubegate::identity::jwt
