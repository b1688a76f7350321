#include "approvals/object_diff.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

namespace kubegate::approvals {
namespace {

namespace json = boost::json;
using boost::system::in_place_error;
using boost::system::in_place_value;

constexpr std::size_t kMaxJsonDepth = 100;
// The line diff keeps one snapshot per edit step, about D² integers in all: 2000 steps is ~16 MB.
constexpr std::size_t kMaxEditSteps = 2000;

using Lines = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Scalars

// The code point starting at text[i] and its length. Boost.JSON has already refused strings that
// are not UTF-8, so a malformed sequence here is taken byte by byte (and escaped as a control byte).
std::pair<char32_t, std::size_t> decodeUtf8(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned lead = byte(i);
  std::size_t length = 0;
  char32_t c = 0;
  if (lead < 0x80) return {lead, 1};
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, c = lead & 0x1F;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, c = lead & 0x0F;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, c = lead & 0x07;
  else return {0xFFFF, 1};
  if (i + length > text.size()) return {0xFFFF, 1};
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0xFFFF, 1};
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  return {c, length};
}

// Not to be shown raw: C0 and C1 controls and DEL (tab and newline are decided by the caller), what
// reorders or hides text (bidi marks, embeddings, overrides and isolates, zero-width characters,
// soft hyphen, tag characters, interlinear annotations), and what YAML does not allow unescaped.
bool mustEscape(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x061C || c == 0x180E ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) ||
         (c >= 0xD800 && c <= 0xDFFF) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || c == 0xFFFE ||
         c == 0xFFFF || (c >= 0xE0000 && c <= 0xE007F);
}

struct StringTraits {
  bool hasNewline = false;
  bool hasTab = false;
  bool hasOtherEscape = false;  // anything mustEscape says, apart from tab and newline
};

StringTraits inspect(std::string_view s) {
  StringTraits traits;
  for (std::size_t i = 0; i < s.size();) {
    const auto [c, length] = decodeUtf8(s, i);
    if (c == '\n') traits.hasNewline = true;
    else if (c == '\t') traits.hasTab = true;
    else if (mustEscape(c)) traits.hasOtherEscape = true;
    i += length;
  }
  return traits;
}

void appendHex(std::string& out, char prefix, unsigned value, int digits) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\%c%0*X", prefix, digits, value);
  out += buffer;
}

std::string doubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto [c, length] = decodeUtf8(s, i);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\v': out += "\\v"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case 0x1B: out += "\\e"; break;
      default:
        if (!mustEscape(c)) out.append(s.substr(i, length));
        else if (c <= 0xFF) appendHex(out, 'x', c, 2);
        else if (c <= 0xFFFF) appendHex(out, 'u', c, 4);
        else appendHex(out, 'U', c, 8);
    }
    i += length;
  }
  out += '"';
  return out;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// What a YAML 1.1 or 1.2 reader resolves to an integer or float: decimal, octal, hex and binary
// integers, underscores, sexagesimal (1:20), floats with or without a fraction or exponent, .inf
// and .nan. Hex digits after 0x are taken loosely: quoting one string too many is harmless.
bool looksNumeric(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  for (std::string_view special : {".inf", ".nan"})
    if (equalsIgnoringCase(s, special)) return true;
  if (s.size() > 2 && s[0] == '0' && std::string_view("xXoObB").find(s[1]) != std::string_view::npos)
    return std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '_'; });
  std::size_t i = 0;
  bool sawDigit = false;
  const auto digits = [&] {
    for (; i < s.size() && (isDigit(s[i]) || s[i] == '_'); ++i) sawDigit = sawDigit || isDigit(s[i]);
  };
  digits();
  while (sawDigit && i + 1 < s.size() && s[i] == ':' && isDigit(s[i + 1])) {
    i += 2;
    if (i < s.size() && isDigit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') ++i, digits();
  if (sawDigit && i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (s[j] == '+' || s[j] == '-') ++j;
    if (j < s.size() && isDigit(s[j])) {
      while (j < s.size() && isDigit(s[j])) ++j;
      i = j;
    }
  }
  return sawDigit && i == s.size();
}

// 2001-12-14, 2001-12-14T21:59:43.10Z and the like: taken loosely from the leading date.
bool looksLikeTimestamp(std::string_view s) {
  return s.size() >= 6 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) && s[4] == '-' &&
         isDigit(s[5]);
}

