// The streaming JSON masker: a hand-written push tokenizer. Bytes that need no decision (structure,
// numbers, literals, keys, strings that stay as they are) are never copied one by one: the masker
// remembers where the current unchanged run of the piece began and appends the run in one go when
// something replaces part of it or the piece ends. String contents are scanned 32 bytes at a time.
#include "mask/json_masker.h"

#include <utility>
#include <vector>

#include "mask/detectors.h"
#include "mask/json_text.h"

namespace kubegate::mask {

namespace {

constexpr std::string_view kLastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
constexpr std::string_view kHelmReleasePrefix = "sh.helm.release.v1.";
constexpr std::string_view kQuotedMaskedText = "\"kubegate:masked\"";
constexpr std::string_view kQuotedMaskedBase64 = "\"a3ViZWdhdGU6bWFza2Vk\"";
// Go's encoding/json refuses deeper documents too; the bound keeps the path stack small.
constexpr std::size_t kMaxDepth = 10000;

// What a value (or a container) is, seen from the path that leads to it.
enum class Role : std::uint8_t {
  Plain,
  Root,                 // an object whose own fields decide masking: top level, items[*], event object, row object
  RootList,             // top-level `items`
  TableRows,            // top-level `rows`
  TableRow,             // rows[*]
  Metadata,             // any `metadata` object
  RootMetadata,         // a root's `metadata`
  Labels,               // a root's metadata.labels
  Annotations,          // metadata.annotations
  SecretData,           // a Secret's `data`
  SecretStringData,     // a Secret's `stringData`
  ConfigMapData,        // a ConfigMap's `data`
  ConfigMapBinaryData,  // a ConfigMap's `binaryData`
  TokenStatus,          // a TokenRequest's `status`
  EnvArray,             // any `env` array
  EnvEntry,             // env[*]
  // Roles of scalar values only.
  RootName,
  HelmOwnerLabel,
  LastApplied,
  MaskBase64,
  MaskText,
  EnvName,
  EnvValue,
};

enum class Lex : std::uint8_t { TopValue, Value, ValueOrArrayEnd, KeyOrObjectEnd, Key, Colon, CommaOrEnd, String, Number, Literal, Done };

// Pass: written as read, content not needed. Hold: content needed to decide. Skip: replaced whatever it holds.
enum class StringMode : std::uint8_t { Pass, Hold, Skip };

enum class Sink : std::uint8_t { Out, EnvCapture, Discard };

enum class NumberPart : std::uint8_t { Minus, Zero, Integer, Dot, Fraction, Exponent, ExponentSign, ExponentDigits };

struct Frame {
  bool object;
  Role role;
  Role childRole;  // arrays: every element's; objects: the value of the key just read
};

bool isMaskRole(Role role) { return role == Role::MaskBase64 || role == Role::MaskText; }

Role containerRole(Role role, bool object) {
  switch (role) {
    case Role::RootList:
    case Role::TableRows:
    case Role::EnvArray:
      return object ? Role::Plain : role;
    case Role::Root:
    case Role::TableRow:
    case Role::Metadata:
    case Role::RootMetadata:
    case Role::Labels:
    case Role::Annotations:
    case Role::SecretData:
    case Role::SecretStringData:
    case Role::ConfigMapData:
    case Role::ConfigMapBinaryData:
    case Role::TokenStatus:
    case Role::EnvEntry:
      return object ? role : Role::Plain;
    default:
      return Role::Plain;
  }
}

Role elementRole(Role arrayRole) {
  switch (arrayRole) {
    case Role::RootList:
      return Role::Root;
    case Role::TableRows:
      return Role::TableRow;
    case Role::EnvArray:
      return Role::EnvEntry;
    default:
      return Role::Plain;
  }
}

bool maskJsonDocumentCounting(const Profile& profile, MaskTarget target, std::string_view json, std::string& out,
                              std::string& error, std::uint64_t& masked);

}  // namespace

struct JsonMasker::State {
  State(const Profile& profileIn, MaskTarget targetIn, bool singleDocumentIn)
      : profile(profileIn),
        apiGroup(targetIn.apiGroup),
        resource(targetIn.resource),
        subresource(targetIn.subresource),
        detectors(profileIn.detectors()),
        singleDocument(singleDocumentIn),
        maskSecrets(resource == "secrets" && profileIn.spec().secretValues),
        maskConfigMaps(resource == "configmaps"),
        maskToken(resource == "serviceaccounts" && subresource == "token" && profileIn.spec().secretValues),
        maskLastApplied(profileIn.spec().lastAppliedConfiguration) {}

