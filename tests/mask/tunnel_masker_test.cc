// The exec/attach output masker: what the client receives, decoded with the recorder's frame
// readers, never shows a secret printed on stdout or stderr, and every other frame arrives as the
// server sent it, in order.
#include "mask/tunnel_masker.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "../audit/recording_frames.h"
#include "audit/spdy_frames.h"
#include "audit/websocket_frames.h"
#include "http/base64.h"

namespace kubegate::mask {
namespace {

using audit::WebSocketOpcode;
using audit::testing::asSpan;
using audit::testing::channelPayload;
using audit::testing::clientMessage;
using audit::testing::serverMessage;
using audit::testing::SpdyEncoder;
using audit::testing::wsFrame;

constexpr std::string_view kCanary = "SECRET-CANARY-1234567890";

std::shared_ptr<const Detectors> canaryDetectors() {
  static const auto detectors = Detectors::compile({}, {PatternSpec{"canary", "SECRET-CANARY-[0-9]{10}"}});
  return detectors;
}

// What a WebSocket client sees: data messages and control frames, in order.
struct WsEvent {
  bool control = false;
  WebSocketOpcode opcode = WebSocketOpcode::binary;
  std::string payload;
};

struct WsCollector final : audit::WebSocketFrameSink {
  std::vector<WsEvent> events;
  void onMessageStart(WebSocketOpcode opcode) override { events.push_back({false, opcode, {}}); }
  void onMessagePayload(std::span<const char> piece) override { events.back().payload.append(piece.data(), piece.size()); }
  void onControlFrame(WebSocketOpcode opcode, std::string_view payload) override {
    events.push_back({true, opcode, std::string(payload)});
  }
};

std::vector<WsEvent> decodeWs(const std::string& bytes) {
  WsCollector collector;
  audit::WebSocketFrameReader reader(collector);
  EXPECT_TRUE(reader.feed(asSpan(bytes))) << reader.stopReason();
  return collector.events;
}

// The payload the client reads on `channel`: the messages' payloads after the channel byte.
std::string channelText(const std::vector<WsEvent>& events, char channel, bool base64 = false) {
  std::string text;
  for (const auto& event : events) {
    if (event.control || event.payload.empty() || event.payload[0] != channel) continue;
    if (!base64) {
      text += event.payload.substr(1);
      continue;
    }
    const auto decoded = decodeBase64(event.payload.substr(1));
    EXPECT_TRUE(decoded.has_value()) << event.payload;
    if (decoded) text += *decoded;
  }
  return text;
}

struct WsMasker {
  explicit WsMasker(std::string_view subprotocol = "v5.channel.k8s.io")
      : masker(*canaryDetectors(), TunnelFraming::websocket, subprotocol) {}
  std::string feed(const std::string& bytes) {
    std::string out;
    EXPECT_TRUE(masker.fromServer(asSpan(bytes), out)) << masker.error();
    return out;
  }
  std::string flush() {
    std::string out;
    masker.flush(out);
    return out;
  }
  std::string pause() {
    std::string out;
    masker.releaseAfterPause(out);
    return out;
  }
  TunnelMasker masker;
};

std::string stdoutMessage(std::string_view text) { return serverMessage(channelPayload(1, text)); }

TEST(MaskTunnelWebSocket, CanaryOnStdoutIsMasked) {
  WsMasker ws;
  std::string out = ws.feed(stdoutMessage("token=" + std::string(kCanary) + "\n"));
  out += ws.flush();
  EXPECT_EQ(out.find(kCanary), std::string::npos);
  const auto events = decodeWs(out);
  EXPECT_EQ(channelText(events, 1), "token=kubegate:masked\n");
  for (const auto& event : events) EXPECT_EQ(event.opcode, WebSocketOpcode::binary);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x82) << "FIN, binary, as the server sent it";
  EXPECT_EQ(static_cast<unsigned char>(out[1]) & 0x80, 0) << "server frames carry no masking key";
}

TEST(MaskTunnelWebSocket, CanarySplitAcrossTwoFramesIsMasked) {
  WsMasker ws;
  std::string out = ws.feed(stdoutMessage("key: SECRET-CANAR"));
  out += ws.feed(stdoutMessage("Y-1234567890 done\n"));
  out += ws.flush();
  EXPECT_EQ(out.find("SECRET-CANAR"), std::string::npos);
  EXPECT_EQ(channelText(decodeWs(out), 1), "key: kubegate:masked done\n");
}

TEST(MaskTunnelWebSocket, CanaryOnStderrIsMasked) {
  WsMasker ws;
  std::string out = ws.feed(serverMessage(channelPayload(2, std::string(kCanary) + "\n")));
  out += ws.flush();
  const auto events = decodeWs(out);
  EXPECT_EQ(channelText(events, 2), "kubegate:masked\n");
  EXPECT_EQ(channelText(events, 1), "");
}

TEST(MaskTunnelWebSocket, ErrorChannelFlushesHeldOutputFirstAndPassesUnchanged) {
  WsMasker ws;
  std::string out = ws.feed(stdoutMessage("$ prompt SECRET-CANA"));
  EXPECT_TRUE(ws.masker.pauseWouldRelease());
  const std::string status = serverMessage(channelPayload(3, R"({"metadata":{},"status":"Success"})"));
  out += ws.feed(status);
  EXPECT_FALSE(ws.masker.pauseWouldRelease());
  const auto events = decodeWs(out);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(channelText(events, 1), "$ prompt SECRET-CANA");
  EXPECT_EQ(events.back().payload, channelPayload(3, R"({"metadata":{},"status":"Success"})"));
  EXPECT_TRUE(out.ends_with(status)) << "the error message leaves byte for byte, after the output";
}

TEST(MaskTunnelWebSocket, V5CloseChannelAndCloseFrameFlushHeldOutputFirst) {
  WsMasker ws;
  std::string out = ws.feed(stdoutMessage("partial"));
  const std::string closeStdout = serverMessage(channelPayload(255, std::string(1, '\x01')));
  out += ws.feed(closeStdout);
  EXPECT_TRUE(out.ends_with(closeStdout));
  out += ws.feed(serverMessage(channelPayload(2, "err tail")));
  const std::string closeFrame = wsFrame(0x8, "\x03\xe8");
  out += ws.feed(closeFrame);
  EXPECT_TRUE(out.ends_with(closeFrame));
  EXPECT_FALSE(ws.masker.pauseWouldRelease());
  const auto events = decodeWs(out);
  EXPECT_EQ(channelText(events, 1), "partial");
  EXPECT_EQ(channelText(events, 2), "err tail");
}

TEST(MaskTunnelWebSocket, PingPassesAtOnceWithoutReleasingHeldOutput) {
  WsMasker ws;
  EXPECT_EQ(ws.feed(stdoutMessage("half a line SECRET-CAN")), "");
  const std::string ping = wsFrame(0x9, "keepalive");
  EXPECT_EQ(ws.feed(ping), ping);
  EXPECT_TRUE(ws.masker.pauseWouldRelease());
  std::string out = ws.feed(stdoutMessage("ARY-1234567890\n"));
  EXPECT_EQ(channelText(decodeWs(out), 1), "half a line kubegate:masked\n");
}

TEST(MaskTunnelWebSocket, EmptyReadinessMessageAndResizeChannelPassThrough) {
  WsMasker ws;
  const std::string readiness = serverMessage(std::string(1, '\x01'));
  EXPECT_EQ(ws.feed(readiness), readiness);
  const std::string other = serverMessage(channelPayload(4, R"({"Width":80,"Height":24})"));
  EXPECT_EQ(ws.feed(other), other);
}

TEST(MaskTunnelWebSocket, FlushReleasesHeldOutputAsFrames) {
  WsMasker ws;
  EXPECT_EQ(ws.feed(stdoutMessage("password prompt: ")), "");
  EXPECT_TRUE(ws.masker.pauseWouldRelease());
  const std::string out = ws.flush();
  EXPECT_FALSE(ws.masker.pauseWouldRelease());
  EXPECT_EQ(out, stdoutMessage("password prompt: "));
  EXPECT_EQ(ws.flush(), "");
}

// A pod's secret cut in two with a pause between the halves longer than the quiet time: what may
// be its first half stays held, the rest of the line is released.
TEST(MaskTunnelWebSocket, APauseKeepsAWordThatMayBeginASecret) {
  WsMasker ws;
  EXPECT_EQ(ws.feed(stdoutMessage("$ cat key\nkey SECRET-CANA")), stdoutMessage("$ cat key\n"));
  EXPECT_TRUE(ws.masker.pauseWouldRelease());
  std::string out = ws.pause();
  EXPECT_EQ(channelText(decodeWs(out), 1), "key ");
  EXPECT_FALSE(ws.masker.pauseWouldRelease()) << "a second pause would release nothing more";
  out += ws.feed(stdoutMessage("RY-1234567890"));
  EXPECT_TRUE(ws.masker.pauseWouldRelease());
  out += ws.pause();
  out += ws.flush();
  EXPECT_EQ(channelText(decodeWs(out), 1), "key kubegate:masked");
}

// Released after a pause, a secret's first characters cannot be called back, but the rest of the
// secret is recognised with them and masked.
TEST(MaskTunnelWebSocket, AfterAPauseTheRestOfACutSecretIsMasked) {
  WsMasker ws;
  ws.feed(stdoutMessage("x SE"));
  std::string out = ws.pause();
  EXPECT_EQ(channelText(decodeWs(out), 1), "x SE");
  out += ws.feed(stdoutMessage("CRET-CANARY-1234567890 done\n"));
  EXPECT_EQ(channelText(decodeWs(out), 1), "x SEkubegate:masked done\n");
}

// A terminal echoes what the client types: those words leave after a pause, as a prompt does.
TEST(MaskTunnelWebSocket, APauseReleasesTheEchoOfWhatTheClientTyped) {
  WsMasker ws;
  ws.masker.fromClient(asSpan(clientMessage(channelPayload(0, "kubectl get pods"))));
  ws.feed(stdoutMessage("/ # kubectl get pods"));
  EXPECT_EQ(channelText(decodeWs(ws.pause()), 1), "/ # kubectl get pods");
  ws.feed(stdoutMessage("/ # SECRET-CANA"));
  EXPECT_EQ(channelText(decodeWs(ws.pause()), 1), "/ # ") << "a word the client did not send stays";
}

TEST(MaskTunnelWebSocket, Base64StdinCountsAsTypedToo) {
  WsMasker ws("v4.base64.channel.k8s.io");
  const std::string typed = "0" + encodeBase64("whoami");
  ws.masker.fromClient(asSpan(clientMessage(typed, 1)));
  ws.feed(serverMessage("1" + encodeBase64("whoami"), 1));
  EXPECT_EQ(channelText(decodeWs(ws.pause()), '1', true), "whoami");
}

TEST(MaskTunnelWebSocket, Base64ChannelTextIsDecodedMaskedAndReencoded) {
  WsMasker ws("base64.channel.k8s.io");
  const std::string line = "aws " + std::string(kCanary) + "\n";
  std::string out = ws.feed(serverMessage("1" + encodeBase64(line), 0x1));
  // A base64 message split into fragments mid-quad, on stderr.
  const std::string encoded = "2" + encodeBase64("err " + std::string(kCanary) + "\n");
  out += ws.feed(wsFrame(0x1, encoded.substr(0, 6), false));
  out += ws.feed(wsFrame(0x0, encoded.substr(6), true));
  const std::string status = serverMessage("3" + encodeBase64("{}"), 0x1);
  out += ws.feed(status);
  EXPECT_TRUE(out.ends_with(status));
  const auto events = decodeWs(out);
  for (const auto& event : events) EXPECT_EQ(event.opcode, WebSocketOpcode::text);
  EXPECT_EQ(channelText(events, '1', true), "aws kubegate:masked\n");
  EXPECT_EQ(channelText(events, '2', true), "err kubegate:masked\n");
}

TEST(MaskTunnelWebSocket, MalformedBase64StopsTheTunnel) {
  TunnelMasker masker(*canaryDetectors(), TunnelFraming::websocket, "v4.base64.channel.k8s.io");
  std::string out;
  EXPECT_FALSE(masker.fromServer(asSpan(serverMessage("1not*base64", 0x1)), out));
  EXPECT_FALSE(masker.error().empty());
}

TEST(MaskTunnelWebSocket, FragmentedMessageIsOneStreamWithControlFramesBetween) {
  WsMasker ws;
  std::string out = ws.feed(wsFrame(0x2, "\x01" "db SECRET-CA", false));
  const std::string ping = wsFrame(0x9, "");
  out += ws.feed(ping);
  out += ws.feed(wsFrame(0x0, "NARY-12345", false));
  out += ws.feed(wsFrame(0x0, "67890 ok\n", true));
  const auto events = decodeWs(out);
  EXPECT_EQ(channelText(events, 1), "db kubegate:masked ok\n");
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.front().control) << "the ping is not held back behind the message";
}

