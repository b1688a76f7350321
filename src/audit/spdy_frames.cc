#include "audit/spdy_frames.h"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "net/byte_order.h"

namespace kubegate::audit {
namespace {

std::uint32_t readU32(const unsigned char* p) { return static_cast<std::uint32_t>(net::loadBigEndian<4>(p)); }

std::uint32_t readU32(std::string_view s, std::size_t at) {
  return readU32(reinterpret_cast<const unsigned char*>(s.data()) + at);
}

std::string buildDictionary() {
  // Each word is preceded by its length as a big-endian u32; then a run of common values.
  static constexpr std::string_view kWords[] = {
      "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
      "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
      "content-base", "content-encoding", "content-language", "content-length", "content-location",
      "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
      "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
      "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
      "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
      "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
      "public", "set-cookie", "keep-alive", "origin"};
  static constexpr std::string_view kTail[] = {
      "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
      "203 Non-Authoritative Information", "204 No Content", "301 Moved Permanently", "400 Bad Request",
      "401 Unauthorized", "403 Forbidden", "404 Not Found", "500 Internal Server Error", "501 Not Implemented",
      "503 Service Unavailable", "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec", " 00:00:00",
      " Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
      "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,",
      "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."};
  std::string dictionary;
  for (std::string_view word : kWords) {
    const auto n = static_cast<std::uint32_t>(word.size());
    net::appendBigEndian<4>(dictionary, n);
    dictionary.append(word);
  }
  for (std::string_view part : kTail) dictionary.append(part);
  return dictionary;
}

// Parses `u32 count, {u32 len, name, u32 len, value}*`; false when the block is truncated.
bool parseNameValueBlock(std::string_view block, SpdyHeaderBlock& out) {
  if (block.size() < 4) return false;
  const std::uint32_t count = readU32(block, 0);
  std::size_t at = 4;
  auto readString = [&](std::string& into) {
    if (block.size() - at < 4) return false;
    const std::uint32_t n = readU32(block, at);
    at += 4;
    if (block.size() - at < n) return false;
    into.assign(block.substr(at, n));
    at += n;
    return true;
  };
  for (std::uint32_t i = 0; i < count; ++i) {
    std::pair<std::string, std::string> pair;
    if (!readString(pair.first) || !readString(pair.second)) return false;
    out.push_back(std::move(pair));
  }
  return true;
}

// Bytes before the header block (SYN_STREAM: ids, priority, slot), or the whole fixed body.
std::size_t fixedControlLength(SpdyControlType type) {
  switch (type) {
    case SpdyControlType::synStream: return 10;
    case SpdyControlType::synReply:
    case SpdyControlType::headers: return 4;
    default: return 8;
  }
}

}  // namespace

std::string_view spdyHeaderValue(const SpdyHeaderBlock& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

std::string_view spdyHeaderDictionary() {
  static const std::string dictionary = buildDictionary();
  return dictionary;
}

struct SpdyFrameReader::Inflater {
  z_stream stream{};
  bool ready = false;

  Inflater() { ready = inflateInit(&stream) == Z_OK; }
  ~Inflater() {
    if (ready) inflateEnd(&stream);
  }
};

SpdyFrameReader::SpdyFrameReader(SpdyFrameSink& sink) : sink_(sink), inflater_(std::make_unique<Inflater>()) {}

SpdyFrameReader::~SpdyFrameReader() = default;

bool SpdyFrameReader::feed(std::span<const char> bytes) {
  while (!bytes.empty() && !stopped()) {
    const std::size_t used = inBody_ ? consumeBody(bytes) : consumeHeader(bytes);
    bytes = bytes.subspan(used);
  }
  return !stopped();
}

std::size_t SpdyFrameReader::consumeHeader(std::span<const char> bytes) {
  const std::size_t take = std::min(sizeof header_ - headerLength_, bytes.size());
  std::copy_n(reinterpret_cast<const unsigned char*>(bytes.data()), take, header_ + headerLength_);
  headerLength_ += take;
  if (headerLength_ == sizeof header_) startFrame();
  return take;
}

void SpdyFrameReader::startFrame() {
  headerLength_ = 0;
  const std::uint32_t first = readU32(header_);
  control_ = (first & 0x80000000u) != 0;
  flags_ = header_[4];
  length_ = readU32(header_ + 4) & 0xFFFFFF;
  bodyRead_ = 0;
  body_.clear();
  if (control_) {
    version_ = static_cast<std::uint16_t>((first >> 16) & 0x7FFF);
    type_ = static_cast<std::uint16_t>(first & 0xFFFF);
    if (version_ != 3) return stop("SPDY control frame of version " + std::to_string(version_));
    const auto type = static_cast<SpdyControlType>(type_);
    const bool carriesHeaders = type == SpdyControlType::synStream || type == SpdyControlType::synReply ||
                                type == SpdyControlType::headers;
    keepBody_ = carriesHeaders || type == SpdyControlType::rstStream || type == SpdyControlType::goAway;
    // A skipped header block would desynchronise the connection-long zlib context.
    if (carriesHeaders && length_ > kMaxControlFrameLength) {
      return stop("SPDY control frame of " + std::to_string(length_) + " bytes exceeds the recording limit");
    }
    if (keepBody_ && length_ > kMaxControlFrameLength) keepBody_ = false;
    sink_.onControlBytes({reinterpret_cast<const char*>(header_), sizeof header_});
  } else {
    streamId_ = first & 0x7FFFFFFF;
  }
  inBody_ = true;
  if (length_ == 0) finishFrame();
}

std::size_t SpdyFrameReader::consumeBody(std::span<const char> bytes) {
  const std::size_t take = std::min<std::size_t>(bytes.size(), length_ - bodyRead_);
  if (!control_) {
    sink_.onData(streamId_, bytes.first(take));
  } else {
    sink_.onControlBytes(bytes.first(take));
    if (keepBody_) body_.append(bytes.data(), take);
  }
  bodyRead_ += static_cast<std::uint32_t>(take);
  if (bodyRead_ == length_) finishFrame();
  return take;
}

void SpdyFrameReader::finishFrame() {
  inBody_ = false;
  ++framesRead_;
  if (!control_) {
    sink_.onDataEnd(streamId_, flags_);
    return;
  }
  if (keepBody_) dispatchControl();
  body_.clear();
  if (body_.capacity() > 4096) body_.shrink_to_fit();
}

void SpdyFrameReader::dispatchControl() {
  const auto type = static_cast<SpdyControlType>(type_);
  const std::size_t fixed = fixedControlLength(type);
  if (body_.size() < fixed) return stop("short SPDY control frame of type " + std::to_string(type_));
  const std::uint32_t first = readU32(body_, 0) & 0x7FFFFFFF;
  if (type == SpdyControlType::rstStream) return sink_.onRstStream(first, readU32(body_, 4));
  if (type == SpdyControlType::goAway) return sink_.onGoAway(first, readU32(body_, 4));
  SpdyHeaderBlock headers;
  if (!readHeaderBlock(std::string_view(body_).substr(fixed), headers)) return;
  if (type == SpdyControlType::synStream) return sink_.onSynStream(first, flags_, headers);
  if (type == SpdyControlType::synReply) return sink_.onSynReply(first, flags_, headers);
  sink_.onHeaders(first, flags_, headers);
}

bool SpdyFrameReader::readHeaderBlock(std::string_view compressed, SpdyHeaderBlock& out) {
  z_stream& z = inflater_->stream;
  if (!inflater_->ready) {
    stop("zlib inflate context unavailable");
    return false;
  }
  std::string block;
  std::array<unsigned char, 4096> window;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  for (;;) {
    z.next_out = window.data();
    z.avail_out = static_cast<uInt>(window.size());
    int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      const std::string_view dictionary = spdyHeaderDictionary();
      rc = inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary.data()),
                                static_cast<uInt>(dictionary.size()));
      if (rc != Z_OK) {
        stop("SPDY header block uses an unknown zlib dictionary");
        return false;
      }
      continue;
    }
    block.append(reinterpret_cast<const char*>(window.data()), window.size() - z.avail_out);
    if (block.size() > kMaxHeaderBlockLength) {
      stop("SPDY header block exceeds the recording limit");
      return false;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // all input used, nothing more to flush
    if (rc != Z_OK && rc != Z_STREAM_END) {
      stop(std::string("SPDY header block does not inflate: ") + (z.msg ? z.msg : "zlib error"));
      return false;
    }
    if (z.avail_in == 0 && z.avail_out != 0) break;
    if (rc == Z_STREAM_END) break;
  }
  if (!parseNameValueBlock(block, out)) {
    stop("malformed SPDY name/value header block");
    return false;
  }
  return true;
}

void SpdyFrameReader::stop(std::string reason) {
  if (stopReason_.empty()) stopReason_ = std::move(reason);
}

}  // namespace kubegate::audit