  const Profile& profile;
  // Owned: a masker outlives the request classification it was made from.
  std::string apiGroup;
  std::string resource;
  std::string subresource;
  const Detectors* detectors;
  bool singleDocument;
  bool maskSecrets;
  bool maskConfigMaps;
  bool maskToken;
  bool maskLastApplied;

  std::string error;
  std::uint64_t masked = 0;
  bool failed = false;

  std::vector<Frame> stack;
  Lex lex = Lex::TopValue;

  // The piece being read, and the start of the run of it not yet written.
  const char* piece = nullptr;
  std::size_t size = 0;
  std::size_t runStart = 0;
  std::string* out = nullptr;
  Sink sink = Sink::Out;

  // The string being read.
  StringMode mode = StringMode::Pass;
  Role stringRole = Role::Plain;
  bool stringIsKey = false;
  bool startedHere = false;  // its opening quote is in this piece, at stringStart
  std::size_t stringStart = 0;
  bool hasEscape = false;
  bool escapePending = false;
  std::uint8_t hexLeft = 0;
  std::string held;         // contents read in earlier pieces (Hold mode)
  std::string decoded;      // unescaped contents
  std::string replacement;  // what replaces the contents, unquoted and escaped
  std::string scratch;

  NumberPart number = NumberPart::Minus;
  const char* literal = "";
  std::size_t literalPos = 0;

  // A masked value that is not a string (or null): its replacement is written, the rest dropped.
  bool suppressing = false;
  std::size_t suppressDepth = 0;
  Sink sinkBeforeSuppress = Sink::Out;

  // One env entry, written here until it closes and its name is known.
  std::string envCapture;
  std::size_t envCaptureDepth = 0;
  bool envNameMatched = false;
  std::size_t envValueBegin = 0;
  std::vector<std::pair<std::size_t, std::size_t>> envValueRanges;

  bool rootIsHelmRelease = false;

  bool write(std::string_view input, std::string& output);
  bool finish(std::string& output);

 private:
  std::size_t fail(std::string_view why) { return stop("malformed JSON: ", why); }
  std::size_t overLimit(std::string_view what) {
    return stop(what, " is longer than the masker holds (" + std::to_string(kMaxHeldValue) + " bytes)");
  }
  std::size_t stop(std::string_view first, std::string_view second) {
    if (!failed) {
      failed = true;
      error.assign(first).append(second);
    }
    return size;
  }

  void emit(std::string_view text) {
    switch (sink) {
      case Sink::Out: out->append(text); break;
      case Sink::EnvCapture:
        envCapture.append(text);
        if (envCapture.size() > kMaxHeldValue) {
          overLimit("an env entry");
        }
        break;
      case Sink::Discard: break;
    }
  }
  void flushRun(std::size_t to) {
    if (to > runStart) {
      emit(std::string_view(piece + runStart, to - runStart));
    }
    runStart = to;
  }
  // Between documents (watch events): an idle watch keeps no large buffer from an earlier event.
  void releaseLargeBuffers() {
    constexpr std::size_t kKeptCapacity = 64 * 1024;
    for (std::string* buffer : {&held, &decoded, &replacement, &scratch, &envCapture}) {
      if (buffer->capacity() > kKeptCapacity) {
        std::string().swap(*buffer);
      }
    }
  }
  bool capturingEnvEntryField() const { return sink == Sink::EnvCapture && stack.size() == envCaptureDepth; }

