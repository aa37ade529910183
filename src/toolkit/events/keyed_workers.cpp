#include "toolkit/events/keyed_workers.h"

#include <string>

namespace velocity::events {

KeyedWorkers::KeyedWorkers(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (auto& lane : lanes_) lane->thread = std::thread([l = lane.get()] { run(*l); });
}

KeyedWorkers::~KeyedWorkers() { stop(); }

void KeyedWorkers::submit(std::string_view key, std::function<void()> task) {
  Lane& lane = *lanes_[std::hash<std::string_view>{}(key) % lanes_.size()];
  {
    std::lock_guard lock(lane.mu);
    lane.tasks.push_back(std::move(task));
  }
  lane.cv.notify_one();
}

void KeyedWorkers::stop() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->mu);
      lane->stopping = true;
    }
    lane->cv.notify_one();
  }
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

void KeyedWorkers::run(Lane& lane) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(lane.mu);
      lane.cv.wait(lock, [&] { return lane.stopping || !lane.tasks.empty(); });
      if (lane.tasks.empty()) return;  // stopping and drained
      task = std::move(lane.tasks.front());
      lane.tasks.pop_front();
    }
    task();
  }
}

}  // namespace velocity::events
