// SessionRecording over the frames kubectl, the python client and the kubelet really send: exec
// over WebSocket v5 and the base64 protocol, exec over SPDY, port-forward over SPDY, SPDY in
// WebSocket and the kubelet's WebSocket channels. The check is always what replay gives back.
#include "audit/session_recording.h"
#include "http/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/asciicast.h"
#include "mask/detectors.h"
#include "recording_frames.h"

namespace kubegate::audit {
namespace {

using namespace std::chrono_literals;
using testing::asSpan;
using testing::channelPayload;
using testing::clientMessage;
using testing::serverMessage;
using testing::SpdyEncoder;
using Clock = SessionRecording::Clock;

const Clock::time_point kStart{std::chrono::seconds(1000)};
constexpr std::int64_t kStartUnixMicros = 1'700'000'000'250'000;
constexpr std::string_view kFailureStatus =
    R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})";
constexpr std::string_view kStdout = "price: \xE2\x82\xAC 5\nraw \xFF\xFE bytes\n";

ExecDetails shellExec() { return {.command = {"sh", "-c", "ls"}, .tty = true, .container = "c1", .stdinRequested = true}; }

// One direction's bytes with the time they were read.
struct Read {
  bool fromClient;
  std::string bytes;
  Clock::duration at;
};

// kubectl 1.30+ exec -it over v5: the apiserver's empty stdout message, a resize, stdin, stdout
// with a 3-byte character split across two messages and bytes that are no UTF-8, stderr in a
// fragmented message with a ping inside, stdin EOF, the Status, close.
std::vector<Read> websocketV5Session() {
  return {
      {false, serverMessage(channelPayload(1, "")), 0ms},
      {true, clientMessage(channelPayload(4, R"({"Width":120,"Height":40})")), 10ms},
      {true, clientMessage(channelPayload(0, "ls\n")), 1500ms},
      {false, serverMessage(channelPayload(1, "price: \xE2\x82")), 1600ms},
      {false, serverMessage(channelPayload(1, "\xAC 5\n")) + serverMessage(channelPayload(1, "raw \xFF\xFE bytes\n")),
       1700ms},
      {false, testing::wsFrame(2, channelPayload(2, "warn"), false) + testing::wsFrame(9, "") +
                  testing::wsFrame(0, "ing\n", true), 1800ms},
      {true, clientMessage(channelPayload(4, R"({"Width":100,"Height":30})")), 2000ms},
      {true, clientMessage(channelPayload(255, std::string(1, '\0'))), 2100ms},
      {false, serverMessage(channelPayload(3, kFailureStatus)) + serverMessage("\x03\xE8", 8), 2200ms},
      {true, clientMessage("\x03\xE8", 8), 2300ms},
  };
}

// Feeds every read, each split in two at `split` (or whole when split is npos).
void feed(SessionRecording& recording, const std::vector<Read>& reads, std::size_t split = std::string::npos) {
  for (const Read& read : reads) {
    const std::span<const char> bytes = asSpan(read.bytes);
    const std::size_t cut = std::min(split, bytes.size());
    for (std::span<const char> piece : {bytes.first(cut), bytes.subspan(cut)}) {
      if (piece.empty()) continue;
      if (read.fromClient) {
        recording.fromClient(piece, kStart + read.at);
      } else {
        recording.fromServer(piece, kStart + read.at);
      }
    }
  }
}

struct Replayed {
  std::string out;
  std::string err;
};

Replayed replay(const AsciicastRecording& recording) {
  Replayed r;
  replaySession(recording.events, 0, 0,
                {[&](std::string_view s) { r.out += s; }, [&](std::string_view s) { r.err += s; }, {}});
  return r;
}

// The data of one stream's events, concatenated: how many events a stream's bytes make depends on
// how the reads fell, the bytes do not.
std::string bytesOf(const AsciicastRecording& recording, std::string_view code) {
  std::string joined;
  for (const AsciicastEvent& e : recording.events) {
    if (e.code == code) joined += e.data;
  }
  return joined;
}

std::string eventsOf(const AsciicastRecording& recording, std::string_view code) {
  std::string joined;
  for (const AsciicastEvent& e : recording.events) {
    if (e.code == code) joined += (joined.empty() ? "" : "|") + e.data;
  }
  return joined;
}

