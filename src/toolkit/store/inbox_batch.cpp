// InboxBatch: several events in one transaction, each inside its own savepoint.
#include "velocity/inbox.h"

namespace velocity {
namespace {

// SQL savepoints (SQLite and PostgreSQL alike). Each event's savepoint is released before the
// next one opens, so one name is enough.
constexpr std::string_view kSavepoint = "SAVEPOINT velocity_inbox_event";
constexpr std::string_view kRollbackTo = "ROLLBACK TO velocity_inbox_event";
constexpr std::string_view kRelease = "RELEASE velocity_inbox_event";

}  // namespace

Result<InboxBatch> Inbox::begin_batch() {
  auto tx = store_.begin();
  if (!tx) return std::unexpected(tx.error());
  return InboxBatch(store_, std::move(*tx), options_.clock);
}

Result<InboxOutcome> InboxBatch::handle(std::string_view event_id, const Inbox::Handler& handler) {
  if (broken_) return std::unexpected(*broken_);
  if (!tx_.open()) return fail(ErrorCode::kClosed, "inbox batch: already committed");
  if (event_id.empty())
    return fail(ErrorCode::kInvalidArgument,
                "inbox: an event without an id cannot be deduplicated");
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
    auto fresh = store_->record(tx_, event_id, clock_());
    if (!fresh) {
      outcome = std::unexpected(fresh.error());
    } else if (!*fresh) {
      outcome = InboxOutcome::kDuplicate;
    } else if (auto r = handler(tx_); !r) {
      outcome = std::unexpected(r.error());
    }
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
