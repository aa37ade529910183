// The transactional outbox: a service adds its outgoing messages inside the same transaction as
// its state change (OutboxStore::add), and an OutboxRelay publishes the pending rows in id order
// — so in order per key — marking each published only after the bus acknowledged it. Delivery
// is at least once (a crash between ack and mark republishes); consumers deduplicate with the
// inbox. OutboxStore implementations are thread-safe; they share one conformance suite.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "velocity/bus.h"
#include "velocity/message.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace velocity {

struct OutboxRow {
  int64_t id = 0;  // increasing in commit order of the adding transactions' inserts
  Message message;
  StoreClock::time_point created;
  int64_t attempts = 0;  // failed publish attempts so far
};

struct OutboxBacklog {
  int64_t pending = 0;
  std::chrono::milliseconds oldest_age{0};  // age of the oldest pending row; 0 when none
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Starts a transaction on the store's database, for callers that have none of their own.
  [[nodiscard]] virtual Result<Transaction> begin() = 0;
  // Writes `message` (topic, key, payload, headers) as a pending row inside `tx`.
  [[nodiscard]] virtual Result<int64_t> add(Transaction& tx, const Message& message,
                                            StoreClock::time_point now = StoreClock::now()) = 0;
  // Up to `limit` pending rows, lowest id first.
  [[nodiscard]] virtual Result<std::vector<OutboxRow>> pending(size_t limit) = 0;
  [[nodiscard]] virtual Result<void> mark_published(std::span<const int64_t> ids, StoreClock::time_point now) = 0;
  [[nodiscard]] virtual Result<void> record_failure(std::span<const int64_t> ids) = 0;
  // Deletes rows published before `cutoff`; returns how many.
  [[nodiscard]] virtual Result<int64_t> delete_published_before(StoreClock::time_point cutoff) = 0;
  [[nodiscard]] virtual Result<OutboxBacklog> backlog(StoreClock::time_point now) = 0;
};

// The store in `db`, SQLite or PostgreSQL alike: creates its table (velocity_outbox) if missing.
// `db` must outlive it.
[[nodiscard]] Result<std::unique_ptr<OutboxStore>> make_outbox_store(Database& db);

struct OutboxRelayOptions {
  size_t batch_size = 256;
  // Without notify(), pending rows are looked for this often.
  std::chrono::milliseconds poll_interval{200};
  // After a failed publish the relay waits initial_backoff, doubling up to max_backoff.
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
  // Published rows are kept this long (for inspection), then deleted every cleanup_interval.
  std::chrono::milliseconds retention{std::chrono::hours(24)};
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(1)};
  std::function<StoreClock::time_point()> clock = [] { return StoreClock::now(); };
};

struct RelayPass {
  size_t published = 0;
  size_t failed = 0;  // rows whose publish failed, or that waited behind a failed row of their key
};

// Publishes an OutboxStore's pending rows through a Publisher on its own thread. A failing key
// does not hold back other keys: after a failed batch, rows are published one by one and every
// later row of a key that failed waits for the next pass. Thread-safe; store and publisher must
// outlive it.
class OutboxRelay {
 public:
  OutboxRelay(OutboxStore& store, Publisher& publisher, OutboxRelayOptions options = {});
  ~OutboxRelay();  // stop(0)
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  void start();
  // Wakes the relay now (call after committing a transaction that added rows).
  void notify();
  // Keeps publishing until nothing is pending or `bound` has passed, then stops the thread.
  // kTimeout when rows were left (they are published after the next start). A publish call in
  // progress is not interrupted, so the bound is exceeded by at most one Publisher::publish.
  [[nodiscard]] Result<void> stop(std::chrono::milliseconds bound);

  // One batch, on the calling thread (the thread runs the same).
  [[nodiscard]] Result<RelayPass> publish_pending();
  // Deletes published rows older than the retention period.
  [[nodiscard]] Result<int64_t> clean_up();
  [[nodiscard]] Result<OutboxBacklog> backlog();

 private:
  void run();

  OutboxStore& store_;
  Publisher& publisher_;
  OutboxRelayOptions options_;
  std::mutex pass_mutex_;  // one publish pass at a time, so rows are never published out of order

  std::mutex mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::thread thread_;
};

}  // namespace velocity