AsciicastRecording record(SessionRecording& recording) {
  recording.finish();
  const std::string text = recording.takeChunk();
  std::string error;
  std::optional<AsciicastRecording> parsed = parseAsciicast(text, &error);
  EXPECT_TRUE(parsed) << error << "\n" << text;
  return parsed.value_or(AsciicastRecording{});
}

TEST(SessionRecording, WebSocketV5ExecReplaysExactly) {
  SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), kStartUnixMicros,
                             kStart);
  feed(recording, websocketV5Session());
  const AsciicastRecording cast = record(recording);
  EXPECT_EQ(cast.header.width, 120);
  EXPECT_EQ(cast.header.height, 40);
  EXPECT_EQ(cast.header.timestamp, 1'700'000'000);
  EXPECT_EQ(cast.header.command, "sh -c ls");
  const Replayed replayed = replay(cast);
  EXPECT_EQ(replayed.out, kStdout);
  EXPECT_EQ(replayed.err, "warning\n");
  EXPECT_EQ(eventsOf(cast, "i"), "ls\n");
  EXPECT_EQ(eventsOf(cast, "r"), "120x40|100x30");
  EXPECT_EQ(eventsOf(cast, "x"), kFailureStatus);
  ASSERT_FALSE(cast.events.empty());
  EXPECT_DOUBLE_EQ(cast.events.front().time, 0.010);  // the first resize
  EXPECT_DOUBLE_EQ(cast.events.back().time, 2.2);

  const std::string summary = recording.summaryJson();
  EXPECT_NE(summary.find(R"("exitCode":3)"), std::string::npos) << summary;
  EXPECT_NE(summary.find(R"("reason":"NonZeroExitCode")"), std::string::npos);
  EXPECT_NE(summary.find(R"("stdinClosed":true)"), std::string::npos);
  EXPECT_NE(summary.find(R"("stdout":{"bytes":)" + std::to_string(kStdout.size()) + R"(,"events":3})"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find(R"("resize":{"bytes":50,"events":2})"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("recordingStopped"), std::string::npos);
}

TEST(SessionRecording, SameRecordingForReadsSplitAtEveryByte) {
  const std::vector<Read> reads = websocketV5Session();
  std::size_t longest = 0;
  for (const Read& read : reads) longest = std::max(longest, read.bytes.size());
  for (std::size_t split = 0; split <= longest; ++split) {
    SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), kStartUnixMicros,
                               kStart);
    feed(recording, reads, split);
    const AsciicastRecording cast = record(recording);
    const Replayed replayed = replay(cast);
    ASSERT_EQ(replayed.out, kStdout) << "split at " << split;
    ASSERT_EQ(replayed.err, "warning\n") << "split at " << split;
    ASSERT_EQ(eventsOf(cast, "r"), "120x40|100x30") << "split at " << split;
    ASSERT_NE(recording.summaryJson().find(R"("exitCode":3)"), std::string::npos) << "split at " << split;
  }
}

TEST(SessionRecording, WholeSessionFedOneByteAtATime) {
  SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), kStartUnixMicros,
                             kStart);
  for (const Read& read : websocketV5Session()) {
    for (const char& c : read.bytes) {
      const std::span<const char> one(&c, 1);
      if (read.fromClient) {
        recording.fromClient(one, kStart + read.at);
      } else {
        recording.fromServer(one, kStart + read.at);
      }
    }
  }
  const AsciicastRecording cast = record(recording);
  EXPECT_EQ(replay(cast).out, kStdout);
  EXPECT_EQ(bytesOf(cast, "i"), "ls\n");
}

