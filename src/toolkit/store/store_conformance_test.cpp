// The cases the outbox and inbox stores must pass on every database engine (the instantiation at
// the bottom).
#include <gtest/gtest.h>

#include <thread>

#include "toolkit/store/store_test_util.h"
#include "velocity/inbox.h"
#include "velocity/outbox.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

const auto kT0 = StoreClock::time_point(std::chrono::milliseconds(1'700'000'000'000));

class StoreConformance : public ::testing::TestWithParam<SqlDialect> {
 protected:
  void SetUp() override {
    auto database = testing::create_scratch_database(GetParam(), dir_);
    ASSERT_TRUE(database) << database.error().message();
    database_ = *database;
    auto db = database_.connect();
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    auto outbox = make_outbox_store(*db_);
    ASSERT_TRUE(outbox) << outbox.error().message();
    outbox_ = std::move(*outbox);
    auto inbox = make_inbox_store(*db_);
    ASSERT_TRUE(inbox) << inbox.error().message();
    inbox_ = std::move(*inbox);
  }

  int64_t add(const std::string& key, const std::string& payload, StoreClock::time_point at = kT0) {
    auto tx = outbox_->begin();
    Message m{
        .topic = "orders", .key = key, .payload = payload, .headers = {{"ce_id", key + payload}}};
    auto id = outbox_->add(*tx, m, at);
    EXPECT_TRUE(id);
    EXPECT_TRUE(tx->commit());
    return id.value_or(-1);
  }

  std::vector<int64_t> pending_ids() {
    auto rows = outbox_->pending(1000);
    EXPECT_TRUE(rows);
    std::vector<int64_t> ids;
    for (const auto& r : rows.value_or(std::vector<OutboxRow>{})) ids.push_back(r.id);
    return ids;
  }

  testing::ScratchDir dir_;
  testing::ScratchDatabase database_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<OutboxStore> outbox_;
  std::unique_ptr<InboxStore> inbox_;
};

TEST_P(StoreConformance, OutboxRowsArePendingInAddOrderWithMessageIntact) {
  const std::string binary("\0\x01\xfe", 3);
  auto tx = outbox_->begin();
  Message first{.topic = "orders",
                .key = "o-1",
                .payload = binary,
                .headers = {{"ce_id", "e1"}, {"empty", ""}}};
  Message second{.topic = "payments", .key = "o-2", .payload = "{}", .headers = {}};
  auto id1 = outbox_->add(*tx, first, kT0);
  auto id2 = outbox_->add(*tx, second, kT0 + 5ms);
  ASSERT_TRUE(id1 && id2);
  ASSERT_TRUE(tx->commit());

  auto rows = outbox_->pending(10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_LT((*rows)[0].id, (*rows)[1].id);
  EXPECT_EQ((*rows)[0].message.topic, "orders");
  EXPECT_EQ((*rows)[0].message.key, "o-1");
  EXPECT_EQ((*rows)[0].message.payload, binary);
  EXPECT_EQ((*rows)[0].message.headers, first.headers);
  EXPECT_EQ((*rows)[0].created, kT0);
  EXPECT_EQ((*rows)[1].message.topic, "payments");
  EXPECT_TRUE((*rows)[1].message.headers.empty());
}

TEST_P(StoreConformance, OutboxRowOfRolledBackTransactionNeverExists) {
  {
    auto tx = outbox_->begin();
    ASSERT_TRUE(outbox_->add(*tx, Message{.topic = "t", .key = "k", .payload = "p"}, kT0));
    tx->rollback();
  }
  EXPECT_TRUE(pending_ids().empty());
}

TEST_P(StoreConformance, OutboxPendingHonoursLimitAndSkipsPublished) {
  int64_t a = add("k", "1");
  int64_t b = add("k", "2");
  int64_t c = add("k", "3");
  auto limited = outbox_->pending(2);
  ASSERT_TRUE(limited);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].id, b);
  std::vector<int64_t> done{a};
  ASSERT_TRUE(outbox_->mark_published(done, kT0));
  EXPECT_EQ(pending_ids(), (std::vector<int64_t>{b, c}));
}

TEST_P(StoreConformance, OutboxMarksExactlyTheListedRowsInAnyOrderAndWithGaps) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(add("k", std::to_string(i)));
  // Two runs of consecutive ids and a lone one, out of order and with a repeat; ids[2] and
  // ids[5] stay pending between them.
  std::vector<int64_t> done{ids[4], ids[0], ids[6], ids[1], ids[3], ids[0]};
  ASSERT_TRUE(outbox_->mark_published(done, kT0));
  EXPECT_EQ(pending_ids(), (std::vector<int64_t>{ids[2], ids[5]}));
  std::vector<int64_t> failed{ids[5], ids[5]};
  ASSERT_TRUE(outbox_->record_failure(failed));
  auto rows = outbox_->pending(10);
  ASSERT_TRUE(rows && rows->size() == 2);
  EXPECT_EQ((*rows)[0].attempts, 0);
  EXPECT_EQ((*rows)[1].attempts, 1);  // once per call, however often it is listed
}

