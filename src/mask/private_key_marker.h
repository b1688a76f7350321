// The `-----BEGIN … PRIVATE KEY-----` / `-----END … PRIVATE KEY-----` lines of a PEM private key,
// shared by the detectors (which mask a whole block) and the stream redactor (which keeps masking
// a block whose END has not arrived yet). Internal to src/mask.
#pragma once

#include <cstddef>
#include <string_view>

namespace kubegate::mask::detail {

enum class MarkerMatch {
  kNo,
  kPartial,  // `text` ends before the marker could be told apart: more bytes may complete it
  kYes,
};

struct MarkerResult {
  MarkerMatch match = MarkerMatch::kNo;
  std::size_t end = 0;  // just past the closing dashes, when kYes
};

inline constexpr std::string_view kBeginMarkerStart = "-----BEGIN";
inline constexpr std::string_view kEndMarkerStart = "-----END";

// Whether `-----<BEGIN|END> [A-Z ]*PRIVATE KEY-----` starts at `at` (`markerStart` is one of the
// two constants above).
MarkerResult matchPrivateKeyMarker(std::string_view text, std::size_t at, std::string_view markerStart);

// Where the first complete END marker at or after `from` ends, or npos.
std::size_t findPrivateKeyEnd(std::string_view text, std::size_t from);

}  // namespace kubegate::mask::detail
