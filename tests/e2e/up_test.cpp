// `velocity up` itself, as a user runs it: it starts everything and says where the store is, the
// storefront answers, an order placed over HTTP completes, a service killed with kill -9 comes
// back by itself, `velocity status` shows every service's consumer lag, a second `velocity up` on the same data directory is refused, and SIGTERM stops
// everything with exit 0 and no process left behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "e2e/store.h"
#include "supervisor/probe.h"
#include "supervisor/process.h"
#include "toolkit/service/test_kit.h"

namespace velocity::e2e {
namespace {

using namespace std::chrono_literals;

class Output {
 public:
  void add(std::string_view line) {
    std::lock_guard lock(mutex_);
    text_.append(line);
    text_.push_back('\n');
  }
  bool contains(std::string_view what) const {
    std::lock_guard lock(mutex_);
    return text_.find(what) != std::string::npos;
  }
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_.size() > 6000 ? text_.substr(text_.size() - 6000) : text_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

using velocity::testing::eventually;

// `velocity status --format json` on `data`, or a discarded value when it printed no JSON.
nlohmann::json status_of(const std::filesystem::path& data) {
  const std::string command = std::string(VELOCITY_CLI) + " status --format json --data-dir " + data.string();
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return nlohmann::json(nlohmann::json::value_t::discarded);
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return nlohmann::json::parse(out, nullptr, false);
}

nlohmann::json state_of(const std::filesystem::path& data) {
  std::ifstream in(data / "velocity.state.json");
  return nlohmann::json::parse(in, nullptr, false);
}

TEST(VelocityUp, RunsTheStoreRestartsAKilledServiceAndStopsCleanlyOnSigterm) {
  const auto data = std::filesystem::temp_directory_path() / ("velocity-up-" + std::to_string(std::random_device{}()));
  const uint16_t http_port = supervisor::free_port();
  const uint16_t broker_port = supervisor::free_port();
  supervisor::ProcessSpec spec;
  spec.argv = {VELOCITY_CLI, "up", "--data-dir", data.string(), "--http", "127.0.0.1:" + std::to_string(http_port),
               "--broker-listen", "127.0.0.1:" + std::to_string(broker_port), "--no-color",
               "--env", "VELOCITY_SHIPPING_DISPATCH_AFTER=300ms", "--env", "VELOCITY_SHIPPING_DELIVER_AFTER=300ms"};
  spec.env["VELOCITY_WEB_DIR"] = VELOCITY_WEB_DIR;
  Output out;
  auto up = supervisor::Process::spawn(spec, [&out](std::string_view line) { out.add(line); });
  ASSERT_TRUE(up) << up.error().message();

  // Stops waiting as soon as `velocity up` ends (e.g. a fixed service port held by another
  // run): its own message says why.
  std::optional<supervisor::ExitStatus> ended;
  ASSERT_TRUE(eventually(
      [&] {
        ended = (*up)->poll();
        return ended || out.contains("the store is open:  http://127.0.0.1:" + std::to_string(http_port));
      },
      120s))
      << out.text();
  ASSERT_FALSE(ended) << "velocity up " << ended->describe() << " before the store opened:\n" << out.text();
  EXPECT_TRUE(out.contains("(.eml files)")) << out.text();
  const auto page = http(http_port, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.raw.find("<html"), std::string::npos);

  // A scripted order through the storefront's API.
  const nlohmann::json signup{{"email", "up-test@example.com"}, {"password", "correct horse battery"}, {"name", "Up"}};
  auto registered = http(http_port, "POST", "/api/users/register", &signup);
  ASSERT_EQ(registered.status, 201) << registered.raw;
  const std::string auth = "Bearer " + registered.body.value("token", "");
  auto product = http(http_port, "GET", "/api/catalog/products/tee-classic");
  ASSERT_EQ(product.status, 200) << product.raw;
  const nlohmann::json checkout{
      {"lines", {{{"sku", "tee-classic-M-blk"}, {"quantity", 1}, {"unit_price_cents", product.body["price_cents"]}}}},
      {"card", {{"number", "4242424242424242"}, {"holder", "Up"}}},
      {"ship_to", {{"line1", "1 Main St"}, {"line2", ""}, {"city", "Town"}, {"postcode", "1234"}, {"country", "NL"}}}};
  std::string order_id;
  // Orders learns the catalogue from catalog's events a moment after start.
  ASSERT_TRUE(eventually(
      [&] {
        auto placed = http(http_port, "POST", "/api/orders/checkout", &checkout,
                           {{"Authorization", auth}, {"Idempotency-Key", "up-test-1"}});
        order_id = placed.body.is_object() ? placed.body.value("order_id", "") : "";
        return placed.status == 201 || placed.status == 200;
      },
      30s));
  ASSERT_TRUE(eventually(
      [&] {
        auto order = http(http_port, "GET", "/api/orders/" + order_id, nullptr, {{"Authorization", auth}});
        return order.status == 200 && order.body.value("status", "") == "completed";
      },
      60s))
      << out.text();

  // `velocity status`: each service's consumer group, its lag asked of the broker; once the order
  // has completed, the services read all there is and the lag goes to zero.
  nlohmann::json status;
  EXPECT_TRUE(eventually(
      [&] {
        status = status_of(data);
        if (!status.is_object() || status.contains("lag_error") || status["groups"].size() != 8) return false;
        for (const auto& g : status["groups"])
          if (!g["lag"].is_number() || g["lag"] != 0) return false;
        return true;
      },
      60s))
      << status.dump(2);
  if (status.is_object()) {
    for (const auto& p : status["processes"]) {
      const bool consumes = p["service"] != "broker" && p["service"] != "gateway";
      EXPECT_EQ(p["lag"].is_number(), consumes) << p.dump();
      EXPECT_TRUE(p["health"] == "ready" || p["health"] == "up") << p.dump();
    }
  }

  // kill -9 one service: `velocity up` brings it back and says so.
  auto state = state_of(data);
  pid_t inventory = 0;
  for (const auto& p : state["processes"])
    if (p["name"] == "inventory") inventory = p["pid"].get<pid_t>();
  ASSERT_GT(inventory, 0) << state.dump();
  ASSERT_EQ(::kill(inventory, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return out.contains("inventory restarted"); }, 30s)) << out.text();
  EXPECT_TRUE(eventually([&] { return http(8085, "GET", "/readyz").status == 200; }, 30s));

