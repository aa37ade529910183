// The outbox and inbox stores on PostgreSQL, and the choice of store by a Database's dialect
// (Database::connect_postgres opens a PostgreSQL Database). The stores are thread-safe like the
// SQLite ones and pass the same conformance suite; the Database must outlive them.
// Tables and behaviour: docs/toolkit-store.md ("PostgreSQL").
#pragma once

#include <memory>

#include "velocity/inbox.h"
#include "velocity/outbox.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace velocity {

// Create their tables (velocity_outbox, velocity_inbox) if missing; kInvalidArgument when `db`
// is not a PostgreSQL Database.
[[nodiscard]] Result<std::unique_ptr<OutboxStore>> make_postgres_outbox_store(Database& db);
[[nodiscard]] Result<std::unique_ptr<InboxStore>> make_postgres_inbox_store(Database& db);

// The store for db.dialect(): the SQLite or the PostgreSQL one.
[[nodiscard]] Result<std::unique_ptr<OutboxStore>> make_outbox_store(Database& db);
[[nodiscard]] Result<std::unique_ptr<InboxStore>> make_inbox_store(Database& db);

}  // namespace velocity