TEST(SessionRecording, Base64ProtocolWithFragmentedMessages) {
  // v4.base64.channel.k8s.io: text frames, channel '0'+n, base64 payload; one stdout message is
  // fragmented so the base64 quanta straddle frames.
  const std::string first = encodeBase64("hello \xE2\x82");
  const std::string second = encodeBase64("\xAC\n");
  std::vector<Read> reads = {
      {false, serverMessage("1", 1), 0ms},
      {true, clientMessage("0" + encodeBase64("echo\n"), 1), 5ms},
      {false, testing::wsFrame(1, "1" + first.substr(0, 3), false) + testing::wsFrame(0, first.substr(3), true), 10ms},
      {false, serverMessage("1" + second, 1), 20ms},
      {false, serverMessage("3" + encodeBase64(R"({"metadata":{},"status":"Success"})"), 1), 30ms},
  };
  for (std::size_t split : {std::string::npos, std::size_t{1}, std::size_t{4}}) {
    SessionRecording recording(TunnelProtocol::websocket, "v4.base64.channel.k8s.io", false,
                               {.command = {"cat"}, .tty = false, .container = "c1", .stdinRequested = true}, kStartUnixMicros, kStart);
    feed(recording, reads, split);
    const AsciicastRecording cast = record(recording);
    EXPECT_EQ(cast.header.width, 80);
    EXPECT_EQ(cast.header.height, 24);
    EXPECT_EQ(replay(cast).out, "hello \xE2\x82\xAC\n");
    EXPECT_EQ(bytesOf(cast, "i"), "echo\n");
    EXPECT_NE(recording.summaryJson().find(R"("exitCode":0)"), std::string::npos) << recording.summaryJson();
  }
}

TEST(SessionRecording, HeaderSizeIsFixedByTheFirstChunk) {
  SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), kStartUnixMicros,
                             kStart);
  recording.fromServer(asSpan(serverMessage(channelPayload(1, "x"))), kStart + 1s);
  EXPECT_GT(recording.pendingBytes(), 0u);
  const std::string first = recording.takeChunk();
  EXPECT_EQ(recording.pendingBytes(), 0u);
  EXPECT_EQ(first.rfind("{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": 1700000000,", 0), 0u) << first;
  EXPECT_NE(first.find("[1.000000, \"o\", \"x\"]\n"), std::string::npos);
  recording.fromClient(asSpan(clientMessage(channelPayload(4, R"({"Width":50,"Height":10})"))), kStart + 2s);
  EXPECT_EQ(recording.takeChunk(), "[2.000000, \"r\", \"50x10\"]\n");
  EXPECT_EQ(recording.takeChunk(), "");
}

// kubectl ≤1.29 exec over SPDY: the client's five streams, the server's replies, then data.
std::vector<Read> spdyExecSession() {
  SpdyEncoder client;
  SpdyEncoder server;
  std::string opening;
  std::uint32_t id = 1;
  for (const char* type : {"error", "stdin", "stdout", "stderr", "resize"}) {
    opening += client.synStream(id, {{"streamtype", type}});
    id += 2;
  }
  std::string replies;
  for (std::uint32_t reply = 1; reply < id; reply += 2) replies += server.synReply(reply);
  return {
      {true, opening, 0ms},
      {false, replies, 1ms},
      {true, SpdyEncoder::data(9, R"({"Width":132,"Height":43})"), 2ms},
      {true, SpdyEncoder::data(3, "whoami\n"), 100ms},
      {false, SpdyEncoder::data(5, "ro\xE2\x82") + SpdyEncoder::data(7, "E"), 200ms},
      {false, SpdyEncoder::data(5, "\xACot\n"), 300ms},
      {true, SpdyEncoder::data(3, "", kSpdyFlagFin), 400ms},
      {false, SpdyEncoder::data(1, R"({"metadata":{},"status":"Success"})") + SpdyEncoder::data(1, "", kSpdyFlagFin) +
                  SpdyEncoder::data(5, "", kSpdyFlagFin) + server.goAway(0), 500ms},
      {true, client.rstStream(1, 5) + client.goAway(0), 600ms},
  };
}

TEST(SessionRecording, SpdyExecReplaysExactly) {
  const std::vector<Read> reads = spdyExecSession();
  std::size_t longest = 0;
  for (const Read& read : reads) longest = std::max(longest, read.bytes.size());
  for (std::size_t split = 0; split <= longest + 1; ++split) {
    SessionRecording recording(TunnelProtocol::spdy, "v4.channel.k8s.io", false, shellExec(), kStartUnixMicros, kStart);
    feed(recording, reads, split == longest + 1 ? std::string::npos : split);
    const AsciicastRecording cast = record(recording);
    ASSERT_EQ(cast.header.width, 132) << "split at " << split;
    ASSERT_EQ(replay(cast).out, "ro\xE2\x82\xACot\n") << "split at " << split;
    ASSERT_EQ(replay(cast).err, "E");
    ASSERT_EQ(bytesOf(cast, "i"), "whoami\n");
    const std::string summary = recording.summaryJson();
    ASSERT_NE(summary.find(R"("exitCode":0)"), std::string::npos) << summary;
    ASSERT_EQ(summary.find("recordingStopped"), std::string::npos) << summary;
  }
}

// Port-forward over SPDY as kubectl does it: per local connection an error stream (half-closed
// at once) and a data stream sharing a requestid; the second connection fails and is reset.
// Header blocks are appended one at a time: each direction's compression order is its wire order.
std::vector<Read> spdyPortForwardSession() {
  SpdyEncoder client;
  SpdyEncoder server;
  std::string firstConnection =
      client.synStream(1, {{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}}, kSpdyFlagFin);
  firstConnection += client.synStream(3, {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}});
  firstConnection += SpdyEncoder::data(3, "GET / HTTP/1.1\r\n\r\n", kSpdyFlagFin);
  std::string firstReplies = server.synReply(1);
  firstReplies += server.synReply(3);
  firstReplies += SpdyEncoder::data(3, std::string(250, 'r'));
  std::string secondConnection =
      client.synStream(5, {{"streamtype", "error"}, {"port", "80"}, {"requestid", "1"}}, kSpdyFlagFin);
  secondConnection += client.synStream(7, {{"streamtype", "data"}, {"port", "80"}, {"requestid", "1"}});
  secondConnection += SpdyEncoder::data(7, std::string(1000, 'u'));
  std::string secondReplies = server.synReply(5);
  secondReplies += server.synReply(7);
  secondReplies += SpdyEncoder::data(7, "refused") + SpdyEncoder::data(5, "dial failed", kSpdyFlagFin);
  return {
      {true, firstConnection, 0ms},
      {false, firstReplies, 50ms},
      {false, SpdyEncoder::data(3, "", kSpdyFlagFin) + SpdyEncoder::data(1, "", kSpdyFlagFin), 100ms},
      {true, secondConnection, 200ms},
      {false, secondReplies, 300ms},
      {true, client.rstStream(7, 5), 400ms},
  };
}

