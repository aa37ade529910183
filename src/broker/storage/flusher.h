// Flusher: durability for callers that must not block, such as an event-loop server. It owns
// one thread; request() queues (log, offset, callback) and returns at once. Each round takes
// every pending request, syncs each log that needs it once, and runs the callbacks on the
// flusher thread (a server posts them back to its loop). Thread-safe. The destructor stops
// the thread after answering every queued request (with kClosed if it was never synced).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/storage/partition_log.h"

namespace velocity::storage {

class Flusher {
 public:
  using Callback = std::function<void(Result<void>)>;

  Flusher();
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  // Calls `done` once `offset` of `log` is durable, or with the error that prevented it.
  void request(std::shared_ptr<PartitionLog> log, int64_t offset, Callback done);

  // How many sync rounds have run (for tests and metrics).
  uint64_t rounds() const;

 private:
  struct Pending {
    std::shared_ptr<PartitionLog> log;
    int64_t offset;
    Callback done;
  };
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;  // under mu_
  bool stopping_ = false;
  uint64_t rounds_ = 0;
  std::thread thread_;
};

}  // namespace velocity::storage
