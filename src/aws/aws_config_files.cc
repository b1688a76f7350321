#include "aws/aws_config_files.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

namespace kubegate::aws {
namespace {

constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::size_t indentOf(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && std::isspace(static_cast<unsigned char>(line[n]))) ++n;
  return n;
}

AwsError parseError(std::string_view label, std::size_t lineNumber, std::string_view what) {
  AwsError e;
  e.kind = AwsError::Kind::invalidInput;
  e.code = "ConfigParseError";
  e.message = std::string(label) + ":" + std::to_string(lineNumber) + ": " + std::string(what);
  return e;
}

// Whitespace-separated words with shell-style quotes, enough for botocore's shlex.split of
// `profile NAME` section headers; nullopt for an unterminated quote (botocore skips the section).
std::optional<std::vector<std::string>> splitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  bool inWord = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else current += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      inWord = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (inWord) words.push_back(std::move(current));
      current.clear();
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) return std::nullopt;
  if (inWord) words.push_back(std::move(current));
  return words;
}

// configparser's view of the text: sections in file order, each with its options.
struct RawSection {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;
};

boost::system::result<std::vector<RawSection>, AwsError> parseIni(std::string_view text, std::string_view label) {
  std::vector<RawSection> sections;
  RawSection* current = nullptr;
  std::string* openValue = nullptr;  // the value an indented line continues
  std::size_t optionIndent = 0;
  std::size_t lineNumber = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++lineNumber;
    const auto content = trim(line);
    if (content.empty() || content.front() == '#' || content.front() == ';') continue;
    const auto indent = indentOf(line);
    if (openValue && indent > optionIndent) {
      *openValue += "\n";
      *openValue += content;
      continue;
    }
    optionIndent = indent;
    openValue = nullptr;
    if (content.front() == '[') {
      const auto close = content.rfind(']');
      if (close == std::string_view::npos || close < 2) return parseError(label, lineNumber, "malformed section header");
      std::string name(content.substr(1, close - 1));
      for (const auto& s : sections)
        if (s.name == name) return parseError(label, lineNumber, "section appears twice");
      sections.push_back(RawSection{std::move(name), {}});
      current = &sections.back();
      continue;
    }
    if (!current) return parseError(label, lineNumber, "a setting before any [section]");
    const auto delimiter = content.find_first_of("=:");
    if (delimiter == std::string_view::npos) return parseError(label, lineNumber, "a line without '=' or ':'");
    auto key = lower(trim(content.substr(0, delimiter)));
    if (key.empty()) return parseError(label, lineNumber, "a setting without a name");
    for (const auto& [k, v] : current->options)
      if (k == key) return parseError(label, lineNumber, "setting '" + key + "' appears twice in its section");
    current->options.emplace_back(std::move(key), std::string(trim(content.substr(delimiter + 1))));
    openValue = &current->options.back().second;
  }
  return sections;
}

// The name botocore gives a config-file section, or nullopt when it is not a profile.
std::optional<std::string> configProfileName(const std::string& section) {
  if (section == "default") return section;
  if (section.rfind("profile", 0) != 0) return std::nullopt;
  auto words = splitWords(section);
  if (!words || words->size() != 2) return std::nullopt;
  return (*words)[1];
}

}  // namespace

std::optional<std::string> envValue(const Environment& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

boost::system::result<ProfileMap, AwsError> parseAwsProfileFile(std::string_view text, AwsFileKind kind,
                                                                std::string_view label) {
  auto sections = parseIni(text, label);
  if (!sections) return sections.error();
  // configparser's DEFAULT section is not a section of its own: its values are inherited by all.
  ProfileValues inherited;
  for (const auto& s : *sections)
    if (s.name == "DEFAULT") inherited.insert(s.options.begin(), s.options.end());
  ProfileMap profiles;
  for (const auto& s : *sections) {
    if (s.name == "DEFAULT") continue;
    auto name = kind == AwsFileKind::config ? configProfileName(s.name) : std::optional<std::string>(s.name);
    if (!name) continue;  // sso-session, services and the like: not profiles
    ProfileValues values = inherited;
    for (const auto& [k, v] : s.options) values[k] = v;
    profiles[*name] = std::move(values);  // `[profile default]` after `[default]` wins, as in botocore
  }
  return profiles;
}

AwsConfigPaths awsConfigPaths(const Environment& env) {
  const std::string home = envValue(env, "HOME").value_or("");
  auto expand = [&](std::string path) {
    if (path == "~") return home;
    if (path.rfind("~/", 0) == 0) return home + path.substr(1);
    return path;
  };
  AwsConfigPaths paths;
  paths.config = expand(envValue(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"));
  paths.credentials = expand(envValue(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  return paths;
}

std::optional<ProfileValues> AwsConfigFiles::profile(const std::string& name) const {
  auto fromConfig = config.find(name);
  auto fromCredentials = credentials.find(name);
  if (fromConfig == config.end() && fromCredentials == credentials.end()) return std::nullopt;
  ProfileValues merged;
  if (fromConfig != config.end()) merged = fromConfig->second;
  if (fromCredentials != credentials.end())
    for (const auto& [k, v] : fromCredentials->second) merged[k] = v;
  return merged;
}

std::optional<std::string> AwsConfigFiles::value(const std::string& profileName, const std::string& key) const {
  auto values = profile(profileName);
  if (!values) return std::nullopt;
  auto it = values->find(key);
  if (it == values->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

boost::system::result<std::string, AwsError> readSmallFile(const std::string& path, std::size_t maxBytes) {
  AwsError e;
  e.kind = AwsError::Kind::invalidInput;
  e.code = "FileUnreadable";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    e.message = "cannot read " + path;
    return e;
  }
  std::string content;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    content.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (content.size() > maxBytes) {
      e.message = path + " is larger than " + std::to_string(maxBytes) + " bytes";
      return e;
    }
  }
  if (in.bad()) {
    e.message = "cannot read " + path;
    return e;
  }
  return content;
}

boost::system::result<AwsConfigFiles, AwsError> loadAwsConfigFiles(const Environment& env) {
  const auto paths = awsConfigPaths(env);
  AwsConfigFiles files;
  for (auto [path, kind, target] : {std::tuple{paths.config, AwsFileKind::config, &files.config},
                                    std::tuple{paths.credentials, AwsFileKind::credentials, &files.credentials}}) {
    std::error_code ec;
    if (path.empty() || !std::filesystem::exists(path, ec)) continue;
    auto text = readSmallFile(path, kMaxConfigFileBytes);
    if (!text) return text.error();
    auto parsed = parseAwsProfileFile(*text, kind, path);
    if (!parsed) return parsed.error();
    *target = std::move(*parsed);
  }
  return files;
}

}  // namespace kubegate::aws
