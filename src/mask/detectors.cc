#include "mask/detectors.h"

#include <hs/hs.h>

#include <cstdlib>
#include <limits>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "mask/card_numbers.h"
#include "mask/private_key_marker.h"

namespace kubegate::mask {

namespace detail {

MarkerResult matchPrivateKeyMarker(std::string_view text, std::size_t at, std::string_view markerStart) {
  static constexpr std::string_view kKeyWords = " PRIVATE KEY";
  static constexpr std::string_view kDashes = "-----";
  // Longer than any real algorithm name ("ENCRYPTED", "OPENSSH", "DSA"…): bounds what a stream
  // holds back while it waits for a marker to complete.
  static constexpr std::size_t kMaxWords = 64;
  const std::string_view rest = text.substr(at);
  if (rest.size() < markerStart.size()) {
    return {markerStart.starts_with(rest) ? MarkerMatch::kPartial : MarkerMatch::kNo};
  }
  if (!rest.starts_with(markerStart)) return {};
  std::size_t i = markerStart.size();
  while (i < rest.size() && i - markerStart.size() <= kMaxWords && ((rest[i] >= 'A' && rest[i] <= 'Z') || rest[i] == ' ')) {
    ++i;
  }
  if (i - markerStart.size() > kMaxWords) return {};
  if (i == rest.size()) return {MarkerMatch::kPartial};
  const std::string_view words = rest.substr(markerStart.size(), i - markerStart.size());
  if (words.front() != ' ' || !words.ends_with(kKeyWords)) return {};
  const std::string_view tail = rest.substr(i);
  if (tail.size() < kDashes.size()) return {kDashes.starts_with(tail) ? MarkerMatch::kPartial : MarkerMatch::kNo};
  if (!tail.starts_with(kDashes)) return {};
  return {MarkerMatch::kYes, at + i + kDashes.size()};
}

std::size_t findPrivateKeyEnd(std::string_view text, std::size_t from) {
  for (std::size_t at = text.find(kEndMarkerStart, from); at != std::string_view::npos;
       at = text.find(kEndMarkerStart, at + 1)) {
    const MarkerResult marker = matchPrivateKeyMarker(text, at, kEndMarkerStart);
    if (marker.match == MarkerMatch::kYes) return marker.end;
  }
  return std::string_view::npos;
}

}  // namespace detail

namespace {

// How a Hyperscan match becomes the range to mask.
enum class Report : std::uint8_t {
  kWhole,            // [from, to); compiled with start of match
  kSkipPrefix,       // [from + length, to); compiled with start of match
  kTail,             // [to - length, to): a fixed-length secret ends the match
  kPairValue,        // the match ends on the first byte of a value that runs to a delimiter
  kUrlPassword,      // the match ends on the '@' of scheme://user:password@
  kPrivateKeyBegin,  // a BEGIN line: the block runs to its END line, else to the end of the text
};

struct Rule {
  Report report = Report::kWhole;
  std::uint32_t length = 0;
};

struct BuiltinPattern {
  std::string_view detector;
  const char* regex;
  Report report;
  std::uint32_t length;
};

// Anchored on literals wherever possible: Hyperscan's literal prefilter is what keeps text with
// nothing to mask fast.
const BuiltinPattern kBuiltinPatterns[] = {
    {"aws-access-key", "(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", Report::kTail, 20},
    {"aws-secret-key", R"re((?i)secret[_-]?access[_-]?key\\?["']?[ \t]*[=:][ \t]*\\?["']?[A-Za-z0-9/+]{40})re",
     Report::kTail, 40},
    {"pem-private-key", "-----BEGIN [A-Z ]*PRIVATE KEY-----", Report::kPrivateKeyBegin, 0},
    {"jwt", R"re(eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)re", Report::kWhole, 0},
    {"github-token", "gh[pousr]_[A-Za-z0-9]{36}", Report::kTail, 40},
    {"github-token", "github_pat_[A-Za-z0-9_]{82}", Report::kTail, 93},
    {"gitlab-token", "glpat-[A-Za-z0-9_-]{20}", Report::kTail, 26},
    {"slack-token", "xox[baprs]-[A-Za-z0-9-]{10,}", Report::kWhole, 0},
    {"slack-token", R"re(hooks\.slack\.com/services/[A-Za-z0-9_/]+)re", Report::kSkipPrefix, 25},
    {"stripe-key", "(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,}", Report::kWhole, 0},
    // The value's first byte may not open a bracket, so `secret: {` in a log is left alone.
    {"password-pair",
     R"re((?i)(?:password|passwd|pwd|secret|token|api[_-]?key)\\?["']?[ \t]*[=:][ \t]*\\?["']?[^\s"'&;,{\[(<\\])re",
     Report::kPairValue, 0},
    {"connection-string-credentials", R"re(://[^\s:@/]*:[^\s@/]+@)re", Report::kUrlPassword, 0},
};

