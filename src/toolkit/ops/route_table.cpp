#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>

#include "velocity/ops_server.h"

namespace velocity::ops {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// How well a route's pattern (split into segments) matches the request's segments: nullopt when
// it does not, else the number of literal segments (more is a better match). Fills `params`.
std::optional<size_t> match(const std::vector<std::string>& want, const std::vector<std::string_view>& have,
                            std::vector<std::pair<std::string, std::string>>& params) {
  if (want.size() != have.size()) return std::nullopt;
  size_t literal = 0;
  std::vector<std::pair<std::string, std::string>> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      found.emplace_back(want[i].substr(1, want[i].size() - 2), std::string(have[i]));
    } else if (want[i] == have[i]) {
      ++literal;
    } else {
      return std::nullopt;
    }
  }
  params = std::move(found);
  return literal;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::string HttpRequest::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string> HttpRequest::query(std::string_view name) const {
  const auto mark = target.find('?');
  if (mark == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(target).substr(mark + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

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
  std::vector<std::string> split;
  for (const auto segment : segments(path)) split.emplace_back(segment);
  routes_.push_back(Route{std::move(method), std::move(path), std::move(split), std::move(handler)});
}

HttpResponse RouteTable::handle(HttpRequest request) const {
  const std::string path = request.path();
  const auto have = segments(path);
  RouteHandler handler;
  std::string allow;
  {
    std::shared_lock lock(mutex_);
    std::optional<size_t> best;
    for (const auto& route : routes_) {
      std::vector<std::pair<std::string, std::string>> params;
      const auto score = match(route.segments, have, params);
      if (!score) continue;
      if (route.method != request.method) {
        allow += allow.empty() ? route.method : ", " + route.method;
        continue;
      }
      if (!best || *score > *best) {
        best = score;
        handler = route.handler;
        request.params = std::move(params);
      }
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
