#include "checker/read_only_db.h"

#include <sqlite3.h>

namespace velocity::checker {

std::unique_ptr<ReadOnlyDb> ReadOnlyDb::open(const std::filesystem::path& path, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    error = path.string() + " does not exist";
    return nullptr;
  }
  sqlite3* db = nullptr;
  const std::string uri = "file:" + path.string() + "?mode=ro";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
    error = path.string() + ": " + (db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<ReadOnlyDb>(new ReadOnlyDb(db));
}

ReadOnlyDb::~ReadOnlyDb() { sqlite3_close(db_); }

std::optional<std::vector<ReadOnlyDb::Row>> ReadOnlyDb::rows(const std::string& sql, std::string& error) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return std::nullopt;
  }
  std::vector<Row> out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return std::nullopt;
  return out;
}

std::filesystem::path service_db_path(const std::filesystem::path& data_dir, const std::string& service) {
  return data_dir / service / (service + ".db");
}

}  // namespace velocity::checker
