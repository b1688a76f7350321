// The recorder's SPDY/3.1 frame reader: header blocks through one inflate context per direction
// (primed with the SPDY/3 dictionary), data streamed by stream id, frames kube-sim really sends,
// input split anywhere, and the frames it refuses.
#include "audit/spdy_frames.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "recording_frames.h"

namespace kubegate::audit {
namespace {

using testing::asSpan;
using testing::SpdyEncoder;

std::string describe(const SpdyHeaderBlock& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += " " + name + "=" + value;
  return out;
}

struct TranscriptSink : SpdyFrameSink {
  std::vector<std::string> lines;
  std::string data;

  void onSynStream(std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock& headers) override {
    lines.push_back("syn " + std::to_string(id) + " " + std::to_string(flags) + describe(headers));
  }
  void onSynReply(std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock& headers) override {
    lines.push_back("reply " + std::to_string(id) + " " + std::to_string(flags) + describe(headers));
  }
  void onHeaders(std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock& headers) override {
    lines.push_back("headers " + std::to_string(id) + describe(headers));
  }
  void onRstStream(std::uint32_t id, std::uint32_t status) override {
    lines.push_back("rst " + std::to_string(id) + " " + std::to_string(status));
  }
  void onGoAway(std::uint32_t lastGood, std::uint32_t status) override {
    lines.push_back("goaway " + std::to_string(lastGood));
  }
  void onData(std::uint32_t id, std::span<const char> piece) override { data.append(piece.data(), piece.size()); }
  void onDataEnd(std::uint32_t id, std::uint8_t flags) override {
    lines.push_back("data " + std::to_string(id) + " " + std::to_string(flags) + " " + data);
    data.clear();
  }
};

// A client's exec connection: three header blocks share one deflate context, so the later ones
// are mostly back-references into the earlier ones.
std::string execClientBytes() {
  // Appended one by one: the operands of a + chain may be evaluated in any order, and the
  // compression order must be the wire order.
  SpdyEncoder client;
  std::string bytes = client.synStream(1, {{"streamtype", "error"}});
  bytes += client.synStream(3, {{"streamtype", "stdin"}});
  bytes += client.synStream(5, {{"streamtype", "stdout"}});
  bytes += SpdyEncoder::control(4, 0, std::string(12, '\0'));
  bytes += client.ping(1);
  bytes += SpdyEncoder::data(3, "echo hi\n");
  bytes += SpdyEncoder::data(3, "", kSpdyFlagFin);
  bytes += client.rstStream(5, 5);
  bytes += client.goAway(0);
  return bytes;
}

const std::vector<std::string> kExecClientTranscript = {
    "syn 1 0 streamtype=error", "syn 3 0 streamtype=stdin", "syn 5 0 streamtype=stdout",
    "data 3 0 echo hi\n",       "data 3 1 ",                "rst 5 5",
    "goaway 0"};

TEST(SpdyFrames, DictionaryIsTheSpdy3One) {
  const std::string_view dictionary = spdyHeaderDictionary();
  EXPECT_EQ(dictionary.size(), 1423u);
  // The zlib DICTID of kube-sim's DICTIONARY (testing/kube-sim/lib/streams/spdy.js), computed there.
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(dictionary.data()), static_cast<uInt>(dictionary.size())),
            3821447106u);
}

TEST(SpdyFrames, ReadsControlAndDataFrames) {
  TranscriptSink sink;
  SpdyFrameReader reader(sink);
  EXPECT_TRUE(reader.feed(asSpan(execClientBytes())));
  EXPECT_EQ(sink.lines, kExecClientTranscript);
  EXPECT_EQ(reader.framesRead(), 9u);
}

TEST(SpdyFrames, SameResultForInputSplitAtEveryByte) {
  const std::string bytes = execClientBytes();
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    TranscriptSink sink;
    SpdyFrameReader reader(sink);
    ASSERT_TRUE(reader.feed(asSpan(bytes).first(split)));
    ASSERT_TRUE(reader.feed(asSpan(bytes).subspan(split)));
    ASSERT_EQ(sink.lines, kExecClientTranscript) << "split at " << split;
  }
  TranscriptSink sink;
  SpdyFrameReader reader(sink);
  for (char c : bytes) ASSERT_TRUE(reader.feed(std::span<const char>(&c, 1)));
  EXPECT_EQ(sink.lines, kExecClientTranscript);
}

