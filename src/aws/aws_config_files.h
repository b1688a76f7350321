// ~/.aws/config and ~/.aws/credentials, read the way botocore reads them (Python's configparser in
// RawConfigParser mode, then botocore's profile mapping): `[default]` and `[profile NAME]` in the
// config file, `[NAME]` in the credentials file, whole-line `#`/`;` comments, `=` or `:` between key
// and value, keys case-insensitive (lower-cased), values trimmed, indented lines continuing the
// previous value, `[DEFAULT]` values inherited by every section, duplicate sections or keys refused.
// Values for one profile in the credentials file override the config file's (botocore full_config).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "aws/aws_types.h"

namespace kubegate::aws {

// The process environment as a snapshot taken once at start, so nothing below reads getenv and tests
// never touch the process's own environment.
using Environment = std::map<std::string, std::string>;

// A value from `env`, or nullopt when unset or empty (the SDKs treat an empty variable as unset).
std::optional<std::string> envValue(const Environment& env, const std::string& name);

using ProfileValues = std::map<std::string, std::string>;  // lower-cased key -> trimmed value
using ProfileMap = std::map<std::string, ProfileValues>;   // profile name -> values

enum class AwsFileKind { config, credentials };

// Parses one file's text. `label` (the path) is only used in error messages, which name the line
// number but never its content (the line may hold a secret key).
boost::system::result<ProfileMap, AwsError> parseAwsProfileFile(std::string_view text, AwsFileKind kind,
                                                                std::string_view label);

struct AwsConfigPaths {
  std::string config;       // AWS_CONFIG_FILE, else $HOME/.aws/config
  std::string credentials;  // AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials
};
AwsConfigPaths awsConfigPaths(const Environment& env);

struct AwsConfigFiles {
  ProfileMap config;
  ProfileMap credentials;

  bool hasProfile(const std::string& name) const { return config.count(name) || credentials.count(name); }
  // The merged view of one profile (credentials file wins per key); nullopt when in neither file.
  std::optional<ProfileValues> profile(const std::string& name) const;
  // One key from the merged view.
  std::optional<std::string> value(const std::string& profileName, const std::string& key) const;
};

// A missing file reads as empty (as botocore does); a file that exists but cannot be read, is larger
// than 1 MiB, or does not parse is an error (botocore would silently skip an unreadable file, which
// leaves an operator guessing why the gateway fell through to another credential source).
boost::system::result<AwsConfigFiles, AwsError> loadAwsConfigFiles(const Environment& env);

// Reads a small file whole (token files, config files). Errors name the path, never the content.
boost::system::result<std::string, AwsError> readSmallFile(const std::string& path, std::size_t maxBytes);

}  // namespace kubegate::aws
