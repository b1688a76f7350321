// The recorder's WebSocket frame reader: frames as clients (masked) and servers send them, every
// length encoding, fragmentation with control frames in between, input split anywhere, and the
// frames it refuses.
#include "audit/websocket_frames.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recording_frames.h"

namespace kubegate::audit {
namespace {

using testing::asSpan;
using testing::kClientMask;
using testing::wsFrame;

// Writes what the reader reports as one line per event.
struct TranscriptSink : WebSocketFrameSink {
  std::vector<std::string> lines;
  std::string payload;

  void onMessageStart(WebSocketOpcode opcode) override {
    lines.push_back("start " + std::to_string(static_cast<int>(opcode)));
    payload.clear();
  }
  void onMessagePayload(std::span<const char> piece) override { payload.append(piece.data(), piece.size()); }
  void onMessageEnd() override { lines.push_back("message " + payload); }
  void onControlFrame(WebSocketOpcode opcode, std::string_view body) override {
    lines.push_back("control " + std::to_string(static_cast<int>(opcode)) + " " + std::string(body));
  }
};

std::vector<std::string> readAll(const std::string& bytes) {
  TranscriptSink sink;
  WebSocketFrameReader reader(sink);
  EXPECT_TRUE(reader.feed(asSpan(bytes)));
  return sink.lines;
}

std::string fragmentedWithPing() {
  return wsFrame(1, "hel", false, kClientMask) + wsFrame(9, "are you there", true, kClientMask) +
         wsFrame(0, "lo ", false, kClientMask) + wsFrame(0, "world", true, kClientMask);
}

TEST(WebSocketFrames, ReadsUnmaskedServerMessage) {
  EXPECT_EQ(readAll(wsFrame(2, "\x01hello")), (std::vector<std::string>{"start 2", "message \x01hello"}));
}

TEST(WebSocketFrames, UnmasksClientFramesOfEveryLengthEncoding) {
  const std::string medium(300, 'm');
  std::string large;
  for (int i = 0; i < 70000; ++i) large.push_back(static_cast<char>('a' + i % 26));
  const std::string bytes = wsFrame(2, "tiny", true, kClientMask) + wsFrame(2, medium, true, kClientMask) +
                            wsFrame(2, large, true, kClientMask);
  EXPECT_EQ(bytes[1] & 0x7F, 4);
  EXPECT_EQ(readAll(bytes), (std::vector<std::string>{"start 2", "message tiny", "start 2", "message " + medium,
                                                       "start 2", "message " + large}));
}

TEST(WebSocketFrames, JoinsContinuationFramesAroundControlFrames) {
  EXPECT_EQ(readAll(fragmentedWithPing()),
            (std::vector<std::string>{"start 1", "control 9 are you there", "message hello world"}));
}

TEST(WebSocketFrames, SameResultForInputSplitAtEveryByte) {
  const std::string bytes = wsFrame(2, std::string(200, 'x'), true, kClientMask) + fragmentedWithPing() +
                            wsFrame(2, "", true) + wsFrame(10, "", true, kClientMask) + wsFrame(2, "last");
  const std::vector<std::string> whole = readAll(bytes);
  ASSERT_EQ(whole.size(), 10u);
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    TranscriptSink sink;
    WebSocketFrameReader reader(sink);
    ASSERT_TRUE(reader.feed(asSpan(bytes).first(split)));
    ASSERT_TRUE(reader.feed(asSpan(bytes).subspan(split)));
    ASSERT_EQ(sink.lines, whole) << "split at " << split;
  }
  TranscriptSink sink;
  WebSocketFrameReader reader(sink);
  for (char c : bytes) ASSERT_TRUE(reader.feed(std::span<const char>(&c, 1)));
  EXPECT_EQ(sink.lines, whole);
  EXPECT_EQ(reader.framesRead(), 8u);
}

TEST(WebSocketFrames, StreamsLargePayloadInPieces) {
  struct CountingSink : WebSocketFrameSink {
    std::size_t pieces = 0;
    std::size_t bytes = 0;
    void onMessagePayload(std::span<const char> piece) override {
      ++pieces;
      bytes += piece.size();
    }
  } sink;
  WebSocketFrameReader reader(sink);
  const std::string frame = wsFrame(2, std::string(1 << 20, 'z'), true, kClientMask);
  EXPECT_TRUE(reader.feed(asSpan(frame)));
  EXPECT_EQ(sink.bytes, 1u << 20);
  EXPECT_GT(sink.pieces, 1u);  // never one frame-sized buffer
}

TEST(WebSocketFrames, RefusesFramesDeclaredLargerThanSixteenMiB) {
  TranscriptSink sink;
  WebSocketFrameReader reader(sink);
  std::string header = "\x82\x7F" + testing::bigEndian(WebSocketFrameReader::kMaxFrameLength + 1, 8);
  EXPECT_FALSE(reader.feed(asSpan(header)));
  EXPECT_TRUE(reader.stopped());
  EXPECT_NE(reader.stopReason().find("exceeds"), std::string::npos);
  EXPECT_FALSE(reader.feed(asSpan(wsFrame(2, "more"))));
  EXPECT_TRUE(sink.lines.empty());

  WebSocketFrameReader atLimit(sink);
  header = "\x82\x7F" + testing::bigEndian(WebSocketFrameReader::kMaxFrameLength, 8);
  EXPECT_TRUE(atLimit.feed(asSpan(header)));
}

TEST(WebSocketFrames, StopsOnProtocolViolations) {
  const std::vector<std::string> bad = {
      wsFrame(0, "orphan"),                              // continuation without a message
      wsFrame(1, "a", false) + wsFrame(2, "b"),          // new message before the last ended
      std::string("\xC2\x01x", 3),                       // RSV1: compressed, never negotiated
      wsFrame(9, "x", false),                            // fragmented control frame
      "\x89\x7E" + testing::bigEndian(126, 2),           // control frame over 125 bytes
      wsFrame(3, "reserved opcode"),
  };
  for (const std::string& bytes : bad) {
    TranscriptSink sink;
    WebSocketFrameReader reader(sink);
    EXPECT_FALSE(reader.feed(asSpan(bytes)));
    EXPECT_FALSE(reader.stopReason().empty());
  }
}

TEST(WebSocketFrames, IgnoresBytesAfterClose) {
  TranscriptSink sink;
  WebSocketFrameReader reader(sink);
  const std::string bytes = wsFrame(2, "a") + wsFrame(8, "\x03\xE8") + "garbage after close";
  EXPECT_TRUE(reader.feed(asSpan(bytes)));
  EXPECT_TRUE(reader.closed());
  EXPECT_EQ(sink.lines, (std::vector<std::string>{"start 2", "message a", "control 8 \x03\xE8"}));
}

}  // namespace
}  // namespace kubegate::audit
