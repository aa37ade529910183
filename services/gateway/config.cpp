#include "gateway/config.h"

#include <algorithm>
#include <cctype>

#include "velocity/kafka_bus.h"

namespace velocity::gateway {
namespace {

// "orders" → "VELOCITY_ORDERS_ADDR".
std::string address_variable(std::string_view service) {
  std::string name = "VELOCITY_";
  for (const char c : service)
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name + "_ADDR";
}

}  // namespace

std::filesystem::path resolve_web_dir(std::string_view configured,
                                      const std::filesystem::path& source_web_dir) {
  if (!configured.empty()) return std::filesystem::path(configured);
  std::error_code ec;
  if (std::filesystem::is_directory("web", ec)) return std::filesystem::path("web");
  return source_web_dir;
}

Result<GatewayConfig> GatewayConfig::from_env(const std::filesystem::path& source_web_dir,
                                              const config::Env& env) {
  GatewayConfig c;
  // Each read either fills its field or ends with the error naming the variable.
  auto take = [](auto result, auto& field) -> Result<void> {
    if (!result) return std::unexpected(result.error());
    field = std::move(*result);
    return {};
  };
  std::string data_dir;
  std::string web_dir;
  int64_t partitions = 0;
  int64_t max_connections = 0;
  int64_t threads = 0;
  int64_t client_queue = 0;
  int64_t per_customer = 0;
  int64_t customers = 0;
  for (auto step : {
           take(env.endpoint("VELOCITY_HTTP_ADDR", "127.0.0.1:8080"), c.listen),
           take(env.string("VELOCITY_DATA_DIR", "var"), data_dir),
           take(env.string("VELOCITY_WEB_DIR", ""), web_dir),
           take(env.string("VELOCITY_BROKERS", default_bootstrap_servers()), c.brokers),
           take(env.integer("VELOCITY_TOPIC_PARTITIONS", 4, 1, 1024), partitions),
           take(env.duration("VELOCITY_UPSTREAM_TIMEOUT", c.upstream_timeout), c.upstream_timeout),
           take(env.duration("VELOCITY_READ_TIMEOUT", c.read_timeout), c.read_timeout),
           take(env.integer("VELOCITY_MAX_CONNECTIONS", 10000, 1, 1'000'000), max_connections),
           take(env.integer("VELOCITY_HTTP_THREADS", 2, 1, 64), threads),
           take(env.duration("VELOCITY_SHUTDOWN_TIMEOUT", c.shutdown_bound), c.shutdown_bound),
           take(env.duration("VELOCITY_SSE_HEARTBEAT", c.sse.heartbeat), c.sse.heartbeat),
           take(env.integer("VELOCITY_SSE_CLIENT_QUEUE", 512, 1, 1'000'000), client_queue),
           take(env.integer("VELOCITY_SSE_BUFFER", 256, 1, 100'000), per_customer),
           take(env.integer("VELOCITY_SSE_CUSTOMERS", 1024, 1, 10'000'000), customers),
       }) {
    if (!step) return std::unexpected(step.error());
  }
  for (const auto& service : kUpstreamServices) {
    auto address = env.endpoint(address_variable(service.name), service.default_address);
    if (!address) return std::unexpected(address.error());
    c.upstreams.emplace(std::string(service.name), *address);
  }
  c.data_dir = data_dir;
  c.web_dir = resolve_web_dir(web_dir, source_web_dir);
  c.topic_partitions = static_cast<int>(partitions);
  c.max_connections = static_cast<size_t>(max_connections);
  c.threads = static_cast<size_t>(threads);
  c.sse.client_queue = static_cast<size_t>(client_queue);
  c.sse.events_per_customer = static_cast<size_t>(per_customer);
  c.sse.buffered_customers = static_cast<size_t>(customers);
  return c;
}

}  // namespace velocity::gateway
