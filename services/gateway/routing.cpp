#include "gateway/routing.h"

#include <algorithm>
#include <cctype>

#include "gateway/config.h"

namespace velocity::gateway {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_service(std::string_view name) {
  return std::ranges::any_of(kUpstreamServices, [&](const auto& s) { return s.name == name; });
}

// `admin`, in any case, also when followed by an encoded slash ("admin%2Fadjust"): a service
// must never be reached on an admin route through the gateway, whatever the spelling.
bool is_admin_segment(std::string_view decoded) {
  const std::string l = lower(decoded);
  return l == "admin" || l.starts_with("admin/") || l.starts_with("admin\\");
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

std::vector<std::string> decoded_segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) out.push_back(percent_decode(path.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

std::string query_parameter(std::string_view target, std::string_view name) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string_view::npos) return {};
      std::string value(pair.substr(eq + 1));
      std::ranges::replace(value, '+', ' ');
      return percent_decode(value);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

Route classify(std::string_view target) {
  if (target.empty() || target.front() != '/') return {RouteKind::kBadTarget, {}};
  const std::string_view path = target_path(target);
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") return {RouteKind::kOps, {}};
  const auto segments = decoded_segments(path);
  if (segments.empty() || segments.front() != "api") return {RouteKind::kStatic, {}};
  for (const auto& segment : segments) {
    if (segment == "." || segment == ".." || segment.find('\0') != std::string::npos) {
      return {RouteKind::kBadTarget, {}};
    }
  }
  if (segments.size() == 2 && segments[1] == "events") return {RouteKind::kEvents, {}};
  if (segments.size() < 2 || !is_service(segments[1])) return {RouteKind::kUnknownService, {}};
  if (segments.size() >= 3 && is_admin_segment(segments[2])) {
    return {RouteKind::kAdminBlocked, segments[1]};
  }
  return {RouteKind::kApi, segments[1]};
}

}  // namespace velocity::gateway
