// Request and session ids: what auditors sort and join the record by.
#include "proxy/request_audit.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace kubegate::proxy {
namespace {

std::uint64_t millisOf(const std::string& id) { return std::stoull(id.substr(0, 11), nullptr, 16); }

TEST(TimeOrderedId, IsTwentyFourHexDigitsLedByTheMillisecond) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string id = timeOrderedId();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(id.size(), 24u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_GE(millisOf(id), static_cast<std::uint64_t>(before));
  EXPECT_LE(millisOf(id), static_cast<std::uint64_t>(after));
}

TEST(TimeOrderedId, IdsAreUniqueAcrossThreadsAndSortByTime) {
  std::vector<std::vector<std::string>> perThread(4);
  std::vector<std::thread> threads;
  for (auto& ids : perThread) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 20000; ++i) ids.push_back(timeOrderedId());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : perThread) {
    for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_LE(millisOf(ids[i - 1]), millisOf(ids[i]));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), 4u * 20000u);
  const std::string later = (std::this_thread::sleep_for(std::chrono::milliseconds(2)), timeOrderedId());
  EXPECT_GT(later, *all.rbegin()) << "an id of a later millisecond sorts after every earlier one";
}

}  // namespace
}  // namespace kubegate::proxy
