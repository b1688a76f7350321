#include "support/allocation_tracking.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace kubegate::bench {
namespace {

std::atomic<std::size_t> allocations{0};
std::atomic<bool> tracking{false};
std::atomic<std::int64_t> liveBytes{0};
std::atomic<std::int64_t> peakBytes{0};

void noteAllocated(void* pointer) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (!pointer || !tracking.load(std::memory_order_relaxed)) return;
  const auto size = static_cast<std::int64_t>(malloc_usable_size(pointer));
  const auto now = liveBytes.fetch_add(size, std::memory_order_relaxed) + size;
  if (now > peakBytes.load(std::memory_order_relaxed)) peakBytes.store(now, std::memory_order_relaxed);
}

void noteFreed(void* pointer) {
  if (pointer && tracking.load(std::memory_order_relaxed)) {
    liveBytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(pointer)), std::memory_order_relaxed);
  }
}

}  // namespace

std::size_t allocationCount() { return allocations.load(); }
void startPeakTracking() {
  liveBytes.store(0);
  peakBytes.store(0);
  tracking.store(true);
}
void stopPeakTracking() { tracking.store(false); }
std::int64_t peakHeldBytes() { return peakBytes.load(); }

}  // namespace kubegate::bench

void* operator new(std::size_t size) {
  void* pointer = std::malloc(size ? size : 1);
  if (!pointer) throw std::bad_alloc();
  kubegate::bench::noteAllocated(pointer);
  return pointer;
}
void operator delete(void* pointer) noexcept {
  kubegate::bench::noteFreed(pointer);
  std::free(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept { operator delete(pointer); }
