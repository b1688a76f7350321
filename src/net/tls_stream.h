// A lean TLS stream for connections that spend most of their life idle (watches, log follows,
// keep-alive). asio::ssl::stream keeps two 17 KiB record buffers per stream plus a BIO pair that
// allocates another 2 x 17 KiB once data has flowed; an idle watch holds two streams. Here OpenSSL
// reads and writes the socket's file descriptor itself through a small BIO (recv/send, no
// intermediate buffers), SSL_MODE_RELEASE_BUFFERS hands the record buffers back whenever a
// connection goes quiet, and readiness comes from the socket's async_wait, driven by
// SSL_ERROR_WANT_READ / WANT_WRITE.
//
// TlsSocket is its own lowest layer: it carries the surface of beast::tcp_stream that callers use
// through beast::get_lowest_layer (expires_after/at/never, cancel, close, socket, async_connect), so
// code written against beast::ssl_stream<beast::tcp_stream> keeps working. It models
// AsyncReadStream and AsyncWriteStream for any completion token.
//
// Concurrency. One read and one write may be outstanding at once (handshake and shutdown count as
// writes); all operations run on the stream's executor, which must be an implicit or explicit
// strand, as for any Asio stream. OpenSSL allows interleaving SSL_read and SSL_write on one thread
// with non-blocking I/O; what it does not allow is anything else while it holds a partly sent
// record: the retry must repeat the same write, and any other record (a handshake message or
// alert produced on behalf of a read) fails with SSL_R_BAD_WRITE_RETRY. So the BIO never refuses
// a write: what the kernel does not take goes to a small spill buffer owned by the stream and is
// reported to OpenSSL as written. OpenSSL therefore never holds a pending record, a parked write
// is only "wait until the spill drains", and a read can run SSL_read at any moment. The spill
// stays bounded because a write gives OpenSSL at most one record (16 KiB) at a time and only once
// the spill is empty; it is freed as soon as it drains, so an idle stream owns none.
// What a read may have to send: OpenSSL 3 defers a TLS 1.3 KeyUpdate answer to the next SSL_write
// (RFC 8446 only asks for it before our next application data) and queues alerts behind pending
// writes; renegotiation (TLS <= 1.2), whose handshake a read would drive, is refused with
// SSL_OP_NO_RENEGOTIATION. Should a read still produce bytes, they go into the spill behind
// anything pending, in order; a write in flight sends them before it completes, otherwise the read
// sends them before it completes or sleeps (if the kernel will not take them because the peer has
// stopped reading, the read waits for that within the stream's deadline). With renegotiation
// refused SSL_write never needs to read; a write that still gets WANT_READ waits for readability,
// which is correct but could leave a parked read asleep on data the write pulled in.
//
// Timeouts are reported as beast::basic_stream reports them: when the deadline passes with an
// operation pending it completes with beast::error::timeout, and an operation started after the
// deadline fails at once with it. There is one deadline per stream (one steady_timer) for reads
// and writes alike, including ones already pending when it is moved; and at the deadline the
// socket is cancelled, not closed, so after a new expires_after the connection can carry on.
//
// Errors: asio::error::eof on close_notify, ssl::error::stream_truncated when the peer closes
// without one, OpenSSL errors in asio's ssl category, socket errors in the system category. No
// exceptions on the data path (constructors and set_verify_callback without error_code may throw).
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <utility>

#include "net/asio.h"

namespace kubegate::net {

namespace detail {

// The most plaintext one SSL_write is given: one TLS record, which bounds the spill.
inline constexpr std::size_t kRecordBytes = 16 * 1024;

enum class Wait { none, read, write };

// Where one non-blocking step of an operation got to: finished with `ec`, or waiting for the socket.
struct Progress {
  Wait wait = Wait::none;
  error_code ec{};
};

struct VerifyCallbackBase {
  virtual ~VerifyCallbackBase() = default;
  virtual bool call(bool preverified, ssl::verify_context& ctx) = 0;
};

template <class F>
struct VerifyCallbackImpl final : VerifyCallbackBase {
  explicit VerifyCallbackImpl(F f) : fn(std::move(f)) {}
  bool call(bool preverified, ssl::verify_context& ctx) override { return fn(preverified, ctx); }
  F fn;
};

// The state the operations, the BIO and the deadline timer share. It lives on the heap, owned by
// the TlsSocket and by in-flight operations, and is referenced weakly by the timer's handler, so
// a stream may be destroyed or moved while handlers are still queued.
class TlsCore : public std::enable_shared_from_this<TlsCore> {
 public:
  using Clock = std::chrono::steady_clock;

