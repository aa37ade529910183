// OutboxStore on PostgreSQL. Table layout and the ordering lock: docs/toolkit-store.md.
#include <chrono>
#include <string>

#include "toolkit/store/header_codec.h"
#include "toolkit/store/outbox_trace.h"
#include "toolkit/store/time_ms.h"
#include "velocity/outbox.h"
#include "velocity/postgres_store.h"

namespace velocity {
namespace {

// An identity column never reuses ids, like SQLite's AUTOINCREMENT. Database::execute_script
// serialises schema creation by several processes.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS velocity_outbox (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic        TEXT   NOT NULL,
  key          BYTEA  NOT NULL,
  payload      BYTEA  NOT NULL,
  headers      BYTEA  NOT NULL,
  created_ms   BIGINT NOT NULL,
  published_ms BIGINT,
  attempts     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS velocity_outbox_pending ON velocity_outbox (id) WHERE published_ms IS NULL;
CREATE INDEX IF NOT EXISTS velocity_outbox_published ON velocity_outbox (published_ms)
  WHERE published_ms IS NOT NULL;
)sql";

// An identity value is drawn at INSERT, not at COMMIT: two transactions on different connections
// could commit in the opposite order of their ids, and a relay reading between the two commits
// would publish the higher id first — out of order for a shared key. Every adding transaction
// therefore takes this lock (held until it ends), so ids are drawn in commit order, as SQLite's
// single writer gives for free.
constexpr std::string_view kAddOrderLock = "SELECT pg_advisory_xact_lock(7305747128)";

// ids as a PostgreSQL array literal, bound as one parameter.
std::string id_array(std::span<const int64_t> ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

class PostgresOutboxStore final : public OutboxStore {
 public:
  explicit PostgresOutboxStore(Database& db) : db_(db) {}

  Result<Transaction> begin() override { return db_.begin(); }

  Result<int64_t> add(Transaction& tx, const Message& message,
                      StoreClock::time_point now) override {
    if (auto locked = tx.execute(kAddOrderLock); !locked) return std::unexpected(locked.error());
    const auto traced = store::with_current_trace(message);
    std::string headers = store::encode_headers(traced ? traced->headers : message.headers);
    auto stmt = tx.query(
        "INSERT INTO velocity_outbox (topic, key, payload, headers, created_ms) VALUES (?, ?, ?, "
        "?, ?) RETURNING id",
        message.topic, Blob{message.key}, Blob{message.payload}, Blob{headers}, store::to_ms(now));
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->next();
    if (!row) return std::unexpected(row.error());
    if (!*row) return fail(ErrorCode::kInternal, "outbox insert returned no id");
    return stmt->int64(0);
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
        return fail(ErrorCode::kCorrupt,
                    "outbox row " + std::to_string(row.id) + ": " + headers.error().context);
      }
      row.message.headers = std::move(*headers);
      row.created = store::from_ms(stmt->int64(5));
      row.attempts = stmt->int64(6);
      rows.push_back(std::move(row));
    }
    return rows;
  }

  // One statement per call, not one per id: each statement is a round trip to the server.
  Result<void> mark_published(std::span<const int64_t> ids, StoreClock::time_point now) override {
    return run_committed("UPDATE velocity_outbox SET published_ms = ? WHERE id = ANY (?::bigint[])",
                         store::to_ms(now), id_array(ids));
  }

  Result<void> record_failure(std::span<const int64_t> ids) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto r = tx->execute(
        "UPDATE velocity_outbox SET attempts = attempts + 1 WHERE id = ANY (?::bigint[])",
        id_array(ids));
    if (!r) return std::unexpected(r.error());
    return tx->commit();
  }

  Result<int64_t> delete_published_before(StoreClock::time_point cutoff) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto deleted = tx->execute(
        "DELETE FROM velocity_outbox WHERE published_ms IS NOT NULL AND published_ms < ?",
        store::to_ms(cutoff));
    if (!deleted) return deleted;
    if (auto c = tx->commit(); !c) return std::unexpected(c.error());
    return deleted;
  }

  Result<OutboxBacklog> backlog(StoreClock::time_point now) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto stmt = tx->query(
        "SELECT COUNT(*), MIN(created_ms) FROM velocity_outbox WHERE published_ms IS NULL");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->next();
    if (!row) return std::unexpected(row.error());
    OutboxBacklog backlog;
    backlog.pending = stmt->int64(0);
    if (auto oldest = stmt->optional_int64(1)) {
      backlog.oldest_age = std::max(std::chrono::milliseconds(0),
                                    std::chrono::milliseconds(store::to_ms(now) - *oldest));
    }
    return backlog;
  }

 private:
  Result<void> run_committed(std::string_view sql, int64_t value, const std::string& ids) {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    if (auto r = tx->execute(sql, value, ids); !r) return std::unexpected(r.error());
    return tx->commit();
  }

  Database& db_;
};

}  // namespace

Result<std::unique_ptr<OutboxStore>> make_postgres_outbox_store(Database& db) {
  if (db.dialect() != SqlDialect::kPostgres) {
    return fail(ErrorCode::kInvalidArgument,
                "the PostgreSQL outbox store needs a PostgreSQL database");
  }
  if (auto r = db.execute_script(kSchema); !r) return std::unexpected(r.error());
  return std::make_unique<PostgresOutboxStore>(db);
}

Result<std::unique_ptr<OutboxStore>> make_outbox_store(Database& db) {
  return db.dialect() == SqlDialect::kPostgres ? make_postgres_outbox_store(db)
                                               : make_sqlite_outbox_store(db);
}

}  // namespace velocity
