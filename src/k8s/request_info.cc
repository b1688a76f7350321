// A port of kube-apiserver's NewRequestInfo and of the parts of apimachinery it relies on: the
// ListOptions parameter decoding (integers, field selectors, label selectors) and boolean query
// conversion. Every quirk is kept on purpose: where the gateway and the API server read a request
// differently, an attacker chooses the reading (shared/notes/security.md §2.2).
#include "k8s/request_info.h"
#include "k8s/utf8.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace kubegate::k8s {
namespace {

constexpr auto npos = std::string_view::npos;

const std::string* firstValue(const QueryParams& query, std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name) return &value;
  }
  return nullptr;
}

char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string asciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

bool asciiIEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return asciiLower(x) == y; });
}

bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// strings.Split(strings.Trim(path, "/"), "/"), with "" giving no parts.
std::vector<std::string> splitPath(std::string_view path) {
  const auto first = path.find_first_not_of('/');
  if (first == npos) return {};
  path = path.substr(first, path.find_last_not_of('/') - first + 1);
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    parts.emplace_back(path.substr(start, slash == npos ? npos : slash - start));
    if (slash == npos) return parts;
    start = slash + 1;
  }
}

// strconv.ParseInt(s, 10, 64) succeeds: optional sign, decimal digits only, within int64.
bool isGoInt64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  const std::uint64_t limit = negative ? 9223372036854775808ULL : 9223372036854775807ULL;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (n > (limit - digit) / 10) return false;
    n = n * 10 + digit;
  }
  return true;
}

// strings.EqualFold(v, "false"). Go folds Unicode simply, so U+017F (long s) matches 's': the
// API server reads watch=fal\u017Fe as false and so must the gateway.
bool equalFoldFalse(std::string_view v) {
  std::size_t i = 0;
  for (char want : std::string_view("false")) {
    if (want == 's' && v.substr(i, 2) == "\xC5\xBF") {
      i += 2;
      continue;
    }
    if (i >= v.size() || asciiLower(v[i]) != want) return false;
    ++i;
  }
  return i == v.size();
}

// apimachinery path.IsValidPathSegmentName: the name may be spliced into a URL path.
bool isValidPathSegmentName(std::string_view name) { return name != "." && name != ".." && name.find_first_of("/%") == npos; }

// ---- Field selectors (apimachinery pkg/fields/selector.go) ----

struct FieldTerm {
  std::string field;
  bool equals;  // "=" or "=="; false for "!="
  std::string value;
};

// fields.UnescapeValue. It walks runes and re-encodes them, so invalid UTF-8 comes out as U+FFFD
// whenever the value needed unescaping; the promoted name must carry the same bytes.
std::optional<std::string> unescapeFieldValue(std::string_view s) {
  if (s.find_first_of("\\,=") == npos) return std::string(s);
  std::string out;
  bool inSlash = false;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t valid = validRuneLength(s, i);
    const std::size_t width = valid == 0 ? 1 : valid;
    const char c = s[i];
    const bool ascii = valid == 1;
    if (inSlash) {
      if (!ascii || (c != '\\' && c != ',' && c != '=')) return std::nullopt;  // unknown escape
      out.push_back(c);
      inSlash = false;
    } else if (ascii && c == '\\') {
      inSlash = true;
    } else if (ascii && (c == ',' || c == '=')) {
      return std::nullopt;  // must be escaped in a value
    } else {
      out += valid == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, width);
    }
    i += width;
  }
  if (inSlash) return std::nullopt;
  return out;
}

