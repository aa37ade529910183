#include "velocity/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace velocity::metrics {
namespace {

// A strict reader of the Prometheus text format 0.0.4: every line is a HELP, a TYPE or a
// sample of a declared family; returns the samples as "name{labels}" → value.
std::map<std::string, double> parse_exposition(const std::string& text) {
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (\S+)$)");
  std::map<std::string, double> out;
  std::set<std::string> declared;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) continue;
    if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(declared.insert(m[1]).second) << "family declared twice: " << line;
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not a valid sample line: " << line;
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!declared.contains(family) && family.ends_with(suffix)) family.resize(family.size() - std::strlen(suffix));
    }
    EXPECT_TRUE(declared.contains(family)) << "sample of an undeclared family: " << line;
    std::string value = m[5];
    out[name + std::string(m[2])] = value == "+Inf" ? INFINITY : std::stod(value);
  }
  return out;
}

TEST(Metrics, CountersGaugesAndHistogramsRenderAsValidExposition) {
  Registry registry;
  registry.counter("events_consumed_total", "Events consumed", {{"topic", "shop.orders"}}).inc(3);
  registry.gauge("outbox_backlog", "Rows waiting\nto be published").set(7);
  auto& latency = registry.histogram("handler_seconds", "Handler latency", {{"type", "a\"b"}}, {0.1, 1});
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