bool isAmbiguousWord(std::string_view s) {
  static constexpr std::array<std::string_view, 12> words = {"~",  "null", "true", "false", "yes", "no",
                                                             "on", "off",  "y",    "n",     "<<",  "="};
  return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return equalsIgnoringCase(s, w); });
}

// Whether the single-line string, free of anything to escape, reads back as itself unquoted.
bool plainIsSafe(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  if (std::string_view("!&*{}[],#|>@`\"'%?:").find(s.front()) != std::string_view::npos) return false;
  if (s.front() == '-' && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos || s.back() == ':')
    return false;
  return !isAmbiguousWord(s) && !looksNumeric(s) && !looksLikeTimestamp(s);
}

std::string scalarText(std::string_view s) {
  const StringTraits traits = inspect(s);
  if (traits.hasNewline || traits.hasTab || traits.hasOtherEscape || !plainIsSafe(s)) return doubleQuoted(s);
  return std::string(s);
}

// A `|` block scalar shows a multi-line string line by line (so a diff shows the changed lines), as
// long as every byte can be shown raw. Tabs can: they move the cursor but hide nothing.
bool suitsBlockScalar(std::string_view s) {
  const StringTraits traits = inspect(s);
  return traits.hasNewline && !traits.hasOtherEscape && s.find_first_not_of('\n') != std::string_view::npos;
}

// The header after "key: " or "- ", and the content lines at `indent`.
void appendBlockScalar(std::string_view s, std::string headerPrefix, std::size_t indent, Lines& out) {
  std::string header = std::move(headerPrefix) + "|";
  const std::size_t firstContent = s.find_first_not_of('\n');
  // A first content line starting with a space would set the indentation itself: say it instead.
  if (s[firstContent] == ' ' || s[firstContent] == '\t') header += "2";
  std::size_t trailingNewlines = 0;
  while (trailingNewlines < s.size() && s[s.size() - 1 - trailingNewlines] == '\n') ++trailingNewlines;
  if (trailingNewlines == 0) header += "-";
  else if (trailingNewlines > 1) header += "+";
  out.push_back(std::move(header));
  std::string_view body = s.substr(0, s.size() - std::min<std::size_t>(trailingNewlines, 1));
  const std::string padding(indent, ' ');
  while (true) {
    const std::size_t end = body.find('\n');
    const std::string_view line = body.substr(0, end);
    out.push_back(line.empty() ? std::string() : padding + std::string(line));
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
}

std::string numberText(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.get_double());
  std::string text(buffer, end);
  // JSON 1.0 and 1 differ in type; keep the float visibly a float, as YAML 1.1 needs a dot.
  if (text.find_first_of(".ni") == std::string::npos) {
    const std::size_t exponent = text.find('e');
    text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
  }
  return text;
}

// The text after "key: " or "- " for anything that fits on that line.
std::string inlineText(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::string: return scalarText(v.get_string());
    case json::kind::object: return "{}";
    case json::kind::array: return "[]";
    default: return numberText(v);
  }
}

// ---------------------------------------------------------------------------------------------
// YAML rendering. Every function gets the prefix of its first line (which may already hold "- "
// or "key: ") and the indentation of the lines after it.

void appendSequence(const json::array& items, const std::string& firstPrefix, std::size_t indent, Lines& out);

void appendMapping(const json::object& object, const std::string& firstPrefix, std::size_t indent, Lines& out) {
  std::vector<const json::key_value_pair*> entries;
  entries.reserve(object.size());
  for (const auto& entry : object) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  const std::string padding(indent, ' ');
  bool first = true;
  for (const auto* entry : entries) {
    const std::string keyLine = (first ? firstPrefix : padding) + scalarText(entry->key()) + ":";
    first = false;
    const json::value& value = entry->value();
    if (value.is_object() && !value.get_object().empty()) {
      out.push_back(keyLine);
      appendMapping(value.get_object(), std::string(indent + 2, ' '), indent + 2, out);
    } else if (value.is_array() && !value.get_array().empty()) {
      out.push_back(keyLine);
      appendSequence(value.get_array(), padding, indent, out);
    } else if (value.is_string() && suitsBlockScalar(value.get_string())) {
      appendBlockScalar(value.get_string(), keyLine + " ", indent + 2, out);
    } else {
      out.push_back(keyLine + " " + inlineText(value));
    }
  }
}

