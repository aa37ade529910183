// What every connection of one gateway shares: its configuration, keys, static files, upstream
// pools, event hub, readiness, metrics, and the set of open connections that a graceful stop
// walks. Owned by the Gateway; thread-safe (read-only after start, or atomic, or locked).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/config.h"
#include "gateway/event_hub.h"
#include "gateway/static_files.h"
#include "gateway/upstream_pool.h"
#include "shop/session_token.h"
#include "velocity/health.h"
#include "velocity/metrics.h"
#include "velocity/ops_server.h"

namespace velocity::gateway {

class Connection;

// The open connections, so that a stop can close the idle ones and wait for the busy ones.
class ConnectionSet {
 public:
  uint64_t add(std::weak_ptr<Connection> connection);
  void remove(uint64_t id);
  size_t size() const;
  std::vector<std::shared_ptr<Connection>> snapshot() const;
  // True once empty, false if `deadline` passed first.
  bool wait_empty(std::chrono::steady_clock::time_point deadline) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable empty_;
  uint64_t next_id_ = 1;  // 0 is "never added"
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections_;
};

struct Context {
  Context(GatewayConfig config_in, metrics::Registry& registry_in);

  // Counts one answered request: `route` is its class (static, api, events, ops, rejected,
  // malformed).
  void count_request(std::string_view route, unsigned status,
                     std::chrono::steady_clock::duration took);
  metrics::Histogram& upstream_latency(const std::string& service);

  const GatewayConfig config;
  metrics::Registry& registry;
  shop::SessionKeys keys;
  std::string edge_key;
  StaticFiles static_files;
  std::map<std::string, std::unique_ptr<UpstreamPool>, std::less<>> upstreams;
  EventHub hub;
  ops::Readiness readiness;
  ops::RouteTable ops_routes;
  std::atomic<bool> stopping{false};
  ConnectionSet connections;
};

}  // namespace velocity::gateway