// Everything a client would read, by channel, with control frames in order.
std::string describe(const std::vector<WsEvent>& events) {
  std::string controls;
  for (const auto& event : events) {
    if (event.control) controls += std::to_string(static_cast<int>(event.opcode)) + ":" + event.payload + ";";
  }
  return "stdout=" + channelText(events, 1) + "|stderr=" + channelText(events, 2) +
         "|error=" + channelText(events, 3) + "|controls=" + controls;
}

TEST(MaskTunnelWebSocket, BytesFedOneAtATimeGiveWhatTheClientSeesWhole) {
  std::string session = serverMessage(std::string(1, '\x01'));
  session += stdoutMessage("line one\nsecret " + std::string(kCanary).substr(0, 10));
  session += wsFrame(0x9, "p");
  session += stdoutMessage(std::string(kCanary).substr(10) + " end\n");
  session += serverMessage(channelPayload(2, "warn " + std::string(kCanary) + "\n"));
  session += wsFrame(0x2, "\x01" "frag", false) + wsFrame(0x0, "mented\nprompt> ", true);
  session += serverMessage(channelPayload(3, R"({"status":"Success"})"));
  session += wsFrame(0x8, "\x03\xe8");

  WsMasker whole;
  std::string wholeOut = whole.feed(session) + whole.flush();
  WsMasker byByte;
  std::string byteOut;
  for (char c : session) byteOut += byByte.feed(std::string(1, c));
  byteOut += byByte.flush();

  EXPECT_EQ(wholeOut.find(kCanary), std::string::npos);
  EXPECT_EQ(byteOut.find(kCanary), std::string::npos);
  EXPECT_EQ(describe(decodeWs(byteOut)), describe(decodeWs(wholeOut)));
  EXPECT_EQ(channelText(decodeWs(wholeOut), 1), "line one\nsecret kubegate:masked end\nfragmented\nprompt> ");
}

