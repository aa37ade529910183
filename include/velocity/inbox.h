// The idempotent inbox: Inbox::handle runs a handler's writes and the record "this event id was
// handled" in one transaction, so an event delivered again within the dedupe window has no
// second effect. Rows older than the window are deleted by clean_up(); a duplicate arriving
// after that is handled again, so the window must exceed the longest redelivery delay (the
// bus's retry tiers and DLQ redrive included). Thread-safe; the store must outlive the Inbox.
// InboxBatch handles several events in one transaction (group commit): one commit for all of
// them, each event either undone on its own (a SAVEPOINT per event) or, cheaper, undoing the
// whole batch when it fails (BatchUndo).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// The store in `db`, SQLite or PostgreSQL alike: creates its table (velocity_inbox) if missing.
// `db` must outlive it.
[[nodiscard]] Result<std::unique_ptr<InboxStore>> make_inbox_store(Database& db);

enum class InboxOutcome {
  kHandled,    // the handler ran and its writes committed together with the event id
  kDuplicate,  // the event id was already handled: nothing ran, nothing changed
};

struct InboxOptions {
  std::chrono::milliseconds dedupe_window{std::chrono::hours(7 * 24)};
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

class InboxBatch;

// What a failed event of an InboxBatch undoes.
enum class BatchUndo {
  kEvent,  // only its own writes: each event runs inside a savepoint
  kBatch,  // the whole batch: no savepoints (two statements fewer per event), and the first
           // failure breaks the batch, so that commit() fails and undoes every event
};

class Inbox {
 public:
  using Handler = std::function<Result<void>(Transaction&)>;

  explicit Inbox(InboxStore& store, InboxOptions options = {}) : store_(store), options_(std::move(options)) {}

  // A handler error rolls back everything (the event id stays unrecorded, so a redelivery
  // runs it again) and is returned. Exceptions from the handler roll back and propagate.
  [[nodiscard]] Result<InboxOutcome> handle(std::string_view event_id, const Handler& handler);
  // Opens a transaction for several events; see InboxBatch.
  [[nodiscard]] Result<InboxBatch> begin_batch(BatchUndo undo = BatchUndo::kEvent);
  // Deletes records older than the dedupe window; returns how many.
  [[nodiscard]] Result<int64_t> clean_up();

 private:
  InboxStore& store_;
  InboxOptions options_;
};

// Several events handled in one transaction: handle() each of them, then commit() once. With
// BatchUndo::kEvent each event runs inside its own savepoint, so a handler error undoes that
// event's writes and its inbox record only; the other events' effects stay and commit
// together. With BatchUndo::kBatch a handler error (or exception) breaks the batch instead:
// the error is returned, later calls fail, and commit() fails, undoing all. Nothing is durable
// before commit(); destroying the batch without it (or a crash) undoes every event, so all of
// them are handled again when redelivered. The batch holds the database's lock from
// begin_batch() to commit(). Used by one thread at a time; move-only.
class InboxBatch {
 public:
  InboxBatch(InboxBatch&&) noexcept = default;
  InboxBatch& operator=(InboxBatch&&) = delete;
  InboxBatch(const InboxBatch&) = delete;

  // Like Inbox::handle, inside the batch's transaction. An error from the handler (or an
  // exception, which propagates) rolls back to the event's savepoint (kEvent) or breaks the
  // batch (kBatch). If the database cannot roll back to the savepoint, the batch is broken too:
  // this and every later call fail, and commit() fails, undoing everything.
  [[nodiscard]] Result<InboxOutcome> handle(std::string_view event_id, const Inbox::Handler& handler);
  // Commits every event handled successfully so far; the batch is finished afterwards.
  [[nodiscard]] Result<void> commit();
  // Events handled (not duplicates) so far.
  size_t handled() const { return handled_; }

 private:
  friend class Inbox;
  InboxBatch(InboxStore& store, Transaction tx, std::function<std::chrono::system_clock::time_point()> clock,
             BatchUndo undo)
      : store_(&store), tx_(std::move(tx)), clock_(std::move(clock)), undo_(undo) {}

  Result<InboxOutcome> record_and_run(std::string_view event_id, const Inbox::Handler& handler);

  InboxStore* store_;
  Transaction tx_;
  std::function<std::chrono::system_clock::time_point()> clock_;
  BatchUndo undo_;
  std::optional<Error> broken_;
  size_t handled_ = 0;
};

}  // namespace velocity