void appendSequence(const json::array& items, const std::string& firstPrefix, std::size_t indent, Lines& out) {
  const std::string padding(indent, ' ');
  bool first = true;
  for (const json::value& item : items) {
    const std::string itemPrefix = (first ? firstPrefix : padding) + "- ";
    first = false;
    if (item.is_object() && !item.get_object().empty()) {
      appendMapping(item.get_object(), itemPrefix, indent + 2, out);
    } else if (item.is_array() && !item.get_array().empty()) {
      appendSequence(item.get_array(), itemPrefix, indent + 2, out);
    } else if (item.is_string() && suitsBlockScalar(item.get_string())) {
      appendBlockScalar(item.get_string(), itemPrefix, indent + 2, out);
    } else {
      out.push_back(itemPrefix + inlineText(item));
    }
  }
}

Lines yamlLines(const json::value& root) {
  Lines lines;
  if (root.is_object() && !root.get_object().empty()) appendMapping(root.get_object(), "", 0, lines);
  else if (root.is_array() && !root.get_array().empty()) appendSequence(root.get_array(), "", 0, lines);
  else if (root.is_string() && suitsBlockScalar(root.get_string())) appendBlockScalar(root.get_string(), "", 2, lines);
  else lines.push_back(inlineText(root));
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Input

boost::system::result<std::optional<json::value>, std::string> parseSide(std::string_view text, std::string_view side) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return {in_place_value};
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec == json::error::too_deep)
    return {in_place_error, std::string(side) + " object is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  if (ec) return {in_place_error, std::string(side) + " object is not valid JSON: " + ec.message()};
  return {in_place_value, std::move(value)};
}

json::object* metadataOf(std::optional<json::value>& side) {
  if (!side || !side->is_object()) return nullptr;
  auto* metadata = side->get_object().if_contains("metadata");
  return metadata && metadata->is_object() ? &metadata->get_object() : nullptr;
}

void dropAlwaysNoise(json::value& object, bool includeStatus) {
  if (!object.is_object()) return;
  auto& o = object.get_object();
  if (auto* metadata = o.if_contains("metadata"); metadata && metadata->is_object()) {
    for (std::string_view field : {"managedFields", "resourceVersion", "generation"}) metadata->get_object().erase(field);
  }
  if (auto* status = o.if_contains("status"); !includeStatus && status && status->is_object()) o.erase("status");
}

void dropNoise(std::optional<json::value>& current, std::optional<json::value>& proposed, bool includeStatus) {
  for (auto* side : {&current, &proposed}) {
    if (!*side) continue;
    dropAlwaysNoise(**side, includeStatus);
    if (!(*side)->is_object()) continue;
    if (auto* items = (*side)->get_object().if_contains("items"); items && items->is_array())
      for (auto& item : items->get_array()) dropAlwaysNoise(item, includeStatus);
  }
  json::object* currentMetadata = metadataOf(current);
  json::object* proposedMetadata = metadataOf(proposed);
  for (std::string_view field : {"uid", "creationTimestamp"}) {
    const bool inCurrent = currentMetadata && currentMetadata->contains(field);
    const bool inProposed = proposedMetadata && proposedMetadata->contains(field);
    if (inCurrent == inProposed) continue;
    (inCurrent ? currentMetadata : proposedMetadata)->erase(field);
  }
}

// ---------------------------------------------------------------------------------------------
// Line diff

enum class Op : char { keep = ' ', remove = '-', add = '+' };

struct Edit {
  Op op;
  // The line on each side; for an add, oldIndex is the old line it goes before, and for a remove,
  // newIndex the new line it would have preceded, which is what an empty hunk range names.
  std::size_t oldIndex;
  std::size_t newIndex;
};

std::vector<Edit> replaceAll(std::size_t oldCount, std::size_t newCount) {
  std::vector<Edit> edits;
  for (std::size_t i = 0; i < oldCount; ++i) edits.push_back({Op::remove, i, 0});
  for (std::size_t j = 0; j < newCount; ++j) edits.push_back({Op::add, oldCount, j});
  return edits;
}

