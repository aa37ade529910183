#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "toolkit/store/store_test_util.h"
#include "velocity/inbox.h"

namespace velocity {
namespace {

// Several events in one inbox transaction: each recorded and undone on its own, one commit.
class InboxBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(Database::open(dir_.file("consumer.sqlite")).value());
    store_ = std::move(make_inbox_store(*db_).value());
    ASSERT_TRUE(
        db_->execute_script("CREATE TABLE effects (event_id TEXT NOT NULL, n INTEGER NOT NULL);"));
  }

  static Inbox::Handler write(std::string event_id) {
    return [event_id](Transaction& tx) -> Result<void> {
      auto r = tx.execute("INSERT INTO effects (event_id, n) VALUES (?, 1)", event_id);
      if (!r) return std::unexpected(r.error());
      return {};
    };
  }

  // How many times each event's effect was written.
  int64_t effects(const std::string& event_id) {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT COUNT(*) FROM effects WHERE event_id = ?", event_id);
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }
  int64_t all_effects() {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT COUNT(*) FROM effects");
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }

  testing::ScratchDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<InboxStore> store_;
};

TEST_F(InboxBatchTest, AFailingEventIsUndoneAloneAndTheOthersCommitOnce) {
  Inbox inbox(*store_);
  {
    auto batch = inbox.begin_batch();
    ASSERT_TRUE(batch) << batch.error().message();
    EXPECT_EQ(batch->handle("e1", write("e1")).value(), InboxOutcome::kHandled);
    auto failed = batch->handle("e2", [](Transaction& tx) -> Result<void> {
      EXPECT_TRUE(write("e2")(tx));  // written, then undone with the event
      return fail(ErrorCode::kTimeout, "payment provider down");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::kTimeout);
    EXPECT_EQ(batch->handle("e3", write("e3")).value(), InboxOutcome::kHandled);
    // The same event twice in one batch: the second is a duplicate already.
    EXPECT_EQ(batch->handle("e3", write("e3")).value(), InboxOutcome::kDuplicate);
    EXPECT_EQ(batch->handled(), 2u);
    ASSERT_TRUE(batch->commit());
  }
  EXPECT_EQ(effects("e1"), 1);
  EXPECT_EQ(effects("e2"), 0);
  EXPECT_EQ(effects("e3"), 1);

  // The whole batch redelivered (its offsets were never committed): only the failed event runs.
  auto again = inbox.begin_batch();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->handle("e1", write("e1")).value(), InboxOutcome::kDuplicate);
  EXPECT_EQ(again->handle("e2", write("e2")).value(), InboxOutcome::kHandled);
  EXPECT_EQ(again->handle("e3", write("e3")).value(), InboxOutcome::kDuplicate);
  ASSERT_TRUE(again->commit());
  EXPECT_EQ(effects("e1"), 1);
  EXPECT_EQ(effects("e2"), 1);
  EXPECT_EQ(effects("e3"), 1);
}

TEST_F(InboxBatchTest, AThrowingHandlerIsUndoneAloneAndTheExceptionPropagates) {
  Inbox inbox(*store_);
  auto batch = inbox.begin_batch();
  ASSERT_TRUE(batch);
  ASSERT_TRUE(batch->handle("e1", write("e1")));
  EXPECT_THROW((void)batch->handle("e2",
                                   [](Transaction& tx) -> Result<void> {
                                     (void)write("e2")(tx);
                                     throw std::runtime_error("bug");
                                   }),
               std::runtime_error);
  ASSERT_TRUE(batch->handle("e3", write("e3")));
  ASSERT_TRUE(batch->commit());
  EXPECT_EQ(effects("e1"), 1);
  EXPECT_EQ(effects("e2"), 0);
  EXPECT_EQ(effects("e3"), 1);
  // e2 is not recorded, so its redelivery runs it.
  EXPECT_EQ(inbox.handle("e2", write("e2")).value(), InboxOutcome::kHandled);
}

TEST_F(InboxBatchTest, WithoutSavepointsAFailingEventBreaksTheBatchAndItsCommitUndoesAll) {
  Inbox inbox(*store_);
  {
    auto batch = inbox.begin_batch(BatchUndo::kBatch);
    ASSERT_TRUE(batch) << batch.error().message();
    EXPECT_EQ(batch->handle("e1", write("e1")).value(), InboxOutcome::kHandled);
    EXPECT_EQ(batch->handle("e1", write("e1")).value(), InboxOutcome::kDuplicate);
    auto failed = batch->handle("e2", [](Transaction& tx) -> Result<void> {
      EXPECT_TRUE(write("e2")(tx));
      return fail(ErrorCode::kTimeout, "payment provider down");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::kTimeout);  // the handler's own error
    auto later = batch->handle("e3", write("e3"));
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().code, ErrorCode::kTimeout);
    EXPECT_NE(later.error().context.find("payment provider down"), std::string::npos) << later.error().message();
    ASSERT_FALSE(batch->commit());
  }
  EXPECT_EQ(all_effects(), 0);
  // Nothing was recorded: every event runs when delivered again.
  for (const char* id : {"e1", "e2", "e3"}) EXPECT_EQ(inbox.handle(id, write(id)).value(), InboxOutcome::kHandled);
}

