#include "policy/glob.h"

namespace kubegate::policy {

std::optional<Glob> Glob::parse(std::string_view pattern, std::string& why) {
  for (char c : pattern) {
    if (c == '[' || c == ']' || c == '{' || c == '}' || c == '\\') {
      why = "'" + std::string(pattern) + "' uses '" + c + "': only * and ? are wildcards here";
      return std::nullopt;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      why = "'" + std::string(pattern) + "' contains a control character";
      return std::nullopt;
    }
  }
  Glob g;
  g.pattern_ = std::string(pattern);
  g.literal_ = pattern.find_first_of("*?") == std::string_view::npos;
  return g;
}

bool Glob::matches(std::string_view text) const {
  if (literal_) return text == pattern_;
  const std::string_view p = pattern_;
  std::size_t pi = 0, ti = 0;
  std::size_t starAt = std::string_view::npos, resumeAt = 0;
  // Greedy with one backtrack point: a later `*` supersedes an earlier one, so this is linear in
  // practice and quadratic at worst, with no recursion and no allocation.
  while (ti < text.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == text[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      starAt = pi++;
      resumeAt = ti;
    } else if (starAt != std::string_view::npos) {
      pi = starAt + 1;
      ti = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool Glob::covers(const Glob& other) const {
  if (matchesEverything()) return true;
  if (other.literal_) return matches(other.pattern_);
  return pattern_ == other.pattern_;
}

bool GlobList::matches(std::string_view text) const {
  if (!present_) return true;
  for (const auto& g : globs_) {
    if (g.matches(text)) return true;
  }
  return false;
}

bool GlobList::covers(const GlobList& other) const {
  if (!present_) return true;
  if (!other.present_) return false;
  for (const auto& theirs : other.globs_) {
    bool covered = false;
    for (const auto& mine : globs_) covered = covered || mine.covers(theirs);
    if (!covered) return false;
  }
  return true;
}

}  // namespace kubegate::policy