  std::size_t scanStructure(std::size_t i);
  std::size_t beginValue(char c, std::size_t i);
  std::size_t openContainer(bool object, Role role, std::size_t i);
  std::size_t closeContainer(bool object, std::size_t i);
  std::size_t afterValue(std::size_t i);
  std::size_t beginString(bool key, Role role, std::size_t i);
  std::size_t scanString(std::size_t i);
  std::size_t finishString(std::size_t closingQuote);
  std::size_t scanNumber(std::size_t i);
  std::size_t endNumber(std::size_t i);
  std::size_t scanLiteral(std::size_t i);
  void endPiece();
  void finishEnvEntry();
  Role roleForKey(std::string_view key) const;
  bool decideValue(std::string_view raw);
  bool redactDetected(std::string_view text);
  bool maskEmbeddedDocument(std::string_view text);
};

bool JsonMasker::State::write(std::string_view input, std::string& output) {
  if (failed) {
    return false;
  }
  out = &output;
  piece = input.data();
  size = input.size();
  runStart = 0;
  std::size_t i = 0;
  while (i < size && !failed) {
    switch (lex) {
      case Lex::String: i = scanString(i); break;
      case Lex::Number: i = scanNumber(i); break;
      case Lex::Literal: i = scanLiteral(i); break;
      default: i = scanStructure(i); break;
    }
  }
  if (!failed) {
    endPiece();
  }
  return !failed;
}

bool JsonMasker::State::finish(std::string& output) {
  if (failed) {
    return false;
  }
  out = &output;
  piece = "";
  size = 0;
  runStart = 0;
  if (lex == Lex::Number) {
    endNumber(0);
  }
  if (failed) {
    return false;
  }
  const bool complete = stack.empty() && (lex == Lex::Done || (lex == Lex::TopValue && !singleDocument));
  if (!complete) {
    fail(singleDocument && lex == Lex::TopValue ? "empty document" : "the body ended inside a value");
  }
  return !failed;
}

std::size_t JsonMasker::State::scanStructure(std::size_t i) {
  while (i < size) {
    const char c = piece[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      ++i;
      continue;
    }
    switch (lex) {
      case Lex::TopValue:
      case Lex::Value:
        return beginValue(c, i);
      case Lex::ValueOrArrayEnd:
        return c == ']' ? closeContainer(false, i) : beginValue(c, i);
      case Lex::KeyOrObjectEnd:
        if (c == '}') {
          return closeContainer(true, i);
        }
        [[fallthrough]];
      case Lex::Key:
        return c == '"' ? beginString(true, Role::Plain, i) : fail("expected an object key");
      case Lex::Colon:
        if (c != ':') {
          return fail("expected ':' after an object key");
        }
        lex = Lex::Value;
        ++i;
        continue;
      case Lex::CommaOrEnd:
        if (c == ',') {
          lex = stack.back().object ? Lex::Key : Lex::Value;
          ++i;
          continue;
        }
        if (c == '}' || c == ']') {
          return closeContainer(c == '}', i);
        }
        return fail("expected ',' or a closing bracket");
      case Lex::Done:
        return fail("data after the end of the document");
      default:
        return i;
    }
  }
  return i;
}

std::size_t JsonMasker::State::beginValue(char c, std::size_t i) {
  Role role = suppressing ? Role::Plain : (stack.empty() ? Role::Root : stack.back().childRole);
  if (isMaskRole(role) && c != '"' && c != 'n') {
    // Not a string: write the replacement now and drop the value, whatever its shape.
    flushRun(i);
    emit(role == Role::MaskBase64 ? kQuotedMaskedBase64 : kQuotedMaskedText);
    ++masked;
    suppressing = true;
    suppressDepth = stack.size();
    sinkBeforeSuppress = sink;
    sink = Sink::Discard;
    role = Role::Plain;
  }
  switch (c) {
    case '{':
    case '[':
      return openContainer(c == '{', role, i);
    case '"':
      return beginString(false, role, i);
    case 't':
      literal = "true";
      break;
    case 'f':
      literal = "false";
      break;
    case 'n':
      literal = "null";
      break;
    default:
      if (c == '-' || (c >= '0' && c <= '9')) {
        number = c == '-' ? NumberPart::Minus : (c == '0' ? NumberPart::Zero : NumberPart::Integer);
        lex = Lex::Number;
        return i + 1;
      }
      return fail("unexpected character where a value should start");
  }
  literalPos = 0;
  lex = Lex::Literal;
  return i;
}

std::size_t JsonMasker::State::openContainer(bool object, Role role, std::size_t i) {
  if (stack.size() >= kMaxDepth) {
    return stop("JSON nested deeper than ", std::to_string(kMaxDepth) + " levels");
  }
  const Role own = containerRole(role, object);
  if (own == Role::Root) {
    rootIsHelmRelease = false;
  }
  if (own == Role::EnvEntry && sink == Sink::Out) {
    flushRun(i);
    sink = Sink::EnvCapture;
    envCapture.clear();
    envNameMatched = false;
    envValueRanges.clear();
    envCaptureDepth = stack.size() + 1;
  }
  stack.push_back(Frame{object, own, object ? Role::Plain : elementRole(own)});
  lex = object ? Lex::KeyOrObjectEnd : Lex::ValueOrArrayEnd;
  return i + 1;
}

std::size_t JsonMasker::State::closeContainer(bool object, std::size_t i) {
  if (stack.empty() || stack.back().object != object) {
    return fail("mismatched closing bracket");
  }
  const bool closesEnvEntry = sink == Sink::EnvCapture && stack.size() == envCaptureDepth;
  stack.pop_back();
  ++i;
  if (closesEnvEntry) {
    flushRun(i);
    finishEnvEntry();
  }
  return afterValue(i);
}

std::size_t JsonMasker::State::afterValue(std::size_t i) {
  if (suppressing && stack.size() == suppressDepth) {
    flushRun(i);
    suppressing = false;
    sink = sinkBeforeSuppress;
  }
  if (stack.empty()) {
    releaseLargeBuffers();
    lex = singleDocument ? Lex::Done : Lex::TopValue;
  } else {
    lex = Lex::CommaOrEnd;
  }
  return i;
}

void JsonMasker::State::finishEnvEntry() {
  if (envNameMatched) {
    for (auto range = envValueRanges.rbegin(); range != envValueRanges.rend(); ++range) {
      envCapture.replace(range->first, range->second - range->first, kQuotedMaskedText);
      ++masked;
    }
  }
  sink = Sink::Out;
  out->append(envCapture);
  envCapture.clear();
}

std::size_t JsonMasker::State::beginString(bool key, Role role, std::size_t i) {
  stringIsKey = key;
  stringRole = role;
  startedHere = true;
  stringStart = i;
  hasEscape = false;
  escapePending = false;
  hexLeft = 0;
  held.clear();
  if (suppressing) {
    mode = StringMode::Pass;
  } else if (key) {
    mode = StringMode::Hold;
  } else if (isMaskRole(role)) {
    mode = StringMode::Skip;
    flushRun(i);
  } else if (role == Role::LastApplied || role == Role::RootName || role == Role::HelmOwnerLabel ||
             role == Role::EnvName || detectors) {
    mode = StringMode::Hold;
  } else {
    mode = StringMode::Pass;
  }
  if (!key && role == Role::EnvValue && capturingEnvEntryField()) {
    flushRun(i);
    envValueBegin = envCapture.size();
  }
  lex = Lex::String;
  return i + 1;
}

std::size_t JsonMasker::State::scanString(std::size_t i) {
  while (i < size) {
    if (hexLeft > 0) {
      if (jsonHexDigitValue(piece[i]) < 0) {
        return fail("bad \\u escape in a string");
      }
      --hexLeft;
      ++i;
      continue;
    }
    if (escapePending) {
      const char c = piece[i];
      if (c == 'u') {
        hexLeft = 4;
      } else if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' && c != 'r' && c != 't') {
        return fail("bad escape in a string");
      }
      escapePending = false;
      ++i;
      continue;
    }
    const std::size_t special = findJsonStringSpecial(piece, i, size);
    if (special == size) {
      return size;
    }
    const char c = piece[special];
    if (c == '"') {
      return finishString(special);
    }
    if (c != '\\') {
      return fail("control character in a string");
    }
    hasEscape = true;
    escapePending = true;
    i = special + 1;
  }
  return i;
}

