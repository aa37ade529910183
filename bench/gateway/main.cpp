// velocity_gateway_bench: how long an event takes from publish to a browser's event stream
// when 1 000 browsers are connected, against a direct bus consumer of the same events (the
// baseline: what the bus alone costs), plus the gateway's memory. Starts its own velocity-broker
// and velocity-gateway. Usage:
//   velocity_gateway_bench [--clients 1000] [--rate 200] [--seconds 20] [--durability sync|none]
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/test_client.h"
#include "shop/session_token.h"
#include "sse_fleet.h"
#include "support/broker_process.h"
#include "support/child_process.h"
#include "support/net.h"
#include "support/temp_dir.h"
#include "velocity/event.h"
#include "velocity/kafka_bus.h"

namespace {

using namespace velocity;
using velocity::bench::now_ns;
using velocity::bench::SseFleet;
using Clock = std::chrono::steady_clock;

struct Options {
  size_t clients = 1000;
  double rate = 200;  // events per second, spread over all customers
  int seconds = 20;
  std::string durability = "sync";  // the broker's: acks after fdatasync, or after the page cache
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--clients"))
      o.clients = std::stoul(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rate"))
      o.rate = std::stod(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds"))
      o.seconds = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--durability"))
      o.durability = argv[i + 1];
    else
      throw std::invalid_argument(std::string("unknown option ") + argv[i]);
  }
  return o;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "velocity_gateway_bench: %s\n", what.c_str());
  std::exit(1);
}

// A /proc/<pid>/status field in MiB ("VmRSS", "VmHWM").
double status_mib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return -1;
}

Message event_message(const std::string& customer, nlohmann::json data) {
  Event event;
  event.id = new_event_id();
  event.source = "/bench/gateway";
  event.type = "shop.order.confirmed.v1";
  event.subject = customer;
  event.time = std::chrono::system_clock::now();
  event.data = std::move(data);
  event.data["customer_id"] = customer;
  auto message = to_message(event, "shop.orders");
  if (!message) die(message.error().message());
  message->key = customer;
  return *message;
}

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Percentiles percentiles(std::vector<int64_t> ns) {
  if (ns.empty()) return {};
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ns.size())));
    return static_cast<double>(ns[std::clamp<size_t>(rank, 1, ns.size()) - 1]) / 1e6;
  };
  return {at(0.50), at(0.90), at(0.99), static_cast<double>(ns.back()) / 1e6};
}