TEST(SessionRecording, PortForwardFramesKubeSimEncoded) {
  SessionRecording recording(TunnelProtocol::spdy, "portforward.k8s.io", true, {}, kStartUnixMicros, kStart);
  recording.fromClient(asSpan(testing::kubeSimPortForwardClientFrames()), kStart + 1ms);
  SpdyEncoder server;
  std::string replies = server.synReply(1, {}, kSpdyFlagFin);
  replies += server.synReply(3);
  replies += SpdyEncoder::data(3, "HTTP/1.1 200 OK\r\n\r\n", kSpdyFlagFin);
  recording.fromServer(asSpan(replies), kStart + 2ms);
  recording.finish();
  EXPECT_NE(recording.summaryJson().find(
                R"("connections":[{"port":8080,"bytesToPod":18,"bytesFromPod":19,"openedAt":0.001000,"closedAt":0.002000}])"),
            std::string::npos)
      << recording.summaryJson();
}

void expectPortForwardSummary(const std::string& summary) {
  EXPECT_NE(summary.find(R"("connections":[{"port":8080,"bytesToPod":18,"bytesFromPod":250,"openedAt":0.000000,"closedAt":0.100000},)"
                         R"({"port":80,"bytesToPod":1000,"bytesFromPod":7,"openedAt":0.200000,"closedAt":0.400000,"error":"dial failed"}])"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find(R"("ports":{"80":{"connections":1,"bytesToPod":1000,"bytesFromPod":7},)"
                         R"("8080":{"connections":1,"bytesToPod":18,"bytesFromPod":250}})"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find(R"("kind":"portforward")"), std::string::npos);
  EXPECT_EQ(summary.find("recordingStopped"), std::string::npos) << summary;
}

TEST(SessionRecording, SpdyPortForwardCountsPerConnection) {
  SessionRecording recording(TunnelProtocol::spdy, "portforward.k8s.io", true, {}, kStartUnixMicros, kStart);
  feed(recording, spdyPortForwardSession(), 7);
  EXPECT_EQ(recording.pendingBytes(), 0u);
  recording.finish();
  EXPECT_EQ(recording.takeChunk(), "");  // no payload, not even a header
  expectPortForwardSummary(recording.summaryJson());
}

TEST(SessionRecording, SpdyTunnelledInWebSocketPortForward) {
  // kubectl 1.31+: the same SPDY bytes in binary messages, cut wherever the writes fell.
  std::vector<Read> reads;
  for (const Read& read : spdyPortForwardSession()) {
    const std::size_t half = read.bytes.size() / 2;
    const std::string first = read.bytes.substr(0, half);
    const std::string second = read.bytes.substr(half);
    reads.push_back({read.fromClient,
                     read.fromClient ? clientMessage(first) + clientMessage(second)
                                     : serverMessage(first) + serverMessage(second),
                     read.at});
  }
  for (std::size_t split : {std::string::npos, std::size_t{3}, std::size_t{11}}) {
    SessionRecording recording(TunnelProtocol::websocket, "SPDY/3.1+portforward.k8s.io", true, {}, kStartUnixMicros,
                               kStart);
    feed(recording, reads, split);
    recording.finish();
    expectPortForwardSummary(recording.summaryJson());
  }
}

TEST(SessionRecording, KubeletWebSocketPortForwardChannels) {
  // The python client: ?ports=80,443; each channel opens with the port, little-endian.
  const std::string port80("\x50\x00", 2);
  const std::string port443("\xBB\x01", 2);
  std::vector<Read> reads = {
      {false, serverMessage(channelPayload(0, port80)) + serverMessage(channelPayload(1, port80)) +
                  serverMessage(channelPayload(2, port443)) + serverMessage(channelPayload(3, port443)), 5ms},
      {true, clientMessage(channelPayload(0, "GET /\r\n\r\n")), 10ms},
      {false, serverMessage(channelPayload(0, std::string(300, 'p'))), 20ms},
      {false, serverMessage(channelPayload(3, "connection refused")), 30ms},
      {false, serverMessage("\x03\xE8", 8), 1500ms},
  };
  SessionRecording recording(TunnelProtocol::websocket, "v4.channel.k8s.io", true, {}, kStartUnixMicros, kStart);
  feed(recording, reads, 2);  // the port itself split between reads
  recording.finish();
  EXPECT_EQ(recording.takeChunk(), "");
  const std::string summary = recording.summaryJson();
  EXPECT_NE(summary.find(R"({"port":80,"bytesToPod":9,"bytesFromPod":300,"openedAt":0.005000,"closedAt":1.500000})"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find(R"({"port":443,"bytesToPod":0,"bytesFromPod":0,"openedAt":0.005000,"closedAt":1.500000,)"
                         R"("error":"connection refused"})"),
            std::string::npos)
      << summary;
}

TEST(SessionRecording, ParseProblemStopsRecordingButKeepsCounting) {
  SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), kStartUnixMicros,
                             kStart);
  recording.fromServer(asSpan(serverMessage(channelPayload(1, "before\n"))), kStart + 1s);
  const std::string oversized = "\x82\x7F" + testing::bigEndian(20 * 1024 * 1024, 8);
  recording.fromServer(asSpan(oversized), kStart + 2s);
  EXPECT_TRUE(recording.stopped());
  recording.fromServer(asSpan(serverMessage(channelPayload(1, "after\n"))), kStart + 3s);
  const AsciicastRecording cast = record(recording);
  EXPECT_EQ(replay(cast).out, "before\n");
  const std::string summary = recording.summaryJson();
  EXPECT_NE(summary.find(R"("recordingStopped":"websocket frame of 20971520 bytes exceeds the recording limit")"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find(R"("bytesFromServer":)" + std::to_string(serverMessage(channelPayload(1, "before\n")).size() +
                                                                    oversized.size() +
                                                                    serverMessage(channelPayload(1, "after\n")).size())),
            std::string::npos)
      << summary;
}

TEST(SessionRecording, GarbageNeverThrows) {
  for (TunnelProtocol protocol : {TunnelProtocol::websocket, TunnelProtocol::spdy}) {
    for (bool portForward : {false, true}) {
      SessionRecording recording(protocol, "v4.base64.channel.k8s.io", portForward, shellExec(), 0, kStart);
      std::string junk;
      for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) ^ (i >> 3)));
      recording.fromClient(asSpan(junk), kStart);
      recording.fromServer(asSpan(junk), kStart);
      recording.finish();
      recording.takeChunk();
      EXPECT_FALSE(recording.summaryJson().empty());
    }
  }
}

