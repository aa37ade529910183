// The time source of the group coordinator and the producer state: wall-clock milliseconds
// since the Unix epoch, as Kafka uses for session timeouts and commit timestamps. Injected so
// that tests drive time by hand. Implementations must be safe to read from the owning thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace velocity::group {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to; for tests of timeouts without sleeping.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t now_ms() const override { return now_ms_; }
  void advance(int64_t ms) { now_ms_ += ms; }

 private:
  int64_t now_ms_;
};

}  // namespace velocity::group
