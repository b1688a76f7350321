#include "admin/json_log.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kubegate::admin {
namespace {

TEST(JsonLogTest, AHostileValueStaysInsideItsField) {
  const std::string user = "eve\",\"status\":200,\"x\":\"\n\\";
  const auto line = fmt::format(R"({{"user":"{}","status":403}})", JsonText{user});
  const auto parsed = boost::json::parse(line).as_object();
  EXPECT_EQ(parsed.at("user").as_string(), user);
  EXPECT_EQ(parsed.at("status").as_int64(), 403);
  EXPECT_EQ(parsed.size(), 2u);
}

TEST(JsonLogTest, ControlCharactersAreEscaped) {
  const auto line = fmt::format(R"({{"v":"{}"}})", JsonText{std::string_view("a\x01\x7f" "b", 4)});
  EXPECT_EQ(line, R"({"v":"a\u0001\u007fb"})");
}

}  // namespace
}  // namespace kubegate::admin
