#include "audit/compression.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

namespace kubegate::audit {

namespace {

// Raw deflate skips zlib's adler32, which BM_AuditDataPath put at 8% of the record's CPU; the leaf
// hash already covers every byte. Zlib streams, the oldest format, have 8 (deflate) in the low
// nibble of their first byte, so neither marker can start one.
constexpr char kRawDeflate = '\0';
constexpr char kSealedDeflate = '\1';

// One deflate state per thread, reset between attachments: compress2 allocates and clears the
// window and hash tables for every call, which made a 20 KB PodList cost 48 us instead of 16 us.
class Deflater {
 public:
  Deflater() {
    // Level 1: the writer thread compresses on the commit path; speed matters more than the last
    // percent. Window bits negative: raw deflate, no zlib header or checksum.
    ready_ = deflateInit2(&stream_, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ready_) deflateEnd(&stream_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  bool deflateAll(std::string_view raw, char marker, std::string& out) {
    if (!ready_ || deflateReset(&stream_) != Z_OK) return false;
    // Into a reused buffer, then copied at its real size: sizing the result to deflateBound would
    // zero-fill more than the whole input for every attachment.
    scratch_.resize(std::max<std::size_t>(scratch_.size(), deflateBound(&stream_, static_cast<uLong>(raw.size()))));
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    stream_.avail_in = static_cast<uInt>(raw.size());
    stream_.next_out = scratch_.data();
    stream_.avail_out = static_cast<uInt>(scratch_.size());
    if (::deflate(&stream_, Z_FINISH) != Z_STREAM_END) return false;
    out.reserve(1 + stream_.total_out);
    out.push_back(marker);
    out.append(reinterpret_cast<const char*>(scratch_.data()), stream_.total_out);
    if (scratch_.size() > kKeptScratchBytes) {
      scratch_.clear();
      scratch_.shrink_to_fit();  // one large body does not pin its buffer for good
    }
    return true;
  }

 private:
  static constexpr std::size_t kKeptScratchBytes = 1u << 20;
  z_stream stream_{};
  bool ready_ = false;
  std::vector<unsigned char> scratch_;
};

// Inflates into `out` (sized expectedSize + 1, so data longer than the size column is caught);
// windowBits -15 for raw deflate, 15 for a zlib stream.
bool inflateInto(std::string_view compressed, int windowBits, std::string& out, std::size_t& length) {
  z_stream stream{};
  if (inflateInit2(&stream, windowBits) != Z_OK) return false;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&stream, Z_FINISH);
  length = stream.total_out;
  bool whole = rc == Z_STREAM_END && stream.avail_in == 0;
  inflateEnd(&stream);
  return whole;
}

}  // namespace

StoreResult<std::string> sealAttachment(std::string_view raw) {
  if (raw.size() > kMaxAttachmentBytes) return StoreError{"attachment exceeds the size limit"};
  thread_local Deflater deflater;
  std::string out;
  if (!deflater.deflateAll(raw, kSealedDeflate, out)) return StoreError{"zlib compression failed"};
  return StoreResult<std::string>(boost::system::in_place_value, std::move(out));
}

bool isSealedAttachment(std::string_view stored) { return !stored.empty() && stored.front() == kSealedDeflate; }

StoreResult<std::string> inflateBytes(std::string_view compressed, std::size_t expectedSize) {
  if (expectedSize > kMaxAttachmentBytes) return StoreError{"stored attachment size exceeds the limit"};
  // One extra byte detects data longer than the size column says.
  std::string out(expectedSize + 1, '\0');
  std::size_t length = 0;
  const bool raw = !compressed.empty() && (compressed.front() == kRawDeflate || compressed.front() == kSealedDeflate);
  if (raw) compressed.remove_prefix(1);
  if (!inflateInto(compressed, raw ? -15 : 15, out, length) || length != expectedSize)
    return StoreError{"stored attachment is corrupt"};
  out.resize(length);
  return StoreResult<std::string>(boost::system::in_place_value, std::move(out));
}

}  // namespace kubegate::audit
