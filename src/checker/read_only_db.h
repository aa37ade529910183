// A read-only SQLite connection to a service's database, for tools that look at a running or
// stopped store without ever writing to it (`velocity outbox`). Queries return rows of text.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace velocity::checker {

class ReadOnlyDb {
 public:
  // nullptr (with `error` set) when the file is missing or cannot be opened read-only.
  static std::unique_ptr<ReadOnlyDb> open(const std::filesystem::path& path, std::string& error);
  ~ReadOnlyDb();
  ReadOnlyDb(const ReadOnlyDb&) = delete;
  ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

  using Row = std::vector<std::string>;
  // nullopt (with `error` set) when the query fails, e.g. a table is missing.
  std::optional<std::vector<Row>> rows(const std::string& sql, std::string& error);

 private:
  explicit ReadOnlyDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// <data_dir>/<service>/<service>.db, where every service keeps its SQLite database.
std::filesystem::path service_db_path(const std::filesystem::path& data_dir, const std::string& service);

}  // namespace velocity::checker
