#include "checker/outbox_backlog.h"

#include <algorithm>

#include "checker/read_only_db.h"

namespace velocity::checker {
namespace {

int64_t to_int(const std::string& text) { return text.empty() ? 0 : std::stoll(text); }

}  // namespace

OutboxBacklogRow read_outbox_backlog(const std::filesystem::path& data_dir, const std::string& service,
                                     int64_t now_ms) {
  OutboxBacklogRow b;
  b.service = service;
  const auto path = service_db_path(data_dir, service);
  b.database = path.string();
  std::string error;
  auto db = ReadOnlyDb::open(path, error);
  if (!db) {
    b.error = error;
    return b;
  }
  // The toolkit's outbox layout (docs/toolkit-store.md): the rows, and the queue of the ids not
  // yet published.
  auto pending = db->rows(
      "SELECT COUNT(*), MIN(o.created_ms), COALESCE(MAX(o.attempts), 0) FROM velocity_outbox_queue q "
      "JOIN velocity_outbox o ON o.id = q.id",
      error);
  auto published =
      pending ? db->rows("SELECT (SELECT COUNT(*) FROM velocity_outbox) - (SELECT COUNT(*) FROM velocity_outbox_queue)",
                         error)
              : std::nullopt;
  if (!pending || !published || pending->size() != 1 || published->size() != 1 || pending->front().size() != 3 ||
      published->front().size() != 1) {
    b.error = path.string() + ": " + (error.empty() ? "unexpected answer" : error);
    return b;
  }
  const auto& row = pending->front();
  b.pending = to_int(row[0]);
  if (b.pending > 0) b.oldest_pending_age_ms = std::max<int64_t>(0, now_ms - to_int(row[1]));
  b.max_attempts = to_int(row[2]);
  b.published = to_int(published->front()[0]);
  return b;
}

}  // namespace velocity::checker
