#include <gtest/gtest.h>

#include "toolkit/store/store_test_util.h"
#include "velocity/metrics.h"
#include "velocity/outbox.h"
#include "velocity/trace.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kIncoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

class OutboxObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(Database::open(dir_.file("service.sqlite")).value());
    store_ = std::move(make_outbox_store(*db_).value());
    options_.clock = [this] { return now_; };
  }

  void add(const Message& message) {
    auto tx = store_->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(store_->add(*tx, message, now_));
    ASSERT_TRUE(tx->commit());
  }

  static double gauge(const std::string& name) { return metrics::default_registry().gauge(name, "").value(); }
  static double published_total() {
    return metrics::default_registry().counter("velocity_outbox_published_total", "").value();
  }

  testing::ScratchDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<OutboxStore> store_;
  testing::FakePublisher publisher_;
  OutboxRelayOptions options_;
  StoreClock::time_point now_ = StoreClock::time_point(1'700'000'000'000ms);
};

TEST_F(OutboxObservabilityTest, TraceparentOfTheAddingWorkSurvivesAddAndRelayPublish) {
  const auto incoming = trace::parse_traceparent(kIncoming).value();
  {
    trace::Scope scope(incoming);
    add(Message{.topic = "orders", .key = "o-1", .payload = "{}"});
  }
  add(Message{.topic = "orders", .key = "o-2", .payload = "{}"});  // no trace current: none added
  OutboxRelay relay(*store_, publisher_, options_);
  ASSERT_TRUE(relay.publish_pending());

  const auto sent = publisher_.accepted();
  ASSERT_EQ(sent.size(), 2u);
  const auto context = trace::extract(sent[0]);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id, incoming.trace_id);
  EXPECT_NE(context->parent_id, incoming.parent_id);  // a child span: the publish is its own hop
  EXPECT_EQ(context->flags, incoming.flags);
  EXPECT_FALSE(sent[1].header(trace::kTraceparentHeader));
}

TEST_F(OutboxObservabilityTest, MessageThatNamesItsTraceKeepsIt) {
  Message m{.topic = "orders", .key = "o-1", .payload = "{}"};
  trace::inject(m, trace::parse_traceparent(kIncoming).value());
  {
    trace::Scope scope(trace::new_root());
    add(m);
  }
  OutboxRelay relay(*store_, publisher_, options_);
  ASSERT_TRUE(relay.publish_pending());
  ASSERT_EQ(publisher_.accepted().size(), 1u);
  EXPECT_EQ(publisher_.accepted()[0].header(trace::kTraceparentHeader), std::string(kIncoming));
}

TEST_F(OutboxObservabilityTest, RelayReportsBacklogAgeAndPublishedRows) {
  for (int i = 0; i < 3; ++i) add(Message{.topic = "orders", .key = "k" + std::to_string(i), .payload = "{}"});
  now_ += 5s;
  OutboxRelay relay(*store_, publisher_, options_);
  ASSERT_TRUE(relay.backlog());
  EXPECT_EQ(gauge("velocity_outbox_backlog"), 3.0);
  EXPECT_EQ(gauge("velocity_outbox_oldest_age_seconds"), 5.0);

  const double published_before = published_total();
  ASSERT_TRUE(relay.publish_pending());
  EXPECT_EQ(published_total() - published_before, 3.0);
  ASSERT_TRUE(relay.backlog());
  EXPECT_EQ(gauge("velocity_outbox_backlog"), 0.0);
  EXPECT_EQ(gauge("velocity_outbox_oldest_age_seconds"), 0.0);
}

}  // namespace
}  // namespace velocity
