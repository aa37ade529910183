// SagaStore on SQLite or PostgreSQL. Table layout: docs/toolkit-store.md.
#include <vector>

#include "common/log.h"
#include "toolkit/store/time_ms.h"
#include "velocity/saga.h"

namespace velocity {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS velocity_saga (
  id         TEXT    PRIMARY KEY,
  type       TEXT    NOT NULL,
  state      TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS velocity_saga_timer (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  saga_id TEXT    NOT NULL,
  name    TEXT    NOT NULL,
  due_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS velocity_saga_timer_due ON velocity_saga_timer (due_ms, id);
CREATE INDEX IF NOT EXISTS velocity_saga_timer_saga ON velocity_saga_timer (saga_id, name);
)sql";

int64_t now_ms() { return store::to_ms(std::chrono::system_clock::now()); }

}  // namespace

Result<std::unique_ptr<SagaStore>> SagaStore::open(Database& db) {
  if (auto r = db.execute_script(kSchema); !r) return std::unexpected(r.error());
  return std::unique_ptr<SagaStore>(new SagaStore(db));
}

Result<SagaInstance> SagaStore::create(Transaction& tx, std::string_view id, std::string_view type,
                                       std::string_view state) {
  auto r = tx.execute("INSERT INTO velocity_saga (id, type, state, version, updated_ms) VALUES (?, ?, ?, 1, ?)", id,
                      type, state, now_ms());
  if (!r) {
    if (r.error().code == ErrorCode::kAlreadyExists) {
      return fail(ErrorCode::kAlreadyExists, "saga " + std::string(id) + " exists");
    }
    return std::unexpected(r.error());
  }
  return SagaInstance{std::string(id), std::string(type), std::string(state), 1};
}

Result<std::optional<SagaInstance>> SagaStore::load(Transaction& tx, std::string_view id) {
  auto stmt = tx.query("SELECT type, state, version FROM velocity_saga WHERE id = ?", id);
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->next();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<SagaInstance>();
  return SagaInstance{std::string(id), stmt->text(0), stmt->text(1), stmt->int64(2)};
}

Result<void> SagaStore::save(Transaction& tx, SagaInstance& instance) {
  auto changed = tx.execute("UPDATE velocity_saga SET state = ?, version = version + 1, updated_ms = ? "
                            "WHERE id = ? AND version = ?",
                            instance.state, now_ms(), instance.id, instance.version);
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) {
    return fail(ErrorCode::kFenced, "saga " + instance.id + " version " + std::to_string(instance.version) +
                                        " is not the stored one (saved concurrently, or removed)");
  }
  ++instance.version;
  return {};
}

Result<void> SagaStore::remove(Transaction& tx, std::string_view id) {
  if (auto r = tx.execute("DELETE FROM velocity_saga_timer WHERE saga_id = ?", id); !r) return std::unexpected(r.error());
  if (auto r = tx.execute("DELETE FROM velocity_saga WHERE id = ?", id); !r) return std::unexpected(r.error());
  return {};
}

Result<int64_t> SagaStore::schedule(Transaction& tx, std::string_view saga_id,
                                    std::chrono::system_clock::time_point due, std::string_view name) {
  auto r = tx.execute("INSERT INTO velocity_saga_timer (saga_id, name, due_ms) VALUES (?, ?, ?)", saga_id, name,
                      store::to_ms(due));
  if (!r) return std::unexpected(r.error());
  return tx.last_insert_id();
}

Result<int64_t> SagaStore::cancel(Transaction& tx, std::string_view saga_id, std::string_view name) {
  return tx.execute("DELETE FROM velocity_saga_timer WHERE saga_id = ? AND name = ?", saga_id, name);
}

Result<std::optional<std::chrono::system_clock::time_point>> SagaStore::next_due() {
  auto tx = db_.begin();
  if (!tx) return std::unexpected(tx.error());
  auto stmt = tx->query("SELECT MIN(due_ms) FROM velocity_saga_timer");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->next();
  if (!row) return std::unexpected(row.error());
  auto due = stmt->optional_int64(0);
  if (!due) return std::optional<std::chrono::system_clock::time_point>();
  return std::optional(store::from_ms(*due));
}

Result<SagaStore::FireResult> SagaStore::fire_due(std::chrono::system_clock::time_point now,
                                                  const TimerHandler& handler, size_t limit) {
  std::vector<SagaTimer> due;
  {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    auto stmt = tx->query("SELECT id, saga_id, name, due_ms FROM velocity_saga_timer WHERE due_ms <= ? "
                          "ORDER BY due_ms, id LIMIT ?",
                          store::to_ms(now), static_cast<int64_t>(limit));
    if (!stmt) return std::unexpected(stmt.error());
    for (;;) {
      auto row = stmt->next();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      due.push_back(SagaTimer{stmt->int64(0), stmt->text(1), stmt->text(2), store::from_ms(stmt->int64(3))});
    }
  }
  FireResult result;
  for (const auto& timer : due) {
    auto tx = db_.begin();
    if (!tx) return std::unexpected(tx.error());
    // The delete decides who fires: a timer cancelled (or fired by another connection) since
    // the select above changes no row and is skipped.
    auto deleted = tx->execute("DELETE FROM velocity_saga_timer WHERE id = ?", timer.id);
    if (!deleted) return std::unexpected(deleted.error());
    if (*deleted != 1) continue;
    if (auto r = handler(*tx, timer); !r) {
      log::warn("saga timer {} of saga {} failed, will fire again: {}", timer.name, timer.saga_id, r.error().message());
      ++result.failed;
      continue;  // the destructor rolls back: the row is back
    }
    if (auto r = tx->commit(); !r) return std::unexpected(r.error());
    ++result.fired;
  }
  return result;
}

}  // namespace velocity
