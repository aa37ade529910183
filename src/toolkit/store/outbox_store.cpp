// OutboxStore on SQLite or PostgreSQL (one schema text; the PostgreSQL engine adapts it).
// Table layout and PostgreSQL's ordering lock: docs/toolkit-store.md.
#include <algorithm>
#include <array>
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
//
// A row is written once. Whether it is published is kept beside it, in two narrow tables, so
// that marking a batch published touches a page or two instead of rewriting every ~300-byte row
// (and with it every page of the batch, a second time in the WAL):
// - velocity_outbox_queue holds the id of every row not yet published: the relay's work list;
// - velocity_outbox_sent holds one line per run of consecutive ids published together, with the
//   time, which is what retention goes by.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS velocity_outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  topic      TEXT    NOT NULL,
  key        BLOB    NOT NULL,
  payload    BLOB    NOT NULL,
  headers    BLOB    NOT NULL,
  created_ms INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS velocity_outbox_queue (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS velocity_outbox_sent (
  first_id     INTEGER NOT NULL,
  last_id      INTEGER NOT NULL,
  published_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS velocity_outbox_sent_time ON velocity_outbox_sent (published_ms);
)sql";

// Outboxes written before the queue and sent tables kept a published_ms column in each row,
// with two partial indexes over it. Opening one moves that state into the narrow tables.
constexpr std::array<std::string_view, 5> kMigrateFromPublishedColumn = {
    "INSERT INTO velocity_outbox_queue (id) SELECT id FROM velocity_outbox WHERE published_ms IS NULL",
    "INSERT INTO velocity_outbox_sent (first_id, last_id, published_ms) "
    "SELECT id, id, published_ms FROM velocity_outbox WHERE published_ms IS NOT NULL",
    "DROP INDEX IF EXISTS velocity_outbox_pending",
    "DROP INDEX IF EXISTS velocity_outbox_published",
    "ALTER TABLE velocity_outbox DROP COLUMN published_ms",
};

// On PostgreSQL an identity value is drawn at INSERT, not at COMMIT: two transactions on
// different connections could commit in the opposite order of their ids, and a relay reading
// between the two commits would publish the higher id first — out of order for a shared key.
// Every adding transaction therefore takes this lock (held until it ends), so ids are drawn in
// commit order, as SQLite's single writer gives for free.
constexpr std::string_view kAddOrderLock = "SELECT pg_advisory_xact_lock(7305747128)";

constexpr std::string_view kInsert =
    "INSERT INTO velocity_outbox (topic, key, payload, headers, created_ms) VALUES (?, ?, ?, ?, ?)";
constexpr std::string_view kEnqueue = "INSERT INTO velocity_outbox_queue (id) VALUES (?)";

// The pending rows, oldest first: the queue in id order, each joined to its row.
constexpr std::string_view kPending =
    "SELECT o.id, o.topic, o.key, o.payload, o.headers, o.created_ms, o.attempts "
    "FROM velocity_outbox_queue q JOIN velocity_outbox o ON o.id = q.id ORDER BY q.id LIMIT ?";
// How many are pending, and since when: the oldest is the first queued id (ids follow insertion).
constexpr std::string_view kBacklog =
    "SELECT (SELECT COUNT(*) FROM velocity_outbox_queue), (SELECT o.created_ms FROM velocity_outbox_queue q "
    "JOIN velocity_outbox o ON o.id = q.id ORDER BY q.id LIMIT 1)";

// ids as a PostgreSQL array literal, bound as one parameter.
template <typename Ids>
std::string id_array(const Ids& ids) {
  std::string out = "{";
  for (auto id : ids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  return out + "}";
}

struct IdRun {
  int64_t first = 0;
  int64_t last = 0;
};

// `ids` (any order, repeats allowed) as runs of consecutive ids, lowest first. A relay pass takes
// the oldest pending rows in id order, so its ids are usually one run.
std::vector<IdRun> id_runs(std::span<const int64_t> ids) {
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<IdRun> runs;
  for (int64_t id : sorted) {
    if (!runs.empty() && runs.back().last + 1 == id) {
      runs.back().last = id;
    } else {
      runs.push_back({id, id});
    }
  }
  return runs;
}

// Moves an outbox written with a published_ms column to the queue and sent tables, once: the
// check runs inside the transaction, so two processes opening the same old file migrate it once.
Result<void> migrate_published_column(Database& db) {
  auto tx = db.begin();
  if (!tx) return std::unexpected(tx.error());
  {
    // Its own scope: SQLite drops nothing while a statement is still open.
    auto found = tx->query(db.dialect() == SqlDialect::kPostgres
                               ? "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                                 "current_schema() AND table_name = 'velocity_outbox' AND column_name = 'published_ms'"
                               : "SELECT COUNT(*) FROM pragma_table_info('velocity_outbox') WHERE name = 'published_ms'");
    if (!found) return std::unexpected(found.error());
    auto row = found->next();
    if (!row) return std::unexpected(row.error());
    if (!*row || found->int64(0) == 0) return {};
  }
  for (std::string_view step : kMigrateFromPublishedColumn) {
    if (auto r = tx->execute(step); !r) return std::unexpected(r.error());
  }
  return tx->commit();
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
    auto id = insert(tx, message, headers, now);
    if (!id) return id;
    if (auto queued = tx.execute(kEnqueue, *id); !queued) return std::unexpected(queued.error());
    return id;
  }

  Result<std::vector<OutboxRow>> pending(size_t limit) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto stmt = tx->query(kPending, static_cast<int64_t>(limit));
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

  // Takes the ids off the queue and records each run of them as sent at `now`; the rows
  // themselves are not touched.
  Result<void> mark_published(std::span<const int64_t> ids, StoreClock::time_point now) override {
    const auto runs = id_runs(ids);
    if (runs.empty()) return {};
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    const int64_t now_ms = store::to_ms(now);
    if (postgres_) {
      // Two statements whatever the number of runs: each is a round trip to the server.
      std::vector<int64_t> firsts;
      std::vector<int64_t> lasts;
      for (const auto& run : runs) {
        firsts.push_back(run.first);
        lasts.push_back(run.last);
      }
      auto dequeued = tx->execute("DELETE FROM velocity_outbox_queue WHERE id = ANY (?::bigint[])", id_array(ids));
      if (!dequeued) return std::unexpected(dequeued.error());
      auto sent = tx->execute(
          "INSERT INTO velocity_outbox_sent (first_id, last_id, published_ms) "
          "SELECT f, l, ? FROM unnest(?::bigint[], ?::bigint[]) AS r (f, l)",
          now_ms, id_array(firsts), id_array(lasts));
      if (!sent) return std::unexpected(sent.error());
      return tx->commit();
    }
    for (const auto& run : runs) {
      auto dequeued = tx->execute("DELETE FROM velocity_outbox_queue WHERE id BETWEEN ? AND ?", run.first, run.last);
      if (!dequeued) return std::unexpected(dequeued.error());
      auto sent = tx->execute("INSERT INTO velocity_outbox_sent (first_id, last_id, published_ms) VALUES (?, ?, ?)",
                              run.first, run.last, now_ms);
      if (!sent) return std::unexpected(sent.error());
    }
    return tx->commit();
  }

  Result<void> record_failure(std::span<const int64_t> ids) override {
    const auto runs = id_runs(ids);
    if (runs.empty()) return {};
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    if (postgres_) {
      auto r = tx->execute("UPDATE velocity_outbox SET attempts = attempts + 1 WHERE id = ANY (?::bigint[])",
                           id_array(ids));
      if (!r) return std::unexpected(r.error());
    } else {
      for (const auto& run : runs) {
        auto r = tx->execute("UPDATE velocity_outbox SET attempts = attempts + 1 WHERE id BETWEEN ? AND ?", run.first,
                             run.last);
        if (!r) return std::unexpected(r.error());
      }
    }
    return tx->commit();
  }

  // Deletes the rows of every run sent before `cutoff`, then the runs.
  Result<int64_t> delete_published_before(StoreClock::time_point cutoff) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    const int64_t cutoff_ms = store::to_ms(cutoff);
    std::vector<IdRun> runs;
    {
      auto stmt = tx->query("SELECT first_id, last_id FROM velocity_outbox_sent WHERE published_ms < ?", cutoff_ms);
      if (!stmt) return std::unexpected(stmt.error());
      for (;;) {
        auto more = stmt->next();
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        runs.push_back({stmt->int64(0), stmt->int64(1)});
      }
    }
    int64_t deleted = 0;
    for (const auto& run : runs) {
      auto rows = tx->execute("DELETE FROM velocity_outbox WHERE id BETWEEN ? AND ?", run.first, run.last);
      if (!rows) return rows;
      deleted += *rows;
    }
    if (auto r = tx->execute("DELETE FROM velocity_outbox_sent WHERE published_ms < ?", cutoff_ms); !r) return r;
    if (auto c = tx->commit(); !c) return std::unexpected(c.error());
    return deleted;
  }

  Result<OutboxBacklog> backlog(StoreClock::time_point now) override {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto stmt = tx->query(kBacklog);
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
  // The row's id. SQLite: not RETURNING, which collects returned rows in a temporary b-tree
  // costing about as much as the insert itself; the connection's last rowid is the id.
  Result<int64_t> insert(Transaction& tx, const Message& message, const std::string& headers,
                         StoreClock::time_point now) {
    if (!postgres_) {
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

  Database& db_;
  const bool postgres_;
};

}  // namespace

Result<std::unique_ptr<OutboxStore>> make_outbox_store(Database& db) {
  if (auto r = db.execute_script(kSchema); !r) return std::unexpected(r.error());
  if (auto r = migrate_published_column(db); !r) return std::unexpected(r.error());
  return std::make_unique<SqlOutboxStore>(db);
}

}  // namespace velocity
