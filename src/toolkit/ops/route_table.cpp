#include <mutex>
#include <nlohmann/json.hpp>

#include "velocity/ops_server.h"

namespace velocity::ops {

HttpResponse json_error(int status, std::string_view message) {
  return HttpResponse{status, "application/json", nlohmann::json{{"error", message}}.dump(), {}};
}

void RouteTable::add(std::string method, std::string path, RouteHandler handler) {
  std::unique_lock lock(mutex_);
  for (auto& route : routes_) {
    if (route.method == method && route.path == path) {
      route.handler = std::move(handler);
      return;
    }
  }
  routes_.push_back(Route{std::move(method), std::move(path), std::move(handler)});
}

HttpResponse RouteTable::handle(const HttpRequest& request) const {
  const std::string path = request.path();
  RouteHandler handler;
  std::string allow;
  {
    std::shared_lock lock(mutex_);
    for (const auto& route : routes_) {
      if (route.path != path) continue;
      if (route.method == request.method) {
        handler = route.handler;
        break;
      }
      allow += allow.empty() ? route.method : ", " + route.method;
    }
  }
  if (!handler) {
    if (allow.empty()) return json_error(404, "no route for " + path);
    auto response = json_error(405, "method " + request.method + " not allowed on " + path);
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  // A failing handler answers 500 for this request; the server keeps serving.
  try {
    return handler(request);
  } catch (const std::exception& e) {
    return json_error(500, std::string("handler failed: ") + e.what());
  } catch (...) {
    return json_error(500, "handler failed");
  }
}

void add_ops_routes(RouteTable& routes, const Readiness& readiness,
                    const metrics::Registry& registry) {
  routes.add("GET", "/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "application/json", R"({"status":"ok"})", {}};
  });
  routes.add("GET", "/readyz", [&readiness](const HttpRequest&) {
    const auto report = readiness.evaluate();
    if (report.ready) return HttpResponse{200, "application/json", R"({"status":"ready"})", {}};
    nlohmann::json failing = nlohmann::json::array();
    for (const auto& f : report.failing)
      failing.push_back({{"check", f.check}, {"reason", f.reason}});
    nlohmann::json body{{"status", "not ready"}, {"failing", std::move(failing)}};
    return HttpResponse{503, "application/json", body.dump(), {}};
  });
  routes.add("GET", "/metrics", [&registry](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", registry.render(), {}};
  });
}

}  // namespace velocity::ops