template <typename Done>
bool wait_for(Done done, std::chrono::seconds bound) {
  const auto deadline = Clock::now() + bound;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    die(std::string(e.what()) +
        "\nusage: velocity_gateway_bench [--clients N] [--rate EVENTS_PER_S] [--seconds S] "
        "[--durability sync|none]");
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }

  auto broker = velocity::testing::BrokerProcess::start(
      {"--group-initial-rebalance-delay-ms", "0", "--durability", o.durability});
  if (!broker) die("broker: " + broker.error().message());
  auto dir = velocity::testing::TempDir::create("gateway-bench");
  if (!dir) die(dir.error().message());
  const config::Env no_env([](std::string_view) { return std::optional<std::string>(); });
  auto keys = shop::load_signing_keys(dir->path() / "data", no_env);
  if (!keys) die(keys.error().message());
  auto port = velocity::testing::free_tcp_port();
  if (!port) die(port.error().message());
  auto gateway = velocity::testing::ChildProcess::spawn(
      {"env", "VELOCITY_BROKERS=" + (*broker)->bootstrap(),
       "VELOCITY_HTTP_ADDR=127.0.0.1:" + std::to_string(*port),
       "VELOCITY_DATA_DIR=" + (dir->path() / "data").string(),
       "VELOCITY_WEB_DIR=" + dir->path().string(),
       "VELOCITY_SESSION_PUBLIC_KEY=", "VELOCITY_EDGE_KEY=", "VELOCITY_LOG_FORMAT=text",
       "VELOCITY_LOG_LEVEL=warn", VELOCITY_GATEWAY_EXECUTABLE},
      dir->path() / "gateway.out", dir->path() / "gateway.err");
  if (!gateway) die(gateway.error().message());
  const pid_t pid = (*gateway)->pid();
  const bool ready = wait_for(
      [&] {
        velocity::gateway::testing::TestClient probe(*port);
        if (!probe.connected()) return false;
        auto answer = probe.get("/readyz");
        return answer && answer->result() == velocity::gateway::http::status::ok;
      },
      std::chrono::seconds(60));
  if (!ready) die("gateway not ready: " + (*gateway)->stderr_tail());
  const double rss_started = status_mib(pid, "VmRSS");

  // The baseline: a plain consumer of the same topic in its own group, from the latest offsets.
  KafkaBusConfig bus_config;
  bus_config.bootstrap_servers = (*broker)->bootstrap();
  auto bus = KafkaBus::connect(bus_config);
  if (!bus) die(bus.error().message());
  std::mutex direct_mutex;
  std::vector<int64_t> direct;
  bool direct_warm = false;
  SubscribeOptions direct_options;
  direct_options.topics = {"shop.orders"};
  direct_options.group = "bench-direct-" + std::to_string(::getpid());
  direct_options.start = StartFrom::kLatest;
  auto subscription = (*bus)->subscribe(direct_options, [&](Delivery delivery) {
    const int64_t arrived = now_ns();
    const auto data = nlohmann::json::parse(delivery.message.payload, nullptr, false);
    {
      std::lock_guard lock(direct_mutex);
      if (data.value("warmup", false)) {
        direct_warm = true;
      } else {
        direct.push_back(arrived - data.value("sent_ns", arrived));
      }
    }
    delivery.ack();
  });
  if (!subscription) die(subscription.error().message());

  auto customer = [](size_t i) { return "bench-customer-" + std::to_string(i); };
  SseFleet fleet(*port, o.clients, [&](size_t i) {
    return shop::issue_token(*keys, customer(i), std::chrono::hours(2));
  });
  if (!wait_for([&] { return fleet.streaming() + fleet.failed() >= o.clients; },
                std::chrono::seconds(120)) ||
      fleet.failed() > 0) {
    die("only " + std::to_string(fleet.streaming()) + " of " + std::to_string(o.clients) +
        " streams opened");
  }
  const double rss_connected = status_mib(pid, "VmRSS");

  // Both consumers read from the latest offsets once their group has its partitions: warm up
  // until every stream and the baseline have had an event.
  const bool warm = wait_for(
      [&] {
        for (size_t i = 0; i < o.clients; ++i)
          (*bus)->publish_async(event_message(customer(i), {{"warmup", true}}),
                                [](Result<void>) {});
        (void)(*bus)->flush(std::chrono::seconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::lock_guard lock(direct_mutex);
        return fleet.warmed() == o.clients && direct_warm;
      },
      std::chrono::seconds(120));
  if (!warm) die("warm-up: " + std::to_string(fleet.warmed()) + " streams warmed");

  const size_t total = static_cast<size_t>(o.rate * o.seconds);
  const auto interval = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / o.rate));
  std::atomic<size_t> publish_errors{0};
  const auto start = Clock::now();
  for (size_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + interval * i);
    (*bus)->publish_async(event_message(customer(i % o.clients), {{"sent_ns", now_ns()}, {"n", i}}),
                          [&](Result<void> r) {
                            if (!r) ++publish_errors;
                          });
  }
  (void)(*bus)->flush(std::chrono::seconds(30));
  wait_for(
      [&] {
        std::lock_guard lock(direct_mutex);
        return fleet.received() >= total && direct.size() >= total;
      },
      std::chrono::seconds(30));
  const double rss_end = status_mib(pid, "VmRSS");
  const double rss_peak = status_mib(pid, "VmHWM");

  std::vector<int64_t> direct_copy;
  {
    std::lock_guard lock(direct_mutex);
    direct_copy = direct;
  }
  const auto through_gateway = percentiles(fleet.delays());
  const auto baseline = percentiles(direct_copy);
  std::printf(
      "%zu SSE clients, %zu events at %.0f/s (round robin over the clients' customers), broker "
      "durability %s, publish errors %zu\n",
      o.clients, total, o.rate, o.durability.c_str(), publish_errors.load());
  std::printf("delay publish -> received, ms        p50      p90      p99      max   received\n");
  std::printf("through the gateway (SSE)       %8.2f %8.2f %8.2f %8.2f   %zu/%zu (dup %zu)\n",
              through_gateway.p50, through_gateway.p90, through_gateway.p99, through_gateway.max,
              fleet.received(), total, fleet.duplicates());
  std::printf("baseline: direct bus consumer   %8.2f %8.2f %8.2f %8.2f   %zu/%zu\n", baseline.p50,
              baseline.p90, baseline.p99, baseline.max, direct_copy.size(), total);
  std::printf("ratio gateway / baseline        %8.2f %8.2f %8.2f\n",
              through_gateway.p50 / baseline.p50, through_gateway.p90 / baseline.p90,
              through_gateway.p99 / baseline.p99);
  std::printf(
      "gateway RSS, MiB: started %.1f, %zu streams open %.1f (%.1f KiB per stream), after the run "
      "%.1f, peak %.1f\n",
      rss_started, o.clients, rss_connected,
      (rss_connected - rss_started) * 1024.0 / static_cast<double>(o.clients), rss_end, rss_peak);

  (*subscription)->close(std::chrono::seconds(2));
  auto code = (*gateway)->terminate(std::chrono::seconds(30));
  std::printf("gateway stopped on SIGTERM: exit %d\n", code ? *code : -1);
  return through_gateway.p99 <= 100.0 && fleet.received() >= total ? 0 : 3;
}