// Myers' O((N+M)·D) shortest edit script on a[begin, ...) and b[begin, ...), offset by `base`, or
// nothing when it needs more than kMaxEditSteps steps.
std::optional<std::vector<Edit>> shortestEdits(const std::vector<std::string_view>& a,
                                              const std::vector<std::string_view>& b, std::size_t base) {
  const long n = static_cast<long>(a.size()), m = static_cast<long>(b.size());
  const long limit = std::min<long>(n + m, kMaxEditSteps);
  std::vector<long> v(2 * limit + 3, 0);
  const long offset = limit + 1;
  std::vector<std::vector<long>> trace;  // trace[d][k + d]: furthest x on diagonal k after step d
  long steps = -1;
  for (long d = 0; d <= limit && steps < 0; ++d) {
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      long y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) steps = d;
    }
    trace.emplace_back(v.begin() + offset - d, v.begin() + offset + d + 1);
  }
  if (steps < 0) return std::nullopt;
  std::vector<Edit> reversed;
  long x = n, y = m;
  const auto at = [&](long index) { return base + static_cast<std::size_t>(index); };
  const auto keep = [&] { --x, --y, reversed.push_back({Op::keep, at(x), at(y)}); };
  for (long d = steps; d > 0; --d) {
    const auto& previous = trace[d - 1];
    const auto furthest = [&](long k) { return previous[k + d - 1]; };
    const long k = x - y;
    const long previousK = (k == -d || (k != d && furthest(k - 1) < furthest(k + 1))) ? k + 1 : k - 1;
    const long previousX = furthest(previousK), previousY = previousX - previousK;
    while (x > previousX && y > previousY) keep();
    if (previousK == k + 1) reversed.push_back({Op::add, at(x), at(y - 1)});
    else reversed.push_back({Op::remove, at(x - 1), at(y)});
    x = previousX, y = previousY;
  }
  while (x > 0 && y > 0) keep();
  return std::vector<Edit>(reversed.rbegin(), reversed.rend());
}

std::vector<Edit> lineEdits(const Lines& oldLines, const Lines& newLines, std::size_t maxLines) {
  if (oldLines.size() + newLines.size() > maxLines) return replaceAll(oldLines.size(), newLines.size());
  // Objects mostly change in a few places: the common head and tail cost nothing to match.
  std::size_t head = 0;
  while (head < oldLines.size() && head < newLines.size() && oldLines[head] == newLines[head]) ++head;
  std::size_t tail = 0;
  while (tail < oldLines.size() - head && tail < newLines.size() - head &&
         oldLines[oldLines.size() - 1 - tail] == newLines[newLines.size() - 1 - tail])
    ++tail;
  std::vector<std::string_view> a(oldLines.begin() + head, oldLines.end() - tail);
  std::vector<std::string_view> b(newLines.begin() + head, newLines.end() - tail);
  auto middle = shortestEdits(a, b, head);
  if (!middle) return replaceAll(oldLines.size(), newLines.size());
  std::vector<Edit> edits;
  edits.reserve(head + middle->size() + tail);
  for (std::size_t i = 0; i < head; ++i) edits.push_back({Op::keep, i, i});
  edits.insert(edits.end(), middle->begin(), middle->end());
  for (std::size_t t = tail; t > 0; --t) edits.push_back({Op::keep, oldLines.size() - t, newLines.size() - t});
  return edits;
}

// "@@ -3,7 +3,7 @@"; a count of one is left out and an empty range names the line before it, as
// GNU diff writes them.
std::string hunkHeader(std::size_t oldStart, std::size_t oldCount, std::size_t newStart, std::size_t newCount) {
  const auto range = [](std::size_t start, std::size_t count) {
    if (count == 1) return std::to_string(start + 1);
    return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
  };
  return "@@ -" + range(oldStart, oldCount) + " +" + range(newStart, newCount) + " @@";
}

