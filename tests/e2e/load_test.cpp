// `velocity load` against the whole store: the real binary places orders through the gateway,
// follows them to the end through each customer's event stream (and, with --poll, by polling),
// and its JSON summary, report and invariant verdict agree.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "e2e/store.h"

namespace velocity::e2e {
namespace {

struct Exited {
  int code = -1;
  std::string out;
};

// Runs `command` through the shell; stdout captured, stderr passed through for the log.
Exited run(const std::string& command) {
  Exited result;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(LoadGenerator, EveryOrderEndsAndTheStoreStaysConsistent) {
  Store store({{"VELOCITY_SHIPPING_DISPATCH_AFTER", "200ms"},
               {"VELOCITY_SHIPPING_DELIVER_AFTER", "200ms"}});
  const auto report = store.data_dir() / "load" / "r.html";
  std::filesystem::create_directories(report.parent_path());
  const std::string command =
      std::string(VELOCITY_CLI) +
      " load --target http://127.0.0.1:" + std::to_string(store.gateway_port()) +
      " --customers 20 --orders 300 --rate 100 --concurrency 16 --data-dir " +
      store.data_dir().string() + " --format json --report " + report.string();
  const auto exited = run(command);
  ASSERT_EQ(exited.code, 0) << exited.out << "\n" << store.log_tail();
  const auto summary = nlohmann::json::parse(exited.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << exited.out;

  const auto& orders = summary["orders"];
  EXPECT_EQ(orders["requested"], 300);
  EXPECT_EQ(summary["customers"]["ready"], 20);
  // Every order placed and ended: completed or cancelled (declined, cancelled by the customer,
  // or out of stock), nothing left in flight.
  EXPECT_EQ(orders["not_placed"], 0) << summary.dump(2);
  EXPECT_EQ(orders["placed"], 300);
  EXPECT_EQ(orders["not_terminal"], 0);
  EXPECT_EQ(orders["completed"].get<int>() + orders["cancelled"].get<int>(), 300);
  int by_reason = 0;
  for (const auto& [reason, n] : orders["cancelled_by_reason"].items()) by_reason += n.get<int>();
  EXPECT_EQ(by_reason, orders["cancelled"].get<int>());
  EXPECT_GE(orders["confirmed"].get<int>(), orders["completed"].get<int>());
  // The default shares (5% declined, 5% cancelled) of 300 orders leave both kinds of cancel.
  EXPECT_GT(orders["cancelled_by_reason"].value("payment_declined", 0), 0) << summary.dump(2);
  EXPECT_GT(orders["cancelled_by_reason"].value("customer_request", 0), 0) << summary.dump(2);

  for (const char* name : {"placed_to_confirmed", "placed_to_completed"}) {
    const auto& p = summary["latency_ms"][name];
    EXPECT_GT(p["count"].get<int>(), 0) << name;
    EXPECT_GT(p["p50"].get<double>(), 0) << name;
    EXPECT_LE(p["p50"].get<double>(), p["p90"].get<double>()) << name;
    EXPECT_LE(p["p90"].get<double>(), p["p99"].get<double>()) << name;
    EXPECT_LE(p["p99"].get<double>(), p["p99_9"].get<double>()) << name;
  }
  EXPECT_EQ(summary["latency_ms"]["placed_to_completed"]["count"], orders["completed"]);
  EXPECT_GT(summary["orders_per_second"].get<double>(), 0);

  // Followed by events: a stream per customer, and the steps seen first in events. Every step
  // (confirmed, completed, cancelled) was seen once, in an event or in an HTTP answer (checkout,
  // cancel, a safety poll).
  const auto& follow = summary["follow"];
  EXPECT_EQ(follow["mode"], "events") << follow.dump();
  EXPECT_EQ(follow["streams"], 20) << follow.dump();
  EXPECT_EQ(follow["streams_failed"], 0) << follow.dump();
  EXPECT_GT(follow["events"].get<int>(), 0) << follow.dump();
  EXPECT_GT(follow["steps_from_events"].get<int>(), 0) << follow.dump();
  EXPECT_EQ(follow["steps_from_events"].get<int>() + follow["steps_from_requests"].get<int>(),
            orders["confirmed"].get<int>() + orders["completed"].get<int>() + orders["cancelled"].get<int>())
      << follow.dump();

  EXPECT_EQ(summary["check_ok"], true) << summary["check"].dump(2);
  EXPECT_TRUE(checker::check_store(store.data_dir()).ok());

  ASSERT_TRUE(std::filesystem::exists(report));
  std::ifstream in(report);
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_NE(html.str().find("<svg"), std::string::npos);
  EXPECT_EQ(summary["report"], report.string());

  // --poll: the same orders followed by polling only.
  const auto polled = run(std::string(VELOCITY_CLI) + " load --target http://127.0.0.1:" +
                          std::to_string(store.gateway_port()) +
                          " --customers 5 --orders 40 --rate 40 --concurrency 8 --poll --data-dir " +
                          store.data_dir().string() + " --format json --report " + report.string());
  ASSERT_EQ(polled.code, 0) << polled.out << "\n" << store.log_tail();
  const auto by_polls = nlohmann::json::parse(polled.out, nullptr, false);
  ASSERT_TRUE(by_polls.is_object()) << polled.out;
  EXPECT_EQ(by_polls["orders"]["not_terminal"], 0);
  EXPECT_EQ(by_polls["follow"]["mode"], "poll");
  EXPECT_EQ(by_polls["follow"]["events"], 0);
  EXPECT_EQ(by_polls["follow"]["steps_from_events"], 0);
  EXPECT_GT(by_polls["latency_ms"]["placed_to_completed"]["count"].get<int>(), 0);
  EXPECT_EQ(by_polls["check_ok"], true) << by_polls["check"].dump(2);
}

}  // namespace
}  // namespace velocity::e2e
