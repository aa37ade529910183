// The PostgreSQL engine behind Database, on libpq: one connection, statements prepared once per
// SQL text (server-side, named), `?` placeholders numbered for the server, results in text
// format. Why each choice: docs/toolkit-store.md ("PostgreSQL").
#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "toolkit/store/engine.h"
#include "toolkit/store/postgres_sql.h"

namespace velocity::store {
namespace {

constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
ErrorCode code_for(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return ErrorCode::kIo;  // no state: the connection failed
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "23")
    return ErrorCode::kAlreadyExists;  // integrity constraint, as SQLite's CONSTRAINT
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014") {
    return ErrorCode::kTimeout;  // serialization failure, deadlock, lock timeout, statement timeout
  }
  if (sqlstate == "25P02") return ErrorCode::kFenced;  // an earlier error aborted the transaction
  if (cls == "08" || cls == "53" || cls == "58" || cls == "57") return ErrorCode::kIo;
  if (sqlstate == "54000") return ErrorCode::kTooLarge;
  if (sqlstate == "XX001" || sqlstate == "XX002") return ErrorCode::kCorrupt;
  return ErrorCode::kInternal;
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PostgresRows final : public Rows {
 public:
  explicit PostgresRows(ResultPtr result)
      : result_(std::move(result)), count_(PQntuples(result_.get())) {}

  Result<bool> next() override {
    if (row_ < count_) ++row_;
    return row_ < count_;
  }
  bool is_null(int column) const override {
    return !valid(column) || PQgetisnull(result_.get(), row_, column);
  }
  int64_t int64(int column) const override {
    if (is_null(column)) return 0;
    const char* v = PQgetvalue(result_.get(), row_, column);
    if (PQftype(result_.get(), column) == kBoolOid) return v[0] == 't' ? 1 : 0;
    int64_t out = 0;
    std::from_chars(v, v + PQgetlength(result_.get(), row_, column), out);
    return out;
  }
  double real(int column) const override {
    if (is_null(column)) return 0;
    return std::strtod(PQgetvalue(result_.get(), row_, column), nullptr);
  }
  std::string text(int column) const override {
    if (is_null(column)) return {};
    const char* v = PQgetvalue(result_.get(), row_, column);
    if (PQftype(result_.get(), column) != kByteaOid) {
      return std::string(v, static_cast<size_t>(PQgetlength(result_.get(), row_, column)));
    }
    size_t size = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &size);
    if (!bytes) return {};
    std::string out(reinterpret_cast<const char*>(bytes), size);
    PQfreemem(bytes);
    return out;
  }

 private:
  bool valid(int column) const {
    return row_ >= 0 && row_ < count_ && column >= 0 && column < PQnfields(result_.get());
  }

  ResultPtr result_;
  int count_;
  int row_ = -1;
};

// Parameters as libpq wants them: text for numbers and strings (the server infers each type from
// the statement, as SQLite accepts any value anywhere), binary for blobs (raw bytes, no escaping).
class BoundParams {
 public:
  Result<void> add(const SqlParam& param, size_t index) {
    return std::visit(
        [&](const auto& v) -> Result<void> {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::nullptr_t>) {
            push(nullptr, 0, 0);
          } else if constexpr (std::is_same_v<V, int64_t>) {
            push_text(std::to_string(v));
          } else if constexpr (std::is_same_v<V, double>) {
            if (std::isnan(v)) {
              push_text("NaN");
            } else if (std::isinf(v)) {
              push_text(v > 0 ? "Infinity" : "-Infinity");
            } else {
              char buffer[64];
              auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
              push_text(std::string(buffer, end));
            }
          } else if constexpr (std::is_same_v<V, std::string_view>) {
            if (v.find('\0') != std::string_view::npos) {
              return fail(ErrorCode::kInvalidArgument,
                          "parameter " + std::to_string(index + 1) +
                              " is text holding a NUL byte (bind it as a Blob)");
            }
            push_text(std::string(v));
          } else {
            static const char kEmpty = 0;
            push(v.bytes.data() ? v.bytes.data() : &kEmpty, static_cast<int>(v.bytes.size()), 1);
          }
          return {};
        },
        param.value());
  }
  void finish() {
    // Text values are kept in storage_, which no longer grows: take their pointers now.
    for (size_t i = 0, s = 0; i < values_.size(); ++i) {
      if (text_slot_[i]) values_[i] = storage_[s++].c_str();
    }
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void push(const char* value, int length, int format) {
    values_.push_back(value);
    lengths_.push_back(length);
    formats_.push_back(format);
    text_slot_.push_back(false);
  }
  void push_text(std::string value) {
    storage_.push_back(std::move(value));
    push(nullptr, 0, 0);
    text_slot_.back() = true;
  }

  std::vector<std::string> storage_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<bool> text_slot_;
};

