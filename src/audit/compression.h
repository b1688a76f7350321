// zlib for attachments (bodies, terminal recordings), which compress well and dominate the log's size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "audit/store.h"

namespace kubegate::audit {

// The largest attachment the store accepts; inflating stops there, so a corrupted or hostile size
// column cannot make a reader allocate without bound.
inline constexpr std::size_t kMaxAttachmentBytes = 64u << 20;

StoreResult<std::string> deflateBytes(std::string_view raw);
// Fails unless `compressed` inflates to exactly `expectedSize` bytes (at most kMaxAttachmentBytes).
StoreResult<std::string> inflateBytes(std::string_view compressed, std::size_t expectedSize);

}  // namespace kubegate::audit
