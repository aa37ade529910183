// DelayQueue: runs each scheduled task on its own thread once its due time has come, earliest
// first, so one waiting task never holds up a task due sooner. Thread-safe. stop() runs the
// `cancel` function of every task not yet due instead of the task, then joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace velocity::events {

class DelayQueue {
 public:
  using Clock = std::chrono::system_clock;

  DelayQueue();
  ~DelayQueue();
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;

  void schedule(Clock::time_point due, std::function<void()> task, std::function<void()> cancel);
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  // multimap keeps tasks with equal due times in scheduling order.
  std::multimap<Clock::time_point, std::pair<std::function<void()>, std::function<void()>>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace velocity::events
