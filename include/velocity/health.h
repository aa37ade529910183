// Readiness: named checks ("bus connected", "database open") that /readyz evaluates; the process
// is ready only when every check passes. Thread-safe: checks may be added and evaluated from any
// thread. Checks run on the caller's thread (the ops server's), so they must be quick.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "velocity/result.h"

namespace velocity::ops {

class Readiness {
 public:
  // Passes when it returns a value; a returned error or a thrown exception is a failure whose
  // message /readyz reports.
  using Check = std::function<Result<void>()>;

  void add_check(std::string name, Check check);

  // A check backed by a flag its owner flips (starts not ready): `bus_ready->store(true)`.
  std::shared_ptr<std::atomic<bool>> add_flag(std::string name);

  struct Failure {
    std::string check;
    std::string reason;
  };
  struct Report {
    bool ready = true;
    std::vector<Failure> failing;  // in registration order
  };
  Report evaluate() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Check>> checks_;
};

}  // namespace velocity::ops
