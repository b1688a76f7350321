// One replacement of the global operator new/delete for the whole benchmark binary (a program may
// have only one): it counts allocations always, and while peak tracking is on, the live and peak
// heap bytes. Benchmarks read the counters around what they measure.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kubegate::bench {

std::size_t allocationCount();
// Starts counting live bytes from zero; peakHeldBytes() is the most held at once since.
void startPeakTracking();
void stopPeakTracking();
std::int64_t peakHeldBytes();

}  // namespace kubegate::bench