// hs_scan takes an unsigned length; longer texts are scanned in overlapping windows.
constexpr std::size_t kMaxScanWindow = std::size_t{1} << 30;

bool endsPairValue(char c) {
  switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
    case '"': case '\'': case '&': case ';': case ',':
      return true;
    default:
      return false;
  }
}

std::uint64_t nextDatabaseSerial() {
  static std::atomic<std::uint64_t> serial{0};
  return ++serial;
}

}  // namespace

struct Detectors::Impl {
  hs_database_t* database = nullptr;  // null when card numbers are all there is to find
  bool cardNumbers = false;
  // No secret is shorter than this: most string values of an object (names, "TCP", "Always") are,
  // and skip the scan.
  std::size_t shortestMatch = 0;
  std::vector<Rule> rules;  // by Hyperscan expression id
  std::uint64_t serial = nextDatabaseSerial();

  ~Impl() { hs_free_database(database); }
};

namespace {

// One scratch per thread, grown to fit every database the thread has scanned with (Hyperscan
// allows one scratch for several databases). A database is remembered by serial, not address, so
// a new database at a freed one's address is still fitted.
class ThreadScratch {
 public:
  ThreadScratch() = default;
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
  ~ThreadScratch() { hs_free_scratch(scratch_); }

  hs_scratch_t* fitting(const Detectors::Impl& impl) {
    if (impl.serial == lastSerial_ ||
        std::find(fitted_.begin(), fitted_.end(), impl.serial) != fitted_.end()) {
      lastSerial_ = impl.serial;
      return scratch_;
    }
    if (hs_alloc_scratch(impl.database, &scratch_) != HS_SUCCESS) return nullptr;
    // Config reloads bring new databases; forgetting old serials only costs a re-check.
    if (fitted_.size() >= kRemembered) fitted_.clear();
    fitted_.push_back(impl.serial);
    lastSerial_ = impl.serial;
    return scratch_;
  }

