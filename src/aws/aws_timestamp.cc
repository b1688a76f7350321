#include "aws/aws_timestamp.h"

namespace kubegate::aws {
namespace {

bool readDigits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// Offset in minutes east of UTC from `Z`, `+HH:MM`, `+HHMM` (and the same with `-`).
std::optional<int> readOffset(std::string_view zone) {
  if (zone == "Z" || zone == "z") return 0;
  if (zone.size() != 6 && zone.size() != 5) return std::nullopt;
  if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
  int hours = 0, minutes = 0;
  if (!readDigits(zone, 1, 2, hours)) return std::nullopt;
  const std::size_t minutePos = zone.size() == 6 ? 4 : 3;
  if (zone.size() == 6 && zone[3] != ':') return std::nullopt;
  if (!readDigits(zone, minutePos, 2, minutes) || hours > 23 || minutes > 59) return std::nullopt;
  const int total = hours * 60 + minutes;
  return zone[0] == '-' ? -total : total;
}

}  // namespace

std::optional<Clock::time_point> parseAwsTimestamp(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20) return std::nullopt;
  if (!readDigits(text, 0, 4, year) || text[4] != '-' || !readDigits(text, 5, 2, month) || text[7] != '-' ||
      !readDigits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') || !readDigits(text, 11, 2, hour) ||
      text[13] != ':' || !readDigits(text, 14, 2, minute) || text[16] != ':' || !readDigits(text, 17, 2, second))
    return std::nullopt;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;  // sub-second precision is irrelevant for expiry; dropped
  }
  auto offset = readOffset(text.substr(pos));
  if (!offset) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  const auto utc = std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
                   std::chrono::seconds{second} - std::chrono::minutes{*offset};
  return std::chrono::time_point_cast<Clock::duration>(utc);
}

}  // namespace kubegate::aws