  // A second `velocity up` on the same data directory is refused.
  supervisor::ProcessSpec second = spec;
  Output second_out;
  auto rival = supervisor::Process::spawn(second, [&](std::string_view line) { second_out.add(line); });
  ASSERT_TRUE(rival);
  std::optional<supervisor::ExitStatus> rival_exit;
  ASSERT_TRUE(eventually([&] { return (rival_exit = (*rival)->poll()).has_value(); }, 30s));
  EXPECT_EQ(rival_exit->code, 1) << second_out.text();
  EXPECT_TRUE(second_out.contains("another `velocity up`")) << second_out.text();

  // SIGTERM: everything stops in order, exit 0, no process left.
  std::vector<pid_t> children;
  for (const auto& p : state_of(data)["processes"]) children.push_back(p["pid"].get<pid_t>());
  (*up)->signal(SIGTERM);
  std::optional<supervisor::ExitStatus> exit;
  ASSERT_TRUE(eventually([&] { return (exit = (*up)->poll()).has_value(); }, 60s)) << out.text();
  EXPECT_EQ(exit->code, 0) << exit->describe() << "\n" << out.text();
  EXPECT_TRUE(out.contains("stopped broker")) << out.text();
  for (pid_t pid : children) EXPECT_NE(::kill(pid, 0), 0) << "pid " << pid << " outlived velocity up";
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(data);
}

}  // namespace
}  // namespace velocity::e2e
