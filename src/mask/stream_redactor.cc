#include <algorithm>
#include <cstring>

#include "mask/detectors.h"
#include "mask/private_key_marker.h"

namespace kubegate::mask {

namespace {

using detail::MarkerMatch;

constexpr std::size_t kNone = std::string_view::npos;
// Detectors that mask a BEGIN line also mask this; the stream only keeps masking past a released
// BEGIN when the profile masks private keys at all.
constexpr std::string_view kPrivateKeyProbe = "-----BEGIN PRIVATE KEY-----\n";
// Longer than any private-key marker line (see matchPrivateKeyMarker).
constexpr std::size_t kMarkerReach = 96;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// A character a secret can hold: printable ASCII other than space. Control characters end a word,
// so the escape sequences a full-screen program ends its output with do not look like one.
bool isWordChar(char c) { return c > ' ' && c < '\x7f'; }

// Where a terminal control sequence (CSI: ESC [ parameters intermediates final) that starts at
// `at` (just after the ESC) ends; `at` when it is not one or has not ended yet.
std::size_t controlSequenceEnd(std::string_view text, std::size_t at) {
  if (at >= text.size() || text[at] != '[') return at;
  std::size_t end = at + 1;
  while (end < text.size() && text[end] >= 0x30 && text[end] <= 0x3f) ++end;
  while (end < text.size() && text[end] >= 0x20 && text[end] <= 0x2f) ++end;
  return end < text.size() && text[end] >= 0x40 && text[end] <= 0x7e ? end + 1 : at;
}

// Where the word that ends `text` starts: after the last character no secret holds, and after the
// last whole control sequence (`\x1b[24;1H` is a cursor move, not the start of a token).
std::size_t trailingWordStart(std::string_view text) {
  std::size_t start = text.size();
  while (start > 0 && isWordChar(text[start - 1])) --start;
  if (start > 0 && text[start - 1] == '\x1b') start = controlSequenceEnd(text, start);
  return start;
}

// Where a BEGIN marker that `text` ends in the middle of starts, searching from `from`; else kNone.
std::size_t partialBeginAt(std::string_view text, std::size_t from) {
  for (std::size_t at = from; at < text.size(); ++at) {
    if (text[at] == '-' &&
        detail::matchPrivateKeyMarker(text, at, detail::kBeginMarkerStart).match == MarkerMatch::kPartial) {
      return at;
    }
  }
  return kNone;
}

std::size_t partialBeginNearEnd(std::string_view text) {
  return partialBeginAt(text, text.size() > kMarkerReach ? text.size() - kMarkerReach : 0);
}

// Whether `chunk`, whose last masked range starts at `from` and runs to its end, stops inside a
// private key whose END line has not come yet.
bool endsInsidePrivateKey(const Detectors& detectors, std::string_view chunk, std::size_t from) {
  for (std::size_t at = chunk.find(detail::kBeginMarkerStart, from); at != kNone;
       at = chunk.find(detail::kBeginMarkerStart, at + 1)) {
    const detail::MarkerResult begin = detail::matchPrivateKeyMarker(chunk, at, detail::kBeginMarkerStart);
    if (begin.match != MarkerMatch::kYes) continue;
    const std::size_t end = detail::findPrivateKeyEnd(chunk, begin.end);
    if (end == kNone) return detectors.any(kPrivateKeyProbe);
    at = end - 1;
  }
  return false;
}

struct KeyEnd {
  std::size_t end = kNone;       // just past the END marker, when found
  std::size_t keepFrom = kNone;  // else: what may be the start of a marker still arriving
};

KeyEnd findKeyEnd(std::string_view text) {
  for (std::size_t at = text.find(detail::kEndMarkerStart); at != kNone;
       at = text.find(detail::kEndMarkerStart, at + 1)) {
    const detail::MarkerResult marker = detail::matchPrivateKeyMarker(text, at, detail::kEndMarkerStart);
    if (marker.match == MarkerMatch::kYes) return {marker.end, kNone};
    if (marker.match == MarkerMatch::kPartial) return {kNone, at};
  }
  std::size_t kept = std::min(text.size(), detail::kEndMarkerStart.size() - 1);
  while (kept > 0 && !detail::kEndMarkerStart.starts_with(text.substr(text.size() - kept))) --kept;
  return {kNone, text.size() - kept};
}

// Where to split an over-long unfinished line: after the last whitespace before the limit that
// does not separate a `key:`/`key=` from its value, else so that half the limit stays held; never
// through a BEGIN marker.
std::size_t forcedCut(std::string_view held) {
  const std::string_view window = held.substr(0, Detectors::kMaxHeldBytes);
  std::size_t cut = 0;
  for (std::size_t i = window.size(); i > 0 && cut == 0;) {
    --i;
    if (!isSpace(window[i])) continue;
    std::size_t runStart = i;
    while (runStart > 0 && isSpace(window[runStart - 1])) --runStart;
    const bool joinsPair = runStart > 0 && (window[runStart - 1] == ':' || window[runStart - 1] == '=');
    if (!joinsPair) cut = i + 1;
    i = runStart;
  }
  if (cut == 0) cut = held.size() - Detectors::kMaxHeldBytes / 2;
  const std::size_t marker = partialBeginNearEnd(held.substr(0, cut));
  if (marker != kNone && marker > 0) cut = marker;
  return cut;
}

// The redactor's members, borrowed for one call; `owned` keeps the rest of a piece alive when it
// had to be joined with held bytes.
struct Stream {
  const Detectors& detectors;
  std::string& held;
  std::string& lineReleased;
  bool& insidePrivateKey;
  std::size_t& redactions;
  std::string& out;
  std::string owned;

