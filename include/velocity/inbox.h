// The idempotent inbox: Inbox::handle runs a handler's writes and the record "this event id was
// handled" in one transaction, so an event delivered again within the dedupe window has no
// second effect. Rows older than the window are deleted by clean_up(); a duplicate arriving
// after that is handled again, so the window must exceed the longest redelivery delay (the
// bus's retry tiers and DLQ redrive included). Thread-safe; the store must outlive the Inbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "velocity/result.h"
#include "velocity/store.h"

namespace velocity {

class InboxStore {
 public:
  virtual ~InboxStore() = default;

  [[nodiscard]] virtual Result<Transaction> begin() = 0;
  // Records `event_id` inside `tx`: true when it is new, false when it was already recorded.
  [[nodiscard]] virtual Result<bool> record(Transaction& tx, std::string_view event_id,
                                            std::chrono::system_clock::time_point now) = 0;
  // Forgets event ids recorded before `cutoff`; returns how many.
  [[nodiscard]] virtual Result<int64_t> delete_recorded_before(std::chrono::system_clock::time_point cutoff) = 0;
};

// The SQLite store: creates its table (velocity_inbox) in `db` if missing. `db` must outlive it.
[[nodiscard]] Result<std::unique_ptr<InboxStore>> make_sqlite_inbox_store(Database& db);

enum class InboxOutcome {
  kHandled,    // the handler ran and its writes committed together with the event id
  kDuplicate,  // the event id was already handled: nothing ran, nothing changed
};

struct InboxOptions {
  std::chrono::milliseconds dedupe_window{std::chrono::hours(7 * 24)};
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

class Inbox {
 public:
  using Handler = std::function<Result<void>(Transaction&)>;

  explicit Inbox(InboxStore& store, InboxOptions options = {}) : store_(store), options_(std::move(options)) {}

  // A handler error rolls back everything (the event id stays unrecorded, so a redelivery
  // runs it again) and is returned. Exceptions from the handler roll back and propagate.
  [[nodiscard]] Result<InboxOutcome> handle(std::string_view event_id, const Handler& handler);
  // Deletes records older than the dedupe window; returns how many.
  [[nodiscard]] Result<int64_t> clean_up();

 private:
  InboxStore& store_;
  InboxOptions options_;
};

}  // namespace velocity
