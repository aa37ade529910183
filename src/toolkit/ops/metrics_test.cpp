#include "velocity/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "toolkit/ops/exposition_test_util.h"

namespace velocity::metrics {
namespace {

TEST(Metrics, CountersGaugesAndHistogramsRenderAsValidExposition) {
  Registry registry;
  registry.counter("events_consumed_total", "Events consumed", {{"topic", "shop.orders"}}).inc(3);
  registry.gauge("outbox_backlog", "Rows waiting\nto be published").set(7);
  auto& latency =
      registry.histogram("handler_seconds", "Handler latency", {{"type", "a\"b"}}, {0.1, 1});
  latency.observe(0.05);
  latency.observe(0.5);
  latency.observe(5);
  auto samples = parse_exposition(registry.render());
  EXPECT_EQ(samples[R"(events_consumed_total{topic="shop.orders"})"], 3);
  EXPECT_EQ(samples["outbox_backlog"], 7);
  EXPECT_EQ(samples[R"(handler_seconds_bucket{type="a\"b",le="0.1"})"], 1);
  EXPECT_EQ(samples[R"(handler_seconds_bucket{type="a\"b",le="+Inf"})"], 3);
  EXPECT_EQ(samples[R"(handler_seconds_count{type="a\"b"})"], 3);
  EXPECT_DOUBLE_EQ(samples[R"(handler_seconds_sum{type="a\"b"})"], 5.55);
}

TEST(Metrics, SameNameAndLabelsIsTheSameMetric) {
  Registry registry;
  registry.counter("c_total", "c", {{"k", "v"}}).inc();
  registry.counter("c_total", "c", {{"k", "v"}}).inc();
  registry.counter("c_total", "c", {{"k", "w"}}).inc();
  EXPECT_EQ(registry.counter("c_total", "c", {{"k", "v"}}).value(), 2);
  EXPECT_EQ(registry.counter("c_total", "c", {{"k", "w"}}).value(), 1);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  auto& counter = registry.counter("hits_total", "hits");
  auto& histogram = registry.histogram("h_seconds", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        histogram.observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.value(), 40000);
  EXPECT_EQ(histogram.snapshot().count, 40000u);
}

}  // namespace
}  // namespace velocity::metrics
