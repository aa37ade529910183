// KeyedWorkers: a fixed pool of threads, each with its own FIFO queue; a task goes to the
// queue its key hashes to, so tasks of one key run in submission order, one at a time, while
// other keys run on other threads. Thread-safe. stop() runs what is queued, then joins.
#pragma once

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

class KeyedWorkers {
 public:
  explicit KeyedWorkers(size_t threads);
  ~KeyedWorkers();
  KeyedWorkers(const KeyedWorkers&) = delete;
  KeyedWorkers& operator=(const KeyedWorkers&) = delete;

  void submit(std::string_view key, std::function<void()> task);
  void stop();

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> tasks;
    bool stopping = false;
    std::thread thread;
  };
  static void run(Lane& lane);

  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace velocity::events