 private:
  static constexpr std::size_t kRemembered = 64;
  hs_scratch_t* scratch_ = nullptr;
  std::uint64_t lastSerial_ = 0;
  std::vector<std::uint64_t> fitted_;
};

thread_local ThreadScratch threadScratch;

struct Scan {
  std::string_view text;
  const std::vector<Rule>* rules = nullptr;
  std::vector<Range>* found = nullptr;
  std::size_t firstNew = 0;   // this scan's ranges start here in *found
  std::size_t base = 0;       // offset of the window being scanned
  bool stopAtFirst = false;
};

// Joins ranges as they come (Hyperscan reports a growing match once per end offset); what arrives
// out of order is joined by sortAndMerge afterwards.
void addRange(Scan& scan, Range range) {
  std::vector<Range>& found = *scan.found;
  if (found.size() > scan.firstNew) {
    Range& last = found.back();
    if (range.begin <= last.end && range.end >= last.begin) {
      last.begin = std::min(last.begin, range.begin);
      last.end = std::max(last.end, range.end);
      return;
    }
  }
  found.push_back(range);
}

void sortAndMerge(std::vector<Range>& found, std::size_t firstNew) {
  const auto first = found.begin() + static_cast<std::ptrdiff_t>(firstNew);
  std::sort(first, found.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  auto kept = first;
  for (auto it = first; it != found.end(); ++it) {
    if (kept != first && it->begin <= std::prev(kept)->end) {
      std::prev(kept)->end = std::max(std::prev(kept)->end, it->end);
    } else {
      *kept++ = *it;
    }
  }
  found.erase(kept, found.end());
}

Range pairValue(std::string_view text, std::size_t first) {
  std::size_t end = first;
  while (end < text.size() && !endsPairValue(text[end])) ++end;
  // `password=\"hunter2\"` inside an escaped JSON string: the backslash belongs to the quote.
  if (end > first + 1 && end < text.size() && text[end - 1] == '\\' && (text[end] == '"' || text[end] == '\'')) {
    --end;
  }
  return {first, end};
}

int onMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* context) {
  Scan& scan = *static_cast<Scan*>(context);
  const Rule& rule = (*scan.rules)[id];
  const std::size_t begin = scan.base + static_cast<std::size_t>(from);
  const std::size_t end = scan.base + static_cast<std::size_t>(to);
  switch (rule.report) {
    case Report::kWhole:
      addRange(scan, Range{begin, end});
      break;
    case Report::kSkipPrefix:
      addRange(scan, Range{begin + rule.length, end});
      break;
    case Report::kTail:
      addRange(scan, Range{end - rule.length, end});
      break;
    case Report::kPairValue:
      addRange(scan, pairValue(scan.text, end - 1));
      break;
    case Report::kUrlPassword: {
      const std::size_t at = end - 1;
      const std::size_t scheme = scan.text.rfind("://", at);
      if (scheme == std::string_view::npos) return 0;
      const std::size_t colon = scan.text.find(':', scheme + 3);
      if (colon >= at) return 0;
      addRange(scan, Range{colon + 1, at});
      break;
    }
    case Report::kPrivateKeyBegin: {
      const std::size_t blockBegin = scan.text.rfind(detail::kBeginMarkerStart, end);
      const std::size_t blockEnd = detail::findPrivateKeyEnd(scan.text, end);
      addRange(scan, Range{blockBegin, blockEnd == std::string_view::npos ? scan.text.size() : blockEnd});
      break;
    }
  }
  return scan.stopAtFirst ? 1 : 0;
}

// False when Hyperscan could not scan (out of memory, a corrupt database).
bool scanPatterns(const Detectors::Impl& impl, Scan& scan) {
  hs_scratch_t* scratch = threadScratch.fitting(impl);
  if (scratch == nullptr) return false;
  const std::string_view text = scan.text;
  for (std::size_t base = 0;;) {
    const std::size_t length = std::min(text.size() - base, kMaxScanWindow);
    scan.base = base;
    const hs_error_t status = hs_scan(impl.database, text.data() + base, static_cast<unsigned>(length), 0, scratch,
                                      onMatch, &scan);
    if (status == HS_SCAN_TERMINATED) return true;
    if (status != HS_SUCCESS) return false;
    if (base + length >= text.size()) return true;
    base += length - Detectors::kMaxHeldBytes;
  }
}

void scanText(const Detectors::Impl& impl, std::string_view text, std::vector<Range>& found, bool stopAtFirst) {
  if (text.empty() || text.size() < impl.shortestMatch) return;
  Scan scan;
  scan.text = text;
  scan.rules = &impl.rules;
  scan.found = &found;
  scan.firstNew = found.size();
  scan.stopAtFirst = stopAtFirst;
  if (impl.database != nullptr && !scanPatterns(impl, scan)) {
    // Mask everything rather than let a secret through.
    found.resize(scan.firstNew);
    found.push_back(Range{0, text.size()});
    return;
  }
  const bool done = stopAtFirst && found.size() > scan.firstNew;
  if (impl.cardNumbers && !done) detail::findCardNumbers(text, found, stopAtFirst);
  sortAndMerge(found, scan.firstNew);
}

struct SelectedPattern {
  std::string regex;
  unsigned flags = 0;
  Rule rule;
  std::string origin;  // names the detector or user pattern in errors
};

struct Selection {
  std::vector<SelectedPattern> patterns;
  bool cardNumbers = false;
};

Selection select(const std::vector<std::string>& builtins, const std::vector<PatternSpec>& patterns) {
  const auto& names = builtinDetectorNames();
  std::vector<bool> chosen(names.size(), false);
  for (const std::string& name : builtins) {
    if (name == "all") {
      chosen.assign(names.size(), true);
      continue;
    }
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::invalid_argument("unknown detector \"" + name + "\"");
    chosen[static_cast<std::size_t>(it - names.begin())] = true;
  }
  Selection selection;
  const auto isChosen = [&](std::string_view name) {
    return chosen[static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin())];
  };
  selection.cardNumbers = isChosen("card-number");
  for (const BuiltinPattern& builtin : kBuiltinPatterns) {
    if (!isChosen(builtin.detector)) continue;
    const bool needsStart = builtin.report == Report::kWhole || builtin.report == Report::kSkipPrefix;
    selection.patterns.push_back({builtin.regex, needsStart ? HS_FLAG_SOM_LEFTMOST : 0u,
                                  Rule{builtin.report, builtin.length},
                                  "detector \"" + std::string(builtin.detector) + "\""});
  }
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const std::string origin = patterns[i].name.empty() ? "patterns[" + std::to_string(i) + "]"
                                                        : "pattern \"" + patterns[i].name + "\"";
    selection.patterns.push_back({patterns[i].regex, HS_FLAG_SOM_LEFTMOST, Rule{Report::kWhole, 0}, origin});
  }
  return selection;
}

