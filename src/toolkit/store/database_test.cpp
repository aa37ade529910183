#include <gtest/gtest.h>

#include "toolkit/store/store_test_util.h"
#include "velocity/store.h"

namespace velocity {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_.file("db.sqlite"));
    ASSERT_TRUE(opened) << opened.error().message();
    db_ = std::move(*opened);
    ASSERT_TRUE(db_->execute_script("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, b BLOB, r REAL)"));
  }
  int64_t count() {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }

  testing::ScratchDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, ValuesAreBoundAsParametersNeverSpliced) {
  const std::string hostile = "x'); DROP TABLE t; --";
  const std::string binary("a\0b\xff", 4);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(tx->execute("INSERT INTO t (k, n, b, r) VALUES (?, ?, ?, ?)", hostile, 42, Blob{binary}, 2.5));
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
}

TEST_F(DatabaseTest, TransactionDestroyedWithoutCommitRollsBack) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "gone"));
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(DatabaseTest, CommittedRowsSurviveReopenInWalMode) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "kept", std::optional<int64_t>()));
    ASSERT_TRUE(tx->commit());
  }
  db_.reset();
  auto reopened = Database::open(dir_.file("db.sqlite"));
  ASSERT_TRUE(reopened);
  auto tx = (*reopened)->begin();
  auto stmt = tx->query("SELECT n FROM t WHERE k = ?", "kept");
  ASSERT_TRUE(stmt->next().value());
  EXPECT_TRUE(stmt->is_null(0));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("db.sqlite-wal")));
}

TEST_F(DatabaseTest, WrongParameterCountIsInvalidArgument) {
  auto tx = db_->begin();
  auto r = tx->execute("INSERT INTO t (k, n) VALUES (?, ?)", "only-one");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(DatabaseTest, ConstraintViolationIsAlreadyExistsAndLeavesTransactionUsable) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "a"));
  auto again = tx->execute("INSERT INTO t (k) VALUES (?)", "a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(tx->execute("INSERT INTO t (k) VALUES (?)", "b"));
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count(), 2);
}

TEST_F(DatabaseTest, SameStatementOpenTwiceInOneTransactionReadsIndependently) {
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

TEST_F(DatabaseTest, FinishedTransactionRefusesWork) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx->commit());
  auto r = tx->execute("INSERT INTO t (k) VALUES (?)", "late");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kClosed);
  EXPECT_EQ(count(), 0);
}

}  // namespace
}  // namespace velocity
