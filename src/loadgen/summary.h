// What a load run observed and the summary made of it: per order the times (seconds since
// the run started) at which the follower first saw it placed, confirmed, completed or
// cancelled; counts, throughput, latency percentiles and errors by kind. Plain values.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace velocity::loadgen {

enum class OrderKind { kNormal, kDeclined, kCancelled };  // what the run meant to do with it

struct OrderRecord {
  OrderKind kind = OrderKind::kNormal;
  std::string order_id;  // empty: never placed
  std::string status;    // last status seen
  std::string cancel_reason_code;
  std::optional<double> placed_at;     // checkout answered 201/200
  std::optional<double> confirmed_at;  // first seen confirmed or later on the happy path
  std::optional<double> completed_at;
  std::optional<double> cancelled_at;
  bool terminal() const { return completed_at.has_value() || cancelled_at.has_value(); }
};

// How the run followed its orders: "events" (the gateway's event stream per customer, polling
// only where a stream failed, after a resync, and as a slow safety net) or "poll".
struct FollowStats {
  std::string mode = "poll";
  size_t streams = 0;          // customers whose stream opened
  size_t streams_failed = 0;   // customers given up (their orders were polled)
  size_t reconnects = 0;       // streams reopened with Last-Event-ID
  size_t resyncs = 0;          // resumes the gateway could not serve (orders polled once)
  size_t events = 0;           // event frames received
  size_t steps_from_events = 0;    // confirmed/completed/cancelled first seen in an event
  size_t steps_from_requests = 0;  // ... in an HTTP answer (checkout, cancel, poll)
};

struct RunResult {
  size_t customers_requested = 0;
  size_t customers_ready = 0;            // registered and logged in
  std::vector<OrderRecord> orders;       // one per requested order
  std::map<std::string, size_t> errors;  // "checkout: HTTP 409", "poll: connection", ...
  double placing_seconds = 0;            // first to last placement attempt
  double total_seconds = 0;              // until the last order was terminal or given up
  double target_rate = 0;
  FollowStats follow;
};

struct Percentiles {
  size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0;  // milliseconds
};

// Nearest-rank percentiles of `samples` (any order); all zero when empty.
Percentiles percentiles(std::vector<double> samples);

// {orders: {requested, placed, not_placed, confirmed, completed, cancelled, cancelled_by_reason,
// not_terminal}, customers, follow, seconds, orders_per_second, latency_ms: {placed_to_confirmed,
// placed_to_completed}, errors, error_count}.
nlohmann::json summarize(const RunResult& run);

// The same summary for people, several lines.
std::string summary_text(const nlohmann::json& summary);

}  // namespace velocity::loadgen