TEST_P(StoreConformance, OutboxFailuresAreCounted) {
  int64_t a = add("k", "1");
  std::vector<int64_t> ids{a};
  ASSERT_TRUE(outbox_->record_failure(ids));
  ASSERT_TRUE(outbox_->record_failure(ids));
  auto rows = outbox_->pending(1);
  ASSERT_TRUE(rows && rows->size() == 1);
  EXPECT_EQ((*rows)[0].attempts, 2);
}

TEST_P(StoreConformance, OutboxBacklogCountsPendingAndAgesTheOldest) {
  auto empty = outbox_->backlog(kT0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->pending, 0);
  EXPECT_EQ(empty->oldest_age, 0ms);

  int64_t a = add("k", "1", kT0);
  add("k", "2", kT0 + 3s);
  auto both = outbox_->backlog(kT0 + 10s);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->pending, 2);
  EXPECT_EQ(both->oldest_age, 10s);

  std::vector<int64_t> done{a};
  ASSERT_TRUE(outbox_->mark_published(done, kT0 + 10s));
  auto one = outbox_->backlog(kT0 + 10s);
  EXPECT_EQ(one->pending, 1);
  EXPECT_EQ(one->oldest_age, 7s);
}

TEST_P(StoreConformance, OutboxCleanupDeletesOnlyRowsPublishedBeforeCutoff) {
  int64_t old_row = add("k", "1");
  int64_t new_row = add("k", "2");
  add("k", "3");  // never published
  std::vector<int64_t> first{old_row};
  std::vector<int64_t> second{new_row};
  ASSERT_TRUE(outbox_->mark_published(first, kT0 + 1s));
  ASSERT_TRUE(outbox_->mark_published(second, kT0 + 5s));

  auto deleted = outbox_->delete_published_before(kT0 + 5s);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(outbox_->delete_published_before(kT0 + 5s).value_or(-1), 0);
  EXPECT_EQ(outbox_->delete_published_before(kT0 + 1h).value_or(-1), 1);
  EXPECT_EQ(outbox_->backlog(kT0 + 1h)->pending, 1);
}

TEST_P(StoreConformance, OutboxCleanupKeepsAPendingRowBetweenPublishedOnes) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(add("k", std::to_string(i)));
  std::vector<int64_t> around{ids[4], ids[0], ids[3], ids[1]};
  ASSERT_TRUE(outbox_->mark_published(around, kT0));
  EXPECT_EQ(outbox_->delete_published_before(kT0 + 1s).value_or(-1), 4);
  EXPECT_EQ(pending_ids(), std::vector<int64_t>{ids[2]});
}

// An outbox written before published state moved out of the rows: a published_ms column and two
// partial indexes over it. Opening it keeps what was pending pending, in order, and what was
// published subject to retention by its publish time.
TEST_P(StoreConformance, OutboxWithAPublishedColumnIsMigratedOnOpen) {
  ASSERT_TRUE(db_->execute_script(R"sql(
DROP TABLE velocity_outbox_queue;
DROP TABLE velocity_outbox_sent;
DROP TABLE velocity_outbox;
CREATE TABLE velocity_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key BLOB NOT NULL, payload BLOB NOT NULL,
  headers BLOB NOT NULL, created_ms INTEGER NOT NULL, published_ms INTEGER, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX velocity_outbox_pending ON velocity_outbox (id) WHERE published_ms IS NULL;
CREATE INDEX velocity_outbox_published ON velocity_outbox (published_ms) WHERE published_ms IS NOT NULL;
INSERT INTO velocity_outbox (topic, key, payload, headers, created_ms, published_ms, attempts) VALUES
  ('orders', 'a', '1', '', 1700000000000, 1700000001000, 0),
  ('orders', 'b', '2', '', 1700000000000, NULL, 2),
  ('orders', 'c', '3', '', 1700000002000, 1700000005000, 0),
  ('orders', 'd', '4', '', 1700000003000, NULL, 0);
)sql"));
  for (int open = 0; open < 2; ++open) {  // the second open finds nothing to migrate
    auto reopened = make_outbox_store(*db_);
    ASSERT_TRUE(reopened) << reopened.error().message();
    outbox_ = std::move(*reopened);
  }
  auto rows = outbox_->pending(10);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].message.key, "b");
  EXPECT_EQ((*rows)[0].attempts, 2);
  EXPECT_EQ((*rows)[1].message.key, "d");
  auto backlog = outbox_->backlog(kT0 + 10s);
  ASSERT_TRUE(backlog);
  EXPECT_EQ(backlog->pending, 2);
  EXPECT_EQ(backlog->oldest_age, 10s);

  EXPECT_EQ(outbox_->delete_published_before(kT0 + 2s).value_or(-1), 1);  // a
  EXPECT_EQ(outbox_->delete_published_before(kT0 + 6s).value_or(-1), 1);  // c
  const int64_t e = add("e", "5");
  EXPECT_GT(e, (*rows)[1].id);
  std::vector<int64_t> published{(*rows)[0].id, e};
  ASSERT_TRUE(outbox_->mark_published(published, kT0 + 7s));
  EXPECT_EQ(pending_ids(), std::vector<int64_t>{(*rows)[1].id});
}