  TlsCore(tcp::socket socket, ssl::context& ctx);
  ~TlsCore();
  TlsCore(const TlsCore&) = delete;
  TlsCore& operator=(const TlsCore&) = delete;

  tcp::socket socket;
  SSL* ssl = nullptr;
  unsigned activeOps = 0;     // operations between start and completion; the deadline cancels them
  bool writerActive = false;  // a write, handshake or shutdown is in flight and will drain the spill
  bool timedOut = false;      // the deadline passed since it was last set

  // Deadline (see the header comment).
  void setDeadline(Clock::time_point deadline);
  bool hasDeadline() const { return deadline_ != Clock::time_point::max(); }
  // Whether the deadline has passed (marks the stream timed out when it has).
  bool deadlinePassed();
  // Checked when an operation starts: a closed socket or a passed deadline fails it at once.
  error_code startCheck();

  // Before every SSL_* call: no stale OpenSSL errors or errno from an earlier call.
  void beginCall();
  // Turns the result of a failed SSL_* call into a wait or an error_code.
  Progress classify(int ret);
  // Gives OpenSSL's record buffers back when nothing is buffered in them (after a read).
  void releaseIdleBuffers();

  bool hasSpill() const { return spillLen_ != 0; }
  // Sends what the spill holds as far as the kernel takes it; frees the spill once empty.
  void flushSpill();
  // A send that failed for good (peer reset, socket closed): later writes fail with it.
  const error_code& sendError() const { return sendError_; }
  // A new TCP connection (async_connect): forget the previous one's I/O state.
  void resetConnection();
  void closeSocket();
  // Drops the deadline's pending wait (closing, destruction) without touching the timed-out state
  // operations still to complete will report.
  void stopTimer();
  void setVerifyCallback(std::unique_ptr<VerifyCallbackBase> callback, error_code& ec);

  // The BIO's entry points: bytes read, 0 at end of stream, kRetry, or -1 on error.
  static constexpr int kRetry = -2;
  int bioRead(char* out, int len);
  int bioWrite(const char* in, int len);
  bool peerEof() const { return peerEof_; }

 private:
  void armTimer(Clock::time_point when);
  void onTimer();
  bool appendSpill(const char* data, std::size_t len);

  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timerArmed_ = false;
  std::unique_ptr<char[]> spill_;
  std::size_t spillCap_ = 0;
  std::size_t spillHead_ = 0;
  std::size_t spillLen_ = 0;
  error_code sendError_;
  int ioErrno_ = 0;  // errno of the last failed recv/send inside an SSL_* call
  bool peerEof_ = false;
  std::unique_ptr<VerifyCallbackBase> verify_;
};

template <class MutableBufferSequence>
asio::mutable_buffer firstBuffer(const MutableBufferSequence& buffers) {
  for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
    asio::mutable_buffer b(*it);
    if (b.size() != 0) return b;
  }
  return {};
}

// The next plaintext to give SSL_write, `offset` bytes into `buffers`: the caller's memory when one
// buffer holds a record's worth or is the last one, else up to a record of small buffers copied
// into `scratch`, so a serializer's many small pieces still go out as one record, not many.
template <class ConstBufferSequence>
std::pair<const void*, std::size_t> nextRecord(const ConstBufferSequence& buffers, std::size_t offset,
                                               char* scratch) {
  auto it = asio::buffer_sequence_begin(buffers);
  const auto end = asio::buffer_sequence_end(buffers);
  for (; it != end; ++it) {
    const asio::const_buffer b(*it);
    if (offset < b.size()) break;
    offset -= b.size();
  }
  if (it == end) return {nullptr, 0};
  asio::const_buffer piece = asio::const_buffer(*it) + offset;
  auto rest = std::next(it);
  while (rest != end && asio::const_buffer(*rest).size() == 0) ++rest;
  if (piece.size() >= kRecordBytes || rest == end) return {piece.data(), std::min(piece.size(), kRecordBytes)};
  std::size_t n = 0;
  for (;;) {
    const std::size_t take = std::min(piece.size(), kRecordBytes - n);
    std::memcpy(scratch + n, piece.data(), take);
    n += take;
    if (n == kRecordBytes || ++it == end) break;
    piece = asio::const_buffer(*it);
  }
  return {scratch, n};
}

// The bodies below do the non-blocking work of one operation; TlsOp drives them.
template <class MutableBufferSequence>
class ReadBody {
 public:
  static constexpr bool kHasSize = true;
  explicit ReadBody(const MutableBufferSequence& buffers) : buffer_(firstBuffer(buffers)) {}
  void begin(TlsCore&) {}
  void end(TlsCore&) {}
  error_code interrupted(TlsCore&, error_code ec) { return ec; }
  std::size_t transferred() const { return got_; }

