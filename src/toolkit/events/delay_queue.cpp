#include "toolkit/events/delay_queue.h"

#include <vector>

namespace velocity::events {

DelayQueue::DelayQueue() : thread_([this] { run(); }) {}

DelayQueue::~DelayQueue() { stop(); }

void DelayQueue::schedule(Clock::time_point due, std::function<void()> task,
                          std::function<void()> cancel) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      tasks_.emplace(due, std::pair(std::move(task), std::move(cancel)));
      cv_.notify_one();
      return;
    }
  }
  cancel();
}

void DelayQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DelayQueue::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) break;
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto due = tasks_.begin()->first;
    if (Clock::now() < due) {
      // Wakes early when stopped or when an earlier task arrives.
      cv_.wait_until(lock, due);
      continue;
    }
    auto task = std::move(tasks_.begin()->second.first);
    tasks_.erase(tasks_.begin());
    lock.unlock();
    task();
    lock.lock();
  }
  auto pending = std::move(tasks_);
  tasks_.clear();
  lock.unlock();
  for (auto& [due, entry] : pending) entry.second();
}

}  // namespace velocity::events
