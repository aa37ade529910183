#include "velocity/shutdown.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>

#include "common/log.h"

namespace velocity::ops {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

std::string_view status_name(StopStatus status) {
  switch (status) {
    case StopStatus::kDone:
      return "done";
    case StopStatus::kFailed:
      return "failed";
    case StopStatus::kTimedOut:
      return "timed out";
    case StopStatus::kSkipped:
      return "skipped";
  }
  return "?";
}

// What a step's thread and the waiting stop() share; the thread may outlive stop() if it overruns.
struct StepRun {
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  std::string error;
};

}  // namespace

bool ShutdownReport::clean() const {
  for (const auto& step : steps) {
    if (step.status != StopStatus::kDone) return false;
  }
  return true;
}

struct ShutdownSignal::SignalWatcher {
  boost::asio::io_context io;
  boost::asio::signal_set signals{io, SIGTERM, SIGINT};
  std::thread thread;
};

ShutdownSignal::ShutdownSignal(std::chrono::milliseconds total_bound, bool watch_signals)
    : total_bound_(total_bound) {
  if (!watch_signals) return;
  watcher_ = std::make_unique<SignalWatcher>();
  watch_next_signal();
  watcher_->thread = std::thread([this] { watcher_->io.run(); });
}

ShutdownSignal::~ShutdownSignal() {
  if (!watcher_) return;
  watcher_->io.stop();
  watcher_->thread.join();
}

// Re-armed after each signal so that a second one, while stopping, can cut the stop short.
void ShutdownSignal::watch_next_signal() {
  watcher_->signals.async_wait([this](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    on_signal(signal_number);
    watch_next_signal();
  });
}

void ShutdownSignal::on_signal(int signal_number) {
  const std::string name = signal_number == SIGTERM  ? "SIGTERM"
                           : signal_number == SIGINT ? "SIGINT"
                                                     : "signal";
  if (requested()) {
    log::warn("shutdown: second {} while stopping; exiting now", name);
    std::_Exit(128 + signal_number);
  }
  request(name);
}

void ShutdownSignal::on_stop(std::string name, std::function<void()> step,
                             std::chrono::milliseconds bound) {
  std::lock_guard lock(mutex_);
  steps_.push_back(Step{std::move(name), std::move(step), bound});
}

void ShutdownSignal::request(std::string reason) {
  {
    std::lock_guard lock(mutex_);
    if (reason_) return;
    reason_ = std::move(reason);
  }
  requested_cv_.notify_all();
}

bool ShutdownSignal::requested() const {
  std::lock_guard lock(mutex_);
  return reason_.has_value();
}

std::string ShutdownSignal::wait() {
  std::unique_lock lock(mutex_);
  requested_cv_.wait(lock, [this] { return reason_.has_value(); });
  return *reason_;
}

ShutdownReport ShutdownSignal::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  std::vector<Step> steps;
  ShutdownReport report;
  {
    std::lock_guard lock(mutex_);
    if (report_) return *report_;
    steps = steps_;
    report.reason = reason_.value_or("stop() without a request");
  }
  const auto start = Clock::now();
  const auto deadline = start + total_bound_;
  log::info("shutdown ({}): {} stop steps within {} ms", report.reason, steps.size(),
            total_bound_.count());
  for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
    StopStepReport outcome{step->name, StopStatus::kSkipped, {}, {}};
    const auto step_start = Clock::now();
    const auto step_deadline = std::min(deadline, step_start + step->bound);
    if (step_start < deadline) {
      auto run = std::make_shared<StepRun>();
      std::thread worker([run, fn = step->run] {
        std::string error;
        try {
          fn();
        } catch (const std::exception& e) {
          error = e.what();
        } catch (...) {
          error = "unknown exception";
        }
        std::lock_guard lock(run->mutex);
        run->finished = true;
        run->error = std::move(error);
        run->cv.notify_all();
      });
      std::unique_lock lock(run->mutex);
      if (run->cv.wait_until(lock, step_deadline, [&] { return run->finished; })) {
        outcome.status = run->error.empty() ? StopStatus::kDone : StopStatus::kFailed;
        outcome.error = run->error;
        lock.unlock();
        worker.join();
      } else {
        // The step cannot be cancelled; leave it running so the rest can still stop in time.
        outcome.status = StopStatus::kTimedOut;
        lock.unlock();
        worker.detach();
      }
    }
    outcome.took = since(step_start);
    if (outcome.status == StopStatus::kDone) {
      log::info("shutdown: {} {} in {} ms", outcome.name, status_name(outcome.status),
                outcome.took.count());
    } else {
      log::warn("shutdown: {} {} after {} ms{}{}", outcome.name, status_name(outcome.status),
                outcome.took.count(), outcome.error.empty() ? "" : ": ", outcome.error);
    }
    report.steps.push_back(std::move(outcome));
  }
  report.took = since(start);
  log::info("shutdown: finished in {} ms ({})", report.took.count(),
            report.clean() ? "clean" : "not clean");
  std::lock_guard lock(mutex_);
  report_ = report;
  return report;
}

ShutdownReport ShutdownSignal::wait_and_stop() {
  wait();
  return stop();
}

}  // namespace velocity::ops
