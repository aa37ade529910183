#include "velocity/inbox.h"

namespace velocity {

Result<InboxOutcome> Inbox::handle(std::string_view event_id, const Handler& handler) {
  if (event_id.empty()) return fail(ErrorCode::kInvalidArgument, "inbox: an event without an id cannot be deduplicated");
  auto tx = store_.begin();
  if (!tx) return std::unexpected(tx.error());
  // Recording first takes the row before the handler runs; both commit or neither does.
  auto fresh = store_.record(*tx, event_id, options_.clock());
  if (!fresh) return std::unexpected(fresh.error());
  if (!*fresh) return InboxOutcome::kDuplicate;
  if (auto r = handler(*tx); !r) return std::unexpected(r.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return InboxOutcome::kHandled;
}

Result<int64_t> Inbox::clean_up() { return store_.delete_recorded_before(options_.clock() - options_.dedupe_window); }

}  // namespace velocity
