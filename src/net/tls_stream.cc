#include "net/tls_stream.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>
#include <new>

namespace kubegate::net {
namespace detail {
namespace {

// The BIO between OpenSSL and the socket. Not BIO_s_socket (SSL_set_fd): that one writes with
// write(2), which raises SIGPIPE on a reset connection, and would keep using a descriptor number
// after the socket is closed (and possibly reused). This one reads the descriptor from the socket
// on every call, sends with MSG_NOSIGNAL, and never refuses a write (see TlsCore's spill).
TlsCore* coreOf(BIO* bio) { return static_cast<TlsCore*>(BIO_get_data(bio)); }

int bioRead(BIO* bio, char* out, int len) {
  BIO_clear_retry_flags(bio);
  const int n = coreOf(bio)->bioRead(out, len);
  if (n == TlsCore::kRetry) {
    BIO_set_retry_read(bio);
    return -1;
  }
  return n;
}

int bioWrite(BIO* bio, const char* in, int len) {
  BIO_clear_retry_flags(bio);
  return coreOf(bio)->bioWrite(in, len);
}

long bioCtrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing waits here: spilled bytes are sent by the operations
    case BIO_CTRL_EOF:
      // OpenSSL 3 reports a peer that closed without close_notify (SSL_R_UNEXPECTED_EOF_WHILE_READING)
      // only when the BIO says it reached the end of the stream.
      return coreOf(bio)->peerEof() ? 1 : 0;
    default:
      return 0;  // PENDING/WPENDING: no buffered bytes; no kTLS, no push/pop
  }
}

int bioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socketBioMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kubegate socket");
    BIO_meth_set_read(m, bioRead);
    BIO_meth_set_write(m, bioWrite);
    BIO_meth_set_ctrl(m, bioCtrl);
    BIO_meth_set_create(m, bioCreate);
    return m;
  }();
  return method;
}

// The SSL ex_data slot holding a connection's verify callback.
int verifyIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int verifyTrampoline(int preverified, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return 0;
  auto* callback = static_cast<VerifyCallbackBase*>(SSL_get_ex_data(ssl, verifyIndex()));
  if (!callback) return preverified;
  try {
    ssl::verify_context ctx(store);
    return callback->call(preverified != 0, ctx) ? 1 : 0;
  } catch (...) {
    return 0;  // an exception must not unwind through OpenSSL
  }
}

// send(2) that never blocks or raises SIGPIPE: bytes sent, 0 when the kernel takes none now, -errno.
long sendSome(int fd, const char* data, std::size_t len) {
  for (;;) {
    const ssize_t n = ::send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -errno;
  }
}

error_code sslError(unsigned long e) {
  return error_code(static_cast<int>(e), asio::error::get_ssl_category());
}

}  // namespace

TlsCore::TlsCore(tcp::socket s, ssl::context& ctx) : socket(std::move(s)), timer_(socket.get_executor()) {
  ssl = SSL_new(ctx.native_handle());
  BIO* bio = ssl ? BIO_new(socketBioMethod()) : nullptr;
  if (!bio) {
    const error_code ec = sslError(ERR_get_error());
    SSL_free(ssl);
    throw boost::system::system_error(ec, "SSL_new");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL
  // Idle connections hand their record buffers back; and see the header on renegotiation.
  SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  // Without read-ahead OpenSSL reads each record in two recv(2) calls (header, then body); with
  // it, one recv takes what the kernel has. Bytes read ahead count in SSL_has_pending, which is
  // what every readiness wait checks first.
  SSL_set_read_ahead(ssl, 1);
  SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
}

TlsCore::~TlsCore() { SSL_free(ssl); }

void TlsCore::setDeadline(Clock::time_point deadline) {
  deadline_ = deadline;
  timedOut = false;
  if (!hasDeadline()) {
    // No timer work left behind: an armed wait would keep the io_context busy until it fired.
    stopTimer();
    return;
  }
  // A wait that fires earlier finds the later deadline and re-arms: the usual pattern (pushing the
  // deadline out before every chunk) then costs no timer operations.
  if (timerArmed_ && timer_.expiry() <= deadline) return;
  armTimer(deadline);
}

void TlsCore::armTimer(Clock::time_point when) {
  timer_.expires_at(when);  // cancels a wait for a later time; its handler sees operation_aborted
  timerArmed_ = true;
  timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (ec) return;  // superseded, or the stream is gone
    if (auto core = weak.lock()) core->onTimer();
  });
}

