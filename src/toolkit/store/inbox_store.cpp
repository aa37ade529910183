// InboxStore on SQLite or PostgreSQL (one schema text; the PostgreSQL engine adapts it).
// Table layout: docs/toolkit-store.md.
#include "toolkit/store/time_ms.h"
#include "velocity/inbox.h"

namespace velocity {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS velocity_inbox (
  event_id   TEXT    PRIMARY KEY,
  handled_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS velocity_inbox_handled ON velocity_inbox (handled_ms);
)sql";

class SqlInboxStore final : public InboxStore {
 public:
  explicit SqlInboxStore(Database& db) : db_(db) {}

  Result<Transaction> begin() override { return db_.begin(); }

  // ON CONFLICT DO NOTHING, not a caught unique violation: on PostgreSQL a failed statement
  // would abort the caller's whole transaction. A concurrent transaction recording the same id
  // makes this one wait for its outcome, so exactly one of them sees "new".
  Result<bool> record(Transaction& tx, std::string_view event_id, std::chrono::system_clock::time_point now) override {
    auto inserted =
        tx.execute("INSERT INTO velocity_inbox (event_id, handled_ms) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING",
                   event_id, store::to_ms(now));
    if (!inserted) return std::unexpected(inserted.error());
    return *inserted == 1;
  }

  Result<int64_t> delete_recorded_before(std::chrono::system_clock::time_point cutoff) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto deleted = tx->execute("DELETE FROM velocity_inbox WHERE handled_ms < ?", store::to_ms(cutoff));
    if (!deleted) return deleted;
    if (auto c = tx->commit(); !c) return std::unexpected(c.error());
    return deleted;
  }

 private:
  Database& db_;
};

}  // namespace

Result<std::unique_ptr<InboxStore>> make_inbox_store(Database& db) {
  if (auto r = db.execute_script(kSchema); !r) return std::unexpected(r.error());
  return std::make_unique<SqlInboxStore>(db);
}

}  // namespace velocity
