// Flusher: durability for callers that must not block, such as an event-loop server. It owns
// one round thread and a few sync threads; request() queues (log, offset, callback) and returns
// at once. Each round takes every pending request and syncs each log that needs it once; the
// logs of one round are synced in parallel (separate files: their fdatasyncs overlap, and the
// file system can often fold them into one journal commit), so an acks=all answer waits for
// the slowest of its partitions' syncs rather than their sum. Callbacks run on the flusher's
// threads, possibly concurrently for different logs (a server posts them back to its loop).
// With a Journal, a round is instead one journal sync (write + fdatasync of one file) for all
// its requests; a request the journal did not cover (a log opened without it) falls back to
// the log's own sync. A failed journal sync fails every request of its round.
// After a log's own sync, a log whose active segment wants zeros written ahead (PartitionLog::
// prewrite_ahead) is handed to the flusher's pre-write thread, so neither appends nor syncs
// wait for them. (With a journal, acknowledgements wait for the journal's sync, not the
// segments': there is nothing to spare them.)
// Thread-safe. The destructor stops the threads after answering every queued request (with
// kClosed if it was never synced).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "broker/storage/journal.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {

class Flusher {
 public:
  using Callback = std::function<void(Result<void>)>;

  // `sync_threads`: how many logs' syncs one round may run at once (at least 1). `journal`,
  // if given, must outlive the flusher.
  explicit Flusher(size_t sync_threads = 8, Journal* journal = nullptr);
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
  void help();  // a sync thread: takes one log's requests of the current round at a time
  // Takes the next log's requests of the current round and answers them; false when none left.
  bool sync_next();
  void sync_and_answer(std::span<Pending> requests);
  void queue_prewrite(const std::shared_ptr<PartitionLog>& log);
  void prewrite_loop();
  // Syncs the journal once and answers what it covers; leaves the rest in `round`.
  void journal_round(std::vector<Pending>& round);

  Journal* const journal_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;  // under mu_
  bool stopping_ = false;
  uint64_t rounds_ = 0;

  // The current round, split by log; shared by the round thread and the sync threads.
  std::mutex work_mu_;
  std::condition_variable work_cv_;  // work was published, or the helpers must stop
  std::condition_variable done_cv_;  // a log's requests were answered
  std::vector<std::span<Pending>> work_;  // under work_mu_
  size_t next_ = 0;                       // under work_mu_: the first span not yet taken
  size_t unfinished_ = 0;                 // under work_mu_: spans taken or not, not yet answered
  bool helpers_stop_ = false;             // under work_mu_

  std::mutex prewrite_mu_;
  std::condition_variable prewrite_cv_;
  std::vector<std::shared_ptr<PartitionLog>> prewrite_queue_;  // under prewrite_mu_
  bool prewrite_stop_ = false;                                 // under prewrite_mu_

  std::vector<std::thread> helpers_;
  std::thread thread_;
  std::thread prewrite_thread_;
};

}  // namespace velocity::storage
