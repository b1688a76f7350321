#include "audit/session_recording.h"
#include "http/base64.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <string_view>

#include "audit/asciicast.h"
#include "audit/spdy_frames.h"
#include "audit/websocket_frames.h"
#include "mask/detectors.h"

namespace kubegate::audit {
namespace {

namespace json = boost::json;

enum class Side { client = 0, server = 1 };

enum class Mode {
  execChannels,         // WebSocket remote command: [channel][payload] messages
  portForwardChannels,  // the kubelet's WebSocket port-forward: data 2i, error 2i+1
  spdy,                 // raw SPDY/3.1
  spdyInWebSocket,      // SPDY/3.1 carried in binary messages (SPDY/3.1+portforward.k8s.io)
};

enum class StreamKind { stdinStream, stdoutStream, stderrStream, errorStream, resizeStream, data, unknown };

constexpr std::uint8_t kCloseChannel = 255;
constexpr std::size_t kMaxResizeBuffer = 4096;
constexpr std::size_t kMaxStatusBuffer = 64 * 1024;
constexpr std::size_t kMaxErrorText = 1024;
constexpr std::size_t kMaxOpenStreams = 4096;
constexpr std::size_t kMaxListedConnections = 4096;
constexpr std::int64_t kQuietStdinMicros =
    std::chrono::duration_cast<std::chrono::microseconds>(mask::StreamRedactor::kPause).count();

StreamKind kindOfChannel(std::uint8_t channel) {
  switch (channel) {
    case 0: return StreamKind::stdinStream;
    case 1: return StreamKind::stdoutStream;
    case 2: return StreamKind::stderrStream;
    case 3: return StreamKind::errorStream;
    case 4: return StreamKind::resizeStream;
    default: return StreamKind::unknown;
  }
}

StreamKind kindOfStreamType(std::string_view type) {
  if (type == "stdin") return StreamKind::stdinStream;
  if (type == "stdout") return StreamKind::stdoutStream;
  if (type == "stderr") return StreamKind::stderrStream;
  if (type == "error") return StreamKind::errorStream;
  if (type == "resize") return StreamKind::resizeStream;
  if (type == "data") return StreamKind::data;
  return StreamKind::unknown;
}

Mode modeFor(TunnelProtocol protocol, std::string_view subprotocol, bool portForward) {
  if (protocol == TunnelProtocol::spdy) return Mode::spdy;
  if (subprotocol.starts_with("SPDY/3.1+")) return Mode::spdyInWebSocket;
  return portForward ? Mode::portForwardChannels : Mode::execChannels;
}

std::optional<int> parseInt(std::string_view s) {
  int value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<int> sizeField(const json::object& o, std::string_view upper, std::string_view lower) {
  for (std::string_view name : {upper, lower}) {
    if (const json::value* v = o.if_contains(name); v && v->is_number()) {
      boost::system::error_code ec;
      const auto n = v->to_number<std::int64_t>(ec);
      if (!ec && n >= 0 && n <= 0xFFFF) return static_cast<int>(n);
    }
  }
  return std::nullopt;
}

struct ExitStatus {
  std::string status;
  std::string reason;
  std::string message;
  std::optional<int> exitCode;
};

// The Status on the error stream (client-go errorDecoderV4): Success, or NonZeroExitCode with the
// code in details.causes[reason=ExitCode].message.
std::optional<ExitStatus> parseStatus(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* status = o ? o->if_contains("status") : nullptr;
  if (!status || !status->is_string()) return std::nullopt;
  ExitStatus result;
  result.status = status->get_string();
  auto text_of = [&](std::string_view name) {
    const json::value* f = o->if_contains(name);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  result.reason = text_of("reason");
  result.message = text_of("message");
  if (result.status == "Success") result.exitCode = 0;
  const json::value* details = o->if_contains("details");
  const json::value* causes = details && details->is_object() ? details->get_object().if_contains("causes") : nullptr;
  if (result.reason == "NonZeroExitCode" && causes && causes->is_array()) {
    for (const json::value& cause : causes->get_array()) {
      const json::object* c = cause.if_object();
      const json::value* reason = c ? c->if_contains("reason") : nullptr;
      const json::value* message = c ? c->if_contains("message") : nullptr;
      if (reason && reason->is_string() && reason->get_string() == "ExitCode" && message && message->is_string()) {
        result.exitCode = parseInt(message->get_string());
      }
    }
  }
  return result;
}

struct StreamCount {
  std::uint64_t bytes = 0;
  std::uint64_t events = 0;
};

struct ForwardedConnection {
  int port = -1;
  std::uint64_t bytesToPod = 0;
  std::uint64_t bytesFromPod = 0;
  std::int64_t openedAt = 0;
  std::int64_t closedAt = -1;
  std::string error;
};

struct PortTotals {
  std::uint64_t connections = 0;
  std::uint64_t bytesToPod = 0;
  std::uint64_t bytesFromPod = 0;
};

struct SpdyStreamInfo {
  StreamKind kind = StreamKind::unknown;
  std::string connection;  // port-forward: the requestid that pairs data and error streams
  std::array<bool, 2> finished{};
};

// The message being read in one direction of a WebSocket channel protocol.
struct ChannelMessage {
  bool text = false;
  bool haveChannel = false;
  std::uint8_t channel = 0;
  std::string base64Carry;  // base64 characters not yet forming a whole quantum
};

}  // namespace

struct SessionRecording::Impl {
  class SideSink;

  Impl(TunnelProtocol protocol, std::string subprotocol, bool portForward, ExecDetails exec,
       std::int64_t startUnixMicros, Clock::time_point startedAt);

  void feed(Side side, std::span<const char> bytes, Clock::time_point at);
  void setTime(Clock::time_point at);
  void stop(const std::string& reason);

  // WebSocket channel protocols.
  void messageStart(Side side, WebSocketOpcode opcode);
  void messagePayload(Side side, std::span<const char> piece);
  void messageEnd(Side side);
  void controlFrame(Side side, WebSocketOpcode opcode);
  void channelBytes(Side side, std::uint8_t channel, std::string_view bytes);
  void channelMessageEnd(Side side, std::uint8_t channel);
  void decodeBase64Quanta(Side side, bool final);

  // Exec streams, whatever carries them.
  void execBytes(Side side, StreamKind kind, std::string_view bytes);
  void recordStdin(std::string_view bytes);
  void releaseQuietStdin(bool ending);
  void execStreamEnd(Side side, StreamKind kind);
  void appendRun(std::string_view code, std::string_view streamName, std::string_view bytes);
  void flushRun();
  void addLine(std::string line, std::string_view streamName);
  void readResizes();
  void readStatus();

  // SPDY streams.
  void synStream(Side side, std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock& headers);
  void streamFinished(Side side, std::uint32_t id, std::uint8_t flags);
  void spdyData(Side side, std::uint32_t id, std::string_view bytes);
  void spdyDataEnd(Side side, std::uint32_t id, std::uint8_t flags);
  void spdyReset(std::uint32_t id);

  // Port-forward connections.
  ForwardedConnection& openConnection(const std::string& key, int port);
  void closeConnection(const std::string& key);
  void closeAllConnections();
  void portChannelBytes(Side side, std::uint8_t channel, std::string_view bytes);

  std::string header() const;
  std::string summary() const;

  const TunnelProtocol protocol;
  const std::string subprotocol;
  const bool portForward;
  const ExecDetails exec;
  const std::int64_t startUnixMicros;
  const Clock::time_point startedAt;
  const Mode mode;
  const bool base64;

  std::int64_t now = 0;
  bool finished = false;
  std::string stopReason;
  std::array<std::uint64_t, 2> rawBytes{};

  AsciicastWriter writer;
  std::string pending;
  bool headerTaken = false;
  std::optional<std::pair<int, int>> firstSize;
  std::string runCode;
  std::string runStream;
  std::string runBytes;
  std::map<std::string, StreamCount, std::less<>> counts;
  std::string resizeBuffer;
  std::string statusBuffer;
  std::optional<ExitStatus> exitStatus;
  bool stdinClosed = false;
  std::optional<mask::StreamRedactor> stdinRedactor;
  std::int64_t lastStdinMicros = 0;

  std::vector<std::unique_ptr<SideSink>> sinks;
  std::array<ChannelMessage, 2> messages;
  std::map<std::uint32_t, SpdyStreamInfo> spdyStreams;
  std::array<std::uint8_t, 256> portBytesSeen{};
  std::array<std::uint16_t, 256> channelPorts{};
  std::map<std::string, ForwardedConnection> openConnections;
  std::vector<ForwardedConnection> closedConnections;
  std::uint64_t connectionsNotListed = 0;
  std::map<int, PortTotals> ports;
};

// Receives one direction's frames and hands them to the recording with the side attached.
class SessionRecording::Impl::SideSink : public WebSocketFrameSink, public SpdyFrameSink {
 public:
  SideSink(Impl& impl, Side side) : impl_(impl), side_(side), ws(*this), spdy(*this) {}

  void onMessageStart(WebSocketOpcode opcode) override { impl_.messageStart(side_, opcode); }
  void onMessagePayload(std::span<const char> piece) override { impl_.messagePayload(side_, piece); }
  void onMessageEnd() override { impl_.messageEnd(side_); }
  void onControlFrame(WebSocketOpcode opcode, std::string_view) override { impl_.controlFrame(side_, opcode); }

  void onSynStream(std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock& headers) override {
    impl_.synStream(side_, id, flags, headers);
  }
  void onSynReply(std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock&) override {
    impl_.streamFinished(side_, id, flags);
  }
  void onHeaders(std::uint32_t id, std::uint8_t flags, const SpdyHeaderBlock&) override {
    impl_.streamFinished(side_, id, flags);
  }
  void onRstStream(std::uint32_t id, std::uint32_t) override { impl_.spdyReset(id); }
  void onData(std::uint32_t id, std::span<const char> piece) override {
    impl_.spdyData(side_, id, std::string_view(piece.data(), piece.size()));
  }
  void onDataEnd(std::uint32_t id, std::uint8_t flags) override { impl_.spdyDataEnd(side_, id, flags); }

 private:
  Impl& impl_;
  Side side_;

 public:
  WebSocketFrameReader ws;
  SpdyFrameReader spdy;
};

SessionRecording::Impl::Impl(TunnelProtocol protocol, std::string subprotocol, bool portForward, ExecDetails exec,
                             std::int64_t startUnixMicros, Clock::time_point startedAt)
    : protocol(protocol),
      subprotocol(std::move(subprotocol)),
      portForward(portForward),
      exec(std::move(exec)),
      startUnixMicros(startUnixMicros),
      startedAt(startedAt),
      mode(modeFor(protocol, this->subprotocol, portForward)),
      base64(this->subprotocol.find("base64") != std::string::npos) {
  sinks.push_back(std::make_unique<SideSink>(*this, Side::client));
  sinks.push_back(std::make_unique<SideSink>(*this, Side::server));
  if (this->exec.stdinDetectors) stdinRedactor.emplace(*this->exec.stdinDetectors);
}

void SessionRecording::Impl::feed(Side side, std::span<const char> bytes, Clock::time_point at) {
  rawBytes[static_cast<int>(side)] += bytes.size();
  if (finished || !stopReason.empty()) return;
  setTime(at);
  releaseQuietStdin(false);
  SideSink& sink = *sinks[static_cast<int>(side)];
  const bool ok = mode == Mode::spdy ? sink.spdy.feed(bytes) : sink.ws.feed(bytes);
  if (!ok) stop(mode == Mode::spdy ? sink.spdy.stopReason() : sink.ws.stopReason());
  if (sink.spdy.stopped()) stop(sink.spdy.stopReason());
  flushRun();
  if (pending.size() > kMaxPendingBytes) stop("recording backlog exceeded " + std::to_string(kMaxPendingBytes) + " bytes");
}

void SessionRecording::Impl::setTime(Clock::time_point at) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at - startedAt).count();
  // Both directions stamp events; the recording's clock must never run backwards.
  now = std::max<std::int64_t>(now, micros);
}

void SessionRecording::Impl::stop(const std::string& reason) {
  if (stopReason.empty()) stopReason = reason.empty() ? "recording stopped" : reason;
}

void SessionRecording::Impl::messageStart(Side side, WebSocketOpcode opcode) {
  ChannelMessage& message = messages[static_cast<int>(side)];
  message = ChannelMessage{};
  message.text = opcode == WebSocketOpcode::text;
}

void SessionRecording::Impl::messagePayload(Side side, std::span<const char> piece) {
  ChannelMessage& message = messages[static_cast<int>(side)];
  std::string_view bytes(piece.data(), piece.size());
  if (mode == Mode::spdyInWebSocket) {
    // client-go's tunnel ends the connection on a text message, so only binary ones carry SPDY.
    if (!message.text) sinks[static_cast<int>(side)]->spdy.feed(piece);
    return;
  }
  if (!message.haveChannel && !bytes.empty()) {
    message.haveChannel = true;
    const auto first = static_cast<std::uint8_t>(bytes.front());
    message.channel = base64 && message.text ? static_cast<std::uint8_t>(first - '0') : first;
    bytes.remove_prefix(1);
  }
  if (bytes.empty()) return;
  if (!(base64 && message.text)) return channelBytes(side, message.channel, bytes);
  message.base64Carry.append(bytes);
  decodeBase64Quanta(side, false);
}

void SessionRecording::Impl::decodeBase64Quanta(Side side, bool final) {
  ChannelMessage& message = messages[static_cast<int>(side)];
  const std::size_t whole = final ? message.base64Carry.size() : message.base64Carry.size() / 4 * 4;
  if (whole == 0) return;
  std::optional<std::string> decoded = decodeBase64(std::string_view(message.base64Carry).substr(0, whole));
  if (!decoded) return stop("invalid base64 in a " + subprotocol + " message");
  message.base64Carry.erase(0, whole);
  channelBytes(side, message.channel, *decoded);
}

void SessionRecording::Impl::messageEnd(Side side) {
  ChannelMessage& message = messages[static_cast<int>(side)];
  if (mode == Mode::spdyInWebSocket || !message.haveChannel) return;
  if (base64 && message.text) decodeBase64Quanta(side, true);
  channelMessageEnd(side, message.channel);
  message = ChannelMessage{};
}

void SessionRecording::Impl::controlFrame(Side side, WebSocketOpcode opcode) {
  if (opcode == WebSocketOpcode::close && mode == Mode::portForwardChannels) closeAllConnections();
}

void SessionRecording::Impl::channelBytes(Side side, std::uint8_t channel, std::string_view bytes) {
  if (mode == Mode::portForwardChannels) return portChannelBytes(side, channel, bytes);
  if (channel == kCloseChannel) {
    // v5: the client closed one of its streams; [255, 0] is stdin's EOF.
    if (side == Side::client && !bytes.empty() && bytes.front() == 0) stdinClosed = true;
    return;
  }
  execBytes(side, kindOfChannel(channel), bytes);
}

void SessionRecording::Impl::channelMessageEnd(Side side, std::uint8_t channel) {
  if (mode == Mode::execChannels && channel != kCloseChannel) execStreamEnd(side, kindOfChannel(channel));
}

void SessionRecording::Impl::execBytes(Side side, StreamKind kind, std::string_view bytes) {
  if (side == Side::client) {
    if (kind == StreamKind::stdinStream) return recordStdin(bytes);
    if (kind != StreamKind::resizeStream) return;
    counts["resize"].bytes += bytes.size();
    resizeBuffer.append(bytes);
    return readResizes();
  }
  if (kind == StreamKind::stdoutStream) return appendRun("o", "stdout", bytes);
  if (kind == StreamKind::stderrStream) return appendRun("e", "stderr", bytes);
  if (kind != StreamKind::errorStream) return;
  appendRun("x", "error", bytes);
  statusBuffer.append(bytes.substr(0, kMaxStatusBuffer - std::min(kMaxStatusBuffer, statusBuffer.size())));
}

void SessionRecording::Impl::recordStdin(std::string_view bytes) {
  if (!stdinRedactor) return appendRun("i", "stdin", bytes);
  std::string masked;
  stdinRedactor->write(bytes, masked);
  lastStdinMicros = now;
  if (!masked.empty()) appendRun("i", "stdin", masked);
}

// A typed line has no newline until Enter (a terminal sends '\r'), so what the redactor holds is
// released once stdin has been quiet as long as the tunnel's masker waits for a prompt (but for a
// trailing word that may begin a secret, as there), and at the end.
void SessionRecording::Impl::releaseQuietStdin(bool ending) {
  if (!stdinRedactor || !stdinRedactor->holding()) return;
  std::string masked;
  if (ending) {
    stdinRedactor->flush(masked);
  } else if (now - lastStdinMicros >= kQuietStdinMicros && stdinRedactor->pauseWouldRelease()) {
    stdinRedactor->releaseAfterPause(masked);
  }
  if (!masked.empty()) appendRun("i", "stdin", masked);
}

void SessionRecording::Impl::execStreamEnd(Side side, StreamKind kind) {
  flushRun();
  if (side == Side::server && kind == StreamKind::errorStream) readStatus();
}

void SessionRecording::Impl::appendRun(std::string_view code, std::string_view streamName, std::string_view bytes) {
  if (runCode != code) {
    flushRun();
    runCode = code;
    runStream = streamName;
  }
  counts[std::string(streamName)].bytes += bytes.size();
  runBytes.append(bytes);
}

void SessionRecording::Impl::flushRun() {
  if (runBytes.empty()) return;
  std::string line = writer.event(now, runCode, runBytes);
  runBytes.clear();
  addLine(std::move(line), runStream);
}

void SessionRecording::Impl::addLine(std::string line, std::string_view streamName) {
  if (line.empty()) return;
  counts[std::string(streamName)].events += 1;
  if (!portForward) pending += line;
}

// Sizes are JSON objects, one per message from client-go, but the kubelet decodes them as a
// stream, so a message may hold several or part of one.
void SessionRecording::Impl::readResizes() {
  for (;;) {
    const std::size_t end = resizeBuffer.find('}');
    if (end == std::string::npos) {
      if (resizeBuffer.size() > kMaxResizeBuffer) resizeBuffer.clear();
      return;
    }
    boost::system::error_code ec;
    const json::value v = json::parse(std::string_view(resizeBuffer).substr(0, end + 1), ec);
    resizeBuffer.erase(0, end + 1);
    resizeBuffer.erase(0, std::min(resizeBuffer.size(), resizeBuffer.find_first_not_of(" \t\r\n")));
    const json::object* o = ec ? nullptr : v.if_object();
    if (!o) continue;
    const std::optional<int> width = sizeField(*o, "Width", "width");
    const std::optional<int> height = sizeField(*o, "Height", "height");
    if (!width || !height) continue;
    if (!headerTaken && !firstSize) firstSize = std::pair(*width, *height);
    flushRun();
    addLine(writer.event(now, "r", std::to_string(*width) + "x" + std::to_string(*height)), "resize");
  }
}

void SessionRecording::Impl::readStatus() {
  if (statusBuffer.empty()) return;
  if (std::optional<ExitStatus> status = parseStatus(statusBuffer)) {
    exitStatus = std::move(status);
    statusBuffer.clear();
  }
}

void SessionRecording::Impl::synStream(Side side, std::uint32_t id, std::uint8_t flags,
                                       const SpdyHeaderBlock& headers) {
  if (spdyStreams.size() >= kMaxOpenStreams) return stop("more than " + std::to_string(kMaxOpenStreams) + " open SPDY streams");
  SpdyStreamInfo info;
  info.kind = kindOfStreamType(spdyHeaderValue(headers, "streamtype"));
  if (portForward) {
    const std::string_view requestId = spdyHeaderValue(headers, "requestid");
    info.connection = requestId.empty() ? "stream " + std::to_string(id) : std::string(requestId);
    openConnection(info.connection, parseInt(spdyHeaderValue(headers, "port")).value_or(-1));
  }
  spdyStreams[id] = std::move(info);
  streamFinished(side, id, flags);
}

void SessionRecording::Impl::streamFinished(Side side, std::uint32_t id, std::uint8_t flags) {
  auto it = spdyStreams.find(id);
  if (it == spdyStreams.end() || !(flags & kSpdyFlagFin)) return;
  SpdyStreamInfo& info = it->second;
  info.finished[static_cast<int>(side)] = true;
  if (!info.finished[0] || !info.finished[1]) return;
  if (info.kind == StreamKind::data) closeConnection(info.connection);
  spdyStreams.erase(it);
}

void SessionRecording::Impl::spdyData(Side side, std::uint32_t id, std::string_view bytes) {
  auto it = spdyStreams.find(id);
  if (it == spdyStreams.end()) return;
  const SpdyStreamInfo& info = it->second;
  if (!portForward) return execBytes(side, info.kind, bytes);
  auto connection = openConnections.find(info.connection);
  if (connection == openConnections.end()) return;
  if (info.kind == StreamKind::data) {
    (side == Side::client ? connection->second.bytesToPod : connection->second.bytesFromPod) += bytes.size();
  } else if (info.kind == StreamKind::errorStream && side == Side::server) {
    std::string& error = connection->second.error;
    error.append(bytes.substr(0, kMaxErrorText - std::min(kMaxErrorText, error.size())));
  }
}

void SessionRecording::Impl::spdyDataEnd(Side side, std::uint32_t id, std::uint8_t flags) {
  auto it = spdyStreams.find(id);
  if (it == spdyStreams.end()) return;
  if (!portForward && (flags & kSpdyFlagFin)) execStreamEnd(side, it->second.kind);
  if (!portForward) flushRun();
  streamFinished(side, id, flags);
}

void SessionRecording::Impl::spdyReset(std::uint32_t id) {
  auto it = spdyStreams.find(id);
  if (it == spdyStreams.end()) return;
  if (it->second.kind == StreamKind::data) closeConnection(it->second.connection);
  spdyStreams.erase(it);
}

ForwardedConnection& SessionRecording::Impl::openConnection(const std::string& key, int port) {
  auto [it, inserted] = openConnections.try_emplace(key);
  if (inserted) it->second.openedAt = now;
  if (it->second.port < 0) it->second.port = port;
  return it->second;
}

void SessionRecording::Impl::closeConnection(const std::string& key) {
  auto it = openConnections.find(key);
  if (it == openConnections.end()) return;
  ForwardedConnection connection = std::move(it->second);
  openConnections.erase(it);
  connection.closedAt = now;
  PortTotals& totals = ports[connection.port];
  totals.connections += 1;
  totals.bytesToPod += connection.bytesToPod;
  totals.bytesFromPod += connection.bytesFromPod;
  if (closedConnections.size() < kMaxListedConnections) {
    closedConnections.push_back(std::move(connection));
  } else {
    connectionsNotListed += 1;
  }
}

void SessionRecording::Impl::closeAllConnections() {
  while (!openConnections.empty()) closeConnection(openConnections.begin()->first);
}

// Each channel starts with the port, little-endian, in the server's first bytes on it; the
// client sends plain data on the data channels.
void SessionRecording::Impl::portChannelBytes(Side side, std::uint8_t channel, std::string_view bytes) {
  const std::string key = "channel " + std::to_string(channel / 2);
  if (side == Side::server) {
    std::uint8_t& seen = portBytesSeen[channel];
    while (seen < 2 && !bytes.empty()) {
      channelPorts[channel] |= static_cast<std::uint16_t>(static_cast<unsigned char>(bytes.front()) << (8 * seen));
      ++seen;
      bytes.remove_prefix(1);
      if (seen == 2 && channel % 2 == 0) openConnection(key, channelPorts[channel]);
    }
  }
  if (bytes.empty()) return;
  ForwardedConnection& connection = openConnection(key, -1);
  if (channel % 2 == 1) {
    if (side == Side::server) {
      connection.error.append(bytes.substr(0, kMaxErrorText - std::min(kMaxErrorText, connection.error.size())));
    }
    return;
  }
  (side == Side::client ? connection.bytesToPod : connection.bytesFromPod) += bytes.size();
}

std::string SessionRecording::Impl::header() const {
  AsciicastHeader h;
  if (firstSize) std::tie(h.width, h.height) = *firstSize;
  h.timestamp = startUnixMicros / 1000000;
  for (const std::string& word : exec.command) h.command += (h.command.empty() ? "" : " ") + word;
  h.term = exec.term;
  return asciicastHeaderLine(h);
}

std::string SessionRecording::Impl::summary() const {
  std::string out = "{\"kind\":";
  out += portForward ? "\"portforward\"" : "\"exec\"";
  out += ",\"protocol\":";
  out += protocol == TunnelProtocol::spdy ? "\"spdy\"" : "\"websocket\"";
  out += ",\"subprotocol\":" + jsonQuote(subprotocol);
  out += ",\"bytesFromClient\":" + std::to_string(rawBytes[0]);
  out += ",\"bytesFromServer\":" + std::to_string(rawBytes[1]);
  if (!portForward) {
    out += ",\"container\":" + jsonQuote(exec.container);
    out += ",\"tty\":" + std::string(exec.tty ? "true" : "false");
    out += ",\"streams\":{";
    bool first = true;
    for (const auto& [name, count] : counts) {
      out += std::string(first ? "" : ",") + jsonQuote(name) + ":{\"bytes\":" + std::to_string(count.bytes) +
             ",\"events\":" + std::to_string(count.events) + "}";
      first = false;
    }
    out += "}";
    out += ",\"stdinClosed\":" + std::string(stdinClosed ? "true" : "false");
  }
  if (exitStatus) {
    out += ",\"exitStatus\":{\"status\":" + jsonQuote(exitStatus->status);
    if (!exitStatus->reason.empty()) out += ",\"reason\":" + jsonQuote(exitStatus->reason);
    if (!exitStatus->message.empty()) out += ",\"message\":" + jsonQuote(exitStatus->message);
    out += "}";
    if (exitStatus->exitCode) out += ",\"exitCode\":" + std::to_string(*exitStatus->exitCode);
  } else if (!statusBuffer.empty()) {
    out += ",\"errorMessage\":" + jsonQuote(std::string_view(statusBuffer).substr(0, kMaxErrorText));
  }
  if (!stopReason.empty()) out += ",\"recordingStopped\":" + jsonQuote(stopReason);
  if (portForward) {
    out += ",\"connections\":[";
    for (std::size_t i = 0; i < closedConnections.size(); ++i) {
      const ForwardedConnection& c = closedConnections[i];
      out += std::string(i ? "," : "") + "{\"port\":" + std::to_string(c.port) +
             ",\"bytesToPod\":" + std::to_string(c.bytesToPod) + ",\"bytesFromPod\":" + std::to_string(c.bytesFromPod) +
             ",\"openedAt\":" + formatSeconds(c.openedAt) + ",\"closedAt\":" + formatSeconds(c.closedAt);
      if (!c.error.empty()) out += ",\"error\":" + jsonQuote(c.error);
      out += "}";
    }
    out += "]";
    if (connectionsNotListed) out += ",\"connectionsNotListed\":" + std::to_string(connectionsNotListed);
    out += ",\"ports\":{";
    bool first = true;
    for (const auto& [port, totals] : ports) {
      out += std::string(first ? "" : ",") + "\"" + std::to_string(port) + "\":{\"connections\":" +
             std::to_string(totals.connections) + ",\"bytesToPod\":" + std::to_string(totals.bytesToPod) +
             ",\"bytesFromPod\":" + std::to_string(totals.bytesFromPod) + "}";
      first = false;
    }
    out += "}";
  }
  out += "}";
  return out;
}

SessionRecording::SessionRecording(TunnelProtocol protocol, std::string subprotocol, bool portForward, ExecDetails exec,
                                   std::int64_t startUnixMicros, Clock::time_point startedAt) {
  try {
    impl_ = std::make_unique<Impl>(protocol, std::move(subprotocol), portForward, std::move(exec), startUnixMicros,
                                   startedAt);
  } catch (...) {
    impl_.reset();  // every method then does nothing: the tunnel goes on unrecorded
  }
}

SessionRecording::~SessionRecording() = default;

void SessionRecording::fromClient(std::span<const char> bytes, Clock::time_point at) noexcept {
  if (!impl_) return;
  try {
    impl_->feed(Side::client, bytes, at);
  } catch (const std::exception& e) {
    impl_->stop(std::string("recorder failure: ") + e.what());
  } catch (...) {
    impl_->stop("recorder failure");
  }
}

void SessionRecording::fromServer(std::span<const char> bytes, Clock::time_point at) noexcept {
  if (!impl_) return;
  try {
    impl_->feed(Side::server, bytes, at);
  } catch (const std::exception& e) {
    impl_->stop(std::string("recorder failure: ") + e.what());
  } catch (...) {
    impl_->stop("recorder failure");
  }
}

std::string SessionRecording::takeChunk() noexcept {
  if (!impl_ || impl_->portForward) return {};
  try {
    std::string chunk;
    if (!impl_->headerTaken) {
      chunk = impl_->header();
      impl_->headerTaken = true;
    }
    chunk += impl_->pending;
    impl_->pending.clear();
    return chunk;
  } catch (...) {
    impl_->pending.clear();
    return {};
  }
}

std::size_t SessionRecording::pendingBytes() const noexcept { return impl_ ? impl_->pending.size() : 0; }

void SessionRecording::finish() noexcept {
  if (!impl_ || impl_->finished) return;
  try {
    impl_->releaseQuietStdin(true);
    impl_->flushRun();
    if (impl_->stopReason.empty()) impl_->readStatus();
    // Bytes still waiting for the rest of a UTF-8 sequence will not get it now.
    for (const auto& [code, name] : {std::pair{"o", "stdout"}, {"e", "stderr"}, {"i", "stdin"}, {"x", "error"}}) {
      impl_->addLine(impl_->writer.flush(impl_->now, code), name);
    }
    impl_->closeAllConnections();
  } catch (...) {
    impl_->stop("recorder failure while finishing");
  }
  impl_->finished = true;
}

std::string SessionRecording::summaryJson() const noexcept {
  if (!impl_) return "{\"recordingStopped\":\"recorder unavailable\"}";
  try {
    return impl_->summary();
  } catch (...) {
    return "{\"recordingStopped\":\"summary unavailable\"}";
  }
}

bool SessionRecording::stopped() const noexcept { return !impl_ || !impl_->stopReason.empty(); }

}  // namespace kubegate::audit
