#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "loadgen/http_connection.h"
#include "loadgen/report.h"
#include "loadgen/store_memory.h"
#include "loadgen/summary.h"

namespace velocity::loadgen {
namespace {

OrderRecord order(double placed, std::optional<double> confirmed, std::optional<double> completed,
                  std::optional<double> cancelled = std::nullopt, std::string reason = {}) {
  OrderRecord o;
  o.order_id = "o";
  o.placed_at = placed;
  o.confirmed_at = confirmed;
  o.completed_at = completed;
  o.cancelled_at = cancelled;
  o.cancel_reason_code = std::move(reason);
  return o;
}

TEST(Percentiles, AreNearestRankOfTheSortedSamples) {
  std::vector<double> samples;
  for (int i = 1000; i >= 1; --i) samples.push_back(i);
  const auto p = percentiles(samples);
  EXPECT_EQ(p.count, 1000u);
  EXPECT_EQ(p.p50, 500);
  EXPECT_EQ(p.p90, 900);
  EXPECT_EQ(p.p99, 990);
  EXPECT_EQ(p.p999, 999);
}

TEST(Percentiles, OfOneSampleAreThatSampleAndOfNoneAreZero) {
  const auto one = percentiles({42});
  EXPECT_EQ(one.p50, 42);
  EXPECT_EQ(one.p999, 42);
  const auto none = percentiles({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.p99, 0);
}

TEST(Summary, CountsAddUpAndLatenciesAreFromPlacement) {
  RunResult run;
  run.customers_requested = 2;
  run.customers_ready = 2;
  run.orders.push_back(order(1.0, 1.5, 3.0));
  run.orders.push_back(order(2.0, 2.25, std::nullopt, 4.0, "customer_request"));
  run.orders.push_back(order(2.0, std::nullopt, std::nullopt, 2.5, "payment_declined"));
  run.orders.push_back(order(3.0, 3.5, std::nullopt));  // still in flight
  run.orders.emplace_back();                            // never placed
  run.errors["checkout: HTTP 503"] = 2;
  run.placing_seconds = 2.0;
  run.total_seconds = 4.0;
  const auto s = summarize(run);
  EXPECT_EQ(s["orders"]["requested"], 5);
  EXPECT_EQ(s["orders"]["placed"], 4);
  EXPECT_EQ(s["orders"]["not_placed"], 1);
  EXPECT_EQ(s["orders"]["confirmed"], 3);
  EXPECT_EQ(s["orders"]["completed"], 1);
  EXPECT_EQ(s["orders"]["cancelled"], 2);
  EXPECT_EQ(s["orders"]["not_terminal"], 1);
  EXPECT_EQ(s["orders"]["cancelled_by_reason"]["payment_declined"], 1);
  EXPECT_EQ(s["latency_ms"]["placed_to_completed"]["count"], 1);
  EXPECT_DOUBLE_EQ(s["latency_ms"]["placed_to_completed"]["p50"].get<double>(), 2000.0);
  EXPECT_EQ(s["latency_ms"]["placed_to_confirmed"]["count"], 3);
  EXPECT_DOUBLE_EQ(s["latency_ms"]["placed_to_confirmed"]["p99_9"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(s["orders_per_second"].get<double>(), 2.0);
  EXPECT_EQ(s["error_count"], 2);
  EXPECT_NE(summary_text(s).find("checkout: HTTP 503"), std::string::npos);
  EXPECT_EQ(s["follow"]["mode"], "poll");
  EXPECT_NE(summary_text(s).find("followed   by polling"), std::string::npos) << summary_text(s);
}

TEST(Summary, SaysTheOrdersWereFollowedByEventsAndWhereTheStepsWereSeen) {
  RunResult run;
  run.orders.push_back(order(1.0, 1.5, 3.0));
  run.follow.mode = "events";
  run.follow.streams = 20;
  run.follow.reconnects = 1;
  run.follow.events = 300;
  run.follow.steps_from_events = 2;
  const auto s = summarize(run);
  EXPECT_EQ(s["follow"]["mode"], "events");
  EXPECT_EQ(s["follow"]["streams"], 20);
  EXPECT_EQ(s["follow"]["reconnects"], 1);
  EXPECT_EQ(s["follow"]["steps_from_events"], 2);
  EXPECT_EQ(s["follow"]["steps_from_requests"], 0);
  const auto text = summary_text(s);
  EXPECT_NE(text.find("followed   by events: 20 streams (0 failed, 1 reconnects, 0 resyncs), 300 events; "
                      "steps seen 2 in events, 0 in HTTP answers"),
            std::string::npos)
      << text;
}

TEST(Report, IsOneHtmlFileWithInlineSvgChartsAndNoExternalResources) {
  RunResult run;
  for (int i = 0; i < 50; ++i) run.orders.push_back(order(i * 0.1, i * 0.1 + 0.2, i * 0.1 + 1.0));
  run.orders.push_back(order(1.0, std::nullopt, std::nullopt, 1.2, "out_of_stock"));
  run.placing_seconds = 5;
  run.total_seconds = 6;
  const auto s = summarize(run);
  const nlohmann::json extra{{"check", {{"checks", nlohmann::json::array()}}},
                             {"check_ok", true},
                             {"check_text", "all <good>"}};
  const auto html = render_report(run, s, extra);
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  size_t charts = 0;
  for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++charts;
  EXPECT_EQ(charts, 2u);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("all &lt;good&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);

  const auto path = std::filesystem::temp_directory_path() /
                    ("loadgen-report-" + std::to_string(::getpid()) + ".html");
  std::string error;
  ASSERT_TRUE(write_report(path, html, error)) << error;
  EXPECT_EQ(std::filesystem::file_size(path), html.size());
  std::filesystem::remove(path);
  EXPECT_FALSE(write_report("/nonexistent-dir/r.html", html, error));
  EXPECT_FALSE(error.empty());
}

TEST(StoreMemory, ReadsThePeakOfEveryProcessInTheStateFile) {
  EXPECT_GT(peak_resident_bytes(::getpid()), 0);
  const auto dir =
      std::filesystem::temp_directory_path() / ("loadgen-state-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_FALSE(store_memory(dir).has_value());
  {
    std::ofstream out(dir / "velocity.state.json");
    out << nlohmann::json{{"supervisor_pid", ::getpid()},
                          {"processes",
                           {{{"name", "self"}, {"pid", ::getpid()}},
                            {{"name", "down"}, {"pid", 0}}}}}
               .dump();
  }
  // The peak only grows: read it before and after, and the sum of two readings lies between.
  const int64_t before = peak_resident_bytes(::getpid());
  const auto memory = store_memory(dir);
  const int64_t after = peak_resident_bytes(::getpid());
  ASSERT_TRUE(memory.has_value());
  ASSERT_EQ(memory->processes.size(), 2u);  // a pid of 0 (not running) is left out
  EXPECT_EQ(memory->processes[1].name, "self");
  EXPECT_GE(memory->total_bytes, 2 * before);
  EXPECT_LE(memory->total_bytes, 2 * after);
  EXPECT_EQ(memory->to_json()["goal_bytes"], kMemoryGoalBytes);
  std::filesystem::remove_all(dir);
}

TEST(HttpUrl, TakesHostAndPortOfHttpUrlsOnly) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(parse_http_url("http://127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(parse_http_url("http://shop.local/", host, port));
  EXPECT_EQ(host, "shop.local");
  EXPECT_EQ(port, 80);
  EXPECT_FALSE(parse_http_url("https://shop.local", host, port));
  EXPECT_FALSE(parse_http_url("http://shop.local:99999", host, port));
  EXPECT_FALSE(parse_http_url("http://:80", host, port));
}

TEST(HttpConnection, ReportsNoAnswerWithStatusZeroAndAReason) {
  HttpConnection connection("127.0.0.1", 1, std::chrono::milliseconds(2000));
  const auto r = connection.request("GET", "/healthz");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace velocity::loadgen
