// Storage for a service's own data: one SQLite database file (WAL mode) or one PostgreSQL
// database behind a thin, safe interface — a Database, RAII Transactions and prepared statements
// whose values are always bound as parameters (written `?` for both engines), never spliced into
// SQL. A Database is thread-safe: each Transaction holds the database's lock from begin() until
// commit, rollback or destruction, so a thread must not begin a second transaction on the same
// Database while it holds one (that deadlocks).
// Format, durability and locking choices: docs/toolkit-store.md.
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "velocity/result.h"

namespace velocity {

namespace store {
class Engine;
class Rows;
}  // namespace store

// The clock of every stored time (milliseconds since the Unix epoch on disk).
using StoreClock = std::chrono::system_clock;

// Bytes bound as a BLOB rather than TEXT (payloads are not necessarily UTF-8).
struct Blob {
  std::string_view bytes;
};

// One value bound to a `?` placeholder. Views borrow: the bound value must outlive the call
// that binds it (true for arguments of execute/query, which copy into SQLite).
class SqlParam {
 public:
  using Value = std::variant<std::nullptr_t, int64_t, double, std::string_view, Blob>;

  SqlParam(std::nullptr_t) : value_(nullptr) {}
  template <std::integral T>
  SqlParam(T v) : value_(static_cast<int64_t>(v)) {}
  SqlParam(double v) : value_(v) {}
  SqlParam(std::string_view v) : value_(v) {}
  SqlParam(const std::string& v) : value_(std::string_view(v)) {}
  SqlParam(const char* v) : value_(std::string_view(v)) {}
  SqlParam(Blob v) : value_(v) {}
  template <typename T>
  SqlParam(const std::optional<T>& v) : SqlParam(nullptr) {
    if (v) *this = SqlParam(*v);
  }

  const Value& value() const { return value_; }

 private:
  Value value_;
};

// synchronous=FULL fsyncs the WAL at every commit, so a committed transaction survives power
// loss; kNormal survives a process crash (kill -9) but may lose the last commits on power loss.
// On PostgreSQL kFull is synchronous_commit=on and kNormal synchronous_commit=off (a crash of
// the service loses nothing; a crash of the server may lose the last commits).
enum class Durability { kFull, kNormal };

struct DatabaseOptions {
  Durability durability = Durability::kFull;
  // How long a writer waits for another connection (another process) holding the write lock
  // (on PostgreSQL: lock_timeout).
  std::chrono::milliseconds busy_timeout{5000};
};

// Which SQL a Database speaks beyond the shared subset (DDL, upserts); stores pick their
// statements by it. Placeholders are `?` for both.
enum class SqlDialect { kSqlite, kPostgres };

class Database;
class Transaction;

// A prepared statement's rows. Valid only while its Transaction is open; move-only.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Advances to the next row: true when one is available, false when done.
  [[nodiscard]] Result<bool> next();

  // Columns of the current row, counted from 0.
  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;  // TEXT or BLOB bytes, empty for NULL
  std::optional<int64_t> optional_int64(int column) const;

 private:
  friend class Transaction;
  explicit Statement(std::unique_ptr<store::Rows> rows);

  std::unique_ptr<store::Rows> rows_;
};

// An open transaction (SQLite: BEGIN IMMEDIATE, it takes the write lock at once, so it never
// fails half-way with a lock upgrade error). Destroying it without commit() rolls back.
// Move-only. On PostgreSQL a failed statement aborts the whole transaction: later statements and
// commit() fail, so a caller must not carry on after an error as it may on SQLite.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // Runs one statement to completion; returns the number of rows it changed.
  template <typename... Ps>
  [[nodiscard]] Result<int64_t> execute(std::string_view sql, const Ps&... params) {
    const std::array<SqlParam, sizeof...(Ps)> bound{SqlParam(params)...};
    return execute_bound(sql, bound);
  }

  // Prepares and binds a query; read its rows with Statement::next().
  template <typename... Ps>
  [[nodiscard]] Result<Statement> query(std::string_view sql, const Ps&... params) {
    const std::array<SqlParam, sizeof...(Ps)> bound{SqlParam(params)...};
    return query_bound(sql, bound);
  }

  [[nodiscard]] Result<Statement> query_bound(std::string_view sql,
                                              std::span<const SqlParam> params);
  [[nodiscard]] Result<int64_t> execute_bound(std::string_view sql,
                                              std::span<const SqlParam> params);

  // The rowid of the last INSERT on this database (PostgreSQL: lastval(), the value the last
  // sequence advanced to in this session; 0 when none has).
  int64_t last_insert_id() const;

  // Makes every write of this transaction durable (per the database's Durability) and releases
  // the lock. After an error the transaction is rolled back.
  [[nodiscard]] Result<void> commit();
  void rollback();
  bool open() const { return db_ != nullptr; }

 private:
  friend class Database;
  Transaction(Database* db, std::unique_lock<std::mutex> lock) : db_(db), lock_(std::move(lock)) {}

  Database* db_;
  std::unique_lock<std::mutex> lock_;
};

class Database {
 public:
  // Opens (creating if needed) the database file and switches it to WAL mode.
  [[nodiscard]] static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path,
                                                              DatabaseOptions options = {});
  // Connects to a PostgreSQL database: a libpq URL (postgresql://user@host:port/dbname?...) or
  // key=value connection string. One connection, used by one transaction at a time.
  [[nodiscard]] static Result<std::unique_ptr<Database>> connect_postgres(
      std::string_view url, DatabaseOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] Result<Transaction> begin();

  // Runs SQL without parameters, possibly several statements (schema creation), written for
  // SQLite: on PostgreSQL, INTEGER columns become BIGINT, INTEGER PRIMARY KEY AUTOINCREMENT an
  // identity column, WITHOUT ROWID is dropped, and concurrent scripts run one at a time.
  [[nodiscard]] Result<void> execute_script(std::string_view sql);

  // The SQLite file; empty for PostgreSQL.
  const std::filesystem::path& path() const { return path_; }
  SqlDialect dialect() const { return dialect_; }

 private:
  friend class Transaction;
  Database(std::filesystem::path path, SqlDialect dialect, std::unique_ptr<store::Engine> engine);

  std::filesystem::path path_;
  SqlDialect dialect_;
  std::unique_ptr<store::Engine> engine_;  // used only with mutex_ held
  std::mutex mutex_;
};

}  // namespace velocity
