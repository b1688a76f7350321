// Policy::lint: rules that can never decide a request. Conservative: a rule is reported only when
// another provably matches every request it matches (conditions on the object are not compared).
#include "policy/policy.h"

namespace kubegate::policy {
namespace {

int strength(Effect e) { return e == Effect::deny ? 3 : e == Effect::review ? 2 : 1; }

bool verbsCover(const Rule& a, const Rule& b) {
  if (a.verbs.empty()) return true;
  if (b.verbs.empty()) return false;
  for (const auto& v : b.verbs) {
    bool listed = false;
    for (const auto& mine : a.verbs) listed = listed || mine == v;
    if (!listed) return false;
  }
  return true;
}

bool resourcesCover(const Rule& a, const Rule& b) {
  if (a.resources.empty()) return true;
  if (b.resources.empty()) return false;
  for (const auto& theirs : b.resources) {
    bool covered = false;
    for (const auto& mine : a.resources) covered = covered || mine.covers(theirs);
    if (!covered) return false;
  }
  return true;
}

// Whether `a` matches every request `b` matches.
bool covers(const Rule& a, const Rule& b) {
  if (a.needsObject()) return false;
  if (b.appliesToResourceRequests() && !a.appliesToResourceRequests()) return false;
  if (b.appliesToNonResourceRequests() && !a.appliesToNonResourceRequests()) return false;
  return a.users.covers(b.users) && a.groups.covers(b.groups) && a.issuers.covers(b.issuers) &&
         a.purposes.covers(b.purposes) && a.clusters.covers(b.clusters) && verbsCover(a, b) &&
         a.apiGroups.covers(b.apiGroups) && resourcesCover(a, b) && a.namespaces.covers(b.namespaces) &&
         a.names.covers(b.names) && a.nonResourceURLs.covers(b.nonResourceURLs);
}

}  // namespace

std::vector<Diagnostic> Policy::lint() const {
  std::vector<Diagnostic> out;
  for (std::size_t b = 0; b < rules_.size(); ++b) {
    for (std::size_t a = 0; a < rules_.size(); ++a) {
      if (a == b) continue;
      const Rule& earlier = rules_[a];
      const Rule& later = rules_[b];
      const bool outranks = strength(earlier.effect) > strength(later.effect) ||
                            (strength(earlier.effect) == strength(later.effect) && a < b);
      if (!outranks || !covers(earlier, later)) continue;
      out.push_back({later.line, "rule " + later.id,
                     "is shadowed by rule " + earlier.id + " (line " + std::to_string(earlier.line) + ", effect " +
                         std::string(toString(earlier.effect)) + "), which matches every request it matches, so it never decides"});
      break;
    }
  }
  return out;
}

}  // namespace kubegate::policy