TEST(MaskTunnelWebSocket, MalformedFrameStopsAndNothingMoreIsEmitted) {
  WsMasker ws;
  ws.feed(stdoutMessage("held SECRET-CANA"));
  std::string out;
  std::string reserved = serverMessage(channelPayload(1, "x"));
  reserved[0] = static_cast<char>(reserved[0] | 0x40);
  EXPECT_FALSE(ws.masker.fromServer(asSpan(reserved), out));
  EXPECT_FALSE(ws.masker.error().empty());
  EXPECT_FALSE(ws.masker.fromServer(asSpan(stdoutMessage("more\n")), out));
  ws.masker.flush(out);
  EXPECT_EQ(out, "");
}

// --- SPDY/3.1 ---

constexpr std::uint32_t kErrorStream = 1;
constexpr std::uint32_t kStdinStream = 3;
constexpr std::uint32_t kStdoutStream = 5;
constexpr std::uint32_t kStderrStream = 7;

struct SpdyDataFrame {
  std::uint32_t stream = 0;
  std::string payload;
  std::uint8_t flags = 0;
};

// A client's reading of the server's frames: every DATA frame, and the header blocks it inflated.
struct SpdyCollector final : audit::SpdyFrameSink {
  std::vector<SpdyDataFrame> frames;
  std::vector<std::uint32_t> replies;
  int goAways = 0;
  void onSynReply(std::uint32_t id, std::uint8_t, const audit::SpdyHeaderBlock&) override { replies.push_back(id); }
  void onGoAway(std::uint32_t, std::uint32_t) override { ++goAways; }
  void onData(std::uint32_t id, std::span<const char> piece) override {
    if (frames.empty() || frames.back().stream != id || frames.back().flags != 0xFF) frames.push_back({id, {}, 0xFF});
    frames.back().payload.append(piece.data(), piece.size());
  }
  void onDataEnd(std::uint32_t id, std::uint8_t flags) override {
    if (frames.empty() || frames.back().flags != 0xFF) frames.push_back({id, {}, 0xFF});
    frames.back().flags = flags;
  }
  std::string streamText(std::uint32_t id) const {
    std::string text;
    for (const auto& frame : frames) {
      if (frame.stream == id) text += frame.payload;
    }
    return text;
  }
  int finCount(std::uint32_t id) const {
    int count = 0;
    for (const auto& frame : frames) count += frame.stream == id && (frame.flags & audit::kSpdyFlagFin);
    return count;
  }
};