class PostgresEngine final : public Engine {
 public:
  PostgresEngine(PGconn* conn, DatabaseOptions options) : conn_(conn), options_(options) {
    where_ = std::string("postgresql database ") + PQdb(conn_) + " on " + PQhost(conn_) + ":" +
             PQport(conn_);
    // Notices ("relation already exists, skipping") would go to stderr; they are not errors.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresEngine() override { PQfinish(conn_); }

  Result<void> configure_session() {
    std::string settings = "SET client_encoding = 'UTF8'; SET lock_timeout = '" +
                           std::to_string(options_.busy_timeout.count()) +
                           "ms'; SET synchronous_commit = ";
    settings += options_.durability == Durability::kFull ? "on;" : "off;";
    return simple(settings, "configure session");
  }

  Result<void> begin() override {
    // A connection lost since the last transaction is re-established here, between transactions,
    // where nothing of the caller's work can be lost; its prepared statements went with it.
    if (PQstatus(conn_) != CONNECTION_OK) {
      PQreset(conn_);
      if (PQstatus(conn_) != CONNECTION_OK) {
        return fail(ErrorCode::kIo,
                    "reconnect to " + where_ + ": " + trimmed(PQerrorMessage(conn_)));
      }
      prepared_.clear();
      if (auto r = configure_session(); !r) return r;
    }
    return simple("BEGIN", "begin transaction");
  }

  Result<void> commit() override {
    // COMMIT of an aborted transaction answers ROLLBACK without an error: report the statement
    // that aborted it instead of pretending the commit succeeded.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      rollback();
      Error cause = first_error_.value_or(Error{ErrorCode::kFenced, "a statement failed"});
      return fail(cause.code,
                  "commit on " + where_ +
                      ": the transaction was rolled back by an earlier error: " + cause.context);
    }
    ResultPtr res(PQexec(conn_, "COMMIT"));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      Error e = error("commit", res.get());
      rollback();
      return std::unexpected(std::move(e));
    }
    if (std::string_view(PQcmdStatus(res.get())) != "COMMIT") {
      return fail(ErrorCode::kInternal,
                  "commit on " + where_ + " answered " + PQcmdStatus(res.get()));
    }
    return {};
  }

  void rollback() override {
    if (PQstatus(conn_) != CONNECTION_OK) return;  // the server already rolled it back
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) ResultPtr(PQexec(conn_, "ROLLBACK"));
  }

  Result<std::unique_ptr<Rows>> query(std::string_view sql,
                                      std::span<const SqlParam> params) override {
    auto res = run(sql, params);
    if (!res) return std::unexpected(res.error());
    return std::unique_ptr<Rows>(std::make_unique<PostgresRows>(std::move(*res)));
  }

  Result<int64_t> execute(std::string_view sql, std::span<const SqlParam> params) override {
    auto res = run(sql, params);
    if (!res) return std::unexpected(res.error());
    std::string_view tuples = PQcmdTuples(res->get());
    int64_t changed = 0;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), changed);
    return changed;
  }

  int64_t last_insert_id() override {
    // lastval() fails when no sequence was used in this session; keep that from aborting the
    // caller's transaction with a savepoint.
    if (!simple("SAVEPOINT velocity_lastval", "savepoint")) return 0;
    ResultPtr res(PQexec(conn_, "SELECT lastval()"));
    int64_t id = 0;
    if (res && PQresultStatus(res.get()) == PGRES_TUPLES_OK && PQntuples(res.get()) == 1) {
      const char* v = PQgetvalue(res.get(), 0, 0);
      std::from_chars(v, v + PQgetlength(res.get(), 0, 0), id);
      (void)simple("RELEASE SAVEPOINT velocity_lastval", "release savepoint");
    } else {
      (void)simple("ROLLBACK TO SAVEPOINT velocity_lastval", "rollback to savepoint");
    }
    return id;
  }

  // Schemas are written in SQLite's words (postgres_sql.h adapts them). One simple-query script
  // is one transaction, so the advisory lock taken first is held to its end: it serialises
  // schema creation by several processes, as CREATE ... IF NOT EXISTS races on the catalogue
  // otherwise.
  Result<void> execute_script(std::string_view sql) override {
    return simple("SELECT pg_advisory_xact_lock(7305747127);\n" + schema_from_sqlite(sql),
                  "execute script");
  }

 private:
  struct Prepared {
    std::string name;
    int placeholders = 0;
  };

  Result<void> simple(const std::string& sql, std::string_view what) {
    forget_recovered_error();
    ResultPtr res(PQexec(conn_, sql.c_str()));
    const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
      return std::unexpected(error(what, res.get()));
    }
    return {};
  }

  Result<ResultPtr> run(std::string_view sql, std::span<const SqlParam> params) {
    forget_recovered_error();
    auto found = prepared_.find(std::string(sql));
    if (found == prepared_.end()) {
      NumberedSql numbered = number_placeholders(sql);
      Prepared prepared{"velocity_" + std::to_string(prepared_.size() + 1), numbered.placeholders};
      if (static_cast<int>(params.size()) != prepared.placeholders)
        return wrong_count(sql, prepared, params);
      ResultPtr res(PQprepare(conn_, prepared.name.c_str(), numbered.text.c_str(), 0, nullptr));
      if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        return std::unexpected(error("prepare '" + std::string(sql) + "'", res.get()));
      }
      found = prepared_.emplace(std::string(sql), std::move(prepared)).first;
    }
    const Prepared& prepared = found->second;
    if (static_cast<int>(params.size()) != prepared.placeholders)
      return wrong_count(sql, prepared, params);
    BoundParams bound;
    for (size_t i = 0; i < params.size(); ++i) {
      if (auto r = bound.add(params[i], i); !r) {
        return fail(ErrorCode::kInvalidArgument,
                    "statement '" + std::string(sql) + "': " + r.error().context);
      }
    }
    bound.finish();
    ResultPtr res(PQexecPrepared(conn_, prepared.name.c_str(), bound.size(), bound.values(),
                                 bound.lengths(), bound.formats(), 0));
    const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return std::unexpected(error("run '" + std::string(sql) + "'", res.get()));
    }
    return res;
  }

  Result<ResultPtr> wrong_count(std::string_view sql, const Prepared& prepared,
                                std::span<const SqlParam> params) {
    return fail(ErrorCode::kInvalidArgument, "statement '" + std::string(sql) + "' takes " +
                                                 std::to_string(prepared.placeholders) +
                                                 " parameters, got " +
                                                 std::to_string(params.size()));
  }

  // A transaction no longer in the error state (ROLLBACK TO a savepoint recovered it) has no
  // aborting error any more.
  void forget_recovered_error() {
    if (PQtransactionStatus(conn_) != PQTRANS_INERROR) first_error_.reset();
  }

  Error error(std::string_view what, const PGresult* res) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = trimmed(res ? PQresultErrorMessage(res) : nullptr);
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    Error e{code_for(state ? state : ""), std::string(what) + " on " + where_ + ": " + message};
    if (!first_error_ && PQtransactionStatus(conn_) == PQTRANS_INERROR) first_error_ = e;
    return e;
  }

  PGconn* conn_;
  DatabaseOptions options_;
  std::string where_;
  std::unordered_map<std::string, Prepared> prepared_;
  std::optional<Error> first_error_;  // the statement that aborted the open transaction
};

}  // namespace

Result<std::unique_ptr<Engine>> connect_postgres_engine(std::string_view url,
                                                        const DatabaseOptions& options) {
  const std::string conninfo(url);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (!parsed) {
    std::string why = trimmed(parse_error);
    PQfreemem(parse_error);
    // The URL itself is not repeated: it may hold a password.
    return fail(ErrorCode::kInvalidArgument, "postgresql connection string: " + why);
  }
  PQconninfoFree(parsed);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn) return fail(ErrorCode::kInternal, "postgresql: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = std::string("connect to postgresql database ") + PQdb(conn) + " on " +
                      PQhost(conn) + ":" + PQport(conn) + ": " + trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(ErrorCode::kIo, why);
  }
  auto engine = std::make_unique<PostgresEngine>(conn, options);
  if (auto r = engine->configure_session(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace velocity::store