// Splits on commas not preceded by a backslash escape; the escapes stay in the terms.
std::vector<std::string_view> splitFieldTerms(std::string_view selector) {
  std::vector<std::string_view> terms;
  if (selector.empty()) return terms;
  std::size_t start = 0;
  bool inSlash = false;
  for (std::size_t i = 0; i < selector.size(); ++i) {
    if (inSlash) {
      inSlash = false;
    } else if (selector[i] == '\\') {
      inSlash = true;
    } else if (selector[i] == ',') {
      terms.push_back(selector.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(selector.substr(start));
  return terms;
}

struct SplitTerm {
  std::string_view field;
  bool equals;
  std::string_view rawValue;
};

// fields.splitTerm: the first operator wins, and at each position "!=" and "==" are tried before
// "=" (a lone '!' belongs to the field name). The value is still escaped.
std::optional<SplitTerm> splitFieldTerm(std::string_view term) {
  for (auto i = term.find_first_of("!="); i != npos; i = term.find_first_of("!=", i + 1)) {
    const auto two = term.substr(i, 2);
    if (two == "!=" || two == "==") return SplitTerm{term.substr(0, i), two == "==", term.substr(i + 2)};
    if (term[i] == '=') return SplitTerm{term.substr(0, i), true, term.substr(i + 1)};
  }
  return std::nullopt;
}

// fields.ParseSelector: nullopt where it returns an error. Terms come back sorted byte-wise, as
// Go sorts them, because RequiresExactMatch answers with the first matching term.
std::optional<std::vector<FieldTerm>> parseFieldSelector(std::string_view selector) {
  auto parts = splitFieldTerms(selector);
  std::sort(parts.begin(), parts.end());
  std::vector<FieldTerm> terms;
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    const auto split = splitFieldTerm(part);
    if (!split) return std::nullopt;
    auto value = unescapeFieldValue(split->rawValue);
    if (!value) return std::nullopt;
    terms.push_back({std::string(split->field), split->equals, std::move(*value)});
  }
  return terms;
}

// Selector.RequiresExactMatch(field).
const std::string* requiredExactMatch(const std::vector<FieldTerm>& terms, std::string_view field) {
  for (const auto& term : terms) {
    if (term.equals && term.field == field) return &term.value;
  }
  return nullptr;
}

// ---- Label selectors (apimachinery pkg/labels/selector.go) ----
// Only whether a selector parses matters here: a bad labelSelector makes the whole ListOptions
// decode fail, which drops the fieldSelector name promotion.

// validation.qualifiedNameFmt: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matchesQualifiedName(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// validation.IsDNS1123Subdomain.
bool isDns1123Subdomain(std::string_view s) {
  if (s.size() > 253) return false;
  for (std::size_t start = 0;;) {
    const auto dot = s.find('.', start);
    const auto label = s.substr(start, dot == npos ? npos : dot - start);
    if (label.empty() || !isLowerAlnum(label.front()) || !isLowerAlnum(label.back())) return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isLowerAlnum(c) || c == '-'; })) return false;
    if (dot == npos) return true;
    start = dot + 1;
  }
}

// validation.IsQualifiedName: [DNS-subdomain "/"] name, name at most 63 characters.
bool isQualifiedName(std::string_view s) {
  std::string_view name = s;
  if (const auto slash = s.find('/'); slash != npos) {
    if (s.find('/', slash + 1) != npos) return false;
    const auto prefix = s.substr(0, slash);
    if (prefix.empty() || !isDns1123Subdomain(prefix)) return false;
    name = s.substr(slash + 1);
  }
  return name.size() <= 63 && matchesQualifiedName(name);
}

bool isValidLabelValue(std::string_view s) { return s.size() <= 63 && (s.empty() || matchesQualifiedName(s)); }

enum class LabelToken {
  Error,
  End,
  ClosePar,
  Comma,
  Not,
  DoubleEquals,
  Equals,
  Greater,
  Identifier,
  In,
  Less,
  NotEquals,
  NotIn,
  OpenPar
};

struct LabelItem {
  LabelToken token;
  std::string literal;
};

// The lexer's string2token table.
std::optional<LabelToken> labelKeyword(std::string_view s) {
  static constexpr std::pair<std::string_view, LabelToken> kTable[] = {
      {")", LabelToken::ClosePar},   {",", LabelToken::Comma},     {"!", LabelToken::Not},    {"==", LabelToken::DoubleEquals},
      {"=", LabelToken::Equals},     {">", LabelToken::Greater},   {"in", LabelToken::In},    {"<", LabelToken::Less},
      {"!=", LabelToken::NotEquals}, {"notin", LabelToken::NotIn}, {"(", LabelToken::OpenPar}};
  for (const auto& [text, token] : kTable) {
    if (text == s) return token;
  }
  return std::nullopt;
}

bool isLabelWhitespace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isLabelSymbol(unsigned char c) { return std::string_view("=!(),><").find(static_cast<char>(c)) != npos; }

// labels.Lexer. read() yields 0 at the end and for a NUL byte alike, as Go's does.
class LabelLexer {
 public:
  explicit LabelLexer(std::string_view s) : s_(s) {}

  LabelItem next() {
    unsigned char c = read();
    while (isLabelWhitespace(c)) c = read();
    if (c == 0) return {LabelToken::End, ""};
    unread();
    return isLabelSymbol(c) ? symbol() : identifierOrKeyword();
  }