void TlsCore::onTimer() {
  timerArmed_ = false;
  if (!hasDeadline()) return;
  if (Clock::now() < deadline_) return armTimer(deadline_);
  timedOut = true;
  // Only operations of this stream are cut, as with beast::basic_stream; with none pending, the
  // next one fails at start.
  error_code ignored;
  if (activeOps != 0) socket.cancel(ignored);
}

bool TlsCore::deadlinePassed() {
  if (!timedOut && hasDeadline() && Clock::now() >= deadline_) timedOut = true;
  return timedOut;
}

error_code TlsCore::startCheck() {
  if (!socket.is_open()) return asio::error::bad_descriptor;
  if (deadlinePassed()) return beast::error::timeout;
  return {};
}

void TlsCore::beginCall() {
  ERR_clear_error();
  ioErrno_ = 0;
}

Progress TlsCore::classify(int ret) {
  const int err = SSL_get_error(ssl, ret);
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return {Wait::read};
    case SSL_ERROR_WANT_WRITE:
      return {Wait::write};
    case SSL_ERROR_ZERO_RETURN:
      return {Wait::none, asio::error::eof};
    case SSL_ERROR_SYSCALL:
      if (e != 0) return {Wait::none, sslError(e)};
      if (ioErrno_ != 0) return {Wait::none, error_code(ioErrno_, asio::error::get_system_category())};
      return {Wait::none, ssl::error::stream_truncated};  // end of stream without close_notify
    default:
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return {Wait::none, ssl::error::stream_truncated};
      if (e == 0 && ioErrno_ != 0) return {Wait::none, error_code(ioErrno_, asio::error::get_system_category())};
      if (e == 0) return {Wait::none, error_code(asio::error::no_recovery)};
      return {Wait::none, sslError(e)};
  }
}

// SSL_MODE_RELEASE_BUFFERS frees the read buffer once a record is consumed and the write buffer
// once a write completes, but a post-handshake message (TLS 1.3 NewSessionTicket, which every
// server sends right after the handshake) makes OpenSSL set up both, and the write buffer (16.7
// KiB) then stays until the next write: for the whole life of a watch on the cluster side.
// SSL_free_buffers drops whatever is unused; it is only called with no record data pending, the
// condition under which OpenSSL < 3.0.14 could free a buffer still pointed into (CVE-2024-4741).
// The write side never has pending data here (the BIO takes every write, see the spill).
void TlsCore::releaseIdleBuffers() {
  if (SSL_has_pending(ssl) == 0) (void)SSL_free_buffers(ssl);
}

int TlsCore::bioRead(char* out, int len) {
  if (!socket.is_open()) {
    ioErrno_ = EBADF;
    return -1;
  }
  for (;;) {
    const ssize_t n = ::recv(socket.native_handle(), out, static_cast<std::size_t>(len), MSG_DONTWAIT);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      peerEof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kRetry;
    ioErrno_ = errno;
    return -1;
  }
}