std::size_t JsonMasker::State::finishString(std::size_t closingQuote) {
  std::string_view raw;
  if (mode == StringMode::Hold) {
    if (startedHere) {
      raw = std::string_view(piece + stringStart + 1, closingQuote - stringStart - 1);
    } else {
      held.append(piece, closingQuote);
      if (held.size() > kMaxHeldValue) {
        return overLimit("a string value");
      }
      raw = held;
    }
  }
  const std::size_t after = closingQuote + 1;
  auto writeHeldUnchanged = [&] {
    if (!startedHere) {
      emit("\"");
      emit(held);
      emit("\"");
      runStart = after;
    }
  };
  if (stringIsKey) {
    if (mode == StringMode::Hold) {
      std::string_view key = raw;
      if (hasEscape) {
        unescapeJsonString(raw, decoded);
        key = decoded;
      }
      stack.back().childRole = roleForKey(key);
      writeHeldUnchanged();
    }
    lex = Lex::Colon;
    return after;
  }
  if (mode == StringMode::Skip) {
    emit(stringRole == Role::MaskBase64 ? kQuotedMaskedBase64 : kQuotedMaskedText);
    ++masked;
    runStart = after;
  } else if (mode == StringMode::Hold) {
    if (decideValue(raw)) {
      flushRun(startedHere ? stringStart : runStart);
      emit("\"");
      emit(replacement);
      emit("\"");
      runStart = after;
    } else {
      writeHeldUnchanged();
    }
  }
  if (stringRole == Role::EnvValue && capturingEnvEntryField()) {
    flushRun(after);
    envValueRanges.emplace_back(envValueBegin, envCapture.size());
  }
  return afterValue(after);
}

