// What a database engine (SQLite, PostgreSQL) provides to Database, Transaction and Statement.
// Internal to the store library. Not thread-safe: Database calls an Engine only with its mutex
// held, and a Rows only while the Transaction that made it is open.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "velocity/result.h"
#include "velocity/store.h"

namespace velocity::store {

// The rows of one bound statement; destroying it releases the statement.
class Rows {
 public:
  virtual ~Rows() = default;
  // Advances to the next row: true when one is available, false when done.
  [[nodiscard]] virtual Result<bool> next() = 0;
  virtual bool is_null(int column) const = 0;
  virtual int64_t int64(int column) const = 0;
  virtual double real(int column) const = 0;
  virtual std::string text(int column) const = 0;  // TEXT or BLOB bytes, empty for NULL
};

class Engine {
 public:
  virtual ~Engine() = default;
  [[nodiscard]] virtual Result<void> begin() = 0;
  // After an error the transaction is rolled back.
  [[nodiscard]] virtual Result<void> commit() = 0;
  virtual void rollback() = 0;
  // `sql` uses `?` placeholders; the count of `params` must match them (else kInvalidArgument).
  [[nodiscard]] virtual Result<std::unique_ptr<Rows>> query(std::string_view sql,
                                                            std::span<const SqlParam> params) = 0;
  // Runs one statement to completion; returns the number of rows it changed.
  [[nodiscard]] virtual Result<int64_t> execute(std::string_view sql,
                                                std::span<const SqlParam> params) = 0;
  virtual int64_t last_insert_id() = 0;
  // SQL without parameters, possibly several statements.
  [[nodiscard]] virtual Result<void> execute_script(std::string_view sql) = 0;
};

[[nodiscard]] Result<std::unique_ptr<Engine>> open_sqlite_engine(const std::filesystem::path& path,
                                                                 const DatabaseOptions& options);
[[nodiscard]] Result<std::unique_ptr<Engine>> connect_postgres_engine(
    std::string_view url, const DatabaseOptions& options);

}  // namespace velocity::store