 private:
  unsigned char read() { return pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_++]) : 0; }
  void unread() { --pos_; }

  LabelItem identifierOrKeyword() {
    std::string buffer;
    for (unsigned char c = read(); c != 0; c = read()) {
      if (isLabelSymbol(c) || isLabelWhitespace(c)) {
        unread();
        break;
      }
      buffer.push_back(static_cast<char>(c));
    }
    if (auto keyword = labelKeyword(buffer)) return {*keyword, buffer};
    return {LabelToken::Identifier, buffer};
  }

  // The longest run of symbols that is still an operator.
  LabelItem symbol() {
    std::string buffer;
    std::optional<LabelItem> last;
    for (unsigned char c = read(); c != 0; c = read()) {
      if (!isLabelSymbol(c)) {
        unread();
        break;
      }
      buffer.push_back(static_cast<char>(c));
      if (auto token = labelKeyword(buffer)) {
        last = LabelItem{*token, buffer};
      } else if (last) {
        unread();
        break;
      }
    }
    return last ? *last : LabelItem{LabelToken::Error, buffer};
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// labels.Parser, reduced to answering whether the selector parses (NewRequirement checks included).
class LabelParser {
 public:
  explicit LabelParser(std::string_view selector) {
    LabelLexer lexer(selector);
    do {
      items_.push_back(lexer.next());
    } while (items_.back().token != LabelToken::End);
  }

  bool parse() {
    for (;;) {
      const LabelToken token = peek(kValues).token;
      if (token == LabelToken::End) return true;
      if (token != LabelToken::Identifier && token != LabelToken::Not) return false;
      if (!requirement()) return false;
      const LabelToken after = take(kValues).token;
      if (after == LabelToken::End) return true;
      if (after != LabelToken::Comma) return false;
      const LabelToken next = peek(kValues).token;
      if (next != LabelToken::Identifier && next != LabelToken::Not) return false;
    }
  }

 private:
  // In the values context the keywords in and notin are plain identifiers.
  static constexpr bool kValues = true;
  static constexpr bool kKeyAndOperator = false;

  LabelItem peek(bool values) const {
    LabelItem item = position_ < items_.size() ? items_[position_] : LabelItem{LabelToken::End, ""};
    if (values && (item.token == LabelToken::In || item.token == LabelToken::NotIn)) item.token = LabelToken::Identifier;
    return item;
  }
  LabelItem take(bool values) {
    LabelItem item = peek(values);
    ++position_;
    return item;
  }

  bool requirement() {
    LabelItem key = take(kValues);
    const bool doesNotExist = key.token == LabelToken::Not;
    if (doesNotExist) key = take(kValues);
    if (key.token != LabelToken::Identifier || !isQualifiedName(key.literal)) return false;
    const LabelToken next = peek(kValues).token;
    if (doesNotExist || next == LabelToken::End || next == LabelToken::Comma) return true;  // no values
    const LabelToken op = take(kKeyAndOperator).token;
    std::optional<std::vector<std::string>> values;
    switch (op) {
      case LabelToken::In:
      case LabelToken::NotIn:
        values = setValues();
        break;
      case LabelToken::Equals:
      case LabelToken::DoubleEquals:
      case LabelToken::NotEquals:
      case LabelToken::Greater:
      case LabelToken::Less:
        if (auto value = exactValue()) values = std::vector<std::string>{std::move(*value)};
        break;
      default:
        return false;
    }
    if (!values || values->empty()) return false;
    if ((op == LabelToken::Greater || op == LabelToken::Less) && !isGoInt64(values->front())) return false;
    return std::all_of(values->begin(), values->end(), [](const std::string& v) { return isValidLabelValue(v); });
  }

  // "(" values ")"; "()" is the single empty value.
  std::optional<std::vector<std::string>> setValues() {
    if (take(kValues).token != LabelToken::OpenPar) return std::nullopt;
    const LabelToken first = peek(kValues).token;
    if (first == LabelToken::ClosePar) {
      take(kValues);
      return std::vector<std::string>{""};
    }
    if (first != LabelToken::Identifier && first != LabelToken::Comma) return std::nullopt;
    auto values = identifierList();
    if (!values || take(kValues).token != LabelToken::ClosePar) return std::nullopt;
    return values;
  }

  // Comma-separated, possibly empty identifiers, stopping before ")".
  std::optional<std::vector<std::string>> identifierList() {
    std::vector<std::string> values;
    for (;;) {
      LabelItem item = take(kValues);
      if (item.token == LabelToken::Identifier) {
        values.push_back(std::move(item.literal));
        const LabelToken next = peek(kValues).token;
        if (next == LabelToken::ClosePar) return values;
        if (next != LabelToken::Comma) return std::nullopt;
        continue;
      }
      if (item.token != LabelToken::Comma) return std::nullopt;
      if (values.empty()) values.emplace_back();
      const LabelToken next = peek(kValues).token;
      if (next == LabelToken::ClosePar) {
        values.emplace_back();
        return values;
      }
      if (next == LabelToken::Comma) {
        take(kValues);
        values.emplace_back();
      }
    }
  }

  std::optional<std::string> exactValue() {
    const LabelToken next = peek(kValues).token;
    if (next == LabelToken::End || next == LabelToken::Comma) return std::string();
    LabelItem item = take(kValues);
    if (item.token != LabelToken::Identifier) return std::nullopt;
    return std::move(item.literal);
  }

  std::vector<LabelItem> items_;
  std::size_t position_ = 0;
};

// ---- ListOptions and the list/watch decision ----

struct ListOptions {
  bool watch = false;
  std::vector<FieldTerm> fieldSelector;
};

// ParameterCodec.DecodeParameters into internal ListOptions; nullopt where it fails. Only limit,
// timeoutSeconds (integers) and the two selectors can fail; the other fields take any string.
std::optional<ListOptions> decodeListOptions(const QueryParams& query) {
  ListOptions opts;
  if (query.empty()) return opts;  // DecodeParameters returns at once: nothing set
  for (std::string_view integer : {"limit", "timeoutSeconds"}) {
    if (const auto* v = firstValue(query, integer); v && !isGoInt64(*v)) return std::nullopt;
  }
  if (const auto* labels = firstValue(query, "labelSelector"); labels && !LabelParser(*labels).parse()) return std::nullopt;
  const auto* fields = firstValue(query, "fieldSelector");
  auto terms = parseFieldSelector(fields ? std::string_view(*fields) : std::string_view());
  if (!terms) return std::nullopt;
  opts.fieldSelector = std::move(*terms);
  opts.watch = parseBoolParam(query, "watch");
  return opts;
}

// A name-less get is a list or a watch, possibly narrowed to one object by its field selector.
void resolveCollectionGet(RequestInfo& info, const QueryParams& query) {
  auto opts = decodeListOptions(query);
  if (!opts) {
    // The API server logs the decode error, starts from empty options and reads watch alone, with
    // strings.ToLower rather than EqualFold; the field selector is dropped.
    opts.emplace();
    const auto* watch = firstValue(query, "watch");
    opts->watch = watch != nullptr && !(asciiIEquals(*watch, "false") || *watch == "0");
  }
  info.verb = opts->watch ? "watch" : "list";
  if (const auto* name = requiredExactMatch(opts->fieldSelector, "metadata.name"); name && isValidPathSegmentName(*name)) {
    info.name = *name;
  }
}

// ---- NewRequestInfo ----

std::string methodVerb(std::string_view method) {
  if (method == "POST") return "create";
  if (method == "GET" || method == "HEAD") return "get";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

// Everything NewRequestInfo decides from the path; `parts` has at least three entries, the first
// "api" or "apis". Leaves isResourceRequest false for group discovery paths such as /apis/apps/v1.
boost::system::result<void, GatewayError> parsePath(RequestInfo& info, std::vector<std::string> parts, std::string_view method,
                                                    bool& verbViaPathPrefix) {
  info.apiPrefix = parts[0];
  parts.erase(parts.begin());
  if (info.apiPrefix != "api") {  // "api" is the only group-less prefix
    if (parts.size() < 3) return {};
    info.apiGroup = parts[0];
    parts.erase(parts.begin());
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0];
  parts.erase(parts.begin());

  // Deprecated /watch/... and /proxy/...: the verb comes from the path, whatever the method.
  if (parts[0] == "watch" || parts[0] == "proxy") {
    if (parts.size() < 2)
      return makeError(ErrorKind::BadRequest, "unable to determine kind and namespace from url, " + info.path);
    info.verb = parts[0];
    parts.erase(parts.begin());
    verbViaPathPrefix = true;
  } else {
    info.verb = methodVerb(method);
  }

  if (parts[0] == "namespaces") {
    if (parts.size() > 1) {
      info.namespace_ = parts[1];
      // namespaces/NS/status and namespaces/NS/finalize are subresources of the namespace itself.
      if (parts.size() > 2 && parts[2] != "status" && parts[2] != "finalize") parts.erase(parts.begin(), parts.begin() + 2);
    }
  }
  info.parts = std::move(parts);
  // resource/name/subresource/...; the proxy verb takes no subresource (the rest is the proxied path).
  if (info.parts.size() >= 3 && info.verb != "proxy") info.subresource = info.parts[2];
  if (info.parts.size() >= 2) info.name = info.parts[1];
  if (!info.parts.empty()) info.resource = info.parts[0];
  return {};
}

// 1.32+ keeps the raw selectors for authorizers, but not for the deprecated path verbs, whose
// single- and multi-object watch endpoints treat selectors inconsistently.
void keepSelectors(RequestInfo& info, const QueryParams& query, bool verbViaPathPrefix) {
  if (verbViaPathPrefix) return;
  if (info.verb != "list" && info.verb != "watch" && info.verb != "deletecollection") return;
  if (const auto* v = firstValue(query, "fieldSelector")) info.fieldSelector = *v;
  if (const auto* v = firstValue(query, "labelSelector")) info.labelSelector = *v;
}

NonResourceClass classifyNonResource(const std::vector<std::string>& parts) {
  if (parts.empty()) return NonResourceClass::other;
  const std::string& root = parts[0];
  // Group discovery paths with three parts (/apis/<group>/<version>) are not resource requests.
  if ((root == "api" && parts.size() <= 2) || (root == "apis" && parts.size() <= 3)) return NonResourceClass::discovery;
  if (root == "openapi" && parts.size() >= 2 && (parts[1] == "v2" || parts[1] == "v3")) {
    return parts[1] == "v2" && parts.size() > 2 ? NonResourceClass::other : NonResourceClass::openapi;
  }
  if (root == "version" && parts.size() == 1) return NonResourceClass::version;
  if (root == "healthz" || root == "livez" || root == "readyz") return NonResourceClass::health;
  return NonResourceClass::other;
}

// kubegate's normalisation (security.md §2.5): code execution and proxying into the cluster are
// one class whatever the verb. The group is not checked: a look-alike in another group is
// over-classified rather than missed.
void normalise(RequestInfo& info) {
  info.effectiveVerb = info.verb;
  if (!info.isResourceRequest) return;
  const std::string& r = info.resource;
  const std::string& sub = info.subresource;
  if (r == "pods" && (sub == "exec" || sub == "attach" || sub == "portforward")) {
    info.effectiveVerb = "create";  // WebSocket clients use GET; 1.35 also requires create for it
    info.execClass = true;
  }
  if (r == "pods" && sub == "ephemeralcontainers") info.execClass = true;
  if (sub == "proxy" && (r == "nodes" || r == "services" || r == "pods")) info.execClass = true;
  if (info.verb == "proxy") info.execClass = true;
}

}  // namespace

boost::system::result<RequestInfo, GatewayError> classify(std::string_view method, std::string_view path,
                                                          const QueryParams& query) {
  RequestInfo info;
  info.path = std::string(path);
  info.verb = asciiLower(method);  // what non-resource requests keep
  auto parts = splitPath(path);
  if (parts.size() >= 3 && (parts[0] == "api" || parts[0] == "apis")) {
    bool verbViaPathPrefix = false;
    if (auto parsed = parsePath(info, std::move(parts), method, verbViaPathPrefix); !parsed) return parsed.error();
    if (info.isResourceRequest) {
      if (info.name.empty() && info.verb == "get") resolveCollectionGet(info, query);
      if (info.name.empty() && info.verb == "delete") info.verb = "deletecollection";
      keepSelectors(info, query, verbViaPathPrefix);
    }
  }
  if (!info.isResourceRequest) info.nonResourceClass = classifyNonResource(splitPath(path));
  if (info.verb.empty()) {
    return makeError(ErrorKind::MethodNotAllowed,
                     "method " + std::string(method) + " is not allowed on Kubernetes API resources");
  }
  normalise(info);
  return info;
}

std::string_view toString(NonResourceClass c) {
  switch (c) {
    case NonResourceClass::notApplicable: return "";
    case NonResourceClass::discovery: return "discovery";
    case NonResourceClass::openapi: return "openapi";
    case NonResourceClass::version: return "version";
    case NonResourceClass::health: return "health";
    case NonResourceClass::other: return "other";
  }
  return "other";
}

bool parseBoolParam(const QueryParams& query, std::string_view name) {
  const auto* value = firstValue(query, name);
  if (value == nullptr) return false;
  return !(*value == "0" || equalFoldFalse(*value));
}

bool isLongRunning(const RequestInfo& info) {
  if (info.verb == "watch" || info.verb == "proxy") return true;
  if (info.isResourceRequest) {
    const std::string& sub = info.subresource;
    return sub == "attach" || sub == "exec" || sub == "proxy" || sub == "log" || sub == "portforward";
  }
  return info.path.starts_with("/debug/pprof/");
}

}  // namespace kubegate::k8s
