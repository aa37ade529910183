// Database, Transaction and Statement: the cases every engine must pass run on SQLite and on a
// real PostgreSQL server (postgres_test_server.h), a new database each; what only one engine
// promises (SQLite's WAL file, PostgreSQL's aborted transactions, sequences and URLs) follows.
#include <gtest/gtest.h>

#include "toolkit/store/store_test_util.h"
#include "velocity/store.h"

namespace velocity {
namespace {

// One table `t` in a new database of the engine a case names.
class DatabaseFixture : public ::testing::Test {
 protected:
  void open(SqlDialect engine) {
    auto scratch = testing::create_scratch_database(engine, dir_);
    ASSERT_TRUE(scratch) << scratch.error().message();
    scratch_ = *scratch;
    auto opened = scratch_.connect();
    ASSERT_TRUE(opened) << opened.error().message();
    db_ = std::move(*opened);
    // PostgreSQL reads it as (TEXT, BIGINT, BYTEA, DOUBLE PRECISION).
    ASSERT_TRUE(db_->execute_script(
        "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, b BLOB, r DOUBLE PRECISION)"));
  }
  int64_t count() {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }
  // Inserts key `k` twice in `tx`; the second insert must fail as kAlreadyExists.
  static void insert_twice(Transaction& tx, const std::string& k) {
    ASSERT_TRUE(tx.execute("INSERT INTO t (k) VALUES (?)", k));
    auto again = tx.execute("INSERT INTO t (k) VALUES (?)", k);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  }

  testing::ScratchDir dir_;
  testing::ScratchDatabase scratch_;
  std::unique_ptr<Database> db_;
};

using DatabaseTest = testing::OnEachEngine<DatabaseFixture>;
using SqliteDatabaseTest = testing::OnEngine<DatabaseFixture, SqlDialect::kSqlite>;
using PostgresDatabaseTest = testing::OnEngine<DatabaseFixture, SqlDialect::kPostgres>;

TEST_P(DatabaseTest, ValuesAreBoundAsParametersNeverSpliced) {
  const std::string hostile = "x'); DROP TABLE t; --?";
  const std::string binary("a\0b\xff", 4);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(tx->execute("INSERT INTO t (k, n, b, r) VALUES (?, ?, ?, ?)", hostile, 42,
                            Blob{binary}, 2.5));
    ASSERT_TRUE(tx->execute("INSERT INTO t (k, n, b) VALUES (?, ?, ?)", "empty",
                            std::optional<int64_t>(), Blob{""}));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = db_->begin();
  auto stmt = tx->query("SELECT k, n, b, r FROM t WHERE k = ?", hostile);
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(stmt->next().value());
  EXPECT_EQ(stmt->text(0), hostile);
  EXPECT_EQ(stmt->int64(1), 42);
  EXPECT_EQ(stmt->text(2), binary);
  EXPECT_EQ(stmt->real(3), 2.5);
  EXPECT_FALSE(stmt->next().value());

  auto empty = tx->query("SELECT n, b, r FROM t WHERE k = ?", "empty");
  ASSERT_TRUE(empty->next().value());
  EXPECT_TRUE(empty->is_null(0));
  EXPECT_FALSE(empty->optional_int64(0).has_value());
  EXPECT_FALSE(empty->is_null(1));
  EXPECT_EQ(empty->text(1), "");
  EXPECT_TRUE(empty->is_null(2));
}

TEST_P(DatabaseTest, TransactionDestroyedWithoutCommitRollsBack) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "gone"));
  }
  EXPECT_EQ(count(), 0);
}

TEST_P(DatabaseTest, CommittedRowsAreSeenByAnotherConnection) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "kept", 7));
    ASSERT_TRUE(tx->commit());
  }
  auto other = scratch_.connect();
  ASSERT_TRUE(other) << other.error().message();
  auto tx = (*other)->begin();
  auto stmt = tx->query("SELECT n FROM t WHERE k = ?", "kept");
  ASSERT_TRUE(stmt->next().value());
  EXPECT_EQ(stmt->int64(0), 7);
}

TEST_P(DatabaseTest, ChangedRowCountIsReturned) {
  auto tx = db_->begin();
  ASSERT_EQ(tx->execute("INSERT INTO t (k, n) VALUES ('a', 1), ('b', 1), ('c', 2)").value_or(-1),
            3);
  EXPECT_EQ(tx->execute("UPDATE t SET r = ? WHERE n = ?", 0.5, 1).value_or(-1), 2);
  EXPECT_EQ(tx->execute("DELETE FROM t WHERE n = ?", 9).value_or(-1), 0);
}

TEST_P(DatabaseTest, WrongParameterCountIsInvalidArgument) {
  auto tx = db_->begin();
  auto r = tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "only-one");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  // Refused before reaching the engine: the transaction is still usable.
  ASSERT_TRUE(tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "two", 2));
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count(), 1);
}