  Progress step(TlsCore& c) {
    if (!finished_) read(c);
    // Bytes this read had to send (a KeyUpdate answer, an alert) leave before it completes or
    // sleeps when no write is in flight to carry them; a failed read does not wait for them.
    if (!c.writerActive && c.hasSpill()) {
      c.flushSpill();
      if (c.hasSpill() && !c.sendError() && !result_) return {Wait::write};
    }
    if (finished_) return {Wait::none, result_};
    return {wait_};
  }

 private:
  void read(TlsCore& c) {
    if (buffer_.size() == 0) {
      finished_ = true;
      return;
    }
    c.beginCall();
    std::size_t n = 0;
    const int ret = SSL_read_ex(c.ssl, buffer_.data(), buffer_.size(), &n);
    c.releaseIdleBuffers();
    if (ret == 1) {
      got_ = n;
      finished_ = true;
      return;
    }
    const Progress p = c.classify(ret);
    wait_ = p.wait;
    if (p.wait == Wait::none) {
      result_ = p.ec;
      finished_ = true;
    }
  }

  asio::mutable_buffer buffer_;
  std::size_t got_ = 0;
  bool finished_ = false;
  Wait wait_ = Wait::read;
  error_code result_;
};

template <class ConstBufferSequence>
class WriteBody {
 public:
  static constexpr bool kHasSize = true;
  explicit WriteBody(const ConstBufferSequence& buffers)
      : buffers_(buffers), total_(asio::buffer_size(buffers)) {}
  void begin(TlsCore& c) { c.writerActive = true; }
  void end(TlsCore& c) { c.writerActive = false; }
  error_code interrupted(TlsCore&, error_code ec) { return ec; }
  std::size_t transferred() const { return written_; }

  // Writes record after record while the kernel takes them; once it had to wait, completes as soon
  // as the spill has drained (write_some semantics), so every byte reported is in the kernel.
  Progress step(TlsCore& c) {
    for (;;) {
      c.flushSpill();
      if (c.sendError()) return {Wait::none, c.sendError()};
      if (c.hasSpill()) return park(Wait::write);
      if (written_ == total_ || (waited_ && written_ != 0)) return {};
      char scratch[kRecordBytes];
      const auto [data, len] = nextRecord(buffers_, written_, scratch);
      c.beginCall();
      std::size_t n = 0;
      const int ret = SSL_write_ex(c.ssl, data, len, &n);
      if (ret != 1) {
        const Progress p = c.classify(ret);
        return p.wait == Wait::none ? p : park(p.wait);
      }
      written_ += n;
    }
  }

 private:
  Progress park(Wait w) {
    waited_ = true;
    return {w};
  }

  ConstBufferSequence buffers_;
  std::size_t total_;
  std::size_t written_ = 0;
  bool waited_ = false;
};

class HandshakeBody {
 public:
  static constexpr bool kHasSize = false;
  explicit HandshakeBody(ssl::stream_base::handshake_type type) : type_(type) {}
  void begin(TlsCore& c);
  void end(TlsCore& c) { c.writerActive = false; }
  error_code interrupted(TlsCore&, error_code ec) { return ec; }
  std::size_t transferred() const { return 0; }
  Progress step(TlsCore& c);

 private:
  ssl::stream_base::handshake_type type_;
  bool done_ = false;
  Wait wait_ = Wait::read;
  error_code result_;
};

// Completes once a read would make progress: decrypted or read-ahead bytes are buffered, or the
// socket is readable (data, end of stream or an error). It holds no buffer while it waits, which
// is all an idle watch needs from either of its connections.
class WaitReadableBody {
 public:
  static constexpr bool kHasSize = false;
  void begin(TlsCore&) {}
  void end(TlsCore&) {}
  error_code interrupted(TlsCore&, error_code ec) { return ec; }
  std::size_t transferred() const { return 0; }
  Progress step(TlsCore& c) {
    if (woken_ || SSL_has_pending(c.ssl) == 1) return {};
    woken_ = true;
    return {Wait::read};
  }