TEST_P(StoreConformance, OutboxIdsKeepIncreasingAfterCleanupEmptiesTheTable) {
  int64_t a = add("k", "1");
  std::vector<int64_t> ids{a};
  ASSERT_TRUE(outbox_->mark_published(ids, kT0));
  ASSERT_EQ(outbox_->delete_published_before(kT0 + 1s).value_or(-1), 1);
  EXPECT_GT(add("k", "2"), a);
}

TEST_P(StoreConformance, InboxRecordsAnEventIdOnce) {
  auto tx = inbox_->begin();
  EXPECT_EQ(inbox_->record(*tx, "e-1", kT0).value_or(false), true);
  EXPECT_EQ(inbox_->record(*tx, "e-1", kT0).value_or(true), false);
  EXPECT_EQ(inbox_->record(*tx, "e-2", kT0).value_or(false), true);
  ASSERT_TRUE(tx->commit());
  auto later = inbox_->begin();
  EXPECT_EQ(inbox_->record(*later, "e-1", kT0 + 1s).value_or(true), false);
}

TEST_P(StoreConformance, InboxRecordOfRolledBackTransactionIsForgotten) {
  {
    auto tx = inbox_->begin();
    ASSERT_TRUE(inbox_->record(*tx, "e-1", kT0));
  }
  auto tx = inbox_->begin();
  EXPECT_EQ(inbox_->record(*tx, "e-1", kT0).value_or(false), true);
}

TEST_P(StoreConformance, InboxCleanupForgetsOnlyRecordsBeforeCutoff) {
  {
    auto tx = inbox_->begin();
    ASSERT_TRUE(inbox_->record(*tx, "old", kT0));
    ASSERT_TRUE(inbox_->record(*tx, "new", kT0 + 1h));
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(inbox_->delete_recorded_before(kT0 + 1min).value_or(-1), 1);
  auto tx = inbox_->begin();
  EXPECT_EQ(inbox_->record(*tx, "old", kT0 + 2h).value_or(false), true);
  EXPECT_EQ(inbox_->record(*tx, "new", kT0 + 2h).value_or(true), false);
}

TEST_P(StoreConformance, InboxEventRecordedOnTwoConnectionsAtOnceIsNewForExactlyOne) {
  auto other_db = database_.connect();
  ASSERT_TRUE(other_db) << other_db.error().message();
  auto other_inbox = make_inbox_store(**other_db);
  ASSERT_TRUE(other_inbox) << other_inbox.error().message();

  auto tx = inbox_->begin();
  ASSERT_TRUE(tx);
  ASSERT_EQ(inbox_->record(*tx, "e-1", kT0).value_or(false), true);
  // The other connection waits for this transaction's outcome (SQLite at begin, PostgreSQL at
  // the insert), whichever moment it gets there.
  Result<bool> other_new = false;
  std::thread other([&] {
    auto other_tx = (*other_inbox)->begin();
    if (!other_tx) {
      other_new = std::unexpected(other_tx.error());
      return;
    }
    other_new = (*other_inbox)->record(*other_tx, "e-1", kT0);
    if (other_new) (void)other_tx->commit();
  });
  ASSERT_TRUE(tx->commit());
  other.join();
  ASSERT_TRUE(other_new) << other_new.error().message();
  EXPECT_FALSE(*other_new);
}

// PostgreSQL: each case gets a new database on one throwaway server per test process; a server
// that cannot start fails every case with the reason.
INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values(SqlDialect::kSqlite, SqlDialect::kPostgres),
                         testing::engine_name);

}  // namespace
}  // namespace velocity
