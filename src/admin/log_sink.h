// Where the gateway's log lines go: stdout, written by a flusher thread, not by the thread logging.
// The io threads log every request; when each line was its own write(2), a write that stalled on a
// busy disk (the audit log's checkpoints do that) held the sink's mutex and stalled the other io
// threads with it. Here a logging thread only formats the line and appends it to a buffer under a
// short lock; the flusher writes the buffer every `interval`, outside the lock. Lines keep their
// order and none is dropped: past `maxBuffered` bytes the logging thread writes the buffer itself,
// as it used to. A kill -9 loses at most one interval of lines.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kubegate::admin {

class BufferedLogSink final : public spdlog::sinks::sink {
 public:
  BufferedLogSink(int fd, std::chrono::milliseconds interval, std::size_t maxBuffered = 1u << 20);
  ~BufferedLogSink() override;  // writes what is buffered
  BufferedLogSink(const BufferedLogSink&) = delete;
  BufferedLogSink& operator=(const BufferedLogSink&) = delete;

  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  void flushLoop();
  // Writes lines taken from `pending_`; the caller holds writeMutex_ and not mutex_.
  void writeTaken(std::string& lines);

  const int fd_;
  const std::chrono::milliseconds interval_;
  const std::size_t maxBuffered_;
  std::mutex mutex_;       // pending_, formatter_, stopping_
  std::mutex writeMutex_;  // taken before pending_ is, so lines reach fd_ in the order they were logged
  std::unique_ptr<spdlog::formatter> formatter_;
  std::string pending_;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread flusher_;
};

}  // namespace kubegate::admin
