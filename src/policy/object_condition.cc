#include "policy/object_condition.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

#include <boost/json.hpp>

namespace kubegate::policy {
namespace {

namespace json = boost::json;

bool isNumber(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

// JSON values as Kubernetes compares them: numbers by value whatever their C++ kind, everything
// else by kind and content.
bool sameValue(const json::value& a, const json::value& b) {
  if (isNumber(a) && isNumber(b)) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const auto& signedOne = a.is_int64() ? a : b;
    const auto& unsignedOne = a.is_int64() ? b : a;
    return signedOne.get_int64() >= 0 && static_cast<std::uint64_t>(signedOne.get_int64()) == unsignedOne.get_uint64();
  }
  return a == b;
}

// Calls `test` on every value `path` reaches from `at`, stopping at the first for which it is true.
template <typename Test>
bool anyReached(const json::value& at, const std::vector<PathSegment>& path, std::size_t i, const Test& test) {
  if (i == path.size()) return test(at);
  const auto& seg = path[i];
  switch (seg.kind) {
    case PathSegment::Kind::key: {
      const auto* obj = at.if_object();
      if (!obj) return false;
      const auto* next = obj->if_contains(seg.key);
      return next && anyReached(*next, path, i + 1, test);
    }
    case PathSegment::Kind::index: {
      const auto* arr = at.if_array();
      return arr && seg.index < arr->size() && anyReached((*arr)[seg.index], path, i + 1, test);
    }
    case PathSegment::Kind::everyElement: {
      const auto* arr = at.if_array();
      if (!arr) return false;
      for (const auto& element : *arr) {
        if (anyReached(element, path, i + 1, test)) return true;
      }
      return false;
    }
  }
  return false;
}

bool positiveTest(const Condition& c, const json::value& v) {
  switch (c.op) {
    case TestOp::exists:
    case TestOp::notExists:
      return true;
    case TestOp::equals:
    case TestOp::notEquals:
    case TestOp::in:
    case TestOp::notIn:
      for (const auto& expected : c.values) {
        if (sameValue(v, expected)) return true;
      }
      return false;
    case TestOp::matches:
    case TestOp::notMatches: {
      const auto* s = v.if_string();
      if (!s) return false;
      const std::string_view text(s->data(), s->size());
      for (const auto& g : c.patterns) {
        if (g.matches(text)) return true;
      }
      return false;
    }
  }
  return false;
}

bool isNegation(TestOp op) {
  return op == TestOp::notEquals || op == TestOp::notIn || op == TestOp::notExists || op == TestOp::notMatches;
}

const json::object* labelsOf(const json::value& object) {
  const auto* obj = object.if_object();
  const auto* metadata = obj ? obj->if_contains("metadata") : nullptr;
  const auto* metaObj = metadata ? metadata->if_object() : nullptr;
  const auto* labels = metaObj ? metaObj->if_contains("labels") : nullptr;
  return labels ? labels->if_object() : nullptr;
}

}  // namespace

std::optional<ObjectPath> ObjectPath::parse(const std::string& text, std::string& why) {
  ObjectPath path;
  path.text = text;
  std::size_t i = 0;
  const auto bad = [&](const std::string& what) {
    why = "path '" + text + "': " + what;
    return std::nullopt;
  };
  while (i < text.size()) {
    if (text[i] == '[') {
      const auto close = text.find(']', i);
      if (close == std::string::npos) return bad("unclosed [");
      const std::string inner = text.substr(i + 1, close - i - 1);
      PathSegment seg;
      if (inner == "*") {
        seg.kind = PathSegment::Kind::everyElement;
      } else if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"') {
        seg.key = inner.substr(1, inner.size() - 2);
        if (seg.key.empty() || seg.key.find('"') != std::string::npos) return bad("bad quoted key");
      } else {
        const auto [end, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), seg.index);
        if (ec != std::errc() || end != inner.data() + inner.size() || inner.empty()) {
          return bad("[" + inner + "] is neither [*], [N] nor [\"key\"]");
        }
        seg.kind = PathSegment::Kind::index;
      }
      path.segments.push_back(std::move(seg));
      i = close + 1;
      if (i < text.size() && text[i] == '.') {
        ++i;
        if (i == text.size()) return bad("ends with '.'");
      }
      continue;
    }
    const auto end = text.find_first_of(".[", i);
    const std::string key = text.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (key.empty()) return bad("empty field name");
    if (key.find_first_of("]\"* ") != std::string::npos) return bad("field '" + key + "' has a character that needs [\"…\"]");
    path.segments.push_back(PathSegment{PathSegment::Kind::key, key, 0});
    i = end == std::string::npos ? text.size() : end;
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (i == text.size()) return bad("ends with '.'");
    }
  }
  if (path.segments.empty()) return bad("is empty");
  const auto& first = path.segments.front();
  path.beyondMetadata = !(first.kind == PathSegment::Kind::key &&
                          (first.key == "metadata" || first.key == "apiVersion" || first.key == "kind"));
  return path;
}

bool Condition::holds(const json::value& object) const {
  switch (kind) {
    case Kind::all:
      for (const auto& c : children) {
        if (!c.holds(object)) return false;
      }
      return true;
    case Kind::any:
      for (const auto& c : children) {
        if (c.holds(object)) return true;
      }
      return false;
    case Kind::test:
      break;
  }
  bool reached = false;
  for (const auto& p : paths) {
    reached = anyReached(object, p.segments, 0, [this](const json::value& v) { return positiveTest(*this, v); });
    if (reached) break;
  }
  return isNegation(op) ? !reached : reached;
}

bool LabelSelector::matches(const json::value& object) const {
  const json::object* labels = labelsOf(object);
  for (const auto& req : requirements) {
    const json::value* value = labels ? labels->if_contains(req.key) : nullptr;
    const json::string* text = value ? value->if_string() : nullptr;
    bool valueListed = false;
    if (text) {
      const std::string_view v(text->data(), text->size());
      for (const auto& candidate : req.values) valueListed = valueListed || candidate == v;
    }
    switch (req.op) {
      case Op::in:
        if (!valueListed) return false;
        break;
      case Op::notIn:
        if (valueListed) return false;
        break;
      case Op::exists:
        if (!value) return false;
        break;
      case Op::doesNotExist:
        if (value) return false;
        break;
    }
  }
  return true;
}

std::string_view metadataString(const json::value& object, std::string_view field) {
  const auto* obj = object.if_object();
  const auto* metadata = obj ? obj->if_contains("metadata") : nullptr;
  const auto* metaObj = metadata ? metadata->if_object() : nullptr;
  const auto* value = metaObj ? metaObj->if_contains(field) : nullptr;
  const auto* text = value ? value->if_string() : nullptr;
  return text ? std::string_view(text->data(), text->size()) : std::string_view();
}

json::value yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      json::array out;
      for (const auto& item : node) out.push_back(yamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json::object out;
      for (const auto& item : node) out[item.first.as<std::string>()] = yamlToJson(item.second);
      return out;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return json::string(s);  // quoted: always a string
  static const std::regex kNull("null|Null|NULL|~|");
  static const std::regex kTrue("true|True|TRUE");
  static const std::regex kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  if (std::regex_match(s, kInt)) {
    std::int64_t v = 0;
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return json::string(s);
}

}  // namespace kubegate::policy
