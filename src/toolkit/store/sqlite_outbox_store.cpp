// OutboxStore on SQLite. Table layout: docs/toolkit-store.md.
#include <chrono>
#include <string>

#include "toolkit/store/header_codec.h"
#include "toolkit/store/outbox_trace.h"
#include "toolkit/store/time_ms.h"
#include "velocity/outbox.h"

namespace velocity {
namespace {

// AUTOINCREMENT: ids are never reused, even after cleanup empties the table, so "ordered by
// id" stays "ordered by insertion" for the table's whole life.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS velocity_outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  topic        TEXT    NOT NULL,
  key          BLOB    NOT NULL,
  payload      BLOB    NOT NULL,
  headers      BLOB    NOT NULL,
  created_ms   INTEGER NOT NULL,
  published_ms INTEGER,
  attempts     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS velocity_outbox_pending ON velocity_outbox (id) WHERE published_ms IS NULL;
CREATE INDEX IF NOT EXISTS velocity_outbox_published ON velocity_outbox (published_ms)
  WHERE published_ms IS NOT NULL;
)sql";

class SqliteOutboxStore final : public OutboxStore {
 public:
  explicit SqliteOutboxStore(Database& db) : db_(db) {}

  Result<Transaction> begin() override { return db_.begin(); }

  Result<int64_t> add(Transaction& tx, const Message& message, StoreClock::time_point now) override {
    const auto traced = store::with_current_trace(message);
    std::string headers = store::encode_headers(traced ? traced->headers : message.headers);
    auto inserted = tx.execute(
        "INSERT INTO velocity_outbox (topic, key, payload, headers, created_ms) VALUES (?, ?, ?, ?, ?)",
        message.topic, Blob{message.key}, Blob{message.payload}, Blob{headers}, store::to_ms(now));
    if (!inserted) return std::unexpected(inserted.error());
    return tx.last_insert_id();
  }

  Result<std::vector<OutboxRow>> pending(size_t limit) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto stmt = tx->query(
        "SELECT id, topic, key, payload, headers, created_ms, attempts FROM velocity_outbox "
        "WHERE published_ms IS NULL ORDER BY id LIMIT ?",
        static_cast<int64_t>(limit));
    if (!stmt) return std::unexpected(stmt.error());
    std::vector<OutboxRow> rows;
    for (;;) {
      auto more = stmt->next();
      if (!more) return std::unexpected(more.error());
      if (!*more) break;
      OutboxRow row;
      row.id = stmt->int64(0);
      row.message.topic = stmt->text(1);
      row.message.key = stmt->text(2);
      row.message.payload = stmt->text(3);
      auto headers = store::decode_headers(stmt->text(4));
      if (!headers) {
        return fail(ErrorCode::kCorrupt, "outbox row " + std::to_string(row.id) + ": " + headers.error().context);
      }
      row.message.headers = std::move(*headers);
      row.created = store::from_ms(stmt->int64(5));
      row.attempts = stmt->int64(6);
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<void> mark_published(std::span<const int64_t> ids, StoreClock::time_point now) override {
    return for_each_id(ids, "UPDATE velocity_outbox SET published_ms = ? WHERE id = ?", store::to_ms(now));
  }

  Result<void> record_failure(std::span<const int64_t> ids) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    for (int64_t id : ids) {
      auto r = tx->execute("UPDATE velocity_outbox SET attempts = attempts + 1 WHERE id = ?", id);
      if (!r) return std::unexpected(r.error());
    }
    return tx->commit();
  }

  Result<int64_t> delete_published_before(StoreClock::time_point cutoff) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto deleted = tx->execute("DELETE FROM velocity_outbox WHERE published_ms IS NOT NULL AND published_ms < ?",
                               store::to_ms(cutoff));
    if (!deleted) return deleted;
    if (auto c = tx->commit(); !c) return std::unexpected(c.error());
    return deleted;
  }

  Result<OutboxBacklog> backlog(StoreClock::time_point now) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto stmt = tx->query("SELECT COUNT(*), MIN(created_ms) FROM velocity_outbox WHERE published_ms IS NULL");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->next();
    if (!row) return std::unexpected(row.error());
    OutboxBacklog backlog;
    backlog.pending = stmt->int64(0);
    if (auto oldest = stmt->optional_int64(1)) {
      backlog.oldest_age = std::max(std::chrono::milliseconds(0), std::chrono::milliseconds(store::to_ms(now) - *oldest));
    }
    return backlog;
  }

 private:
  Result<void> for_each_id(std::span<const int64_t> ids, std::string_view sql, int64_t value) {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    for (int64_t id : ids) {
      auto r = tx->execute(sql, value, id);
      if (!r) return std::unexpected(r.error());
    }
    return tx->commit();
  }

  Database& db_;
};

}  // namespace

Result<std::unique_ptr<OutboxStore>> make_sqlite_outbox_store(Database& db) {
  if (auto r = db.execute_script(kSchema); !r) return std::unexpected(r.error());
  return std::make_unique<SqliteOutboxStore>(db);
}

}  // namespace velocity
