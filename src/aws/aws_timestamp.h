// The timestamps AWS hands out with temporary credentials (STS `Expiration`, the container and
// instance-metadata `Expiration`, AWS_CREDENTIAL_EXPIRATION): ISO 8601 in UTC or with an offset.
#pragma once

#include <optional>
#include <string_view>

#include "aws/aws_types.h"

namespace kubegate::aws {

// Accepts YYYY-MM-DDTHH:MM:SS, optional fraction, then Z or ±HH:MM (or ±HHMM). Nothing else.
std::optional<Clock::time_point> parseAwsTimestamp(std::string_view text);

}  // namespace kubegate::aws