SpdyCollector decodeSpdy(const std::string& bytes) {
  SpdyCollector collector;
  audit::SpdyFrameReader reader(collector);
  EXPECT_TRUE(reader.feed(asSpan(bytes))) << reader.stopReason();
  return collector;
}

// An exec as kubectl opens it: the client names error, stdin, stdout and stderr streams.
struct SpdyExec {
  SpdyExec() : masker(*canaryDetectors(), TunnelFraming::spdy, "v4.channel.k8s.io") {
    // One statement per frame: each compresses in its direction's context, in wire order.
    std::string opened;
    for (const auto& [id, type] : kStreams) opened += client.synStream(id, {{"streamtype", std::string(type)}});
    masker.fromClient(asSpan(opened));
    for (const auto& [id, type] : kStreams) replies += server.synReply(id);
  }
  static constexpr std::pair<std::uint32_t, std::string_view> kStreams[] = {
      {kErrorStream, "error"}, {kStdinStream, "stdin"}, {kStdoutStream, "stdout"}, {kStderrStream, "stderr"}};
  std::string feed(const std::string& bytes) {
    std::string out;
    EXPECT_TRUE(masker.fromServer(asSpan(bytes), out)) << masker.error();
    return out;
  }
  SpdyEncoder client;
  SpdyEncoder server;
  TunnelMasker masker;
  std::string replies;
};

