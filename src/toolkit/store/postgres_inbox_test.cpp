// Inbox, InboxBatch and OutboxRelay over the PostgreSQL stores, where a failed statement aborts
// the whole transaction (unlike SQLite). Every case runs against a real server
// (postgres_test_server.h) in a database of its own.
#include <gtest/gtest.h>

#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"
#include "velocity/inbox.h"
#include "velocity/outbox.h"

namespace velocity {
namespace {

class PostgresInboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::fresh_postgres_database();
    ASSERT_TRUE(url) << url.error().message();
    auto db = Database::connect_postgres(*url);
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    auto store = make_inbox_store(*db_);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    ASSERT_TRUE(db_->execute_script("CREATE TABLE effects (event_id TEXT PRIMARY KEY)"));
  }

  // Writes the event's effect; a second write of the same event fails with a constraint error.
  static Inbox::Handler write(std::string event_id) {
    return [event_id](Transaction& tx) -> Result<void> {
      auto r = tx.execute("INSERT INTO effects (event_id) VALUES (?)", event_id);
      if (!r) return std::unexpected(r.error());
      return {};
    };
  }
  int64_t effects() {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT COUNT(*) FROM effects");
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<InboxStore> store_;
};

TEST_F(PostgresInboxTest, ADuplicateEventHasNoSecondEffect) {
  Inbox inbox(*store_);
  EXPECT_EQ(inbox.handle("e1", write("e1")).value(), InboxOutcome::kHandled);
  EXPECT_EQ(inbox.handle("e1", write("e1")).value(), InboxOutcome::kDuplicate);
  EXPECT_EQ(effects(), 1);
}

TEST_F(PostgresInboxTest, AStatementFailingInsideABatchUndoesOnlyItsEvent) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("INSERT INTO effects (event_id) VALUES ('taken')"));
    ASSERT_TRUE(tx->commit());
  }
  Inbox inbox(*store_);
  auto batch = inbox.begin_batch();
  ASSERT_TRUE(batch) << batch.error().message();
  EXPECT_EQ(batch->handle("e1", write("e1")).value(), InboxOutcome::kHandled);
  // The server aborts the transaction at this statement; the event's savepoint recovers it.
  auto failed = batch->handle("e2", write("taken"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(batch->handle("e3", write("e3")).value(), InboxOutcome::kHandled);
  ASSERT_TRUE(batch->commit());
  EXPECT_EQ(effects(), 3);  // taken, e1, e3

  auto again = inbox.begin_batch();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->handle("e1", write("e1")).value(), InboxOutcome::kDuplicate);
  EXPECT_EQ(again->handle("e2", write("e2")).value(), InboxOutcome::kHandled);
  ASSERT_TRUE(again->commit());
  EXPECT_EQ(effects(), 4);
}

TEST_F(PostgresInboxTest, RelayPublishesRowsInIdOrderAndMarksThemAfterTheAck) {
  auto outbox = make_outbox_store(*db_);
  ASSERT_TRUE(outbox) << outbox.error().message();
  {
    auto tx = (*outbox)->begin();
    for (const char* payload : {"1", "2", "3"}) {
      ASSERT_TRUE(
          (*outbox)->add(*tx, Message{.topic = "orders", .key = "o-1", .payload = payload}));
    }
    ASSERT_TRUE(tx->commit());
  }
  testing::FakePublisher publisher;
  publisher.refuse("o-1", 2);  // the batch, then the first row alone; later rows of o-1 wait
  OutboxRelay relay(**outbox, publisher);
  auto refused = relay.publish_pending();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->published, 0u);
  EXPECT_EQ((*outbox)->backlog(StoreClock::now())->pending, 3);
  auto waiting = (*outbox)->pending(10);
  ASSERT_TRUE(waiting && waiting->size() == 3);
  EXPECT_GT((*waiting)[0].attempts, 0);

  auto pass = relay.publish_pending();
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->published, 3u);
  auto accepted = publisher.accepted();
  ASSERT_EQ(accepted.size(), 3u);
  EXPECT_EQ(accepted[0].payload, "1");
  EXPECT_EQ(accepted[2].payload, "3");
  EXPECT_EQ((*outbox)->backlog(StoreClock::now())->pending, 0);
  auto rows = (*outbox)->pending(10);
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

}  // namespace
}  // namespace velocity
