#include "audit/asciicast.h"
#include "http/base64.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace kubegate::audit {
namespace {

namespace json = boost::json;

enum class Utf8 { valid, invalid, truncated };

struct Utf8Step {
  std::size_t length;
  Utf8 status;
};

// The second byte's range depends on the lead byte (no overlongs, no surrogates, nothing past
// U+10FFFF); any further bytes are plain continuation bytes.
Utf8Step decodeOne(std::string_view s, std::size_t at) {
  const auto lead = static_cast<unsigned char>(s[at]);
  if (lead < 0x80) return {1, Utf8::valid};
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, Utf8::invalid};
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (at + i >= s.size()) return {i, Utf8::truncated};
    const auto c = static_cast<unsigned char>(s[at + i]);
    const unsigned char lo = i == 1 ? low : 0x80;
    const unsigned char hi = i == 1 ? high : 0xBF;
    if (c < lo || c > hi) return {i, Utf8::invalid};
  }
  return {length, Utf8::valid};
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

// The UTF-8 text for `bytes`, with U+FFFD for each invalid sequence; sets `lossy` if there was one.
std::string toUtf8Text(std::string_view bytes, bool& lossy) {
  std::string text;
  text.reserve(bytes.size());
  lossy = false;
  for (std::size_t at = 0; at < bytes.size();) {
    const Utf8Step step = decodeOne(bytes, at);
    if (step.status == Utf8::valid) {
      text.append(bytes.substr(at, step.length));
    } else {
      text.append(kReplacement);
      lossy = true;
    }
    at += step.length;
  }
  return text;
}