TEST(MaskTunnelSpdy, CanarySplitAcrossDataFramesIsMaskedAndFinStaysLast) {
  SpdyExec exec;
  std::string out = exec.feed(exec.replies);
  EXPECT_EQ(out, exec.replies) << "header frames leave byte for byte";
  out += exec.feed(SpdyEncoder::data(kStdoutStream, "token SECRET-CAN"));
  out += exec.feed(SpdyEncoder::data(kStdoutStream, "ARY-1234567890\nbye"));
  out += exec.feed(SpdyEncoder::data(kStdoutStream, "", audit::kSpdyFlagFin));
  EXPECT_EQ(out.find("SECRET-CAN"), std::string::npos);
  const SpdyCollector seen = decodeSpdy(out);
  EXPECT_EQ(seen.replies.size(), 4u) << "the relayed header blocks still inflate in the client's context";
  EXPECT_EQ(seen.streamText(kStdoutStream), "token kubegate:masked\nbye");
  EXPECT_EQ(seen.finCount(kStdoutStream), 1);
  ASSERT_FALSE(seen.frames.empty());
  EXPECT_EQ(seen.frames.back().stream, kStdoutStream);
  EXPECT_EQ(seen.frames.back().flags & audit::kSpdyFlagFin, audit::kSpdyFlagFin);
  EXPECT_FALSE(exec.masker.pauseWouldRelease());
}

