#include <gtest/gtest.h>

#include <atomic>

#include "toolkit/events/fake_bus_test_util.h"
#include "velocity/dead_letter.h"
#include "velocity/router.h"

namespace velocity {
namespace {

using testing::FakeBus;
using namespace std::chrono_literals;

struct StockReserved {
  static constexpr std::string_view kType = "shop.stock.reserved.v1";
  std::string order_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(StockReserved, order_id)

Message reserved(const std::string& order) {
  return to_message(make_event("/services/inventory", order, StockReserved{order}, "00-trace-01"),
                    "stock")
      .value();
}

RouterOptions options() {
  RouterOptions o;
  o.topic = "stock";
  o.group = "payments";
  o.retry.in_place_attempts = 1;
  o.retry.tier_delays = {};
  return o;
}

// A handler that fails until fixed, counting the events it handled successfully.
struct FlakyHandler {
  std::atomic<bool> broken{true};
  std::atomic<int> handled{0};
  Result<void> operator()(const StockReserved&) {
    if (broken) return fail(ErrorCode::kIo, "ledger unavailable");
    ++handled;
    return {};
  }
};

TEST(Redrive, PreparedMessageGoesToTheOriginalTopicWithoutProvenance) {
  Message dead = reserved("order-1");
  dead.topic = "stock.dlq";
  dead.set_header(std::string(kOriginalTopicHeader), "stock");
  dead.set_header(std::string(kErrorHeader), "ledger unavailable");
  dead.set_header(std::string(kAttemptsHeader), "3");
  const auto next = prepare_redrive(dead, 3);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(next->topic, "stock");
  EXPECT_EQ(next->key, "order-1");
  EXPECT_EQ(next->payload, dead.payload);
  EXPECT_FALSE(next->header(kErrorHeader));
  EXPECT_FALSE(next->header(kAttemptsHeader));
  EXPECT_FALSE(next->header(kOriginalTopicHeader));
  EXPECT_EQ(next->header(kRedriveCountHeader), "1");
  EXPECT_EQ(next->header("ce_id"), dead.header("ce_id"));
  EXPECT_EQ(next->header("traceparent"), "00-trace-01");
}

TEST(Redrive, LoopGuardRefusesAnEventRedrivenTooOften) {
  Message dead = reserved("order-1");
  dead.set_header(std::string(kOriginalTopicHeader), "stock");
  dead.set_header(std::string(kRedriveCountHeader), "2");
  EXPECT_TRUE(prepare_redrive(dead, 3));
  dead.set_header(std::string(kRedriveCountHeader), "3");
  const auto refused = prepare_redrive(dead, 3);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

TEST(Redrive, MessageThatIsNotADeadLetterIsRefused) {
  EXPECT_FALSE(prepare_redrive(reserved("order-1"), 3));
}

TEST(Redrive, RedrivenEventIsHandledOnceTheHandlerIsFixed) {
  FakeBus bus;
  Router router(bus, bus, options());
  FlakyHandler handler;
  router.on<StockReserved>([&](const StockReserved& e) { return handler(e); });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(reserved("order-1")));
  ASSERT_TRUE(bus.wait_for_messages("stock.dlq", 1));
  EXPECT_EQ(handler.handled.load(), 0);

  handler.broken = false;
  RedriveOptions ro{.dlq_topic = "stock.dlq", .partition = 0, .offset = 0};
  const auto report = redrive(bus, bus, ro);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->redriven, 1u);
  ASSERT_TRUE(bus.wait_for_acks("payments", "stock", 2));
  EXPECT_EQ(handler.handled.load(), 1);
  EXPECT_EQ(bus.messages("stock.dlq").size(), 1u);
  EXPECT_EQ(bus.messages("stock").at(1).header(kRedriveCountHeader), "1");
}

TEST(Redrive, EventThatKeepsFailingIsRefusedAtTheLimit) {
  FakeBus bus;
  Router router(bus, bus, options());
  FlakyHandler handler;
  router.on<StockReserved>([&](const StockReserved& e) { return handler(e); });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(reserved("order-1")));
  ASSERT_TRUE(bus.wait_for_messages("stock.dlq", 1));

  RedriveOptions ro{.dlq_topic = "stock.dlq", .partition = 0, .offset = 0, .max_redrives = 1};
  ASSERT_TRUE(redrive(bus, bus, ro));
  ASSERT_TRUE(bus.wait_for_messages("stock.dlq", 2));
  // The second dead letter remembers its redrive, so the guard stops the loop.
  EXPECT_EQ(bus.messages("stock.dlq").at(1).header(kRedriveCountHeader), "1");
  ro.offset = 1;
  const auto refused = redrive(bus, bus, ro);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bus.messages("stock").size(), 2u);
}

TEST(Redrive, AllRedrivesEachDeadLetterOnceAndRemembersWhereItGot) {
  FakeBus bus;
  Router router(bus, bus, options());
  FlakyHandler handler;
  router.on<StockReserved>([&](const StockReserved& e) { return handler(e); });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(reserved("order-1")));
  ASSERT_TRUE(bus.publish(reserved("order-2")));
  ASSERT_TRUE(bus.wait_for_messages("stock.dlq", 2));

  handler.broken = false;
  // The idle timeout only ends the read; the DLQ holds both messages before it starts.
  RedriveOptions ro{.dlq_topic = "stock.dlq"};
  const auto first = redrive(bus, bus, ro);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->redriven, 2u);
  ASSERT_TRUE(bus.wait_until([&] { return handler.handled.load() == 2; }));
  const auto second = redrive(bus, bus, ro);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->redriven, 0u);
  EXPECT_EQ(bus.messages("stock").size(), 4u);
}

TEST(Redrive, UnknownOffsetIsNotFound) {
  FakeBus bus;
  RedriveOptions ro{.dlq_topic = "stock.dlq", .offset = 5, .idle_timeout = 50ms};
  const auto result = redrive(bus, bus, ro);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace velocity
