#include "audit/compression.h"

#include <zlib.h>

namespace kubegate::audit {

StoreResult<std::string> deflateBytes(std::string_view raw) {
  if (raw.size() > kMaxAttachmentBytes) return StoreError{"attachment exceeds the size limit"};
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  std::string out(bound, '\0');
  // Level 1: the writer thread compresses on the commit path; speed matters more than the last percent.
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &bound, reinterpret_cast<const Bytef*>(raw.data()),
                     static_cast<uLong>(raw.size()), 1);
  if (rc != Z_OK) return StoreError{"zlib compression failed"};
  out.resize(bound);
  return StoreResult<std::string>(boost::system::in_place_value, std::move(out));
}

StoreResult<std::string> inflateBytes(std::string_view compressed, std::size_t expectedSize) {
  if (expectedSize > kMaxAttachmentBytes) return StoreError{"stored attachment size exceeds the limit"};
  // One extra byte detects data longer than the size column says.
  std::string out(expectedSize + 1, '\0');
  uLongf length = static_cast<uLongf>(out.size());
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &length, reinterpret_cast<const Bytef*>(compressed.data()),
                      static_cast<uLong>(compressed.size()));
  if ((rc != Z_OK && rc != Z_BUF_ERROR) || length != expectedSize || (rc == Z_BUF_ERROR && length == out.size()))
    return StoreError{"stored attachment is corrupt"};
  out.resize(length);
  return StoreResult<std::string>(boost::system::in_place_value, std::move(out));
}

}  // namespace kubegate::audit
