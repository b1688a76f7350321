// The gateway's log lines: written by a flusher thread, in order, whole, and none lost.
#include "admin/log_sink.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace kubegate::admin {
namespace {

using namespace std::chrono_literals;

class LogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe(fds_), 0);
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
    ::fcntl(fds_[0], F_SETPIPE_SZ, 1 << 20);  // room for the burst tests without a reader
    ::fcntl(fds_[1], F_SETPIPE_SZ, 1 << 20);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  std::shared_ptr<spdlog::logger> logger(std::chrono::milliseconds interval, std::size_t maxBuffered = 1u << 20) {
    auto sink = std::make_shared<BufferedLogSink>(fds_[1], interval, maxBuffered);
    auto out = std::make_shared<spdlog::logger>("test", sink);
    out->set_pattern("%v");
    return out;
  }

  // What has reached the pipe so far, waiting up to `wait` for the first byte.
  std::string drain(std::chrono::milliseconds wait) {
    pollfd p{fds_[0], POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(wait.count()));
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(fds_[0], buf, sizeof(buf))) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

  int fds_[2] = {-1, -1};
};

TEST_F(LogSinkTest, LinesReachTheOutputWithinTheIntervalWithoutAFlush) {
  auto log = logger(20ms);
  log->info("first line");
  log->info("second line");
  EXPECT_EQ(drain(2000ms), "first line\nsecond line\n");
  log->info("later");
  EXPECT_EQ(drain(2000ms), "later\n");
}

// Four threads log at once, beside the flusher; with a small buffer the logging threads also
// write full buffers themselves, racing the flusher.
void expectWholeOrderedLines(const std::string& out, int threads, int perThread) {
  std::istringstream lines(out);
  std::map<int, int> next;
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d", &t, &i), 2) << line;
    ASSERT_EQ(line.size(), line.find(" x") + 2 + 39) << "a whole line: " << line;
    EXPECT_EQ(i, next[t]++) << "thread " << t;
  }
  EXPECT_EQ(count, threads * perThread);
}

TEST_F(LogSinkTest, ConcurrentLinesArriveWholeInEachThreadsOrderAndNoneIsLost) {
  for (std::size_t maxBuffered : {std::size_t{1} << 20, std::size_t{300}}) {
    {
      auto log = logger(1ms, maxBuffered);
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&log, t] {
          for (int i = 0; i < 2000; ++i) log->info("thread {} line {} {}", t, i, std::string(40, 'x'));
        });
      }
      for (auto& th : threads) th.join();
    }  // the sink writes what it still holds when it goes
    SCOPED_TRACE("maxBuffered " + std::to_string(maxBuffered));
    expectWholeOrderedLines(drain(1000ms), 4, 2000);
  }
}

TEST_F(LogSinkTest, AFullBufferIsWrittenByTheLoggingThreadAtOnce) {
  auto log = logger(std::chrono::hours(1), /*maxBuffered=*/64);
  log->info("short");
  EXPECT_EQ(drain(50ms), "") << "below the limit the line waits for the flusher";
  log->info("{}", std::string(80, 'y'));
  EXPECT_EQ(drain(50ms), "short\n" + std::string(80, 'y') + "\n");
}

}  // namespace
}  // namespace kubegate::admin