void JsonMasker::State::endPiece() {
  if (lex != Lex::String || mode == StringMode::Pass) {
    flushRun(size);
    return;
  }
  if (mode == StringMode::Hold) {
    std::size_t contentBegin = 0;
    if (startedHere) {
      flushRun(stringStart);
      contentBegin = stringStart + 1;
    }
    held.append(piece + contentBegin, size - contentBegin);
    if (held.size() > kMaxHeldValue) {
      overLimit("a string value");
    }
  }
  startedHere = false;
  runStart = size;
}

std::size_t JsonMasker::State::scanNumber(std::size_t i) {
  for (; i < size; ++i) {
    const char c = piece[i];
    const bool digit = c >= '0' && c <= '9';
    switch (number) {
      case NumberPart::Minus:
        if (!digit) {
          return fail("bad number");
        }
        number = c == '0' ? NumberPart::Zero : NumberPart::Integer;
        break;
      case NumberPart::Integer:
        if (digit) {
          break;
        }
        [[fallthrough]];
      case NumberPart::Zero:
        if (c == '.') {
          number = NumberPart::Dot;
        } else if (c == 'e' || c == 'E') {
          number = NumberPart::Exponent;
        } else {
          return endNumber(i);
        }
        break;
      case NumberPart::Dot:
        if (!digit) {
          return fail("bad number");
        }
        number = NumberPart::Fraction;
        break;
      case NumberPart::Fraction:
        if (c == 'e' || c == 'E') {
          number = NumberPart::Exponent;
        } else if (!digit) {
          return endNumber(i);
        }
        break;
      case NumberPart::Exponent:
        if (c == '+' || c == '-') {
          number = NumberPart::ExponentSign;
          break;
        }
        [[fallthrough]];
      case NumberPart::ExponentSign:
        if (!digit) {
          return fail("bad number");
        }
        number = NumberPart::ExponentDigits;
        break;
      case NumberPart::ExponentDigits:
        if (!digit) {
          return endNumber(i);
        }
        break;
    }
  }
  return i;
}

std::size_t JsonMasker::State::endNumber(std::size_t i) {
  if (number != NumberPart::Zero && number != NumberPart::Integer && number != NumberPart::Fraction &&
      number != NumberPart::ExponentDigits) {
    return fail("bad number");
  }
  return afterValue(i);
}

std::size_t JsonMasker::State::scanLiteral(std::size_t i) {
  while (i < size) {
    if (piece[i] != literal[literalPos]) {
      return fail("bad literal");
    }
    ++i;
    if (literal[++literalPos] == '\0') {
      return afterValue(i);
    }
  }
  return i;
}

Role JsonMasker::State::roleForKey(std::string_view key) const {
  const Frame& frame = stack.back();
  switch (frame.role) {
    case Role::SecretData:
      return Role::MaskBase64;
    case Role::SecretStringData:
      return Role::MaskText;
    case Role::ConfigMapData:
      return profile.configMapKeyMasked(key) || (rootIsHelmRelease && key == "release") ? Role::MaskText
                                                                                         : Role::Plain;
    case Role::ConfigMapBinaryData:
      return profile.configMapKeyMasked(key) ? Role::MaskBase64 : Role::Plain;
    case Role::Annotations:
      return maskLastApplied && key == kLastAppliedAnnotation ? Role::LastApplied : Role::Plain;
    case Role::Labels:
      return key == "owner" ? Role::HelmOwnerLabel : Role::Plain;
    case Role::TokenStatus:
      return key == "token" ? Role::MaskText : Role::Plain;
    case Role::EnvEntry:
      if (key == "name") return Role::EnvName;
      if (key == "value") return Role::EnvValue;
      break;
    default:
      break;
  }
  if (key == "env") return Role::EnvArray;
  if (key == "metadata") return frame.role == Role::Root ? Role::RootMetadata : Role::Metadata;
  switch (frame.role) {
    case Role::Root:
      if (stack.size() == 1) {
        if (key == "items") return Role::RootList;
        if (key == "object") return Role::Root;
        if (key == "rows") return Role::TableRows;
      }
      if (maskSecrets && key == "data") return Role::SecretData;
      if (maskSecrets && key == "stringData") return Role::SecretStringData;
      if (maskConfigMaps && key == "data") return Role::ConfigMapData;
      if (maskConfigMaps && key == "binaryData") return Role::ConfigMapBinaryData;
      if (maskToken && key == "status") return Role::TokenStatus;
      return Role::Plain;
    case Role::TableRow:
      return key == "object" ? Role::Root : Role::Plain;
    case Role::RootMetadata:
      if (key == "name") return Role::RootName;
      if (key == "labels") return Role::Labels;
      if (key == "annotations") return Role::Annotations;
      return Role::Plain;
    case Role::Metadata:
      return key == "annotations" ? Role::Annotations : Role::Plain;
    default:
      return Role::Plain;
  }
}

