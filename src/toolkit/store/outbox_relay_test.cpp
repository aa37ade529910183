#include <gtest/gtest.h>

#include <condition_variable>

#include "toolkit/store/store_test_util.h"
#include "velocity/outbox.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

class OutboxRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(Database::open(dir_.file("service.sqlite")).value());
    store_ = std::move(make_outbox_store(*db_).value());
    options_.clock = [this] { return now_; };
    options_.initial_backoff = 1ms;
    options_.max_backoff = 2ms;
    options_.poll_interval = 1ms;
  }

  // A state change and its event in one transaction, as a service writes them.
  void place(const std::string& key, const std::string& payload) {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->execute("CREATE TABLE IF NOT EXISTS orders (id TEXT, note TEXT)"));
    ASSERT_TRUE(tx->execute("INSERT INTO orders (id, note) VALUES (?, ?)", key, payload));
    ASSERT_TRUE(store_->add(*tx, Message{.topic = "orders", .key = key, .payload = payload}, now_));
    ASSERT_TRUE(tx->commit());
  }

  static std::vector<std::string> payloads_of(const std::vector<Message>& messages, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& m : messages)
      if (m.key == key) out.push_back(m.payload);
    return out;
  }

  testing::ScratchDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<OutboxStore> store_;
  testing::FakePublisher publisher_;
  OutboxRelayOptions options_;
  StoreClock::time_point now_ = StoreClock::time_point(1'700'000'000'000ms);
};

TEST_F(OutboxRelayTest, PublishesEveryKeyInOrderAndMarksOnlyAfterTheAck) {
  for (int i = 0; i < 5; ++i) {
    place("a", "a" + std::to_string(i));
    place("b", "b" + std::to_string(i));
  }
  std::vector<int64_t> pending_during_publish;
  publisher_.on_publish = [&](std::span<const Message>) {
    pending_during_publish.push_back(store_->backlog(now_)->pending);
  };
  OutboxRelay relay(*store_, publisher_, options_);
  auto pass = relay.publish_pending();
  ASSERT_TRUE(pass) << pass.error().message();
  EXPECT_EQ(pass->published, 10u);
  EXPECT_EQ(pending_during_publish, (std::vector<int64_t>{10}));
  EXPECT_EQ(payloads_of(publisher_.accepted(), "a"), (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"}));
  EXPECT_EQ(payloads_of(publisher_.accepted(), "b"), (std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"}));
  EXPECT_EQ(relay.backlog()->pending, 0);
  EXPECT_EQ(relay.publish_pending()->published, 0u);
  EXPECT_EQ(publisher_.accepted().size(), 10u);
}

TEST_F(OutboxRelayTest, FailingKeyKeepsItsOrderAndDoesNotHoldBackOtherKeys) {
  place("a", "a0");
  place("b", "b0");
  place("a", "a1");
  place("b", "b1");
  publisher_.refuse("a", 4);  // per pass: the whole batch, then a0 alone; twice
  OutboxRelay relay(*store_, publisher_, options_);

  auto first = relay.publish_pending();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->published, 2u);
  EXPECT_EQ(first->failed, 2u);
  EXPECT_EQ(payloads_of(publisher_.accepted(), "b"), (std::vector<std::string>{"b0", "b1"}));
  EXPECT_TRUE(payloads_of(publisher_.accepted(), "a").empty());
  EXPECT_EQ(relay.backlog()->pending, 2);

  auto second = relay.publish_pending();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->published, 0u);
  auto rows = store_->pending(10).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].attempts, 2);

  auto third = relay.publish_pending();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->published, 2u);
  EXPECT_EQ(payloads_of(publisher_.accepted(), "a"), (std::vector<std::string>{"a0", "a1"}));
  EXPECT_EQ(relay.backlog()->pending, 0);
}

TEST_F(OutboxRelayTest, CleanupDeletesPublishedRowsOnlyAfterRetention) {
  options_.retention = 1h;
  place("a", "a0");
  OutboxRelay relay(*store_, publisher_, options_);
  ASSERT_TRUE(relay.publish_pending());
  place("a", "a1");  // pending: never cleaned
  now_ += 59min;
  EXPECT_EQ(relay.clean_up().value_or(-1), 0);
  now_ += 2min;
  EXPECT_EQ(relay.clean_up().value_or(-1), 1);
  EXPECT_EQ(relay.backlog()->pending, 1);
  EXPECT_EQ(relay.backlog()->oldest_age, 61min);
}

TEST_F(OutboxRelayTest, RelayThreadRetriesWithBackoffAndStopFlushesEverything) {
  options_.batch_size = 50;  // several batches
  for (int i = 0; i < 200; ++i) place(std::to_string(i % 7), std::to_string(i));
  publisher_.refuse("3", 5);
  OutboxRelay relay(*store_, publisher_, options_);
  relay.start();
  relay.notify();
  auto stopped = relay.stop(30s);
  ASSERT_TRUE(stopped) << stopped.error().message();
  EXPECT_EQ(publisher_.accepted().size(), 200u);
  std::vector<std::string> expected;
  for (int i = 3; i < 200; i += 7) expected.push_back(std::to_string(i));
  EXPECT_EQ(payloads_of(publisher_.accepted(), "3"), expected);
}

TEST_F(OutboxRelayTest, StopWithinBoundReportsRowsLeftWhenTheBusKeepsFailing) {
  place("a", "a0");
  publisher_.refuse("a", 1'000'000);
  options_.initial_backoff = 5ms;
  options_.max_backoff = 20ms;
  OutboxRelay relay(*store_, publisher_, options_);
  relay.start();
  auto stopped = relay.stop(100ms);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(relay.backlog()->pending, 1);
}

}  // namespace
}  // namespace velocity
