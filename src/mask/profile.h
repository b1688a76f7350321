// Masking profiles: what a caller may not see. A profile is written in the config (`masking:`
// section, docs/masking.md), compiled once on the control plane into an immutable Profile, and
// chosen per request by the policy rule that allowed it (`maskingProfile:`), else the default.
// The data plane only reads compiled profiles; they never change under a request.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kubegate::mask {

class Detectors;

// A user-defined detector: a Hyperscan-compatible regular expression (PCRE subset, no
// back-references, no look-around) whose matches are masked wherever detectors run.
struct PatternSpec {
  std::string name;
  std::string regex;
};

// One profile as the config writes it. Defaults are the safe ones: everything masked.
struct ProfileSpec {
  bool secretValues = true;               // Secret data/stringData, TokenRequest status.token
  bool lastAppliedConfiguration = true;   // mask inside kubectl's last-applied annotation
  // Case-insensitive globs (`*` any run) on env var names whose literal `value` is masked.
  std::vector<std::string> envNames = {"*PASSWORD*", "*PASSWD*", "*SECRET*", "*TOKEN*", "*API_KEY*",
                                       "*APIKEY*", "*ACCESS_KEY*", "*PRIVATE_KEY*", "*CREDENTIAL*"};
  // Case-insensitive globs on ConfigMap data/binaryData keys whose values are masked.
  std::vector<std::string> configMapKeys = {"*password*", "*secret*", "*token*", "*credential*", "*.pem", "*.key"};
  // Built-in detectors by name (detectors.h lists them); the default is all of them.
  std::vector<std::string> detectors = {"all"};
  std::vector<PatternSpec> patterns;
  bool streams = true;  // run detectors over pods/log and exec/attach output
};

// Names of the built-in detectors, in the order docs/masking.md lists them.
const std::vector<std::string_view>& builtinDetectorNames();

// What replaces a masked value. Fixed, so a masked value's length tells nothing.
inline constexpr std::string_view kMaskedText = "kubegate:masked";
// base64 of kMaskedText: still valid base64, so typed clients keep decoding Secret data.
inline constexpr std::string_view kMaskedBase64 = "a3ViZWdhdGU6bWFza2Vk";

class Profile {
 public:
  const std::string& name() const { return name_; }
  const ProfileSpec& spec() const { return spec_; }
  // Null when the profile runs no detectors.
  const Detectors* detectors() const { return detectors_.get(); }
  bool envNameMasked(std::string_view envName) const;
  bool configMapKeyMasked(std::string_view key) const;
  // A profile that masks nothing at all: responses pass through untouched.
  bool revealsEverything() const;

 private:
  friend class ProfileSet;
  std::string name_;
  ProfileSpec spec_;
  std::shared_ptr<const Detectors> detectors_;
};

// Every profile of the config, compiled. Immutable once built.
class ProfileSet {
 public:
  // Compiles `specs`; throws std::invalid_argument naming the profile and what is wrong (an
  // unknown detector, a pattern Hyperscan refuses, a malformed glob). A set always has a
  // profile named "default"; when `specs` has none, the safe default ProfileSpec is used.
  static std::shared_ptr<const ProfileSet> compile(const std::map<std::string, ProfileSpec>& specs,
                                                   std::string defaultProfile = "default");
  // The named profile, or null when the name is unknown.
  const Profile* find(std::string_view name) const;
  // The profile for an allow decision's maskingProfile (empty: the default).
  const Profile& forDecision(std::string_view maskingProfile) const;
  const Profile& defaultProfile() const { return *defaultProfile_; }

 private:
  std::map<std::string, Profile, std::less<>> profiles_;
  const Profile* defaultProfile_ = nullptr;
};

}  // namespace kubegate::mask
