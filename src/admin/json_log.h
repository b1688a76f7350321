// Values that go into the gateway's JSON log lines. Anything a client or an IdP chose (a user name,
// an object name, a path) is written through JsonText, so a quote or a newline in it cannot end
// the field early and forge the rest of the line.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace kubegate::admin {

struct JsonText {
  std::string_view text;
};

}  // namespace kubegate::admin

template <>
struct fmt::formatter<kubegate::admin::JsonText> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const kubegate::admin::JsonText& value, FormatContext& ctx) const {
    auto out = ctx.out();
    for (const char ch : value.text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        *out++ = '\\';
        *out++ = ch;
      } else if (c < 0x20 || c == 0x7f) {
        out = fmt::format_to(out, "\\u{:04x}", c);
      } else {
        *out++ = ch;
      }
    }
    return out;
  }
};
