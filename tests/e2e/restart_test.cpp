// Any one service restarted mid-flow, gracefully (SIGTERM) or not (kill -9), loses nothing:
// every order placed around the restart still reaches a terminal state, and each email is sent
// once. The supervisor brings the killed process back, as `velocity up` does.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "e2e/store.h"
#include "supervisor/up.h"

namespace velocity::e2e {
namespace {

using namespace std::chrono_literals;

class RestartTest : public ::testing::TestWithParam<int> {};

TEST_P(RestartTest, EveryOrderReachesATerminalStateWhileEachServiceIsRestartedInTurn) {
  const int signal_number = GetParam();
  Store s({{"VELOCITY_SHIPPING_DISPATCH_AFTER", "500ms"}, {"VELOCITY_SHIPPING_DELIVER_AFTER", "500ms"}});
  auto customer = s.register_customer("Restart");
  ASSERT_FALSE(customer.token.empty());
  std::vector<std::string> orders;
  const std::vector<std::string> skus = {"tee-classic-M-blk", "tee-vneck-L-wht", "tee-pocket-S-snd"};
  size_t n = 0;
  for (const auto& service : supervisor::kServices) {
    // Orders in flight while the service goes down, and one placed while it is down.
    for (int i = 0; i < 2; ++i) {
      auto order = s.checkout(customer, {{skus[n++ % skus.size()], 1}},
                              n % 4 == 0 ? "4000 0000 0000 0002" : "4242 4242 4242 4242");
      orders.push_back(order.value("order_id", ""));
    }
    const std::string name = service.name;
    const pid_t before = s.pid_of(name);
    ASSERT_GT(before, 0) << name;
    const int restarts = s.restarts_of(name);
    ASSERT_EQ(::kill(before, signal_number), 0) << name;
    if (name != "orders") {
      auto order = s.checkout(customer, {{skus[n++ % skus.size()], 1}});
      orders.push_back(order.value("order_id", ""));
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((s.restarts_of(name) == restarts || s.pid_of(name) == 0) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    ASSERT_GT(s.restarts_of(name), restarts) << name << " was not restarted\n" << s.log_tail();
    // Back in service before the next round's orders need it.
    while (http(s.port_of(name), "GET", "/readyz").status != 200 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    ASSERT_EQ(http(s.port_of(name), "GET", "/readyz").status, 200) << name << " did not come back\n" << s.log_tail();
  }
  for (const auto& id : orders) {
    ASSERT_FALSE(id.empty());
    auto done = s.wait_for_status(customer, id, {"completed", "cancelled"}, 90s);
    const std::string status = done.value("status", "");
    EXPECT_TRUE(status == "completed" || status == "cancelled") << id << ": " << done.dump();
  }
  const auto verdict = s.check_when_quiet();
  EXPECT_TRUE(verdict.ok()) << verdict.to_text();
  // Each triggering event mailed once: one confirmation per completed order, at most.
  std::map<std::string, int> sent;  // recipient and subject
  for (const auto& m : s.mail()) ++sent[m["to"].dump() + " " + m.value("subject", "")];
  for (const auto& [mail, count] : sent) EXPECT_EQ(count, 1) << "sent " << count << " times: " << mail;
}

INSTANTIATE_TEST_SUITE_P(Signals, RestartTest, ::testing::Values(SIGTERM, SIGKILL),
                         [](const auto& param_info) { return param_info.param == SIGTERM ? "Sigterm" : "Kill9"; });

}  // namespace
}  // namespace velocity::e2e
