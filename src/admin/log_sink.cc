#include "admin/log_sink.h"

#include <spdlog/pattern_formatter.h>

#include <cerrno>

#include <pthread.h>
#include <unistd.h>

namespace kubegate::admin {

BufferedLogSink::BufferedLogSink(int fd, std::chrono::milliseconds interval, std::size_t maxBuffered)
    : fd_(fd), interval_(interval), maxBuffered_(maxBuffered), formatter_(std::make_unique<spdlog::pattern_formatter>()) {
  flusher_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "log-flusher");
    flushLoop();
  });
}

BufferedLogSink::~BufferedLogSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  flusher_.join();
  flush();
}

void BufferedLogSink::log(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  bool first = false, full = false;
  {
    std::lock_guard lock(mutex_);
    formatter_->format(msg, line);
    first = pending_.empty();
    pending_.append(line.data(), line.size());
    full = pending_.size() >= maxBuffered_;
  }
  // The flusher has fallen behind (or the interval is long): this thread writes, as without a
  // buffer. Through flush(), so the buffer is taken under the write lock and lines stay in order.
  if (full) return flush();
  if (first) wake_.notify_one();  // the flusher sleeps while there is nothing to write
}

void BufferedLogSink::flush() {
  std::lock_guard write(writeMutex_);
  std::string lines;
  {
    std::lock_guard lock(mutex_);
    lines.swap(pending_);
  }
  writeTaken(lines);
}

void BufferedLogSink::writeTaken(std::string& lines) {
  std::size_t done = 0;
  while (done < lines.size()) {
    const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // stdout closed or full disk: nowhere to report it, and the gateway goes on
    done += static_cast<std::size_t>(n);
  }
}

void BufferedLogSink::flushLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    // The first line waits one interval for the ones that follow it: one write for all of them.
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    lock.unlock();
    flush();
    lock.lock();
  }
}

void BufferedLogSink::set_pattern(const std::string& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void BufferedLogSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard lock(mutex_);
  formatter_ = std::move(formatter);
}

}  // namespace kubegate::admin
