// The gateway's settings, read from the environment (twelve-factor, see docs/api.md for the
// addresses): where it listens, where each service and the storefront live, its request
// limits and its live-update buffers. A plain value; thread-safe as values are.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "velocity/config.h"
#include "velocity/result.h"

namespace velocity::gateway {

// The services behind the gateway, in the order of docs/api.md, with their usual addresses.
struct UpstreamService {
  std::string_view name;
  std::string_view default_address;
};
inline constexpr UpstreamService kUpstreamServices[] = {
    {"users", "127.0.0.1:8081"},     {"catalog", "127.0.0.1:8082"},
    {"cart", "127.0.0.1:8083"},      {"orders", "127.0.0.1:8084"},
    {"inventory", "127.0.0.1:8085"}, {"payments", "127.0.0.1:8086"},
    {"shipping", "127.0.0.1:8087"},  {"notifications", "127.0.0.1:8088"}};

struct SseSettings {
  std::chrono::milliseconds heartbeat{15000};  // VELOCITY_SSE_HEARTBEAT: comment line when idle
  size_t client_queue = 512;                   // VELOCITY_SSE_CLIENT_QUEUE: frames a client may lag
  size_t events_per_customer = 256;            // VELOCITY_SSE_BUFFER: kept for Last-Event-ID resume
  size_t buffered_customers = 1024;            // VELOCITY_SSE_CUSTOMERS: LRU cap of those buffers
};

struct GatewayConfig {
  config::Endpoint listen{"127.0.0.1", 8080};  // VELOCITY_HTTP_ADDR
  std::filesystem::path data_dir = "var";      // VELOCITY_DATA_DIR: session.pub, edge.key
  std::filesystem::path web_dir;               // VELOCITY_WEB_DIR (see resolve_web_dir)
  std::string brokers;                         // VELOCITY_BROKERS (default 127.0.0.1:9092)
  int topic_partitions = 4;                    // VELOCITY_TOPIC_PARTITIONS, for topics it creates
  std::map<std::string, config::Endpoint, std::less<>> upstreams;  // VELOCITY_<SERVICE>_ADDR
  std::chrono::milliseconds upstream_timeout{10000};  // VELOCITY_UPSTREAM_TIMEOUT → 504
  std::chrono::milliseconds read_timeout{
      15000};                       // VELOCITY_READ_TIMEOUT: one request; idle keep-alive
  size_t header_limit = 16 * 1024;  // request line + headers → 431
  size_t body_limit = 1024 * 1024;  // → 413
  size_t max_connections = 10000;   // VELOCITY_MAX_CONNECTIONS
  size_t threads = 2;               // VELOCITY_HTTP_THREADS
  std::chrono::milliseconds shutdown_bound{10000};  // VELOCITY_SHUTDOWN_TIMEOUT
  SseSettings sse;

  // Every field from the environment; `source_web_dir` is the storefront of the source tree,
  // used when neither VELOCITY_WEB_DIR nor ./web exists.
  [[nodiscard]] static Result<GatewayConfig> from_env(const std::filesystem::path& source_web_dir,
                                                      const config::Env& env = config::Env());
};

// VELOCITY_WEB_DIR when set; else `web` under the working directory if it exists; else the
// source tree's storefront.
std::filesystem::path resolve_web_dir(std::string_view configured,
                                      const std::filesystem::path& source_web_dir);

}  // namespace velocity::gateway
