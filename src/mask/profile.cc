#include "mask/profile.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "mask/detectors.h"

namespace kubegate::mask {

namespace {

char lowered(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `*` matches any run (empty included); every other character matches itself, ignoring ASCII
// case. Backtracks only to the last star, so a name is walked at most once per star.
bool globMatches(std::string_view glob, std::string_view name) {
  std::size_t g = 0;
  std::size_t n = 0;
  std::size_t starAt = std::string_view::npos;
  std::size_t resumeAt = 0;
  while (n < name.size()) {
    if (g < glob.size() && glob[g] == '*') {
      starAt = g++;
      resumeAt = n;
    } else if (g < glob.size() && lowered(glob[g]) == lowered(name[n])) {
      ++g;
      ++n;
    } else if (starAt != std::string_view::npos) {
      g = starAt + 1;
      n = ++resumeAt;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool anyGlobMatches(const std::vector<std::string>& globs, std::string_view name) {
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) { return globMatches(glob, name); });
}

// Env var names and ConfigMap keys are made of these; anything else in a glob (`?`, `[`, a
// regex) would silently never match, so it is refused instead.
void checkGlobs(const std::vector<std::string>& globs, std::string_view field) {
  for (const std::string& glob : globs) {
    const bool wellFormed = !glob.empty() && std::all_of(glob.begin(), glob.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
             c == '.' || c == '*';
    });
    if (!wellFormed) {
      throw std::invalid_argument(std::string(field) + ": malformed glob \"" + glob +
                                  "\" (letters, digits, '-', '_', '.' and '*' only)");
    }
  }
}

// Profiles that ask for the same detectors share one compiled database.
std::string detectorsKey(const ProfileSpec& spec) {
  std::vector<std::string> names(spec.detectors.begin(), spec.detectors.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string key;
  for (const std::string& name : names) key.append(name).push_back('\0');
  key.push_back('\1');
  for (const PatternSpec& pattern : spec.patterns) key.append(pattern.name).push_back('\0');
  key.push_back('\1');
  for (const PatternSpec& pattern : spec.patterns) key.append(pattern.regex).push_back('\0');
  return key;
}

}  // namespace

const std::vector<std::string_view>& builtinDetectorNames() {
  static const std::vector<std::string_view> names = {
      "aws-access-key", "aws-secret-key", "pem-private-key", "jwt",           "github-token",
      "gitlab-token",   "slack-token",    "stripe-key",      "password-pair", "connection-string-credentials",
      "card-number"};
  return names;
}

bool Profile::envNameMasked(std::string_view envName) const { return anyGlobMatches(spec_.envNames, envName); }

bool Profile::configMapKeyMasked(std::string_view key) const { return anyGlobMatches(spec_.configMapKeys, key); }

bool Profile::revealsEverything() const {
  return !spec_.secretValues && !spec_.lastAppliedConfiguration && spec_.envNames.empty() &&
         spec_.configMapKeys.empty() && detectors_ == nullptr;
}

std::shared_ptr<const ProfileSet> ProfileSet::compile(const std::map<std::string, ProfileSpec>& specs,
                                                      std::string defaultProfile) {
  auto set = std::make_shared<ProfileSet>();
  std::map<std::string, std::shared_ptr<const Detectors>> compiledDetectors;
  auto add = [&](const std::string& name, const ProfileSpec& spec) {
    Profile profile;
    profile.name_ = name;
    profile.spec_ = spec;
    try {
      checkGlobs(spec.envNames, "envNames");
      checkGlobs(spec.configMapKeys, "configMapKeys");
      const std::string key = detectorsKey(spec);
      auto cached = compiledDetectors.find(key);
      if (cached == compiledDetectors.end()) {
        cached = compiledDetectors.emplace(key, Detectors::compile(spec.detectors, spec.patterns)).first;
      }
      profile.detectors_ = cached->second;
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("masking.profiles." + name + ": " + e.what());
    }
    set->profiles_.insert_or_assign(name, std::move(profile));
  };
  for (const auto& [name, spec] : specs) add(name, spec);
  if (!set->profiles_.contains("default")) add("default", ProfileSpec{});

  const auto chosen = set->profiles_.find(defaultProfile);
  if (chosen == set->profiles_.end()) {
    throw std::invalid_argument("masking.defaultProfile: unknown profile \"" + defaultProfile + "\"");
  }
  set->defaultProfile_ = &chosen->second;
  return set;
}

const Profile* ProfileSet::find(std::string_view name) const {
  const auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

const Profile& ProfileSet::forDecision(std::string_view maskingProfile) const {
  if (maskingProfile.empty()) return *defaultProfile_;
  const Profile* named = find(maskingProfile);
  // Config validation rejects unknown names, so this only guards against a mismatch between the
  // policy and the masking section: the default profile masks, revealing nothing by accident.
  return named != nullptr ? *named : *defaultProfile_;
}

}  // namespace kubegate::mask
