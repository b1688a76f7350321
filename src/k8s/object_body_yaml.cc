// YAML bodies (application/yaml, and application/apply-patch+yaml for server-side apply).
// kube-apiserver turns YAML into JSON with sigs.k8s.io/yaml v1.4 (go-yaml v2 underneath, YAML 1.1
// scalar rules: `yes`/`on`/`y` are booleans, `0x1F`, `0o17`, `017` and `1_000` are numbers), then
// decodes that JSON. yaml-cpp implements YAML 1.2, so scalars are resolved here by go-yaml v2's
// table (goyaml.v2/resolve.go): the common forms exactly, and forms whose value depends on details
// (non-decimal and underscore numbers, leading zeros, infinities) are refused, as are anchors,
// aliases, merge keys, explicit tags, duplicate keys and more than one document.
#include <cmath>
#include <cstdlib>
#include <exception>
#include <regex>
#include <sstream>
#include <vector>

#include <boost/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include "k8s/object_body.h"
#include "k8s/object_body_internal.h"

namespace kubegate::k8s::body {
namespace {

bool isBooleanTrue(std::string_view s) {
  for (std::string_view form : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    if (s == form) return true;
  }
  return false;
}

bool isBooleanFalse(std::string_view s) {
  for (std::string_view form : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    if (s == form) return true;
  }
  return false;
}

bool isNullForm(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// go-yaml keeps a plain scalar that looks like a date (YYYY-...) as the original string.
bool looksLikeTimestamp(std::string_view s) {
  return s.size() > 4 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) && s[4] == '-';
}

// Go's json.Marshal writes an integral float64 below 1e21 without exponent or fraction, and
// kube-apiserver's JSON decoding then reads it back as an int64.
boost::json::value numberAsServerReadsIt(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 9.2e18) return static_cast<std::int64_t>(value);
  return value;
}

// Resolves a plain (unquoted, untagged) scalar as go-yaml v2 does, or refuses it.
BodyResult<boost::json::value> resolvePlainScalar(const std::string& s) {
  if (isNullForm(s)) return boost::json::value(nullptr);
  if (isBooleanTrue(s)) return boost::json::value(true);
  if (isBooleanFalse(s)) return boost::json::value(false);
  const char first = s.front();
  const bool numberHint = isDigit(first) || first == '+' || first == '-' || first == '.';
  if (!numberHint) {
    if (s == "<<") return bodyError("YAML merge keys are not supported");
    return boost::json::value(boost::json::string_view(s));
  }
  static const std::regex infOrNan(R"([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (std::regex_match(s, infOrNan)) return bodyError("YAML infinity or NaN cannot become JSON");
  if (looksLikeTimestamp(s)) return boost::json::value(boost::json::string_view(s));
  static const std::regex decimalInteger(R"([-+]?[0-9]+)");
  static const std::regex prefixedInteger(R"([-+]?0[xXoObB][0-9a-fA-F_]*)");
  static const std::regex yamlFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  static const std::regex anyDigitsOrUnderscore(R"([-+]?[0-9_.]*[0-9][0-9_.]*([eE][-+]?[0-9_]+)?)");
  if (s.find('_') != std::string::npos && std::regex_match(s, anyDigitsOrUnderscore)) {
    return bodyError("YAML number with '_' separators is ambiguous");
  }
  if (std::regex_match(s, prefixedInteger)) return bodyError("YAML hexadecimal, octal or binary number is ambiguous");
  if (std::regex_match(s, decimalInteger)) {
    const std::size_t digits = (first == '+' || first == '-') ? 1 : 0;
    if (s.size() - digits > 1 && s[digits] == '0') return bodyError("YAML number with a leading zero is ambiguous");
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(s.c_str(), &end, 10);
    if (errno == ERANGE) return bodyError("YAML integer out of range");
    return boost::json::value(static_cast<std::int64_t>(value));
  }
  if (std::regex_match(s, yamlFloat)) {
    const double value = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(value)) return bodyError("YAML number out of range");
    return numberAsServerReadsIt(value);
  }
  return boost::json::value(boost::json::string_view(s));
}

// Map keys become JSON member names as sigs.k8s.io/yaml converts them (yaml.go
// convertToJSONableObject): strings as they are, booleans and integers spelled out.
BodyResult<std::string> keyFor(const std::string& tag, const std::string& scalar) {
  const auto name = [](std::string text) { return BodyResult<std::string>(boost::system::in_place_value, std::move(text)); };
  if (tag != "?") return name(scalar);
  auto resolved = resolvePlainScalar(scalar);
  if (!resolved) return resolved.error();
  if (resolved->is_string()) return name(std::string(resolved->get_string()));
  if (resolved->is_bool()) return name(resolved->get_bool() ? "true" : "false");
  if (resolved->is_int64()) return name(std::to_string(resolved->get_int64()));
  return bodyError("YAML map key that is null or a float");
}

class JsonFromYamlEvents : public YAML::EventHandler {
 public:
  std::string refusal;
  boost::json::value root;
  bool complete = false;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
    if (checkAnchor(anchor)) addScalar("?", "");
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { refuse("YAML aliases are not supported"); }
  void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    if (!checkAnchor(anchor)) return;
    if (tag != "?" && tag != "!") return refuse("YAML explicit tags are not supported");
    if (!isValidUtf8(value)) return refuse("YAML scalar is not valid UTF-8");
    addScalar(tag, value);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    openContainer(tag, anchor, boost::json::array{});
  }
  void OnSequenceEnd() override { closeContainer(); }
  void OnMapStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    openContainer(tag, anchor, boost::json::object{});
  }
  void OnMapEnd() override { closeContainer(); }

 private:
  struct Frame {
    boost::json::value container;
    std::optional<std::string> key;  // set between a map key and its value
  };

  void refuse(std::string_view why) {
    if (refusal.empty()) refusal = why;
  }

  bool checkAnchor(YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) refuse("YAML anchors are not supported");
    return refusal.empty();
  }

  bool expectingKey() const {
    return !frames_.empty() && frames_.back().container.is_object() && !frames_.back().key.has_value();
  }

  void addScalar(const std::string& tag, const std::string& text) {
    if (!refusal.empty()) return;
    if (expectingKey()) {
      auto key = keyFor(tag, text);
      if (!key) return refuse(key.error().message);
      frames_.back().key = std::move(*key);
      return;
    }
    if (tag != "?") return add(boost::json::value(boost::json::string_view(text)));
    auto resolved = resolvePlainScalar(text);
    if (!resolved) return refuse(resolved.error().message);
    add(std::move(*resolved));
  }

  void openContainer(const std::string& tag, YAML::anchor_t anchor, boost::json::value container) {
    if (!checkAnchor(anchor)) return;
    if (!tag.empty() && tag != "?" && tag != "!") return refuse("YAML explicit tags are not supported");
    if (expectingKey()) return refuse("YAML map key that is a map or a list");
    if (frames_.size() >= kMaxObjectNestingDepth) return refuse("YAML body nests too deep");
    frames_.push_back(Frame{std::move(container), std::nullopt});
  }

  void closeContainer() {
    if (!refusal.empty() || frames_.empty()) return;
    boost::json::value done = std::move(frames_.back().container);
    frames_.pop_back();
    add(std::move(done));
  }

  void add(boost::json::value value) {
    if (!refusal.empty()) return;
    if (frames_.empty()) {
      root = std::move(value);
      complete = true;
      return;
    }
    Frame& top = frames_.back();
    if (top.container.is_array()) {
      top.container.get_array().push_back(std::move(value));
      return;
    }
    if (!top.container.get_object().emplace(*top.key, std::move(value)).second) refuse("YAML duplicate map key");
    top.key.reset();
  }

  std::vector<Frame> frames_;
};

// YAML's printable set (c-printable) for the ASCII range; go-yaml refuses other control bytes.
bool hasControlBytes(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7F) return true;
  }
  return false;
}

}  // namespace

BodyResult<boost::json::value> parseYaml(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return bodyError("YAML body starts with a byte order mark");
  if (!isValidUtf8(text)) return bodyError("YAML body is not valid UTF-8");
  if (hasControlBytes(text)) return bodyError("YAML body contains control characters");
  JsonFromYamlEvents events;
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    if (!parser.HandleNextDocument(events)) return bodyError("YAML body holds no document");
    if (!events.refusal.empty()) return bodyError(events.refusal);
    // go-yaml v2 reads only the first document; refusing the rest keeps one reading.
    JsonFromYamlEvents rest;
    if (parser.HandleNextDocument(rest)) return bodyError("YAML body holds more than one document");
  } catch (const YAML::Exception&) {
    return bodyError("YAML body is not valid YAML");
  } catch (const std::exception&) {
    return bodyError("YAML body could not be read");
  }
  if (!events.complete) return bodyError("YAML body holds no document");
  return std::move(events.root);
}

}  // namespace kubegate::k8s::body
