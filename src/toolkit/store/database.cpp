// Database, Transaction and Statement: the engine-neutral part. The engines are in
// sqlite_engine.cpp and postgres_engine.cpp.
#include <string>

#include "toolkit/store/engine.h"
#include "velocity/store.h"

namespace velocity {

// ---- Database ----

Database::Database(std::filesystem::path path, SqlDialect dialect,
                   std::unique_ptr<store::Engine> engine)
    : path_(std::move(path)), dialect_(dialect), engine_(std::move(engine)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                 DatabaseOptions options) {
  auto engine = store::open_sqlite_engine(path, options);
  if (!engine) return std::unexpected(engine.error());
  return std::unique_ptr<Database>(new Database(path, SqlDialect::kSqlite, std::move(*engine)));
}

Result<std::unique_ptr<Database>> Database::connect_postgres(std::string_view url,
                                                             DatabaseOptions options) {
  auto engine = store::connect_postgres_engine(url, options);
  if (!engine) return std::unexpected(engine.error());
  return std::unique_ptr<Database>(new Database({}, SqlDialect::kPostgres, std::move(*engine)));
}

Result<Transaction> Database::begin() {
  std::unique_lock lock(mutex_);
  if (auto r = engine_->begin(); !r) return std::unexpected(r.error());
  return Transaction(this, std::move(lock));
}

Result<void> Database::execute_script(std::string_view sql) {
  std::lock_guard lock(mutex_);
  return engine_->execute_script(sql);
}

// ---- Statement ----

Statement::Statement(std::unique_ptr<store::Rows> rows) : rows_(std::move(rows)) {}
Statement::Statement(Statement&& other) noexcept = default;
Statement::~Statement() = default;

Result<bool> Statement::next() {
  return rows_->next();
}
bool Statement::is_null(int column) const {
  return rows_->is_null(column);
}
int64_t Statement::int64(int column) const {
  return rows_->int64(column);
}
double Statement::real(int column) const {
  return rows_->real(column);
}
std::string Statement::text(int column) const {
  return rows_->text(column);
}

std::optional<int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

// ---- Transaction ----

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), lock_(std::move(other.lock_)) {
  other.db_ = nullptr;
}

Transaction::~Transaction() {
  rollback();
}

Result<Statement> Transaction::query_bound(std::string_view sql, std::span<const SqlParam> params) {
  if (!db_) return fail(ErrorCode::kClosed, "query on a finished transaction");
  auto rows = db_->engine_->query(sql, params);
  if (!rows) return std::unexpected(rows.error());
  return Statement(std::move(*rows));
}

Result<int64_t> Transaction::execute_bound(std::string_view sql, std::span<const SqlParam> params) {
  if (!db_) return fail(ErrorCode::kClosed, "execute on a finished transaction");
  return db_->engine_->execute(sql, params);
}

int64_t Transaction::last_insert_id() const {
  return db_ ? db_->engine_->last_insert_id() : 0;
}

Result<void> Transaction::commit() {
  if (!db_) return fail(ErrorCode::kClosed, "commit of a finished transaction");
  auto r = db_->engine_->commit();
  db_ = nullptr;
  lock_.unlock();
  return r;
}

void Transaction::rollback() {
  if (!db_) return;
  db_->engine_->rollback();
  db_ = nullptr;
  if (lock_.owns_lock()) lock_.unlock();
}

}  // namespace velocity