// Never refuses: what the kernel does not take now is spilled (header comment), so OpenSSL never
// keeps a half-sent record. Order is kept: while the spill holds bytes, new ones queue behind them.
// Handshake messages (including post-handshake ones: a server's NewSessionTickets, a KeyUpdate)
// are spilled whole and sent once the SSL call returns, one send for what would otherwise be a
// burst of small ones: with Nagle on, the second of two small sends waits for the peer's delayed
// ACK (40 ms) when data follows it.
int TlsCore::bioWrite(const char* in, int len) {
  if (sendError_) {
    ioErrno_ = sendError_.value();
    return -1;
  }
  if (!socket.is_open()) {
    ioErrno_ = EBADF;
    return -1;
  }
  std::size_t sent = 0;
  if (spillLen_ == 0 && !SSL_in_init(ssl)) {
    const long n = sendSome(socket.native_handle(), in, static_cast<std::size_t>(len));
    if (n < 0) {
      sendError_ = error_code(static_cast<int>(-n), asio::error::get_system_category());
      ioErrno_ = static_cast<int>(-n);
      return -1;
    }
    sent = static_cast<std::size_t>(n);
  }
  if (sent < static_cast<std::size_t>(len) && !appendSpill(in + sent, static_cast<std::size_t>(len) - sent)) {
    ioErrno_ = ENOMEM;
    return -1;
  }
  return len;
}

bool TlsCore::appendSpill(const char* data, std::size_t len) {
  if (spillHead_ + spillLen_ + len > spillCap_) {
    const std::size_t need = spillLen_ + len;
    if (need <= spillCap_) {
      std::memmove(spill_.get(), spill_.get() + spillHead_, spillLen_);
    } else {
      const std::size_t cap = (need + 4095) & ~std::size_t{4095};
      std::unique_ptr<char[]> grown(new (std::nothrow) char[cap]);
      if (!grown) return false;
      if (spillLen_ != 0) std::memcpy(grown.get(), spill_.get() + spillHead_, spillLen_);
      spill_ = std::move(grown);
      spillCap_ = cap;
    }
    spillHead_ = 0;
  }
  std::memcpy(spill_.get() + spillHead_ + spillLen_, data, len);
  spillLen_ += len;
  return true;
}

void TlsCore::flushSpill() {
  while (spillLen_ != 0 && !sendError_) {
    const long n = socket.is_open() ? sendSome(socket.native_handle(), spill_.get() + spillHead_, spillLen_) : -EBADF;
    if (n < 0) {
      sendError_ = error_code(static_cast<int>(-n), asio::error::get_system_category());
      break;
    }
    if (n == 0) return;
    spillHead_ += static_cast<std::size_t>(n);
    spillLen_ -= static_cast<std::size_t>(n);
  }
  // Drained, or never sendable: an idle stream keeps no spill memory.
  spill_.reset();
  spillCap_ = spillHead_ = spillLen_ = 0;
}

void TlsCore::resetConnection() {
  closeSocket();
  spill_.reset();
  spillCap_ = spillHead_ = spillLen_ = 0;
  sendError_ = {};
  peerEof_ = false;
}

void TlsCore::closeSocket() {
  error_code ignored;
  socket.close(ignored);
}

void TlsCore::stopTimer() {
  deadline_ = Clock::time_point::max();
  if (timerArmed_) timer_.cancel();
  timerArmed_ = false;
}

void TlsCore::setVerifyCallback(std::unique_ptr<VerifyCallbackBase> callback, error_code& ec) {
  if (SSL_set_ex_data(ssl, verifyIndex(), callback.get()) != 1) {
    ec = sslError(ERR_get_error());
    return;
  }
  verify_ = std::move(callback);  // the previous one, if any, is no longer referenced
  SSL_set_verify(ssl, SSL_get_verify_mode(ssl), verifyTrampoline);
  ec = {};
}

void HandshakeBody::begin(TlsCore& c) {
  c.writerActive = true;
  if (type_ == ssl::stream_base::client) {
    SSL_set_connect_state(c.ssl);
  } else {
    SSL_set_accept_state(c.ssl);
  }
}

