#include <gtest/gtest.h>

#include "toolkit/store/store_test_util.h"
#include "velocity/inbox.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(Database::open(dir_.file("consumer.sqlite")).value());
    store_ = std::move(make_inbox_store(*db_).value());
    ASSERT_TRUE(db_->execute_script("CREATE TABLE stock (sku TEXT PRIMARY KEY, reserved INTEGER NOT NULL);"
                                    "INSERT INTO stock VALUES ('tshirt', 0);"));
    options_.dedupe_window = 24h;
    options_.clock = [this] { return now_; };
  }

  Inbox::Handler reserve(int quantity) {
    return [quantity](Transaction& tx) -> Result<void> {
      auto r = tx.execute("UPDATE stock SET reserved = reserved + ? WHERE sku = ?", quantity, "tshirt");
      if (!r) return std::unexpected(r.error());
      return {};
    };
  }

  int64_t reserved() {
    auto tx = db_->begin();
    auto stmt = tx->query("SELECT reserved FROM stock WHERE sku = ?", "tshirt");
    EXPECT_TRUE(stmt->next().value_or(false));
    return stmt->int64(0);
  }

  testing::ScratchDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<InboxStore> store_;
  InboxOptions options_;
  StoreClock::time_point now_ = StoreClock::time_point(1'700'000'000'000ms);
};

TEST_F(InboxTest, EveryEventDeliveredTwiceHasOneEffect) {
  Inbox inbox(*store_, options_);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 10; ++i) {
      auto outcome = inbox.handle("evt-" + std::to_string(i), reserve(1));
      ASSERT_TRUE(outcome) << outcome.error().message();
      EXPECT_EQ(*outcome, round == 0 ? InboxOutcome::kHandled : InboxOutcome::kDuplicate);
    }
  }
  EXPECT_EQ(reserved(), 10);
}

TEST_F(InboxTest, FailedHandlerLeavesNoTraceSoTheRedeliveryRunsIt) {
  Inbox inbox(*store_, options_);
  auto failing = [&](Transaction& tx) -> Result<void> {
    EXPECT_TRUE(reserve(5)(tx));
    return fail(ErrorCode::kTimeout, "payment provider down");
  };
  auto first = inbox.handle("evt-1", failing);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(reserved(), 0);
  EXPECT_EQ(inbox.handle("evt-1", reserve(5)).value(), InboxOutcome::kHandled);
  EXPECT_EQ(reserved(), 5);
}

TEST_F(InboxTest, DuplicatesWithinTheWindowAreCaughtAndOlderRecordsAreCleanedUp) {
  Inbox inbox(*store_, options_);
  ASSERT_EQ(inbox.handle("evt-1", reserve(1)).value(), InboxOutcome::kHandled);
  now_ += 23h;
  EXPECT_EQ(inbox.clean_up().value_or(-1), 0);
  EXPECT_EQ(inbox.handle("evt-1", reserve(1)).value(), InboxOutcome::kDuplicate);
  now_ += 2h;
  EXPECT_EQ(inbox.clean_up().value_or(-1), 1);
  // Past the window the id is forgotten: this is the documented limit of deduplication.
  EXPECT_EQ(inbox.handle("evt-1", reserve(1)).value(), InboxOutcome::kHandled);
  EXPECT_EQ(reserved(), 2);
}

TEST_F(InboxTest, EventWithoutIdIsRefused) {
  Inbox inbox(*store_, options_);
  auto r = inbox.handle("", reserve(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(reserved(), 0);
}

}  // namespace
}  // namespace velocity
