// Compression of attachments (bodies, terminal recordings), which compress well and dominate the
// log's size: zstd now, zlib formats still read (ADR 0013).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "audit/store.h"

namespace kubegate::audit {

// The largest attachment the store accepts; inflating stops there, so a corrupted or hostile size
// column cannot make a reader allocate without bound.
inline constexpr std::size_t kMaxAttachmentBytes = 64u << 20;

// A stored attachment's first byte says what it is:
//   0x02  sealed: a zstd frame, and the entry's leaf hash covers these stored bytes (leaf format 2)
//   0x01  sealed: raw deflate, leaf format 2 (gateways of 2026-11-29/30, before zstd)
//   0x00  raw deflate, leaf over the raw bytes (gateways of 2026-11-29/30, before sealing)
//   else  a zlib stream, leaf over the raw bytes (the first gateways)
StoreResult<std::string> sealAttachment(std::string_view raw);
bool isSealedAttachment(std::string_view stored);
// Fails unless `stored` inflates to exactly `expectedSize` bytes (at most kMaxAttachmentBytes).
StoreResult<std::string> inflateBytes(std::string_view stored, std::size_t expectedSize);


}  // namespace kubegate::audit
