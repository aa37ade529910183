// Database on PostgreSQL: what the engine promises beyond the store conformance suite. Every
// case runs against a real server (postgres_test_server.h) in a database of its own.
#include <gtest/gtest.h>

#include "toolkit/store/postgres_test_server.h"
#include "velocity/store.h"

namespace velocity {
namespace {

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::fresh_postgres_database();
    ASSERT_TRUE(url) << url.error().message();
    url_ = *url;
    auto opened = Database::connect_postgres(url_);
    ASSERT_TRUE(opened) << opened.error().message();
    db_ = std::move(*opened);
    ASSERT_TRUE(db_->execute_script(
        "CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, b BYTEA, r DOUBLE PRECISION)"));
  }
  int64_t count() {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }

  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_F(PostgresDatabaseTest, ValuesAreBoundAsParametersNeverSpliced) {
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

TEST_F(PostgresDatabaseTest, TransactionDestroyedWithoutCommitRollsBack) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "gone"));
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresDatabaseTest, CommittedRowsAreSeenByAnotherConnection) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "kept", 7));
    ASSERT_TRUE(tx->commit());
  }
  auto other = Database::connect_postgres(url_);
  ASSERT_TRUE(other) << other.error().message();
  auto tx = (*other)->begin();
  auto stmt = tx->query("SELECT n FROM t WHERE k = ?", "kept");
  ASSERT_TRUE(stmt->next().value());
  EXPECT_EQ(stmt->int64(0), 7);
}

TEST_F(PostgresDatabaseTest, ChangedRowCountIsReturned) {
  auto tx = db_->begin();
  ASSERT_EQ(tx->execute("INSERT INTO t (k, n) VALUES ('a', 1), ('b', 1), ('c', 2)").value_or(-1),
            3);
  EXPECT_EQ(tx->execute("UPDATE t SET r = ? WHERE n = ?", 0.5, 1).value_or(-1), 2);
  EXPECT_EQ(tx->execute("DELETE FROM t WHERE n = ?", 9).value_or(-1), 0);
}

TEST_F(PostgresDatabaseTest, WrongParameterCountIsInvalidArgument) {
  auto tx = db_->begin();
  auto r = tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "only-one");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  // Refused before reaching the server: the transaction is still usable.
  ASSERT_TRUE(tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "two", 2));
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count(), 1);
}

TEST_F(PostgresDatabaseTest, TextWithNulByteIsInvalidArgument) {
  auto tx = db_->begin();
  auto r = tx->execute("INSERT INTO t (k) VALUES (?)", std::string_view("a\0b", 3));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PostgresDatabaseTest, ConstraintViolationIsAlreadyExistsAndCommitReportsIt) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "a"));
  auto again = tx->execute("INSERT INTO t (k) VALUES (?)", "a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  // Unlike SQLite, PostgreSQL aborts the whole transaction: commit must not claim success.
  auto later = tx->execute("INSERT INTO t (k) VALUES (?)", "b");
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, ErrorCode::kFenced);
  auto committed = tx->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresDatabaseTest, SameStatementOpenTwiceInOneTransactionReadsIndependently) {
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

TEST_F(PostgresDatabaseTest, FinishedTransactionRefusesWork) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx->commit());
  auto r = tx->execute("INSERT INTO t (k) VALUES (?)", "late");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kClosed);
  EXPECT_EQ(count(), 0);
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
  auto relaxed =
      Database::connect_postgres(url_, DatabaseOptions{.durability = Durability::kNormal});
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
