// InboxBatch: several events in one transaction, each inside its own savepoint or, with
// BatchUndo::kBatch, all of them undone together when one fails.
#include <exception>
#include <string>

#include "velocity/inbox.h"

namespace velocity {
namespace {

// SQL savepoints (SQLite and PostgreSQL alike). Each event's savepoint is released before the
// next one opens, so one name is enough.
constexpr std::string_view kSavepoint = "SAVEPOINT velocity_inbox_event";
constexpr std::string_view kRollbackTo = "ROLLBACK TO velocity_inbox_event";
constexpr std::string_view kRelease = "RELEASE velocity_inbox_event";

}  // namespace

Result<InboxBatch> Inbox::begin_batch(BatchUndo undo) {
  auto tx = store_.begin();
  if (!tx) return std::unexpected(tx.error());
  return InboxBatch(store_, std::move(*tx), options_.clock, undo);
}

Result<InboxOutcome> InboxBatch::record_and_run(std::string_view event_id, const Inbox::Handler& handler) {
  auto fresh = store_->record(tx_, event_id, clock_());
  if (!fresh) return std::unexpected(fresh.error());
  if (!*fresh) return InboxOutcome::kDuplicate;
  if (auto r = handler(tx_); !r) return std::unexpected(r.error());
  return InboxOutcome::kHandled;
}

Result<InboxOutcome> InboxBatch::handle(std::string_view event_id, const Inbox::Handler& handler) {
  if (broken_) return std::unexpected(*broken_);
  if (!tx_.open()) return fail(ErrorCode::kClosed, "inbox batch: already committed");
  if (event_id.empty())
    return fail(ErrorCode::kInvalidArgument,
                "inbox: an event without an id cannot be deduplicated");
  if (undo_ == BatchUndo::kBatch) {
    // No savepoint: whatever the failed event wrote stays in the transaction, so the batch
    // must not commit.
    Result<InboxOutcome> outcome = InboxOutcome::kHandled;
    try {
      outcome = record_and_run(event_id, handler);
    } catch (const std::exception& e) {
      broken_ = Error{ErrorCode::kInternal, std::string("inbox batch: a handler threw: ") + e.what()};
      throw;
    } catch (...) {
      broken_ = Error{ErrorCode::kInternal, "inbox batch: a handler threw"};
      throw;
    }
    if (!outcome) {
      broken_ = Error{outcome.error().code, "inbox batch: undone because an event failed: " + outcome.error().context};
      return outcome;
    }
    if (*outcome == InboxOutcome::kHandled) ++handled_;
    return outcome;
  }
  if (auto r = tx_.execute(kSavepoint); !r) {
    broken_ = r.error();
    return std::unexpected(r.error());
  }
  // Undoes this event only. If even that fails (SQLite may already have rolled back the whole
  // transaction after an I/O or out-of-memory error), nothing of the batch can be trusted.
  auto undo = [this] {
    auto back = tx_.execute(kRollbackTo);
    auto released = back ? tx_.execute(kRelease) : back;
    if (!released)
      broken_ = Error{released.error().code, "inbox batch: " + released.error().context};
  };
  Result<InboxOutcome> outcome = InboxOutcome::kHandled;
  try {
    outcome = record_and_run(event_id, handler);
  } catch (...) {
    undo();
    throw;
  }
  if (!outcome) {
    undo();
    return outcome;
  }
  if (auto released = tx_.execute(kRelease); !released) {
    broken_ = released.error();
    return std::unexpected(released.error());
  }
  if (*outcome == InboxOutcome::kHandled) ++handled_;
  return outcome;
}

Result<void> InboxBatch::commit() {
  if (broken_) {
    tx_.rollback();
    return std::unexpected(*broken_);
  }
  return tx_.commit();
}

}  // namespace velocity
