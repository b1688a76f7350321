// JSON bodies and RFC 6902 patches. kube-apiserver decodes JSON with sigs.k8s.io/json
// (case-sensitive member names, integers kept as int64, last duplicate wins unless
// fieldValidation=Strict, invalid UTF-8 replaced by U+FFFD). A naive parser agrees on everything
// but duplicates, invalid UTF-8 and out-of-range numbers, so those are refused here.
#include <cmath>
#include <map>
#include <vector>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include "k8s/object_body.h"
#include "k8s/object_body_internal.h"

namespace kubegate::k8s::body {

namespace {

// Builds a boost::json::value from Boost.JSON's SAX events, refusing duplicate member names
// (boost::json::parse silently keeps the last one) and numbers Go cannot read.
class StrictJsonBuilder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::string refusal;
  boost::json::value root;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    frames_.push_back(Frame{boost::json::object{}, {}});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code& ec) { return closeFrame(ec); }
  bool on_array_begin(boost::system::error_code&) {
    frames_.push_back(Frame{boost::json::array{}, {}});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code& ec) { return closeFrame(ec); }
  bool on_key_part(boost::json::string_view part, std::size_t, boost::system::error_code&) {
    frames_.back().key.append(part.data(), part.size());
    return true;
  }
  bool on_key(boost::json::string_view part, std::size_t, boost::system::error_code&) {
    frames_.back().key.append(part.data(), part.size());
    return true;
  }
  bool on_string_part(boost::json::string_view part, std::size_t, boost::system::error_code&) {
    pendingString_.append(part.data(), part.size());
    return true;
  }
  bool on_string(boost::json::string_view part, std::size_t, boost::system::error_code& ec) {
    pendingString_.append(part.data(), part.size());
    auto text = boost::json::value(boost::json::string_view(pendingString_));
    pendingString_.clear();
    return add(std::move(text), ec);
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t value, boost::json::string_view, boost::system::error_code& ec) { return add(value, ec); }
  // Above int64, sigs.k8s.io/json falls back to float64, as this does.
  bool on_uint64(std::uint64_t value, boost::json::string_view, boost::system::error_code& ec) {
    return add(static_cast<double>(value), ec);
  }
  bool on_double(double value, boost::json::string_view, boost::system::error_code& ec) {
    if (!std::isfinite(value)) return refuse("number out of range", ec);
    return add(value, ec);
  }
  bool on_bool(bool value, boost::system::error_code& ec) { return add(value, ec); }
  bool on_null(boost::system::error_code& ec) { return add(nullptr, ec); }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    boost::json::value container;
    std::string key;
  };

  bool refuse(std::string_view why, boost::system::error_code& ec) {
    refusal = why;
    ec = boost::json::error::syntax;
    return false;
  }

  bool add(boost::json::value value, boost::system::error_code& ec) {
    if (frames_.empty()) {
      root = std::move(value);
      return true;
    }
    Frame& top = frames_.back();
    if (top.container.is_array()) {
      top.container.get_array().push_back(std::move(value));
      return true;
    }
    const bool inserted = top.container.get_object().emplace(top.key, std::move(value)).second;
    if (!inserted) return refuse("duplicate member name", ec);
    top.key.clear();
    return true;
  }

  bool closeFrame(boost::system::error_code& ec) {
    boost::json::value done = std::move(frames_.back().container);
    frames_.pop_back();
    return add(std::move(done), ec);
  }

  std::vector<Frame> frames_;
  std::string pendingString_;
};

}  // namespace

BodyResult<boost::json::value> parseJson(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxObjectNestingDepth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  boost::json::basic_parser<StrictJsonBuilder> parser(options);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    if (!parser.handler().refusal.empty()) return bodyError("JSON body refused: " + parser.handler().refusal);
    if (ec == boost::json::error::too_deep) return bodyError("JSON body nests too deep");
    if (ec == boost::json::error::syntax && used < text.size() && static_cast<unsigned char>(text[used]) >= 0x80) {
      return bodyError("JSON body is not valid UTF-8");
    }
    return bodyError("JSON body is not valid JSON (" + ec.message() + ")");
  }
  if (text.find_first_not_of(" \t\r\n", used) != std::string_view::npos) {
    return bodyError("JSON body has content after the value");
  }
  return std::move(parser.handler().root);
}

