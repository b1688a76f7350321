// Glob patterns for policy names (users, namespaces, resource names, URLs): `*` stands for any run
// of characters, `/` included, and `?` for exactly one. Nothing else is special, and brackets,
// braces and backslashes are refused, so an operator never writes a pattern that means more than
// it seems to. Matching never allocates: it runs on every request, for every candidate rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubegate::policy {

class Glob {
 public:
  // The glob, or nothing with `why` set when the pattern uses syntax globs here do not have.
  static std::optional<Glob> parse(std::string_view pattern, std::string& why);

  bool matches(std::string_view text) const;
  // Whether every text `other` matches is matched by this one too. Conservative: false when it
  // cannot tell (two different wildcard patterns), which lint reads as "not shadowed".
  bool covers(const Glob& other) const;

  const std::string& pattern() const { return pattern_; }
  bool isLiteral() const { return literal_; }
  bool matchesEverything() const { return pattern_ == "*"; }

 private:
  std::string pattern_;
  bool literal_ = true;
};

// A list of globs as a rule field has them: absent (matches anything) or one of the globs.
class GlobList {
 public:
  GlobList() = default;
  explicit GlobList(std::vector<Glob> globs) : globs_(std::move(globs)), present_(true) {}

  bool present() const { return present_; }
  bool matches(std::string_view text) const;
  // Whether this list matches at least everything `other` matches (absent covers everything).
  bool covers(const GlobList& other) const;
  const std::vector<Glob>& globs() const { return globs_; }

 private:
  std::vector<Glob> globs_;
  bool present_ = false;
};

}  // namespace kubegate::policy