TEST(SessionRecording, BacklogThatIsNeverTakenStopsTheRecording) {
  SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), 0, kStart);
  const std::string message = serverMessage(channelPayload(1, std::string(60000, 'a')));
  for (int i = 0; i < 200 && !recording.stopped(); ++i) recording.fromServer(asSpan(message), kStart);
  EXPECT_TRUE(recording.stopped());
  EXPECT_LE(recording.pendingBytes(), SessionRecording::kMaxPendingBytes + 2 * message.size());
  EXPECT_NE(recording.summaryJson().find("recording backlog exceeded"), std::string::npos);
}

// A detector of the site's own (no built-in secret shapes in test sources), as a profile's
// `patterns` would add it.
std::shared_ptr<const mask::Detectors> employeeIds() {
  static const auto detectors = mask::Detectors::compile({}, {mask::PatternSpec{"employee-id", "EMP-[0-9]{6}"}});
  return detectors;
}

ExecDetails maskedStdinExec(bool tty) {
  ExecDetails exec{.command = {"sh"}, .tty = tty, .container = "c1", .stdinRequested = true};
  exec.stdinDetectors = employeeIds().get();
  return exec;
}

TEST(SessionRecording, SecretPipedIntoStdinIsMaskedInTheRecordEvenWhenSplitAcrossReads) {
  const std::vector<Read> reads = {
      {true, clientMessage(channelPayload(0, "export ID=EMP-12")), 10ms},
      {true, clientMessage(channelPayload(0, "3456\necho done\n")), 20ms},
      {false, serverMessage(channelPayload(1, "done\n")), 30ms},
  };
  for (std::size_t split : {std::string::npos, std::size_t{1}, std::size_t{7}}) {
    SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, maskedStdinExec(false),
                               kStartUnixMicros, kStart);
    feed(recording, reads, split);
    const AsciicastRecording cast = record(recording);
    EXPECT_EQ(bytesOf(cast, "i"), "export ID=" + std::string(mask::kMaskedText) + "\necho done\n") << "split " << split;
    EXPECT_EQ(replay(cast).out, "done\n");
  }
  // Without detectors (a profile that does not scan streams) stdin is kept as sent.
  SessionRecording plain(TunnelProtocol::websocket, "v5.channel.k8s.io", false, shellExec(), kStartUnixMicros, kStart);
  feed(plain, reads);
  EXPECT_EQ(bytesOf(record(plain), "i"), "export ID=EMP-123456\necho done\n");
}

