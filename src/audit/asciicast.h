// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/) as session recordings use it:
// a header line, then one [time, code, data] line per event. Codes: "o" stdout, "e" stderr,
// "i" stdin, "r" resize ("WxH"), "x" the exec error/status channel; players ignore codes they do
// not know. Data must be JSON text, but terminals send arbitrary bytes, so the writer keeps the
// exact bytes too: a UTF-8 sequence split between two events of a stream is carried into the
// next event of that stream, and bytes that still are not UTF-8 are written with U+FFFD in the
// text and a 4th element {"b64": "<the exact bytes>"}. The reader always returns exact bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kubegate::audit {

struct AsciicastHeader {
  int width = 80;
  int height = 24;
  std::int64_t timestamp = 0;  // unix seconds
  std::string command;
  std::string term;  // env.TERM
};

struct AsciicastEvent {
  double time = 0;  // seconds since the session started
  std::string code;
  std::string data;  // the exact bytes
};

struct AsciicastRecording {
  AsciicastHeader header;
  std::vector<AsciicastEvent> events;
};

// The header line, newline included.
std::string asciicastHeaderLine(const AsciicastHeader& header);

// Turns byte runs into event lines, carrying split UTF-8 sequences per code.
class AsciicastWriter {
 public:
  // The event line for `bytes` (newline included), or empty when all of them wait for the rest of
  // a UTF-8 sequence. `micros` is the time since the session started.
  std::string event(std::int64_t micros, std::string_view code, std::string_view bytes);
  // The line for bytes of `code` still carried at the end of the session (not UTF-8 on their own).
  std::string flush(std::int64_t micros, std::string_view code);
  // Bytes given to event() that no line holds yet.
  std::size_t carriedBytes() const;

 private:
  std::map<std::string, std::string, std::less<>> carried_;
};

// Parses a whole recording (header line and event lines). On failure returns nothing and, when
// `error` is given, says why.
std::optional<AsciicastRecording> parseAsciicast(std::string_view text, std::string* error = nullptr);

struct ReplayCallbacks {
  std::function<void(std::string_view)> writeStdout;
  std::function<void(std::string_view)> writeStderr;
  std::function<void(std::chrono::microseconds)> sleep;
};

// Writes "o" events to stdout and "e" events to stderr at the recorded pace divided by `speed`
// (0 = no waiting at all), with every gap capped at `maxIdleSeconds` (0 = no cap).
void replaySession(std::span<const AsciicastEvent> events, double speed, double maxIdleSeconds,
                   const ReplayCallbacks& callbacks);

// `bytes` as a JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD.
std::string jsonQuote(std::string_view bytes);
// Microseconds as seconds with 6 decimals, as event times are written ("12.000340").
std::string formatSeconds(std::int64_t micros);


}  // namespace kubegate::audit