TEST_F(InboxBatchTest, WithoutSavepointsAThrowingHandlerBreaksTheBatchAndTheExceptionPropagates) {
  Inbox inbox(*store_);
  {
    auto batch = inbox.begin_batch(BatchUndo::kBatch);
    ASSERT_TRUE(batch);
    ASSERT_TRUE(batch->handle("e1", write("e1")));
    EXPECT_THROW((void)batch->handle("e2",
                                     [](Transaction& tx) -> Result<void> {
                                       (void)write("e2")(tx);
                                       throw std::runtime_error("bug");
                                     }),
                 std::runtime_error);
    EXPECT_FALSE(batch->handle("e3", write("e3")));
    auto committed = batch->commit();
    ASSERT_FALSE(committed);
    EXPECT_NE(committed.error().context.find("bug"), std::string::npos) << committed.error().message();
  }
  EXPECT_EQ(all_effects(), 0);
}

TEST_F(InboxBatchTest, WithoutSavepointsABatchThatSucceedsCommitsEveryEventOnce) {
  Inbox inbox(*store_);
  auto batch = inbox.begin_batch(BatchUndo::kBatch);
  ASSERT_TRUE(batch);
  for (const char* id : {"e1", "e2", "e3"}) EXPECT_EQ(batch->handle(id, write(id)).value(), InboxOutcome::kHandled);
  EXPECT_EQ(batch->handled(), 3u);
  ASSERT_TRUE(batch->commit());
  for (const char* id : {"e1", "e2", "e3"}) {
    EXPECT_EQ(effects(id), 1);
    EXPECT_EQ(inbox.handle(id, write(id)).value(), InboxOutcome::kDuplicate);
  }
}

TEST_F(InboxBatchTest, ABatchDroppedBeforeCommitLeavesNothing) {
  Inbox inbox(*store_);
  {
    auto batch = inbox.begin_batch();
    ASSERT_TRUE(batch);
    ASSERT_TRUE(batch->handle("e1", write("e1")));
    ASSERT_TRUE(batch->handle("e2", write("e2")));
  }
  EXPECT_EQ(all_effects(), 0);
  EXPECT_EQ(inbox.handle("e1", write("e1")).value(), InboxOutcome::kHandled);
}

TEST_F(InboxBatchTest, AFinishedBatchRefusesMoreEvents) {
  Inbox inbox(*store_);
  auto batch = inbox.begin_batch();
  ASSERT_TRUE(batch);
  ASSERT_TRUE(batch->commit());
  auto late = batch->handle("e1", write("e1"));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kClosed);
  EXPECT_EQ(all_effects(), 0);
}

TEST_F(InboxBatchTest, ABatchWhoseProcessIsKilledBeforeCommitHasNoEffectAndItsRedeliveryHasOne) {
  constexpr int kEvents = 20;
  const auto path = db_->path();
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    // A consumer process of its own: handles the whole batch, then dies before the commit.
    auto db = Database::open(path);
    if (!db) ::_exit(2);
    auto store = make_inbox_store(**db);
    if (!store) ::_exit(3);
    Inbox inbox(**store);
    auto batch = inbox.begin_batch();
    if (!batch) ::_exit(4);
    for (int i = 0; i < kEvents; ++i) {
      const std::string id = "e" + std::to_string(i);
      if (!batch->handle(id, write(id))) ::_exit(5);
    }
    ::kill(::getpid(), SIGKILL);
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  EXPECT_EQ(all_effects(), 0);

  // The bus redelivers the whole batch (no offset was committed): every event runs once.
  Inbox inbox(*store_);
  for (int round = 0; round < 2; ++round) {
    auto batch = inbox.begin_batch();
    ASSERT_TRUE(batch) << batch.error().message();
    for (int i = 0; i < kEvents; ++i) {
      const std::string id = "e" + std::to_string(i);
      EXPECT_EQ(batch->handle(id, write(id)).value(),
                round == 0 ? InboxOutcome::kHandled : InboxOutcome::kDuplicate);
    }
    ASSERT_TRUE(batch->commit());
  }
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(effects("e" + std::to_string(i)), 1);
}

}  // namespace
}  // namespace velocity
