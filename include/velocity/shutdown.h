// Graceful shutdown: ShutdownSignal waits for SIGTERM or SIGINT (watched by Asio on its own
// thread) or a programmatic request, then runs the registered stop steps in reverse registration
// order, each within its own time bound and all within a total bound, logging each step. A step
// that overruns is abandoned on its thread and the next one starts; the caller should then exit.
// A second signal while stopping exits the process at once. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace velocity::ops {

enum class StopStatus { kDone, kFailed, kTimedOut, kSkipped };

struct StopStepReport {
  std::string name;
  StopStatus status = StopStatus::kSkipped;
  std::chrono::milliseconds took{0};
  std::string error;  // for kFailed: the exception's message
};

struct ShutdownReport {
  std::string reason;                 // "SIGTERM", "SIGINT" or what request() was given
  std::vector<StopStepReport> steps;  // in the order they ran
  std::chrono::milliseconds took{0};
  bool clean() const;  // every step done
};

class ShutdownSignal {
 public:
  // watch_signals = false leaves SIGTERM/SIGINT alone (tests that only call request()).
  explicit ShutdownSignal(std::chrono::milliseconds total_bound = std::chrono::seconds(30),
                          bool watch_signals = true);
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Registers a step: register in start-up order (bus, then router, then ops server) and they
  // stop in reverse. A step that throws is reported as failed; the next one still runs.
  void on_stop(std::string name, std::function<void()> step, std::chrono::milliseconds bound);

  // Asks for shutdown as a signal would: a fatal error, a test. The first reason wins.
  void request(std::string reason);
  bool requested() const;

  // Blocks until a signal or request(); returns the reason.
  std::string wait();

  // Runs the stop steps (once; later calls return the first report). Does not wait for a signal.
  ShutdownReport stop();

  // wait() then stop(): the tail of a service's main().
  ShutdownReport wait_and_stop();

 private:
  struct Step {
    std::string name;
    std::function<void()> run;
    std::chrono::milliseconds bound;
  };
  struct SignalWatcher;

  void watch_next_signal();
  void on_signal(int signal_number);

  const std::chrono::milliseconds total_bound_;
  mutable std::mutex mutex_;
  std::condition_variable requested_cv_;
  std::optional<std::string> reason_;
  std::vector<Step> steps_;
  std::optional<ShutdownReport> report_;
  std::mutex stop_mutex_;  // serialises stop(): one run of the steps
  std::unique_ptr<SignalWatcher> watcher_;
};

}  // namespace velocity::ops
