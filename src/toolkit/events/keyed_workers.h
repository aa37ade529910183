// KeyedWorkers: a fixed pool of threads, each with its own FIFO queue; an item goes to the
// queue its key hashes to, so items of one key are run in submission order, one batch at a
// time, while other keys run on other threads. A thread takes every item ready in its queue,
// up to `max_batch`, and runs them in one call — it never waits for more. Thread-safe. stop()
// runs what is queued, then joins.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace velocity::events {

template <typename Item>
class KeyedWorkers {
 public:
  // Called on a worker thread with 1..max_batch items, in submission order.
  using Runner = std::function<void(std::vector<Item>&)>;

  KeyedWorkers(size_t threads, size_t max_batch, Runner run)
      : max_batch_(std::max<size_t>(1, max_batch)), run_(std::move(run)) {
    threads = std::max<size_t>(1, threads);
    for (size_t i = 0; i < threads; ++i) lanes_.push_back(std::make_unique<Lane>());
    for (auto& lane : lanes_) lane->thread = std::thread([this, l = lane.get()] { serve(*l); });
  }
  ~KeyedWorkers() { stop(); }
  KeyedWorkers(const KeyedWorkers&) = delete;
  KeyedWorkers& operator=(const KeyedWorkers&) = delete;

  void submit(std::string_view key, Item item) {
    Lane& lane = *lanes_[std::hash<std::string_view>{}(key) % lanes_.size()];
    {
      std::lock_guard lock(lane.mu);
      lane.items.push_back(std::move(item));
    }
    lane.cv.notify_one();
  }

  void stop() {
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

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Item> items;
    bool stopping = false;
    std::thread thread;
  };

  void serve(Lane& lane) {
    std::vector<Item> batch;
    for (;;) {
      batch.clear();
      {
        std::unique_lock lock(lane.mu);
        lane.cv.wait(lock, [&] { return lane.stopping || !lane.items.empty(); });
        if (lane.items.empty()) return;  // stopping and drained
        while (!lane.items.empty() && batch.size() < max_batch_) {
          batch.push_back(std::move(lane.items.front()));
          lane.items.pop_front();
        }
      }
      run_(batch);
    }
  }

  const size_t max_batch_;
  Runner run_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace velocity::events
