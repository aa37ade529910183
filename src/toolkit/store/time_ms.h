// Times are stored as milliseconds since the Unix epoch (INTEGER columns). Pure functions.
#pragma once

#include <chrono>
#include <cstdint>

namespace velocity::store {

inline int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point from_ms(int64_t ms) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace velocity::store
