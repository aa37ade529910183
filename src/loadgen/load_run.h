// A load run against the store's gateway: sign up and log in `customers`, then place `orders`
// at `rate` per second (open loop: order i is due at start + i / rate whether or not earlier
// ones have been answered), each one search → add to cart → checkout, a share with the
// declining test card and a share cancelled right after being placed; then follow every order
// until it is terminal or `follow_timeout` after it was placed.
//
// Following: with `follow_events`, each customer's event stream (GET /api/events, resumed
// with Last-Event-ID after a reconnect) delivers the order's steps, and the latencies are taken
// from the events; an order is polled (GET /api/orders/{id}) only when its customer's stream
// cannot be opened, after a resync, and every 30 s as a safety net. Without it, or when no
// stream opens, every order is polled.
//
// `concurrency` worker threads, each with one keep-alive connection, take due tasks (place an
// order, poll an order) from one queue ordered by due time. run_load blocks until every order
// is terminal or given up; Progress may be read from other threads while it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "loadgen/summary.h"

namespace velocity::loadgen {

struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  size_t customers = 200;
  size_t orders = 10000;
  double rate = 500;  // orders per second
  double decline_share = 0.05;
  double cancel_share = 0.05;
  size_t concurrency = 64;
  std::chrono::milliseconds poll_interval{
      200};  // young orders; older ones less often (load_run.cpp)
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::seconds follow_timeout{300};
  uint64_t seed = 0;  // 0: random
  bool follow_events = true;  // follow by the gateway's event stream; false: poll
};

// Live counters. in flight = placed − completed − cancelled − given up.
struct Progress {
  std::atomic<size_t> customers_ready{0};
  std::atomic<size_t> placed{0};
  std::atomic<size_t> not_placed{0};
  std::atomic<size_t> confirmed{0};
  std::atomic<size_t> completed{0};
  std::atomic<size_t> cancelled{0};
  std::atomic<size_t> given_up{0};
  std::atomic<size_t> errors{0};
  std::atomic<bool> signing_up{true};
};

// Fails (returns an empty RunResult with errors) only as far as the store does; never throws.
RunResult run_load(const LoadOptions& options, Progress& progress);

}  // namespace velocity::loadgen
