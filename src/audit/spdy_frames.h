// Incremental SPDY/3.1 frame reader for session recording (the framing moby/spdystream speaks,
// docs in /work/shared/notes/kubernetes-wire.md §3.4). One reader per direction of a connection:
// header blocks of one direction share one zlib context for the connection's whole life, so the
// reader must see every header-carrying frame of its direction, in order. DATA payloads stream
// through without buffering; control frames are held whole but are small and capped.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubegate::audit {

// Name/value pairs as sent: lowercase names, repeated values joined with NUL.
using SpdyHeaderBlock = std::vector<std::pair<std::string, std::string>>;

// The value of `name` in `headers`, or empty.
std::string_view spdyHeaderValue(const SpdyHeaderBlock& headers, std::string_view name);

// The 1423-byte SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1).
std::string_view spdyHeaderDictionary();

enum class SpdyControlType : std::uint16_t {
  synStream = 1,
  synReply = 2,
  rstStream = 3,
  settings = 4,
  ping = 6,
  goAway = 7,
  headers = 8,
  windowUpdate = 9,
};

inline constexpr std::uint8_t kSpdyFlagFin = 0x01;

class SpdyFrameSink {
 public:
  virtual ~SpdyFrameSink() = default;
  virtual void onSynStream(std::uint32_t streamId, std::uint8_t flags, const SpdyHeaderBlock& headers) {}
  virtual void onSynReply(std::uint32_t streamId, std::uint8_t flags, const SpdyHeaderBlock& headers) {}
  virtual void onHeaders(std::uint32_t streamId, std::uint8_t flags, const SpdyHeaderBlock& headers) {}
  virtual void onRstStream(std::uint32_t streamId, std::uint32_t status) {}
  virtual void onGoAway(std::uint32_t lastGoodStreamId, std::uint32_t status) {}
  // A DATA frame's payload, in pieces; onDataEnd follows once the frame is complete (also for
  // an empty frame, which is how a FIN usually travels).
  virtual void onData(std::uint32_t streamId, std::span<const char> piece) {}
  virtual void onDataEnd(std::uint32_t streamId, std::uint8_t flags) {}
  // The undecoded bytes of each control frame, its 8-byte header first, in order and before the
  // frame's decoded callback: for a relay that forwards control frames unchanged (header blocks
  // share one zlib context per direction, so they can never be re-encoded).
  virtual void onControlBytes(std::span<const char> piece) {}
};

class SpdyFrameReader {
 public:
  // Control frames and inflated header blocks are tiny in practice (a handful of headers); these
  // caps bound memory against a peer that says otherwise.
  static constexpr std::size_t kMaxControlFrameLength = 64 * 1024;
  static constexpr std::size_t kMaxHeaderBlockLength = 256 * 1024;

  explicit SpdyFrameReader(SpdyFrameSink& sink);
  ~SpdyFrameReader();
  SpdyFrameReader(const SpdyFrameReader&) = delete;
  SpdyFrameReader& operator=(const SpdyFrameReader&) = delete;

  // Consumes every byte of `bytes`. Returns false once the reader has stopped (now or earlier).
  bool feed(std::span<const char> bytes);

  bool stopped() const { return !stopReason_.empty(); }
  const std::string& stopReason() const { return stopReason_; }
  std::uint64_t framesRead() const { return framesRead_; }

 private:
  struct Inflater;

  std::size_t consumeHeader(std::span<const char> bytes);
  std::size_t consumeBody(std::span<const char> bytes);
  void startFrame();
  void finishFrame();
  void dispatchControl();
  bool readHeaderBlock(std::string_view compressed, SpdyHeaderBlock& out);
  void stop(std::string reason);

  SpdyFrameSink& sink_;
  std::unique_ptr<Inflater> inflater_;
  unsigned char header_[8] = {};
  std::size_t headerLength_ = 0;
  bool inBody_ = false;
  bool control_ = false;
  bool keepBody_ = false;  // a control frame we decode, as opposed to one we skip
  std::uint16_t version_ = 0;
  std::uint16_t type_ = 0;
  std::uint32_t streamId_ = 0;
  std::uint8_t flags_ = 0;
  std::uint32_t length_ = 0;
  std::uint32_t bodyRead_ = 0;
  std::string body_;
  std::uint64_t framesRead_ = 0;
  std::string stopReason_;
};

}  // namespace kubegate::audit