namespace {

// One RFC 6901 pointer, unescaped. A '~' not followed by 0 or 1 is refused.
BodyResult<std::vector<std::string>> splitPointer(std::string_view pointer) {
  std::vector<std::string> segments;
  if (pointer.empty()) return segments;
  if (pointer.front() != '/') return bodyError("JSON patch path does not start with '/'");
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = pointer.find('/', start);
    const std::string_view raw = pointer.substr(start, slash == std::string_view::npos ? slash : slash - start);
    std::string segment;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        segment.push_back(raw[i]);
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        segment.push_back(raw[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        return bodyError("JSON patch path has an invalid '~' escape");
      }
    }
    segments.push_back(std::move(segment));
    if (segments.size() > kMaxObjectNestingDepth) return bodyError("JSON patch path nests too deep");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool isArrayIndex(std::string_view segment) {
  if (segment == "-") return true;
  if (segment.empty() || segment.size() > 9) return false;
  if (segment.size() > 1 && segment.front() == '0') return false;
  for (char c : segment) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Writes operation values into one partial object. Array elements are found again by the index
// the patch used for them (so two operations on /spec/containers/0 land in one element); '-'
// always adds a new element. The partial object only lists what the patch writes.
class PatchObjectBuilder {
 public:
  BodyResult<void> set(const std::vector<std::string>& segments, boost::json::value value) {
    if (segments.empty()) {
      if (!value.is_object()) return bodyError("JSON patch replaces the whole object with a non-object");
      root_ = std::move(value);
      slots_.clear();
      return {};
    }
    boost::json::value* node = &root_;
    std::string pointer;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const std::string& segment = segments[i];
      if (node->is_null()) {
        if (isArrayIndex(segment)) {
          *node = boost::json::array{};
        } else {
          *node = boost::json::object{};
        }
      }
      if (node->is_object()) {
        node = &node->get_object()[segment];
      } else if (node->is_array() && isArrayIndex(segment)) {
        node = &elementFor(node->get_array(), pointer, segment);
      } else {
        return bodyError("JSON patch path goes through a value the patch itself wrote");
      }
      pointer += '/';
      pointer += segment;
    }
    forgetSlotsUnder(pointer);
    *node = std::move(value);
    return {};
  }

  boost::json::value take() { return std::move(root_); }

 private:
  boost::json::value& elementFor(boost::json::array& array, const std::string& arrayPointer, const std::string& index) {
    if (index != "-") {
      const std::string key = arrayPointer + '/' + index;
      if (const auto found = slots_.find(key); found != slots_.end() && found->second < array.size()) {
        return array[found->second];
      }
      slots_[key] = array.size();
    }
    array.push_back(nullptr);
    return array.back();
  }

  void forgetSlotsUnder(const std::string& pointer) {
    const std::string prefix = pointer + '/';
    auto it = slots_.lower_bound(prefix);
    while (it != slots_.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = slots_.erase(it);
  }

  boost::json::value root_ = boost::json::object{};
  std::map<std::string, std::size_t> slots_;
};

const boost::json::string* stringMember(const boost::json::object& operation, std::string_view name) {
  const auto it = operation.find(name);
  if (it == operation.end() || !it->value().is_string()) return nullptr;
  return &it->value().get_string();
}

}  // namespace

BodyResult<boost::json::value> synthesizeJsonPatchObject(const boost::json::value& operations) {
  if (!operations.is_array()) return bodyError("JSON patch is not a list of operations");
  const boost::json::array& list = operations.get_array();
  if (list.size() > kMaxJsonPatchOperations) return bodyError("JSON patch has too many operations");
  PatchObjectBuilder builder;
  for (const boost::json::value& entry : list) {
    if (!entry.is_object()) return bodyError("JSON patch operation is not an object");
    const boost::json::object& operation = entry.get_object();
    const boost::json::string* op = stringMember(operation, "op");
    const boost::json::string* path = stringMember(operation, "path");
    if (op == nullptr || path == nullptr) return bodyError("JSON patch operation lacks a string op or path");
    if (*op == "test") continue;  // a precondition: writes nothing
    if (*op == "move" || *op == "copy") {
      return bodyError("JSON patch operation '" + std::string(*op) + "' takes its value from the stored object");
    }
    auto segments = splitPointer(*path);
    if (!segments) return segments.error();
    boost::json::value value;  // remove: null, as a merge patch writes a deletion
    if (*op == "add" || *op == "replace") {
      const auto it = operation.find("value");
      if (it == operation.end()) return bodyError("JSON patch operation '" + std::string(*op) + "' has no value");
      value = it->value();
    } else if (*op != "remove") {
      return bodyError("JSON patch operation has an unknown op");
    }
    if (auto written = builder.set(*segments, std::move(value)); !written) return written.error();
  }
  return builder.take();
}

}  // namespace kubegate::k8s::body
