// The HTTP endpoint of every process: /healthz (alive), /readyz (every readiness check passes)
// and /metrics (Prometheus text), plus the routes a process adds (a service's JSON API). Small
// on purpose: a few threads, bounded requests, JSON errors, routes with `{name}` path segments.
// OpsServer is thread-safe; it borrows the Readiness and metrics Registry, which must outlive it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "velocity/config.h"
#include "velocity/health.h"
#include "velocity/metrics.h"
#include "velocity/result.h"

namespace velocity::ops {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/readyz?verbose=1"
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::vector<std::pair<std::string, std::string>> params;   // from the route's {name} segments

  std::string path() const { return target.substr(0, target.find('?')); }
  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  // A path parameter of the matched route; empty when the route has none of that name.
  std::string param(std::string_view name) const;
  // A query-string parameter, percent-decoded, or nullopt.
  std::optional<std::string> query(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Allow
};

// {"error": "<message>"} with the given status.
HttpResponse json_error(int status, std::string_view message);

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

// Dispatch by (method, path) without any socket, so routing is tested on its own. Unknown path →
// 404, known path with another method → 405 with Allow, a throwing handler → 500. Thread-safe.
class RouteTable {
 public:
  // Replaces an earlier route with the same method and path. A path segment written `{name}`
  // matches any one non-empty segment and is passed to the handler as a parameter; a route
  // with literal segments wins over one with a parameter in the same place.
  void add(std::string method, std::string path, RouteHandler handler);
  HttpResponse handle(HttpRequest request) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    std::vector<std::string> segments;  // of `path`, split once when the route is added
    RouteHandler handler;
  };
  mutable std::shared_mutex mutex_;
  std::vector<Route> routes_;
};

// Adds GET /healthz, /readyz and /metrics to `routes`.
void add_ops_routes(RouteTable& routes, const Readiness& readiness,
                    const metrics::Registry& registry);

struct OpsServerOptions {
  config::Endpoint bind{"0.0.0.0", 9100};        // port 0 picks a free port (tests)
  size_t header_limit = 8 * 1024;                // request line + headers; over it → 431
  size_t body_limit = 64 * 1024;                 // over it → 413
  std::chrono::milliseconds read_timeout{5000};  // per request, from its first byte to its last
  size_t max_connections = 64;                   // further connections are closed at once
  size_t threads = 1;                            // handlers of different connections run in parallel

  // VELOCITY_METRICS_ADDR (host:port, default `default_bind`), VELOCITY_METRICS_READ_TIMEOUT.
  static Result<OpsServerOptions> from_env(std::string_view default_bind = "0.0.0.0:9100",
                                           const config::Env& env = config::Env());
};

class OpsServer {
 public:
  // Binds, then serves on its own thread until stop() or destruction.
  [[nodiscard]] static Result<std::unique_ptr<OpsServer>> start(
      OpsServerOptions options, const Readiness& readiness,
      const metrics::Registry& registry = metrics::default_registry());
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // More routes, e.g. a debug page; may be called while serving. Handlers run on the server's
  // thread and must be quick.
  void add_route(std::string method, std::string path, RouteHandler handler);

  // The bound port (the real one when options asked for 0).
  uint16_t port() const;

  // Stops accepting, drops open connections and joins the thread. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit OpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace velocity::ops
