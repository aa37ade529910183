// Sagas (process managers): a long-running flow's state kept in the service's own database,
// and durable timers. A timer is a row; it fires by running the service's handler inside the
// transaction that deletes the row, so it fires once — also when it fell due while the process
// was down — and the handler's writes (state change, compensation, outbox rows) commit with it.
// SagaStore and SagaTimers are thread-safe; the Database must outlive them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "velocity/result.h"
#include "velocity/store.h"

namespace velocity {

struct SagaInstance {
  std::string id;
  std::string type;   // e.g. "order-checkout"
  std::string state;  // the service's own encoding, usually JSON
  int64_t version = 0;  // 1 after create, +1 per save
};

struct SagaTimer {
  int64_t id = 0;
  std::string saga_id;
  std::string name;  // e.g. "payment-timeout"
  std::chrono::system_clock::time_point due;
};

class SagaStore {
 public:
  using TimerHandler = std::function<Result<void>(Transaction&, const SagaTimer&)>;

  // Creates the tables (velocity_saga, velocity_saga_timer) in `db` if missing.
  [[nodiscard]] static Result<std::unique_ptr<SagaStore>> open(Database& db);

  Database& database() { return db_; }

  // kAlreadyExists when a saga with this id exists.
  [[nodiscard]] Result<SagaInstance> create(Transaction& tx, std::string_view id, std::string_view type,
                                            std::string_view state);
  [[nodiscard]] Result<std::optional<SagaInstance>> load(Transaction& tx, std::string_view id);
  // Stores instance.state if the stored version still equals instance.version, then bumps
  // instance.version. kFenced when someone saved a newer version since it was loaded.
  [[nodiscard]] Result<void> save(Transaction& tx, SagaInstance& instance);
  // Deletes a finished saga and its timers.
  [[nodiscard]] Result<void> remove(Transaction& tx, std::string_view id);

  [[nodiscard]] Result<int64_t> schedule(Transaction& tx, std::string_view saga_id,
                                         std::chrono::system_clock::time_point due, std::string_view name);
  // Cancels the saga's pending timers of this name; returns how many.
  [[nodiscard]] Result<int64_t> cancel(Transaction& tx, std::string_view saga_id, std::string_view name);

  [[nodiscard]] Result<std::optional<std::chrono::system_clock::time_point>> next_due();
  // Fires up to `limit` timers due at `now`, each in its own transaction. A handler error rolls
  // that timer back (it fires again on a later pass) and is logged. Returns {fired, failed}.
  struct FireResult {
    size_t fired = 0;
    size_t failed = 0;
  };
  [[nodiscard]] Result<FireResult> fire_due(std::chrono::system_clock::time_point now, const TimerHandler& handler,
                                            size_t limit = 64);

 private:
  explicit SagaStore(Database& db) : db_(db) {}
  Database& db_;
};

struct SagaTimerOptions {
  // Timers scheduled through another Database object or process are noticed within this.
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds retry_backoff{1000};  // after a handler failed
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

// Fires a SagaStore's due timers on its own thread. Thread-safe.
class SagaTimers {
 public:
  SagaTimers(SagaStore& store, SagaStore::TimerHandler handler, SagaTimerOptions options = {});
  ~SagaTimers();  // stop()
  SagaTimers(const SagaTimers&) = delete;
  SagaTimers& operator=(const SagaTimers&) = delete;

  void start();
  // Wakes the thread to recompute the next due time (call after committing a schedule()).
  void notify();
  // Waits for a handler in progress, then stops the thread.
  void stop();

 private:
  void run();

  SagaStore& store_;
  SagaStore::TimerHandler handler_;
  SagaTimerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace velocity