TEST(SessionRecording, TypedLineWithoutNewlineIsReleasedMaskedOnceStdinIsQuietAndAtTheEnd) {
  // A terminal sends Enter as '\r', so a typed line never completes with a newline.
  const std::vector<Read> reads = {
      {true, clientMessage(channelPayload(0, "login EMP-65")), 100ms},
      {true, clientMessage(channelPayload(0, "4321\r")), 120ms},
      {false, serverMessage(channelPayload(1, "ok\r\n")), 130ms},  // within 50 ms: still held
      {false, serverMessage(channelPayload(1, "$ ")), 400ms},      // quiet since 120 ms: released
      {true, clientMessage(channelPayload(0, "EMP-111111")), 500ms},  // held until the end
  };
  SessionRecording recording(TunnelProtocol::websocket, "v5.channel.k8s.io", false, maskedStdinExec(true),
                             kStartUnixMicros, kStart);
  feed(recording, reads);
  const AsciicastRecording cast = record(recording);
  const std::string masked(mask::kMaskedText);
  EXPECT_EQ(eventsOf(cast, "i"), "login " + masked + "\r|" + masked);
  for (const AsciicastEvent& e : cast.events) EXPECT_EQ(e.data.find("EMP-"), std::string::npos) << e.data;
  ASSERT_GE(cast.events.size(), 3u);
  // The first line is on the record when stdin went quiet: after "ok", at the prompt.
  EXPECT_EQ(cast.events[1].code, "i");
  EXPECT_NEAR(cast.events[1].time, 0.4, 1e-6);
  EXPECT_EQ(replay(cast).out, "ok\r\n$ ");
}

}  // namespace
}  // namespace kubegate::audit