  // Appends `chunk` redacted; afterwards insidePrivateKey says whether it ended inside a key. A
  // chunk that goes on a line partly released already is scanned with that part before it, and a
  // secret starting there is masked from the chunk's first byte.
  void release(std::string_view chunk) {
    thread_local std::vector<Range> ranges;
    thread_local std::string joined;
    ranges.clear();
    const std::size_t context = lineReleased.size();
    std::string_view text = chunk;
    if (context > 0) {
      joined.assign(lineReleased).append(chunk);
      text = joined;
    }
    detectors.find(text, ranges);
    rememberLine(chunk);
    std::size_t copied = context;
    std::size_t applied = 0;
    for (const Range& range : ranges) {
      if (range.end <= copied) continue;
      const std::size_t begin = std::max(range.begin, copied);
      out.append(text.substr(copied, begin - copied)).append(kMaskedText);
      copied = range.end;
      ++applied;
    }
    out.append(text.substr(copied));
    redactions += applied;
    if (applied == 0) return;
    const Range last = ranges.back();
    insidePrivateKey = last.end == text.size() && endsInsidePrivateKey(detectors, text, last.begin);
  }

  // Keeps the released part of the unfinished line, for the next chunk's scan.
  void rememberLine(std::string_view chunk) {
    const void* newline = memrchr(chunk.data(), '\n', chunk.size());
    if (newline != nullptr) {
      lineReleased.assign(static_cast<const char*>(newline) + 1, chunk.data() + chunk.size());
    } else {
      lineReleased.append(chunk);
    }
    if (lineReleased.size() > StreamRedactor::kLineContextBytes) {
      lineReleased.erase(0, lineReleased.size() - StreamRedactor::kLineContextBytes);
    }
  }

  // Drops key bytes through the END marker; returns the rest of `piece` after it, or nothing (and
  // holds a possible marker start) when the key goes on.
  std::string_view skipPrivateKey(std::string_view piece) {
    std::string_view text = piece;
    if (!held.empty()) {
      std::string joined = held;
      joined.append(piece);
      owned.swap(joined);
      text = owned;
      held.clear();
    }
    const KeyEnd keyEnd = findKeyEnd(text);
    if (keyEnd.end != kNone) {
      insidePrivateKey = false;
      // The key's BEGIN must not be read again as the start of the text after its END.
      lineReleased.clear();
      return text.substr(keyEnd.end);
    }
    held.assign(text.substr(keyEnd.keepFrom));
    return {};
  }

