// The SQLite engine behind Database: one connection in WAL mode, prepared statements cached per
// SQL text. Durability and locking choices: docs/toolkit-store.md.
#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "toolkit/store/engine.h"

namespace velocity::store {
namespace {

ErrorCode code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorCode::kAlreadyExists;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kTimeout;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kCorrupt;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return ErrorCode::kIo;
    case SQLITE_TOOBIG:
      return ErrorCode::kTooLarge;
    default:
      return ErrorCode::kInternal;
  }
}

int bind(sqlite3_stmt* stmt, int index, const SqlParam& param) {
  return std::visit(
      [&](const auto& v) -> int {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::nullptr_t>) {
          return sqlite3_bind_null(stmt, index);
        } else if constexpr (std::is_same_v<V, int64_t>) {
          return sqlite3_bind_int64(stmt, index, v);
        } else if constexpr (std::is_same_v<V, double>) {
          return sqlite3_bind_double(stmt, index, v);
        } else if constexpr (std::is_same_v<V, std::string_view>) {
          return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
        } else {
          // A zero-length blob from a null pointer would bind NULL; keep it an empty blob.
          static const char kEmpty = 0;
          const char* data = v.bytes.data() ? v.bytes.data() : &kEmpty;
          return sqlite3_bind_blob64(stmt, index, data, v.bytes.size(), SQLITE_TRANSIENT);
        }
      },
      param.value());
}

class SqliteEngine;

class SqliteRows final : public Rows {
 public:
  SqliteRows(SqliteEngine& engine, sqlite3_stmt* stmt, bool cached)
      : engine_(engine), stmt_(stmt), cached_(cached) {}
  ~SqliteRows() override;

  Result<bool> next() override;
  bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string text(int column) const override {
    // Ask for the bytes first: sqlite3_column_bytes after the pointer call keeps the same format.
    const void* data = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    if (!data || size <= 0) return {};
    return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
  }

 private:
  SqliteEngine& engine_;
  sqlite3_stmt* stmt_;
  bool cached_;
};

class SqliteEngine final : public Engine {
 public:
  SqliteEngine(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  ~SqliteEngine() override {
    for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.stmt);
    sqlite3_close_v2(db_);
  }

  // BEGIN and COMMIT run as cached statements too: sqlite3_exec would parse them every time.
  Result<void> begin() override {
    if (auto r = execute("BEGIN IMMEDIATE", {}); !r) return std::unexpected(r.error());
    return {};
  }

  Result<void> commit() override {
    if (auto r = execute("COMMIT", {}); !r) {
      rollback();
      return std::unexpected(r.error());
    }
    return {};
  }

  void rollback() override {
    // After some errors SQLite has already rolled back; ROLLBACK then fails harmlessly.
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  Result<std::unique_ptr<Rows>> query(std::string_view sql,
                                      std::span<const SqlParam> params) override;

  Result<int64_t> execute(std::string_view sql, std::span<const SqlParam> params) override {
    auto rows = query(sql, params);
    if (!rows) return std::unexpected(rows.error());
    for (;;) {
      auto row = (*rows)->next();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
    }
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  int64_t last_insert_id() override { return sqlite3_last_insert_rowid(db_); }

  Result<void> execute_script(std::string_view sql) override {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string what = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      return fail(code_for(rc), "execute script on " + path_.string() + ": " + what);
    }
    return {};
  }

  Error error(std::string_view what, int rc) const {
    return Error{code_for(rc),
                 std::string(what) + " on " + path_.string() + ": " + sqlite3_errmsg(db_)};
  }

  void release(sqlite3_stmt* stmt, bool cached) {
    if (!cached) {
      sqlite3_finalize(stmt);
      return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    by_stmt_.at(stmt)->in_use = false;
  }

 private:
  // Prepared statements are kept per SQL text: services run the same few statements for every
  // event, and preparing dominates the cost of a small insert. A statement already handed out
  // (the same SQL used twice at once in one transaction) is prepared afresh and finalized later.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  std::filesystem::path path_;
  sqlite3* db_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
  std::unordered_map<sqlite3_stmt*, Entry*> by_stmt_;
};

SqliteRows::~SqliteRows() {
  engine_.release(stmt_, cached_);
}

Result<bool> SqliteRows::next() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(engine_.error("step '" + std::string(sqlite3_sql(stmt_)) + "'", rc));
}

Result<std::unique_ptr<Rows>> SqliteEngine::query(std::string_view sql,
                                                  std::span<const SqlParam> params) {
  sqlite3_stmt* stmt = nullptr;
  bool cached = false;
  auto found = entries_.find(sql);
  if (found != entries_.end() && !found->second.in_use) {
    stmt = found->second.stmt;
    found->second.in_use = true;
    cached = true;
  } else {
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(error("prepare '" + std::string(sql) + "'", rc));
    if (found == entries_.end()) {
      auto [it, inserted] = entries_.emplace(std::string(sql), Entry{stmt, true});
      by_stmt_[stmt] = &it->second;
      cached = true;
    }
  }
  auto rows = std::make_unique<SqliteRows>(*this, stmt, cached);
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return fail(ErrorCode::kInvalidArgument,
                "statement '" + std::string(sql) + "' takes " +
                    std::to_string(sqlite3_bind_parameter_count(stmt)) + " parameters, got " +
                    std::to_string(params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    int rc = bind(stmt, static_cast<int>(i) + 1, params[i]);
    if (rc != SQLITE_OK) return std::unexpected(error("bind parameter", rc));
  }
  return std::unique_ptr<Rows>(std::move(rows));
}

}  // namespace

Result<std::unique_ptr<Engine>> open_sqlite_engine(const std::filesystem::path& path,
                                                   const DatabaseOptions& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: Database's own mutex serialises every use of the connection, so SQLite's per-call
  // locking would only add cost.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return fail(code_for(rc), "open database " + path.string() + ": " + message);
  }
  auto engine = std::make_unique<SqliteEngine>(path, raw);
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  sqlite3_extended_result_codes(raw, 1);

  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += options.durability == Durability::kFull ? "FULL;" : "NORMAL;";
  if (auto r = engine->execute_script(pragmas); !r) return std::unexpected(r.error());

  // journal_mode silently stays "delete" on file systems without shared memory; refuse that,
  // since concurrent readers and our durability reasoning both assume WAL.
  {
    auto rows = engine->query("PRAGMA journal_mode", {});
    if (!rows) return std::unexpected(rows.error());
    auto row = (*rows)->next();
    if (!row) return std::unexpected(row.error());
    if (!*row || (*rows)->text(0) != "wal") {
      return fail(ErrorCode::kUnsupported,
                  "database " + path.string() + " cannot use WAL journal mode");
    }
  }
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace velocity::store