// Decides a held string value; true when `replacement` is to be written instead.
bool JsonMasker::State::decideValue(std::string_view raw) {
  std::string_view text = raw;
  if (hasEscape) {
    unescapeJsonString(raw, decoded);
    text = decoded;
  }
  switch (stringRole) {
    case Role::LastApplied:
      return maskEmbeddedDocument(text);
    case Role::RootName:
      // Helm's release storage; the Helm label below says the same for releases not named the usual way.
      rootIsHelmRelease = rootIsHelmRelease || (profile.spec().secretValues && text.starts_with(kHelmReleasePrefix));
      break;
    case Role::HelmOwnerLabel:
      rootIsHelmRelease = rootIsHelmRelease || (profile.spec().secretValues && text == "helm");
      break;
    case Role::EnvName:
      envNameMatched = envNameMatched || (capturingEnvEntryField() && profile.envNameMasked(text));
      break;
    default:
      break;
  }
  return redactDetected(text);
}

bool JsonMasker::State::redactDetected(std::string_view text) {
  if (!detectors || !detectors->any(text)) {
    return false;
  }
  scratch.assign(text);
  masked += detectors->redact(scratch);
  replacement.clear();
  appendJsonEscaped(scratch, replacement);
  return true;
}

// The annotation holds a whole manifest as a JSON string: it is masked as the object it describes.
// Text that is not JSON cannot be masked field by field, so it is replaced whole.
bool JsonMasker::State::maskEmbeddedDocument(std::string_view text) {
  std::string masking;
  std::string embeddedError;
  std::uint64_t embeddedMasked = 0;
  if (!maskJsonDocumentCounting(profile, MaskTarget{apiGroup, resource, subresource}, text, masking, embeddedError, embeddedMasked)) {
    replacement.assign(kMaskedText);
    ++masked;
    return true;
  }
  if (embeddedMasked == 0) {
    return false;
  }
  masked += embeddedMasked;
  replacement.clear();
  appendJsonEscaped(masking, replacement);
  return true;
}

JsonMasker::JsonMasker(const Profile& profile, MaskTarget target)
    : state_(std::make_unique<State>(profile, target, false)) {}
JsonMasker::~JsonMasker() = default;
JsonMasker::JsonMasker(JsonMasker&&) noexcept = default;
JsonMasker& JsonMasker::operator=(JsonMasker&&) noexcept = default;

bool JsonMasker::write(std::string_view piece, std::string& out) { return state_->write(piece, out); }
bool JsonMasker::finish(std::string& out) { return state_->finish(out); }
const std::string& JsonMasker::error() const { return state_->error; }
std::uint64_t JsonMasker::maskedValues() const { return state_->masked; }

namespace {

// Output of a document that turns out malformed is taken back: the caller gets nothing half-done.
bool maskJsonDocumentCounting(const Profile& profile, MaskTarget target, std::string_view json, std::string& out,
                              std::string& error, std::uint64_t& masked) {
  JsonMasker::State state(profile, target, true);
  const std::size_t outSizeBefore = out.size();
  const bool ok = state.write(json, out) && state.finish(out);
  if (!ok) {
    out.resize(outSizeBefore);
  }
  error = state.error;
  masked = state.masked;
  return ok;
}

}  // namespace

bool maskJsonDocument(const Profile& profile, MaskTarget target, std::string_view json, std::string& out,
                      std::string& error) {
  std::uint64_t masked = 0;
  return maskJsonDocumentCounting(profile, target, json, out, error, masked);
}

}  // namespace kubegate::mask