 private:
  bool woken_ = false;
};

// Sends close_notify. Then, only when the caller set a deadline, waits within it for the peer's
// close_notify or end of stream, so closing right after does not reset a connection whose last
// bytes the peer is still reading. Never waits without a deadline.
class ShutdownBody {
 public:
  static constexpr bool kHasSize = false;
  void begin(TlsCore& c) { c.writerActive = true; }
  void end(TlsCore& c) { c.writerActive = false; }
  error_code interrupted(TlsCore& c, error_code ec);
  std::size_t transferred() const { return 0; }
  Progress step(TlsCore& c);

 private:
  Progress awaitPeer(TlsCore& c);
  bool sent_ = false;
  bool peerClosed_ = false;
};

// Runs one operation: each step does non-blocking work; when a step waits, the op parks on the
// socket and re-runs the step once woken. Completion is never delivered inside the initiating
// call: it is posted to the stream's executor instead, as Asio requires.
template <class Body>
class TlsOp {
 public:
  TlsOp(std::shared_ptr<TlsCore> core, Body body) : core_(std::move(core)), body_(std::move(body)) {}

  template <class Self>
  void operator()(Self& self, error_code ec = {}) {
    TlsCore& c = *core_;
    if (phase_ == Phase::posted) return deliver(self);
    if (phase_ == Phase::start) {
      ++c.activeOps;
      body_.begin(c);
      if (error_code early = c.startCheck()) return finish(self, early);
    } else if (ec || !c.socket.is_open()) {
      const error_code why = c.timedOut ? error_code(beast::error::timeout)
                                        : (ec ? ec : error_code(asio::error::operation_aborted));
      return finish(self, body_.interrupted(c, why));
    }
    const Progress p = body_.step(c);
    if (p.wait == Wait::none) return finish(self, p.ec);
    if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
      return finish(self, asio::error::operation_aborted);
    }
    phase_ = Phase::parked;
    c.socket.async_wait(p.wait == Wait::read ? tcp::socket::wait_read : tcp::socket::wait_write, std::move(self));
  }

 private:
  enum class Phase { start, parked, posted };

  template <class Self>
  void finish(Self& self, error_code ec) {
    --core_->activeOps;
    body_.end(*core_);
    result_ = ec;
    if (phase_ == Phase::start) {
      phase_ = Phase::posted;
      auto ex = core_->socket.get_executor();
      asio::post(ex, std::move(self));
      return;
    }
    deliver(self);
  }

  template <class Self>
  void deliver(Self& self) {
    if constexpr (Body::kHasSize) {
      self.complete(result_, body_.transferred());
    } else {
      self.complete(result_);
    }
  }

  std::shared_ptr<TlsCore> core_;
  Body body_;
  Phase phase_ = Phase::start;
  error_code result_;
};

// Connects to the first endpoint that accepts, within the stream's deadline.
class ConnectOp {
 public:
  ConnectOp(std::shared_ptr<TlsCore> core, const tcp::resolver::results_type& endpoints)
      : core_(std::move(core)), endpoints_(endpoints) {}

  template <class Self>
  void operator()(Self& self, error_code ec = {}) {
    TlsCore& c = *core_;
    if (phase_ == Phase::posted) return self.complete(result_, endpoint_);
    if (phase_ == Phase::start) {
      ++c.activeOps;
      next_ = endpoints_.begin();
      if (c.deadlinePassed()) return finish(self, beast::error::timeout);
    } else {
      if (!ec) return finish(self, {});
      if (c.timedOut) return finish(self, beast::error::timeout);
      if (ec == asio::error::operation_aborted ||
          self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
        return finish(self, asio::error::operation_aborted);
      }
      result_ = ec;
    }
    if (next_ == endpoints_.end()) return finish(self, result_);
    endpoint_ = next_->endpoint();
    ++next_;
    c.resetConnection();
    phase_ = Phase::connecting;
    c.socket.async_connect(endpoint_, std::move(self));
  }