// The fewest bytes any selected detector can match (Hyperscan's min_width per expression; card
// numbers have at least 13 digits). 0 when that cannot be told: then every text is scanned.
std::size_t shortestMatch(const Selection& selection) {
  constexpr std::size_t kShortestCardNumber = 13;
  std::size_t shortest = selection.cardNumbers ? kShortestCardNumber : std::numeric_limits<std::size_t>::max();
  for (const SelectedPattern& pattern : selection.patterns) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_expression_info(pattern.regex.c_str(), pattern.flags, &info, &error) != HS_SUCCESS) {
      if (error != nullptr) hs_free_compile_error(error);
      return 0;
    }
    shortest = std::min<std::size_t>(shortest, info->min_width);
    std::free(info);
  }
  return shortest == std::numeric_limits<std::size_t>::max() ? 0 : shortest;
}

}  // namespace

std::shared_ptr<const Detectors> Detectors::compile(const std::vector<std::string>& builtins,
                                                    const std::vector<PatternSpec>& patterns) {
  const Selection selection = select(builtins, patterns);
  if (selection.patterns.empty() && !selection.cardNumbers) return nullptr;

  auto impl = std::make_unique<Impl>();
  impl->cardNumbers = selection.cardNumbers;
  impl->shortestMatch = shortestMatch(selection);
  if (!selection.patterns.empty()) {
    std::vector<const char*> expressions;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (const SelectedPattern& pattern : selection.patterns) {
      expressions.push_back(pattern.regex.c_str());
      flags.push_back(pattern.flags);
      ids.push_back(static_cast<unsigned>(impl->rules.size()));
      impl->rules.push_back(pattern.rule);
    }
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                         HS_MODE_BLOCK, nullptr, &impl->database, &error) != HS_SUCCESS) {
      std::string message = error != nullptr ? error->message : "cannot compile";
      if (error != nullptr && error->expression >= 0 &&
          static_cast<std::size_t>(error->expression) < selection.patterns.size()) {
        message = selection.patterns[static_cast<std::size_t>(error->expression)].origin + ": " + message;
      }
      if (error != nullptr) hs_free_compile_error(error);
      throw std::invalid_argument(message);
    }
  }
  return std::shared_ptr<const Detectors>(new Detectors(std::move(impl)));
}

Detectors::Detectors(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Detectors::~Detectors() = default;

void Detectors::find(std::string_view text, std::vector<Range>& found) const { scanText(*impl_, text, found, false); }

bool Detectors::any(std::string_view text) const {
  thread_local std::vector<Range> found;
  found.clear();
  scanText(*impl_, text, found, true);
  return !found.empty();
}

std::size_t Detectors::redact(std::string& text) const {
  thread_local std::vector<Range> found;
  found.clear();
  find(text, found);
  if (found.empty()) return 0;
  std::string redacted;
  redacted.reserve(text.size());
  std::size_t copied = 0;
  for (const Range& range : found) {
    redacted.append(text, copied, range.begin - copied).append(kMaskedText);
    copied = range.end;
  }
  redacted.append(text, copied);
  text.swap(redacted);
  return found.size();
}

}  // namespace kubegate::mask