// Where a trailing, not yet complete UTF-8 sequence starts (bytes.size() if there is none).
std::size_t incompleteTailStart(std::string_view bytes) {
  const std::size_t from = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (std::size_t at = bytes.size(); at-- > from;) {
    const auto c = static_cast<unsigned char>(bytes[at]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: the lead is further back
    const Utf8Step step = decodeOne(bytes, at);
    return step.status == Utf8::truncated && at + step.length == bytes.size() ? at : bytes.size();
  }
  return bytes.size();
}

void appendTime(std::string& out, std::int64_t micros) {
  micros = std::max<std::int64_t>(micros, 0);
  std::array<char, 32> buf;
  const int n = std::snprintf(buf.data(), buf.size(), "%lld.%06lld", static_cast<long long>(micros / 1000000),
                              static_cast<long long>(micros % 1000000));
  out.append(buf.data(), static_cast<std::size_t>(n));
}

std::string eventLine(std::int64_t micros, std::string_view code, std::string_view bytes) {
  bool lossy = false;
  const std::string text = toUtf8Text(bytes, lossy);
  std::string line = "[";
  appendTime(line, micros);
  line += ", ";
  appendJsonString(line, code);
  line += ", ";
  appendJsonString(line, text);
  if (lossy) {
    line += ", {\"b64\": \"";
    line += encodeBase64(bytes);
    line += "\"}";
  }
  line += "]\n";
  return line;
}

std::optional<double> numberOf(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

template <class Number>
void readNumber(const json::object& o, std::string_view name, Number& into) {
  const json::value* field = o.if_contains(name);
  if (!field) return;
  if (std::optional<double> n = numberOf(*field)) into = static_cast<Number>(*n);
}

bool parseHeader(const json::value& v, AsciicastHeader& header, std::string& error) {
  const json::object* o = v.if_object();
  if (!o || !o->contains("version") || !numberOf(o->at("version")) || *numberOf(o->at("version")) != 2) {
    error = "the first line is not an asciicast v2 header";
    return false;
  }
  readNumber(*o, "width", header.width);
  readNumber(*o, "height", header.height);
  readNumber(*o, "timestamp", header.timestamp);
  if (const json::value* c = o->if_contains("command"); c && c->is_string()) header.command = c->get_string();
  if (const json::value* env = o->if_contains("env"); env && env->is_object()) {
    if (const json::value* t = env->get_object().if_contains("TERM"); t && t->is_string()) header.term = t->get_string();
  }
  return true;
}

std::optional<AsciicastEvent> parseEvent(const json::value& v) {
  const json::array* a = v.if_array();
  if (!a || a->size() < 3 || !numberOf((*a)[0]) || !(*a)[1].is_string() || !(*a)[2].is_string()) return std::nullopt;
  AsciicastEvent event{*numberOf((*a)[0]), std::string((*a)[1].get_string()), std::string((*a)[2].get_string())};
  if (a->size() > 3 && (*a)[3].is_object()) {
    if (const json::value* b64 = (*a)[3].get_object().if_contains("b64"); b64 && b64->is_string()) {
      std::optional<std::string> exact = decodeBase64(b64->get_string());
      if (!exact) return std::nullopt;
      event.data = std::move(*exact);
    }
  }
  return event;
}

}  // namespace

std::string jsonQuote(std::string_view bytes) {
  bool lossy = false;
  std::string out;
  appendJsonString(out, toUtf8Text(bytes, lossy));
  return out;
}

std::string formatSeconds(std::int64_t micros) {
  std::string out;
  appendTime(out, micros);
  return out;
}

std::string asciicastHeaderLine(const AsciicastHeader& header) {
  std::string line = "{\"version\": 2, \"width\": " + std::to_string(header.width) +
                     ", \"height\": " + std::to_string(header.height) +
                     ", \"timestamp\": " + std::to_string(header.timestamp) + ", \"command\": ";
  line += jsonQuote(header.command);
  line += ", \"env\": {\"TERM\": ";
  line += jsonQuote(header.term);
  line += "}}\n";
  return line;
}

std::string AsciicastWriter::event(std::int64_t micros, std::string_view code, std::string_view bytes) {
  auto it = carried_.find(code);
  std::string joined;
  if (it != carried_.end() && !it->second.empty()) {
    joined = std::move(it->second);
    it->second.clear();
    joined.append(bytes);
    bytes = joined;
  }
  const std::size_t tail = incompleteTailStart(bytes);
  if (tail < bytes.size()) {
    if (it == carried_.end()) it = carried_.emplace(std::string(code), std::string()).first;
    std::string rest(bytes.substr(tail));
    it->second = std::move(rest);
    bytes = bytes.substr(0, tail);
  }
  if (bytes.empty()) return {};
  return eventLine(micros, code, bytes);
}

std::string AsciicastWriter::flush(std::int64_t micros, std::string_view code) {
  auto it = carried_.find(code);
  if (it == carried_.end() || it->second.empty()) return {};
  std::string line = eventLine(micros, code, it->second);
  it->second.clear();
  return line;
}

std::size_t AsciicastWriter::carriedBytes() const {
  std::size_t n = 0;
  for (const auto& [code, bytes] : carried_) n += bytes.size();
  return n;
}

std::optional<AsciicastRecording> parseAsciicast(std::string_view text, std::string* error) {
  std::string why;
  AsciicastRecording recording;
  bool haveHeader = false;
  std::size_t lineNumber = 0;
  try {
    while (!text.empty()) {
      const std::size_t end = text.find('\n');
      const std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      ++lineNumber;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      boost::system::error_code ec;
      const json::value v = json::parse(line, ec);
      if (ec) {
        why = "line " + std::to_string(lineNumber) + " is not JSON: " + ec.message();
        break;
      }
      if (!haveHeader) {
        if (!parseHeader(v, recording.header, why)) break;
        haveHeader = true;
        continue;
      }
      std::optional<AsciicastEvent> event = parseEvent(v);
      if (!event) {
        why = "line " + std::to_string(lineNumber) + " is not an asciicast event";
        break;
      }
      recording.events.push_back(std::move(*event));
    }
    if (why.empty() && !haveHeader) why = "no asciicast header";
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (why.empty()) return recording;
  if (error) *error = why;
  return std::nullopt;
}

void replaySession(std::span<const AsciicastEvent> events, double speed, double maxIdleSeconds,
                   const ReplayCallbacks& callbacks) {
  double previous = 0;
  for (const AsciicastEvent& event : events) {
    const bool out = event.code == "o";
    if (!out && event.code != "e") continue;
    double gap = std::max(0.0, event.time - previous);
    previous = std::max(previous, event.time);
    if (maxIdleSeconds > 0) gap = std::min(gap, maxIdleSeconds);
    if (speed > 0 && gap > 0 && callbacks.sleep) {
      callbacks.sleep(std::chrono::microseconds(std::llround(gap / speed * 1e6)));
    }
    const auto& write = out ? callbacks.writeStdout : callbacks.writeStderr;
    if (write) write(event.data);
  }
}

}  // namespace kubegate::audit