Lines unifiedHunks(const std::vector<Edit>& edits, const Lines& oldLines, const Lines& newLines, std::size_t context) {
  Lines out;
  std::size_t i = 0;
  while (i < edits.size()) {
    while (i < edits.size() && edits[i].op == Op::keep) ++i;
    if (i == edits.size()) break;
    const std::size_t begin = i >= context ? i - context : 0;
    // The hunk runs on while the unchanged lines up to the next change are no more than the two
    // contexts would show anyway.
    std::size_t lastChange = i;
    for (std::size_t j = i; j < edits.size() && j <= lastChange + 2 * context + 1; ++j)
      if (edits[j].op != Op::keep) lastChange = j;
    const std::size_t end = std::min(edits.size(), lastChange + context + 1);
    std::size_t oldCount = 0, newCount = 0;
    for (std::size_t j = begin; j < end; ++j) {
      oldCount += edits[j].op != Op::add;
      newCount += edits[j].op != Op::remove;
    }
    out.push_back(hunkHeader(edits[begin].oldIndex, oldCount, edits[begin].newIndex, newCount));
    for (std::size_t j = begin; j < end; ++j) {
      const Edit& e = edits[j];
      out.push_back(static_cast<char>(e.op) + (e.op == Op::add ? newLines[e.newIndex] : oldLines[e.oldIndex]));
    }
    i = end;
  }
  return out;
}

// Labels come from the caller, but a newline in one would still forge a line of the diff.
std::string labelText(std::string_view label) {
  const StringTraits traits = inspect(label);
  return traits.hasNewline || traits.hasTab || traits.hasOtherEscape ? doubleQuoted(label) : std::string(label);
}

void joinWithinLimit(const Lines& lines, std::size_t maxBytes, ObjectDiff& diff) {
  std::size_t total = 0;
  for (const auto& line : lines) total += line.size() + 1;
  if (total <= maxBytes) {
    for (const auto& line : lines) diff.text += line, diff.text += '\n';
    return;
  }
  diff.truncated = true;
  const auto note = [&](std::size_t shown) {
    return "\\ diff cut at " + std::to_string(maxBytes) + " bytes: " + std::to_string(lines.size() - shown) +
           " more lines not shown\n";
  };
  std::size_t shown = 0, used = 0;
  // The note's length depends on the count it prints; the count only shrinks as lines are added.
  while (shown < lines.size() && used + lines[shown].size() + 1 + note(shown + 1).size() <= maxBytes)
    used += lines[shown++].size() + 1;
  for (std::size_t i = 0; i < shown; ++i) diff.text += lines[i], diff.text += '\n';
  diff.text += note(shown);
}

}  // namespace

boost::system::result<std::string, std::string> objectAsYaml(std::string_view jsonText) {
  auto parsed = parseSide(jsonText, "the");
  if (!parsed) return {in_place_error, parsed.error()};
  if (!*parsed) return {in_place_error, "the object is empty"};
  std::string text;
  for (const auto& line : yamlLines(**parsed)) text += line, text += '\n';
  return {in_place_value, std::move(text)};
}

boost::system::result<ObjectDiff, std::string> diffObjects(std::string_view currentJson, std::string_view proposedJson,
                                                          const DiffOptions& options) {
  auto current = parseSide(currentJson, "current");
  if (!current) return {in_place_error, current.error()};
  auto proposed = parseSide(proposedJson, "proposed");
  if (!proposed) return {in_place_error, proposed.error()};
  dropNoise(*current, *proposed, options.includeStatus);
  const Lines oldLines = *current ? yamlLines(**current) : Lines();
  const Lines newLines = *proposed ? yamlLines(**proposed) : Lines();

  ObjectDiff diff;
  if (oldLines == newLines) return diff;
  const std::vector<Edit> edits = lineEdits(oldLines, newLines, options.maxLinesForLineDiff);
  for (const Edit& e : edits) {
    diff.added += e.op == Op::add;
    diff.removed += e.op == Op::remove;
  }
  Lines out{"--- " + labelText(options.currentLabel), "+++ " + labelText(options.proposedLabel)};
  Lines hunks = unifiedHunks(edits, oldLines, newLines, options.contextLines);
  out.insert(out.end(), std::make_move_iterator(hunks.begin()), std::make_move_iterator(hunks.end()));
  joinWithinLimit(out, options.maxBytes, diff);
  return diff;
}

}  // namespace kubegate::approvals