  // Releases the complete lines of `piece` and holds the unfinished one; returns the rest of the
  // piece when a released line opened a private key.
  std::string_view releaseLines(std::string_view piece) {
    const void* newline = memrchr(piece.data(), '\n', piece.size());
    if (newline == nullptr) {
      held.append(piece);
      return releaseOverLimit();
    }
    const std::size_t completeSize = static_cast<std::size_t>(static_cast<const char*>(newline) - piece.data()) + 1;
    std::string_view complete = piece.substr(0, completeSize);
    if (!held.empty()) {
      // The held line is finished on its own, so the rest of the piece is scanned where it lies.
      const std::size_t firstLine =
          static_cast<std::size_t>(static_cast<const char*>(std::memchr(complete.data(), '\n', complete.size())) -
                                   complete.data()) + 1;
      held.append(complete.substr(0, firstLine));
      release(held);
      held.clear();
      complete.remove_prefix(firstLine);
      if (insidePrivateKey) return piece.substr(firstLine);
    }
    if (!complete.empty()) {
      release(complete);
      if (insidePrivateKey) return piece.substr(completeSize);
    }
    held.assign(piece.substr(completeSize));
    return releaseOverLimit();
  }

  std::string_view releaseOverLimit() {
    while (held.size() > Detectors::kMaxHeldBytes) {
      const std::size_t cut = forcedCut(held);
      release(std::string_view(held).substr(0, cut));
      if (insidePrivateKey) {
        owned.assign(held, cut);
        held.clear();
        return owned;
      }
      held.erase(0, cut);
    }
    return {};
  }
};

}  // namespace

StreamRedactor::StreamRedactor(const Detectors& detectors) : detectors_(detectors) {}

void StreamRedactor::write(std::string_view piece, std::string& out) {
  if (!piece.empty()) keptThroughPause_ = false;
  Stream stream{detectors_, held_, lineReleased_, insidePrivateKey_, redactions_, out, {}};
  while (!piece.empty()) {
    piece = insidePrivateKey_ ? stream.skipPrivateKey(piece) : stream.releaseLines(piece);
  }
}

void StreamRedactor::releaseAfterPause(std::string& out, std::string_view echoOf) {
  keptThroughPause_ = true;
  if (insidePrivateKey_) return dropPrivateKeyBytes();
  // A BEGIN line cut by the pause stays held: released in halves, neither would be recognised.
  const std::size_t marker = partialBeginNearEnd(held_);
  std::size_t cut = marker == kNone ? held_.size() : marker;
  const std::size_t word = trailingWordStart(std::string_view(held_).substr(0, cut));
  const std::string_view trailing = std::string_view(held_).substr(word, cut - word);
  if (trailing.size() >= kMinHeldWord && echoOf.find(trailing) == std::string_view::npos) cut = word;
  releaseHeld(cut, out);
}

void StreamRedactor::flush(std::string& out) {
  if (insidePrivateKey_) return dropPrivateKeyBytes();
  const std::size_t marker = partialBeginNearEnd(held_);
  releaseHeld(marker == kNone ? held_.size() : marker, out);
}

void StreamRedactor::dropPrivateKeyBytes() {
  // Key bytes are never released; only what may begin the END marker stays.
  held_.erase(0, findKeyEnd(held_).keepFrom);
}

void StreamRedactor::releaseHeld(std::size_t cut, std::string& out) {
  if (cut == 0) return;
  Stream stream{detectors_, held_, lineReleased_, insidePrivateKey_, redactions_, out, {}};
  stream.release(std::string_view(held_).substr(0, cut));
  held_.erase(0, cut);
}

}  // namespace kubegate::mask
