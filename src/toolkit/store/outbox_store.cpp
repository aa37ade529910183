// OutboxStore on SQLite or PostgreSQL (one schema text; the PostgreSQL engine adapts it).
// Table layout and PostgreSQL's ordering lock: docs/toolkit-store.md.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

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

// On PostgreSQL an identity value is drawn at INSERT, not at COMMIT: two transactions on
// different connections could commit in the opposite order of their ids, and a relay reading
// between the two commits would publish the higher id first — out of order for a shared key.
// Every adding transaction therefore takes this lock (held until it ends), so ids are drawn in
// commit order, as SQLite's single writer gives for free.
constexpr std::string_view kAddOrderLock = "SELECT pg_advisory_xact_lock(7305747128)";

constexpr std::string_view kInsert =
    "INSERT INTO velocity_outbox (topic, key, payload, headers, created_ms) VALUES (?, ?, ?, ?, ?)";

// ids as a PostgreSQL array literal, bound as one parameter.
std::string id_array(std::span<const int64_t> ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

class SqlOutboxStore final : public OutboxStore {
 public:
  explicit SqlOutboxStore(Database& db) : db_(db), postgres_(db.dialect() == SqlDialect::kPostgres) {}

  Result<Transaction> begin() override { return db_.begin(); }

  Result<int64_t> add(Transaction& tx, const Message& message, StoreClock::time_point now) override {
    if (postgres_) {
      if (auto locked = tx.execute(kAddOrderLock); !locked) return std::unexpected(locked.error());
    }
    const auto traced = store::with_current_trace(message);
    std::string headers = store::encode_headers(traced ? traced->headers : message.headers);
    if (!postgres_) {
      // Not RETURNING: SQLite collects returned rows in a temporary b-tree, which costs about
      // as much as the insert itself; the connection's last rowid is the id.
      auto inserted = tx.execute(kInsert, message.topic, Blob{message.key}, Blob{message.payload}, Blob{headers},
                                 store::to_ms(now));
      if (!inserted) return std::unexpected(inserted.error());
      return tx.last_insert_id();
    }
    auto stmt = tx.query(std::string(kInsert) + " RETURNING id", message.topic, Blob{message.key},
                         Blob{message.payload}, Blob{headers}, store::to_ms(now));
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
    return update_ids(ids, "UPDATE velocity_outbox SET published_ms = ? WHERE", store::to_ms(now));
  }

  Result<void> record_failure(std::span<const int64_t> ids) override {
    return update_ids(ids, "UPDATE velocity_outbox SET attempts = attempts + 1 WHERE");
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
    // The oldest pending row is the first by id (ids follow insertion), found through the
    // pending index; MIN(created_ms) would read every pending row of the table.
    auto stmt = tx->query(
        "SELECT COUNT(*), (SELECT created_ms FROM velocity_outbox WHERE published_ms IS NULL "
        "ORDER BY id LIMIT 1) FROM velocity_outbox WHERE published_ms IS NULL");
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
  // `update` (an UPDATE ... WHERE) for every id, with `value` (if any) bound first, in one
  // transaction: on PostgreSQL one statement over an id array (each statement is a round trip
  // to the server), on SQLite one cached statement per run of consecutive ids (a relay pass
  // takes the oldest pending rows in id order, so usually one run).
  template <typename... Value>
  Result<void> update_ids(std::span<const int64_t> ids, std::string_view update, const Value&... value) {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    if (postgres_) {
      auto r = tx->execute(std::string(update) + " id = ANY (?::bigint[])", value..., id_array(ids));
      if (!r) return std::unexpected(r.error());
    } else {
      const std::string sql = std::string(update) + " id BETWEEN ? AND ?";
      std::vector<int64_t> sorted(ids.begin(), ids.end());
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      for (size_t first = 0; first < sorted.size();) {
        size_t last = first;
        while (last + 1 < sorted.size() && sorted[last + 1] == sorted[last] + 1) ++last;
        auto r = tx->execute(sql, value..., sorted[first], sorted[last]);
        if (!r) return std::unexpected(r.error());
        first = last + 1;
      }
    }
    return tx->commit();
  }

  Database& db_;
  const bool postgres_;
};

}  // namespace

Result<std::unique_ptr<OutboxStore>> make_outbox_store(Database& db) {
  if (auto r = db.execute_script(kSchema); !r) return std::unexpected(r.error());
  return std::make_unique<SqlOutboxStore>(db);
}

}  // namespace velocity
