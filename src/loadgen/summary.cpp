#include "loadgen/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace velocity::loadgen {

Percentiles percentiles(std::vector<double> samples) {
  Percentiles p;
  p.count = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    // Nearest rank: the smallest sample with at least q of all samples at or below it.
    const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  return p;
}

namespace {

nlohmann::json to_json(const Percentiles& p) {
  return {{"count", p.count}, {"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"p99_9", p.p999}};
}

}  // namespace

nlohmann::json summarize(const RunResult& run) {
  size_t placed = 0, confirmed = 0, completed = 0, cancelled = 0, not_terminal = 0;
  std::map<std::string, size_t> by_reason;
  std::vector<double> to_confirmed, to_completed;
  for (const auto& o : run.orders) {
    if (!o.placed_at) continue;
    ++placed;
    if (o.confirmed_at) {
      ++confirmed;
      to_confirmed.push_back((*o.confirmed_at - *o.placed_at) * 1000.0);
    }
    if (o.completed_at) {
      ++completed;
      to_completed.push_back((*o.completed_at - *o.placed_at) * 1000.0);
    } else if (o.cancelled_at) {
      ++cancelled;
      ++by_reason[o.cancel_reason_code.empty() ? "unknown" : o.cancel_reason_code];
    } else {
      ++not_terminal;
    }
  }
  size_t error_count = 0;
  for (const auto& [kind, n] : run.errors) error_count += n;
  const double seconds = run.placing_seconds > 0 ? run.placing_seconds : 0;
  return {
      {"customers", {{"requested", run.customers_requested}, {"ready", run.customers_ready}}},
      {"orders",
       {{"requested", run.orders.size()},
        {"placed", placed},
        {"not_placed", run.orders.size() - placed},
        {"confirmed", confirmed},
        {"completed", completed},
        {"cancelled", cancelled},
        {"cancelled_by_reason", by_reason},
        {"not_terminal", not_terminal}}},
      {"follow",
       {{"mode", run.follow.mode},
        {"streams", run.follow.streams},
        {"streams_failed", run.follow.streams_failed},
        {"reconnects", run.follow.reconnects},
        {"resyncs", run.follow.resyncs},
        {"events", run.follow.events},
        {"steps_from_events", run.follow.steps_from_events},
        {"steps_from_requests", run.follow.steps_from_requests}}},
      {"target_rate", run.target_rate},
      {"placing_seconds", run.placing_seconds},
      {"total_seconds", run.total_seconds},
      {"orders_per_second", seconds > 0 ? static_cast<double>(placed) / seconds : 0.0},
      {"latency_ms",
       {{"placed_to_confirmed", to_json(percentiles(to_confirmed))},
        {"placed_to_completed", to_json(percentiles(to_completed))}}},
      {"errors", run.errors},
      {"error_count", error_count},
  };
}

std::string summary_text(const nlohmann::json& s) {
  std::string out;
  char line[512];
  const auto& o = s["orders"];
  std::snprintf(line, sizeof line, "orders     %zu requested, %zu placed, %zu not placed\n",
                o["requested"].get<size_t>(), o["placed"].get<size_t>(),
                o["not_placed"].get<size_t>());
  out += line;
  std::snprintf(line, sizeof line,
                "           %zu confirmed, %zu completed, %zu cancelled, %zu not terminal\n",
                o["confirmed"].get<size_t>(), o["completed"].get<size_t>(),
                o["cancelled"].get<size_t>(), o["not_terminal"].get<size_t>());
  out += line;
  for (const auto& [reason, n] : o["cancelled_by_reason"].items()) {
    std::snprintf(line, sizeof line, "           cancelled %s: %zu\n", reason.c_str(),
                  n.get<size_t>());
    out += line;
  }
  std::snprintf(
      line, sizeof line,
      "throughput %.1f orders/s placed (target %.1f) over %.1f s; all terminal after %.1f s\n",
      s["orders_per_second"].get<double>(), s["target_rate"].get<double>(),
      s["placing_seconds"].get<double>(), s["total_seconds"].get<double>());
  out += line;
  if (s.contains("follow") && s["follow"].is_object()) {
    const auto& f = s["follow"];
    if (f.value("mode", "") == "events") {
      std::snprintf(line, sizeof line,
                    "followed   by events: %zu streams (%zu failed, %zu reconnects, %zu resyncs), %zu "
                    "events; steps seen %zu in events, %zu in HTTP answers\n",
                    f.value("streams", size_t{0}), f.value("streams_failed", size_t{0}),
                    f.value("reconnects", size_t{0}), f.value("resyncs", size_t{0}), f.value("events", size_t{0}),
                    f.value("steps_from_events", size_t{0}), f.value("steps_from_requests", size_t{0}));
    } else {
      std::snprintf(line, sizeof line, "followed   by polling GET /api/orders/{id}\n");
    }
    out += line;
  }
  out += "latency ms        count      p50      p90      p99    p99.9\n";
  for (const char* name : {"placed_to_confirmed", "placed_to_completed"}) {
    const auto& p = s["latency_ms"][name];
    std::snprintf(line, sizeof line, "  %-20s %6zu %8.0f %8.0f %8.0f %8.0f\n", name,
                  p["count"].get<size_t>(), p["p50"].get<double>(), p["p90"].get<double>(),
                  p["p99"].get<double>(), p["p99_9"].get<double>());
    out += line;
  }
  std::snprintf(line, sizeof line, "errors     %zu\n", s["error_count"].get<size_t>());
  out += line;
  for (const auto& [kind, n] : s["errors"].items()) {
    std::snprintf(line, sizeof line, "  %-40s %zu\n", kind.c_str(), n.get<size_t>());
    out += line;
  }
  return out;
}

}  // namespace velocity::loadgen
