// Card numbers (13-19 digits, optionally grouped by single spaces or dashes, Luhn-checked) found
// without Hyperscan: digit runs are too common in logs for an automaton to skip over them fast,
// while a 64-byte bitmask pass rules out almost every window at once. Internal to src/mask.
#pragma once

#include <string_view>
#include <vector>

#include "mask/detectors.h"

namespace kubegate::mask::detail {

// Appends the card numbers of `text` to `found`, unsorted and possibly overlapping; with
// `stopAtFirst`, returns after the first. Returns whether any was found.
bool findCardNumbers(std::string_view text, std::vector<Range>& found, bool stopAtFirst);

}  // namespace kubegate::mask::detail