TEST_P(DatabaseTest, SameStatementOpenTwiceInOneTransactionReadsIndependently) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx->execute("INSERT INTO t (k, n) VALUES ('a', 1), ('b', 2)"));
  auto outer = tx->query("SELECT n FROM t ORDER BY n");
  ASSERT_TRUE(outer->next().value());
  auto inner = tx->query("SELECT n FROM t ORDER BY n");
  ASSERT_TRUE(inner->next().value());
  ASSERT_TRUE(inner->next().value());
  EXPECT_EQ(inner->int64(0), 2);
  EXPECT_EQ(outer->int64(0), 1);
}

TEST_P(DatabaseTest, FinishedTransactionRefusesWork) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx->commit());
  auto r = tx->execute("INSERT INTO t (k) VALUES (?)", "late");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kClosed);
  EXPECT_EQ(count(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest,
                         ::testing::Values(SqlDialect::kSqlite, SqlDialect::kPostgres),
                         testing::engine_name);

TEST_F(SqliteDatabaseTest, CommittedRowsSurviveReopenInWalMode) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(
        tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "kept", std::optional<int64_t>()));
    ASSERT_TRUE(tx->commit());
  }
  db_.reset();
  auto reopened = scratch_.connect();
  ASSERT_TRUE(reopened);
  auto tx = (*reopened)->begin();
  auto stmt = tx->query("SELECT n FROM t WHERE k = ?", "kept");
  ASSERT_TRUE(stmt->next().value());
  EXPECT_TRUE(stmt->is_null(0));
  EXPECT_TRUE(std::filesystem::exists(scratch_.location + "-wal"));
}

TEST_F(SqliteDatabaseTest, ConstraintViolationIsAlreadyExistsAndLeavesTransactionUsable) {
  auto tx = db_->begin();
  ASSERT_NO_FATAL_FAILURE(insert_twice(*tx, "a"));
  ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "b"));
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count(), 2);
}

TEST_F(PostgresDatabaseTest, ConstraintViolationIsAlreadyExistsAndCommitReportsIt) {
  auto tx = db_->begin();
  ASSERT_NO_FATAL_FAILURE(insert_twice(*tx, "a"));
  // Unlike SQLite, PostgreSQL aborts the whole transaction: commit must not claim success.
  auto later = tx->execute("INSERT INTO t (k) VALUES (?)", "b");
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, ErrorCode::kFenced);
  auto committed = tx->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresDatabaseTest, TextWithNulByteIsInvalidArgument) {
  auto tx = db_->begin();
  auto r = tx->execute("INSERT INTO t (k) VALUES (?)", std::string_view("a\0b", 3));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PostgresDatabaseTest, LastInsertIdIsTheSequenceValueAndLeavesTransactionUsable) {
  ASSERT_TRUE(db_->execute_script("CREATE TABLE s (id BIGSERIAL PRIMARY KEY, v TEXT)"));
  auto tx = db_->begin();
  EXPECT_EQ(tx->last_insert_id(), 0);  // no sequence used yet in this session
  ASSERT_TRUE(tx->execute("INSERT INTO s (v) VALUES (?)", "x"));
  ASSERT_TRUE(tx->execute("INSERT INTO s (v) VALUES (?)", "y"));
  EXPECT_EQ(tx->last_insert_id(), 2);
  ASSERT_TRUE(tx->commit());
}

TEST_F(PostgresDatabaseTest, DurabilityMapsToSynchronousCommit) {
  auto show = [](Database& db) {
    auto tx = db.begin();
    auto stmt = tx->query("SHOW synchronous_commit");
    EXPECT_TRUE(stmt && stmt->next().value_or(false));
    return stmt ? stmt->text(0) : "";
  };
  EXPECT_EQ(show(*db_), "on");
  auto relaxed = scratch_.connect(DatabaseOptions{.durability = Durability::kNormal});
  ASSERT_TRUE(relaxed);
  EXPECT_EQ(show(**relaxed), "off");
  EXPECT_EQ((*relaxed)->dialect(), SqlDialect::kPostgres);
}

TEST(PostgresDatabase, MalformedUrlIsInvalidArgument) {
  auto db = Database::connect_postgres("postgresql://host:notaport:/x?nonsense=1");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
}

TEST(PostgresDatabase, UnreachableServerIsIoNamingTheTarget) {
  auto db = Database::connect_postgres(
      "postgresql:///nowhere?host=/nonexistent-socket-dir&connect_timeout=2");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kIo);
  EXPECT_NE(db.error().context.find("nowhere"), std::string::npos) << db.error().context;
}

}  // namespace
}  // namespace velocity