TEST(SpdyFrames, ReadsFramesKubeSimEncoded) {
  TranscriptSink sink;
  SpdyFrameReader reader(sink);
  EXPECT_TRUE(reader.feed(asSpan(testing::kubeSimPortForwardClientFrames())));
  EXPECT_EQ(sink.lines, (std::vector<std::string>{"syn 1 0 streamtype=error port=8080 requestid=0",
                                                  "syn 3 0 streamtype=data port=8080 requestid=0",
                                                  "data 3 1 GET / HTTP/1.1\r\n\r\n"}));
}

TEST(SpdyFrames, ServerDirectionHasItsOwnContext) {
  SpdyEncoder server;
  std::string bytes = server.synReply(1);
  bytes += server.synReply(3, {{"a", "b"}}, kSpdyFlagFin);
  bytes += SpdyEncoder::control(8, 0, testing::bigEndian(3, 4) + server.compress({{"x", "y"}}));
  TranscriptSink sink;
  SpdyFrameReader reader(sink);
  EXPECT_TRUE(reader.feed(asSpan(bytes)));
  EXPECT_EQ(sink.lines, (std::vector<std::string>{"reply 1 0", "reply 3 1 a=b", "headers 3 x=y"}));
}

TEST(SpdyFrames, StreamsLargeDataFrames) {
  struct CountingSink : SpdyFrameSink {
    std::size_t bytes = 0;
    std::size_t ends = 0;
    void onData(std::uint32_t, std::span<const char> piece) override { bytes += piece.size(); }
    void onDataEnd(std::uint32_t, std::uint8_t) override { ++ends; }
  } sink;
  SpdyFrameReader reader(sink);
  const std::string frame = SpdyEncoder::data(7, std::string(300000, 'd'));
  for (std::size_t at = 0; at < frame.size(); at += 16384) {
    EXPECT_TRUE(reader.feed(asSpan(frame).subspan(at, std::min<std::size_t>(16384, frame.size() - at))));
  }
  EXPECT_EQ(sink.bytes, 300000u);
  EXPECT_EQ(sink.ends, 1u);
}

TEST(SpdyFrames, StopsOnUnreadableFrames) {
  const std::vector<std::string> bad = {
      SpdyEncoder::control(1, 0, testing::bigEndian(1, 4) + testing::bigEndian(0, 6) + "not zlib at all"),
      testing::bigEndian(0x80020001, 4) + testing::bigEndian(0, 4),  // SPDY/2
      SpdyEncoder::control(1, 0, std::string(70000, '\0')),
      SpdyEncoder::control(3, 0, std::string("\0\0\0\1", 4)),  // RST_STREAM without its status
  };
  for (const std::string& bytes : bad) {
    TranscriptSink sink;
    SpdyFrameReader reader(sink);
    EXPECT_FALSE(reader.feed(asSpan(bytes))) << "case " << &bytes - bad.data();
    EXPECT_FALSE(reader.stopReason().empty());
    EXPECT_TRUE(sink.lines.empty());
  }
}

TEST(SpdyFrames, RejectsHeaderBlockWithoutTheDictionary) {
  // A header block deflated without the SPDY dictionary inflates to nonsense or fails; a block
  // whose declared pair lengths overrun it is refused.
  std::string block = testing::bigEndian(1, 4) + testing::bigEndian(100, 4) + "short";
  uLongf size = compressBound(block.size());
  std::string compressed(size, '\0');
  compress(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(block.data()), block.size());
  compressed.resize(size);
  TranscriptSink sink;
  SpdyFrameReader reader(sink);
  EXPECT_FALSE(reader.feed(asSpan(SpdyEncoder::control(2, 0, testing::bigEndian(1, 4) + compressed))));
  EXPECT_TRUE(sink.lines.empty());
}

}  // namespace
}  // namespace kubegate::audit