TEST(MaskTunnelSpdy, StderrIsMaskedAndTheErrorStreamPassesAfterHeldOutput) {
  SpdyExec exec;
  std::string out = exec.feed(exec.replies);
  out += exec.feed(SpdyEncoder::data(kStderrStream, "warn " + std::string(kCanary) + "\n"));
  out += exec.feed(SpdyEncoder::data(kStdoutStream, "prompt SECRET-CANA"));
  EXPECT_TRUE(exec.masker.pauseWouldRelease());
  const std::string status = SpdyEncoder::data(kErrorStream, R"({"status":"Success"})", audit::kSpdyFlagFin);
  const std::string tail = exec.feed(status);
  EXPECT_TRUE(tail.ends_with(status)) << "the error stream's DATA frame leaves byte for byte";
  EXPECT_GT(tail.size(), status.size()) << "held stdout goes before the Status";
  out += tail;
  const SpdyCollector seen = decodeSpdy(out);
  EXPECT_EQ(seen.streamText(kStderrStream), "warn kubegate:masked\n");
  EXPECT_EQ(seen.streamText(kStdoutStream), "prompt SECRET-CANA");
  EXPECT_EQ(seen.finCount(kStdoutStream), 0) << "flushing is not finishing";
}

TEST(MaskTunnelSpdy, ControlFramesPassByteIdenticalInOrder) {
  SpdyExec exec;
  std::string out = exec.feed(exec.replies);
  exec.feed(SpdyEncoder::data(kStdoutStream, "held"));
  const std::string ping = exec.server.ping(2);
  EXPECT_EQ(exec.feed(ping), ping);
  EXPECT_TRUE(exec.masker.pauseWouldRelease()) << "a ping does not release output";
  const std::string window = SpdyEncoder::control(9, 0, std::string("\0\0\0\x05\0\0\x10\0", 8));
  EXPECT_EQ(exec.feed(window), window);
  const std::string goAway = exec.server.goAway(0);
  const std::string end = exec.feed(goAway);
  EXPECT_TRUE(end.ends_with(goAway));
  EXPECT_EQ(decodeSpdy(out + end).streamText(kStdoutStream), "held") << "held output goes before GOAWAY";
}

TEST(MaskTunnelSpdy, BytesFedOneAtATimeGiveTheSameStreams) {
  SpdyExec whole;
  SpdyExec byByte;
  std::string session = whole.replies;
  session += SpdyEncoder::data(kStdoutStream, "a " + std::string(kCanary).substr(0, 7));
  session += whole.server.ping(4);
  session += SpdyEncoder::data(kStdoutStream, std::string(kCanary).substr(7) + "\n");
  session += SpdyEncoder::data(kStderrStream, std::string(kCanary), audit::kSpdyFlagFin);
  session += SpdyEncoder::data(kStdoutStream, "", audit::kSpdyFlagFin);
  session += SpdyEncoder::data(kErrorStream, "{}", audit::kSpdyFlagFin);
  // byByte's server encoder must have compressed the same header blocks to stay in step.
  ASSERT_EQ(byByte.replies, whole.replies);

  const std::string wholeOut = whole.feed(session);
  std::string byteOut;
  for (char c : session) byteOut += byByte.feed(std::string(1, c));
  EXPECT_EQ(byteOut.find(kCanary), std::string::npos);
  const SpdyCollector a = decodeSpdy(wholeOut);
  const SpdyCollector b = decodeSpdy(byteOut);
  EXPECT_EQ(a.streamText(kStdoutStream), "a kubegate:masked\n");
  EXPECT_EQ(b.streamText(kStdoutStream), a.streamText(kStdoutStream));
  EXPECT_EQ(a.streamText(kStderrStream), "kubegate:masked");
  EXPECT_EQ(b.streamText(kStderrStream), a.streamText(kStderrStream));
  EXPECT_EQ(b.streamText(kErrorStream), "{}");
  EXPECT_EQ(b.finCount(kStdoutStream), 1);
  EXPECT_EQ(b.finCount(kStderrStream), 1);
}

