#include "velocity/shutdown.h"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <stdexcept>

namespace velocity::ops {
namespace {

using namespace std::chrono_literals;

// Keeps a step blocked until the test lets it go; shared so an abandoned step never dangles.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
};

TEST(ShutdownSignal, StepsRunInReverseRegistrationOrder) {
  ShutdownSignal shutdown(5s, false);
  std::vector<std::string> order;
  for (const char* name : {"bus", "router", "ops server"}) {
    shutdown.on_stop(
        name, [&order, name] { order.push_back(name); }, 1s);
  }
  shutdown.request("test");
  const auto report = shutdown.wait_and_stop();
  EXPECT_EQ(order, (std::vector<std::string>{"ops server", "router", "bus"}));
  EXPECT_EQ(report.reason, "test");
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(report.steps[0].name, "ops server");
  EXPECT_TRUE(report.clean());
}

TEST(ShutdownSignal, AStepThatOverrunsItsBoundIsAbandonedAndTheNextStillRuns) {
  ShutdownSignal shutdown(10s, false);
  auto gate = std::make_shared<Gate>();
  bool first_ran = false;
  shutdown.on_stop(
      "first", [&first_ran] { first_ran = true; }, 1s);
  shutdown.on_stop(
      "stuck", [gate] { gate->opened.wait(); }, 50ms);
  const auto report = shutdown.stop();
  gate->open.set_value();
  ASSERT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(report.steps[0].name, "stuck");
  EXPECT_EQ(report.steps[0].status, StopStatus::kTimedOut);
  EXPECT_GE(report.steps[0].took, 50ms);
  EXPECT_EQ(report.steps[1].status, StopStatus::kDone);
  EXPECT_TRUE(first_ran);
  EXPECT_FALSE(report.clean());
}

TEST(ShutdownSignal, TheTotalBoundCutsTheStopShortAndSkipsTheRest) {
  ShutdownSignal shutdown(100ms, false);
  auto gate = std::make_shared<Gate>();
  bool skipped_ran = false;
  shutdown.on_stop(
      "never", [&skipped_ran] { skipped_ran = true; }, 10s);
  shutdown.on_stop(
      "stuck", [gate] { gate->opened.wait(); }, 10s);
  const auto report = shutdown.stop();
  gate->open.set_value();
  ASSERT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(report.steps[0].status, StopStatus::kTimedOut);
  EXPECT_EQ(report.steps[1].status, StopStatus::kSkipped);
  EXPECT_FALSE(skipped_ran);
  EXPECT_GE(report.took, 100ms);
  EXPECT_LT(report.took, 10s);  // bounded by the total, not by the step's own 10 s
}

TEST(ShutdownSignal, AThrowingStepIsReportedAndTheOthersStillRun) {
  ShutdownSignal shutdown(5s, false);
  bool earlier_ran = false;
  shutdown.on_stop(
      "earlier", [&earlier_ran] { earlier_ran = true; }, 1s);
  shutdown.on_stop(
      "broken", [] { throw std::runtime_error("flush failed"); }, 1s);
  const auto report = shutdown.stop();
  ASSERT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(report.steps[0].status, StopStatus::kFailed);
  EXPECT_EQ(report.steps[0].error, "flush failed");
  EXPECT_TRUE(earlier_ran);
}

TEST(ShutdownSignal, StepsRunOnceHoweverOftenStopIsCalled) {
  ShutdownSignal shutdown(5s, false);
  int runs = 0;
  shutdown.on_stop(
      "count", [&runs] { ++runs; }, 1s);
  const auto first = shutdown.stop();
  const auto second = shutdown.stop();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(second.steps.size(), first.steps.size());
}

TEST(ShutdownSignal, TheFirstRequestWinsAndWakesEveryWaiter) {
  ShutdownSignal shutdown(5s, false);
  EXPECT_FALSE(shutdown.requested());
  auto waiter = std::async(std::launch::async, [&] { return shutdown.wait(); });
  shutdown.request("fatal: bus lost");
  shutdown.request("later");
  EXPECT_EQ(waiter.get(), "fatal: bus lost");
  EXPECT_TRUE(shutdown.requested());
}

TEST(ShutdownSignal, SigtermRequestsShutdown) {
  ShutdownSignal shutdown(5s);
  std::vector<std::string> order;
  shutdown.on_stop(
      "step", [&order] { order.push_back("step"); }, 1s);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  const auto report = shutdown.wait_and_stop();
  EXPECT_EQ(report.reason, "SIGTERM");
  EXPECT_EQ(order, (std::vector<std::string>{"step"}));
}

}  // namespace
}  // namespace velocity::ops
