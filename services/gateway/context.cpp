#include "gateway/context.h"

namespace velocity::gateway {

uint64_t ConnectionSet::add(std::weak_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_id_++;
  connections_.emplace(id, std::move(connection));
  return id;
}

void ConnectionSet::remove(uint64_t id) {
  std::lock_guard lock(mutex_);
  connections_.erase(id);
  if (connections_.empty()) empty_.notify_all();
}

size_t ConnectionSet::size() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

std::vector<std::shared_ptr<Connection>> ConnectionSet::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Connection>> out;
  out.reserve(connections_.size());
  for (const auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) out.push_back(std::move(connection));
  }
  return out;
}

bool ConnectionSet::wait_empty(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return empty_.wait_until(lock, deadline, [&] { return connections_.empty(); });
}

Context::Context(GatewayConfig config_in, metrics::Registry& registry_in)
    : config(std::move(config_in)),
      registry(registry_in),
      static_files(config.web_dir),
      hub(HubOptions{config.sse.events_per_customer, config.sse.buffered_customers,
                     config.sse.client_queue, 0},
          registry_in) {}

void Context::count_request(std::string_view route, unsigned status,
                            std::chrono::steady_clock::duration took) {
  const std::string route_label(route);
  registry
      .counter("gateway_requests_total",
               "Requests answered by the gateway, by route class and status",
               {{"route", route_label}, {"status", std::to_string(status)}})
      .inc();
  registry
      .histogram("gateway_request_duration_seconds",
                 "Time from a request's headers to its answer, by route class",
                 {{"route", route_label}})
      .observe(std::chrono::duration<double>(took).count());
}

metrics::Histogram& Context::upstream_latency(const std::string& service) {
  return registry.histogram("gateway_upstream_duration_seconds",
                            "Time for a service to answer a forwarded request",
                            {{"service", service}});
}

}  // namespace velocity::gateway