 private:
  enum class Phase { start, connecting, posted };

  template <class Self>
  void finish(Self& self, error_code ec) {
    --core_->activeOps;
    result_ = ec;
    if (ec) {
      core_->closeSocket();
      endpoint_ = {};
    }
    if (phase_ == Phase::start) {
      phase_ = Phase::posted;
      auto ex = core_->socket.get_executor();
      asio::post(ex, std::move(self));
      return;
    }
    self.complete(result_, endpoint_);
  }

  std::shared_ptr<TlsCore> core_;
  tcp::resolver::results_type endpoints_;
  tcp::resolver::results_type::const_iterator next_;
  tcp::endpoint endpoint_;
  error_code result_ = asio::error::not_found;
  Phase phase_ = Phase::start;
};

}  // namespace detail

class TlsSocket {
 public:
  using executor_type = asio::any_io_executor;
  using native_handle_type = SSL*;

  TlsSocket(asio::any_io_executor ex, ssl::context& ctx);
  // The server side: a socket the acceptor produced.
  TlsSocket(tcp::socket&& socket, ssl::context& ctx);
  ~TlsSocket();
  TlsSocket(TlsSocket&&) noexcept = default;
  TlsSocket& operator=(TlsSocket&& other) noexcept;

  executor_type get_executor() noexcept { return core_->socket.get_executor(); }
  SSL* native_handle() noexcept { return core_->ssl; }
  tcp::socket& socket() noexcept { return core_->socket; }

  // Deadline for the operations pending now and started later (see the header comment).
  void expires_after(std::chrono::steady_clock::duration d);
  void expires_at(std::chrono::steady_clock::time_point t);
  void expires_never();
  // Pending operations complete with operation_aborted; the connection stays usable.
  void cancel();
  // Closes the socket without close_notify; pending operations complete with operation_aborted.
  void close();

  // Per-connection certificate check, as asio::ssl::stream offers it (asio keeps its callback in
  // its own engine, which this stream does not have); ssl::host_name_verification fits.
  template <class VerifyCallback>
  void set_verify_callback(VerifyCallback callback, error_code& ec) {
    core_->setVerifyCallback(std::make_unique<detail::VerifyCallbackImpl<VerifyCallback>>(std::move(callback)), ec);
  }
  template <class VerifyCallback>
  void set_verify_callback(VerifyCallback callback) {
    error_code ec;
    set_verify_callback(std::move(callback), ec);
    if (ec) throw boost::system::system_error(ec, "set_verify_callback");
  }
  void set_verify_mode(ssl::verify_mode mode);
  void set_verify_depth(int depth);

  template <class Token>
  auto async_connect(const tcp::resolver::results_type& endpoints, Token&& token) {
    return asio::async_compose<Token, void(error_code, tcp::endpoint)>(detail::ConnectOp(core_, endpoints), token,
                                                                        core_->socket);
  }

  template <class Token>
  auto async_handshake(ssl::stream_base::handshake_type type, Token&& token) {
    using Op = detail::TlsOp<detail::HandshakeBody>;
    return asio::async_compose<Token, void(error_code)>(Op(core_, detail::HandshakeBody(type)), token, core_->socket);
  }

  template <class Token>
  auto async_shutdown(Token&& token) {
    using Op = detail::TlsOp<detail::ShutdownBody>;
    return asio::async_compose<Token, void(error_code)>(Op(core_, detail::ShutdownBody()), token, core_->socket);
  }

  // Waits without a buffer until a read would not block (see WaitReadableBody); the deadline and
  // cancel() apply as to any other operation.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    using Op = detail::TlsOp<detail::WaitReadableBody>;
    return asio::async_compose<Token, void(error_code)>(Op(core_, detail::WaitReadableBody()), token, core_->socket);
  }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    using Body = detail::ReadBody<MutableBufferSequence>;
    return asio::async_compose<Token, void(error_code, std::size_t)>(detail::TlsOp<Body>(core_, Body(buffers)), token,
                                                                      core_->socket);
  }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    using Body = detail::WriteBody<ConstBufferSequence>;
    return asio::async_compose<Token, void(error_code, std::size_t)>(detail::TlsOp<Body>(core_, Body(buffers)), token,
                                                                      core_->socket);
  }

 private:
  std::shared_ptr<detail::TlsCore> core_;
};

}  // namespace kubegate::net