TEST(MaskTunnelSpdy, StreamsTheClientDidNotNameAreMasked) {
  TunnelMasker masker(*canaryDetectors(), TunnelFraming::spdy, "v4.channel.k8s.io");
  std::string out;
  ASSERT_TRUE(masker.fromServer(asSpan(SpdyEncoder::data(9, std::string(kCanary) + "\n", audit::kSpdyFlagFin)), out));
  EXPECT_EQ(decodeSpdy(out).streamText(9), "kubegate:masked\n");
}

TEST(MaskTunnelSpdy, ALaterHeaderFrameCannotUnmaskAStream) {
  SpdyExec exec;
  const std::string renamed = SpdyEncoder::control(
      8, 0, audit::testing::bigEndian(kStdoutStream, 4) + exec.client.compress({{"streamtype", "error"}}));
  exec.masker.fromClient(asSpan(renamed));
  std::string out = exec.feed(exec.replies);
  out += exec.feed(SpdyEncoder::data(kStdoutStream, std::string(kCanary) + "\n"));
  EXPECT_EQ(decodeSpdy(out).streamText(kStdoutStream), "kubegate:masked\n");
}

TEST(MaskTunnelSpdy, FlushReleasesHeldOutputWithoutFin) {
  SpdyExec exec;
  exec.feed(exec.replies);
  EXPECT_EQ(exec.feed(SpdyEncoder::data(kStdoutStream, "Password: ")), "");
  std::string out;
  exec.masker.flush(out);
  EXPECT_EQ(out, SpdyEncoder::data(kStdoutStream, "Password: "));
  EXPECT_FALSE(exec.masker.pauseWouldRelease());
}

TEST(MaskTunnelSpdy, APauseKeepsAWordThatMayBeginASecretButNotTheEchoOfStdin) {
  SpdyExec exec;
  exec.feed(exec.replies);
  exec.masker.fromClient(asSpan(SpdyEncoder::data(kStdinStream, "echo hi\r")));
  exec.feed(SpdyEncoder::data(kStdoutStream, "$ echo"));
  std::string out;
  exec.masker.releaseAfterPause(out);
  EXPECT_EQ(decodeSpdy(out).streamText(kStdoutStream), "$ echo");
  exec.feed(SpdyEncoder::data(kStdoutStream, " SECRET-CANARY-12345"));
  std::string paused;
  exec.masker.releaseAfterPause(paused);
  EXPECT_EQ(decodeSpdy(paused).streamText(kStdoutStream), " ");
  EXPECT_FALSE(exec.masker.pauseWouldRelease());
  out += paused + exec.feed(SpdyEncoder::data(kStdoutStream, "67890\n"));
  EXPECT_EQ(decodeSpdy(out).streamText(kStdoutStream), "$ echo kubegate:masked\n");
}

TEST(MaskTunnelSpdy, MalformedFrameStopsTheTunnel) {
  SpdyExec exec;
  exec.feed(exec.replies);
  std::string out;
  const std::string wrongVersion = std::string("\x80\x02\x00\x06\x00\x00\x00\x04", 8) + std::string(4, '\0');
  EXPECT_FALSE(exec.masker.fromServer(asSpan(wrongVersion), out));
  EXPECT_FALSE(exec.masker.error().empty());
  EXPECT_FALSE(exec.masker.fromServer(asSpan(SpdyEncoder::data(kStdoutStream, "x\n")), out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace kubegate::mask