Progress HandshakeBody::step(TlsCore& c) {
  if (!done_) {
    c.beginCall();
    const int ret = SSL_do_handshake(c.ssl);
    if (ret == 1) {
      done_ = true;
    } else {
      const Progress p = c.classify(ret);
      wait_ = p.wait;
      if (p.wait == Wait::none) {
        done_ = true;
        result_ = p.ec;
      }
    }
  }
  // A flight must be out before waiting for the answer; a failed handshake sends its alert if the
  // kernel takes it now, but does not wait for that.
  c.flushSpill();
  if (c.hasSpill() && !c.sendError() && !result_) return {Wait::write};
  if (done_) return {Wait::none, result_ ? result_ : c.sendError()};
  if (c.sendError()) return {Wait::none, c.sendError()};
  return {wait_};
}

Progress ShutdownBody::step(TlsCore& c) {
  if (!sent_) {
    c.beginCall();
    const int ret = SSL_shutdown(c.ssl);
    if (ret < 0) return c.classify(ret);
    sent_ = true;
    peerClosed_ = ret == 1;
  }
  c.flushSpill();
  if (c.sendError()) return {Wait::none, c.sendError()};
  if (c.hasSpill()) return {Wait::write};
  if (peerClosed_ || !c.hasDeadline()) return {};
  return awaitPeer(c);
}

// Reads and drops what the peer still sends, until its close_notify or end of stream. A bounded
// number of records per step, then back to the reactor, so the deadline can always fire.
Progress ShutdownBody::awaitPeer(TlsCore& c) {
  char sink[kRecordBytes];
  for (int records = 0; records < 16; ++records) {
    c.beginCall();
    std::size_t n = 0;
    const int ret = SSL_read_ex(c.ssl, sink, sizeof(sink), &n);
    if (ret == 1) continue;
    const Progress p = c.classify(ret);
    if (p.wait != Wait::none) return p;
    return {};  // close_notify, end of stream or a dead connection: the shutdown is over either way
  }
  return {Wait::read};
}

// Once close_notify is out, running into the deadline while waiting for the peer's is the expected
// way for a shutdown to end, not a failure.
error_code ShutdownBody::interrupted(TlsCore& c, error_code ec) {
  if (sent_ && !c.hasSpill() && ec == beast::error::timeout) return {};
  return ec;
}

}  // namespace detail

TlsSocket::TlsSocket(asio::any_io_executor ex, ssl::context& ctx)
    : core_(std::make_shared<detail::TlsCore>(tcp::socket(std::move(ex)), ctx)) {}

TlsSocket::TlsSocket(tcp::socket&& socket, ssl::context& ctx)
    : core_(std::make_shared<detail::TlsCore>(std::move(socket), ctx)) {}

// Operations still in flight hold the core; closing the socket makes them complete (aborted) and
// let go of it.
TlsSocket::~TlsSocket() {
  if (core_) close();
}

TlsSocket& TlsSocket::operator=(TlsSocket&& other) noexcept {
  if (this != &other) {
    if (core_) close();
    core_ = std::move(other.core_);
  }
  return *this;
}

void TlsSocket::expires_after(std::chrono::steady_clock::duration d) {
  core_->setDeadline(std::chrono::steady_clock::now() + d);
}

void TlsSocket::expires_at(std::chrono::steady_clock::time_point t) { core_->setDeadline(t); }

void TlsSocket::expires_never() { core_->setDeadline(std::chrono::steady_clock::time_point::max()); }

void TlsSocket::cancel() {
  error_code ignored;
  core_->socket.cancel(ignored);
}

void TlsSocket::close() {
  core_->closeSocket();
  core_->stopTimer();
}

void TlsSocket::set_verify_mode(ssl::verify_mode mode) {
  SSL_set_verify(core_->ssl, mode, SSL_get_verify_callback(core_->ssl));
}

void TlsSocket::set_verify_depth(int depth) { SSL_set_verify_depth(core_->ssl, depth); }

}  // namespace kubegate::net
