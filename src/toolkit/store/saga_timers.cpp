#include "common/log.h"
#include "velocity/saga.h"

namespace velocity {

SagaTimers::SagaTimers(SagaStore& store, SagaStore::TimerHandler handler, SagaTimerOptions options)
    : store_(store), handler_(std::move(handler)), options_(std::move(options)) {}

SagaTimers::~SagaTimers() { stop(); }

void SagaTimers::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void SagaTimers::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

void SagaTimers::stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
}

void SagaTimers::run() {
  for (;;) {
    std::chrono::milliseconds wait = options_.poll_interval;
    auto fired = store_.fire_due(options_.clock(), handler_);
    if (!fired) {
      log::error("saga timers: {}", fired.error().message());
      wait = options_.retry_backoff;
    } else if (fired->failed > 0) {
      wait = options_.retry_backoff;
    } else if (auto next = store_.next_due(); !next) {
      log::error("saga timers: {}", next.error().message());
      wait = options_.retry_backoff;
    } else if (*next) {
      auto until_due = std::chrono::ceil<std::chrono::milliseconds>(**next - options_.clock());
      wait = std::clamp(until_due, std::chrono::milliseconds(0), options_.poll_interval);
    }
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    wake_.wait_for(lock, wait, [&] { return notified_ || stopping_; });
    notified_ = false;
    if (stopping_) return;
  }
}

}  // namespace velocity
