#include "loadgen/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

namespace velocity::loadgen {
namespace {

struct Series {
  std::string name;
  std::string colour;
  std::vector<std::pair<double, double>> points;  // x ascending
};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 || v == std::floor(v) ? "%.0f" : "%.1f", v);
  return buf;
}

// A line chart with axes, five ticks on each and a legend. Empty series draw as a note.
std::string line_chart(const std::string& title, const std::string& x_label,
                       const std::string& y_label, const std::vector<Series>& series) {
  constexpr double kWidth = 820, kHeight = 280, kLeft = 64, kRight = 16, kTop = 34, kBottom = 44;
  double max_x = 1, max_y = 1;
  bool any = false;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      max_x = std::max(max_x, x);
      max_y = std::max(max_y, y);
      any = true;
    }
  max_y *= 1.1;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + x / max_x * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / max_y * plot_h; };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(kWidth) +
                    "\" height=\"" + number(kHeight) + "\" viewBox=\"0 0 " + number(kWidth) + " " +
                    number(kHeight) + "\" role=\"img\" aria-label=\"" + escape(title) + "\">\n";
  svg +=
      "<text x=\"" + number(kLeft) + "\" y=\"20\" class=\"title\">" + escape(title) + "</text>\n";
  svg += "<rect x=\"" + number(kLeft) + "\" y=\"" + number(kTop) + "\" width=\"" + number(plot_w) +
         "\" height=\"" + number(plot_h) + "\" fill=\"none\" stroke=\"#999\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double y = max_y * i / 4, x = max_x * i / 4;
    svg += "<line x1=\"" + number(kLeft) + "\" x2=\"" + number(kLeft + plot_w) + "\" y1=\"" +
           number(py(y)) + "\" y2=\"" + number(py(y)) + "\" stroke=\"#eee\"/>";
    svg += "<text x=\"" + number(kLeft - 6) + "\" y=\"" + number(py(y) + 4) +
           "\" text-anchor=\"end\">" + number(y) + "</text>";
    svg += "<text x=\"" + number(px(x)) + "\" y=\"" + number(kTop + plot_h + 16) +
           "\" text-anchor=\"middle\">" + number(x) + "</text>\n";
  }
  svg += "<text x=\"" + number(kLeft + plot_w / 2) + "\" y=\"" + number(kHeight - 6) +
         "\" text-anchor=\"middle\">" + escape(x_label) + "</text>";
  svg += "<text x=\"14\" y=\"" + number(kTop + plot_h / 2) +
         "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + number(kTop + plot_h / 2) +
         ")\">" + escape(y_label) + "</text>\n";
  if (!any) {
    svg += "<text x=\"" + number(kLeft + plot_w / 2) + "\" y=\"" + number(kTop + plot_h / 2) +
           "\" text-anchor=\"middle\">no data</text>\n";
  }
  double legend_x = kLeft + 240;
  for (const auto& s : series) {
    std::string points;
    for (const auto& [x, y] : s.points) points += number(px(x)) + "," + number(py(y)) + " ";
    if (!points.empty())
      svg += "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"" + s.colour + "\" points=\"" +
             points + "\"/>\n";
    svg += "<rect x=\"" + number(legend_x) + "\" y=\"11\" width=\"12\" height=\"4\" fill=\"" +
           s.colour + "\"/>";
    svg += "<text x=\"" + number(legend_x + 16) + "\" y=\"17\">" + escape(s.name) + "</text>\n";
    legend_x += 24 + 7.0 * static_cast<double>(s.name.size());
  }
  svg += "</svg>\n";
  return svg;
}

// Per second of `at`, the count of orders whose `at` falls in it.
Series per_second(const std::string& name, const std::string& colour,
                  const std::vector<OrderRecord>& orders, std::optional<double> OrderRecord::*at,
                  size_t seconds) {
  std::vector<double> counts(seconds, 0);
  for (const auto& o : orders) {
    const auto& t = o.*at;
    if (!t) continue;
    const auto s = static_cast<size_t>(*t);
    if (s < seconds) counts[s] += 1;
  }
  Series out{name, colour, {}};
  for (size_t s = 0; s < seconds; ++s) out.points.emplace_back(static_cast<double>(s), counts[s]);
  return out;
}

// Per second of placement, the q-quantile of (until − placed_at) in milliseconds.
Series latency_by_second(const std::string& name, const std::string& colour,
                         const std::vector<OrderRecord>& orders,
                         std::optional<double> OrderRecord::*until, double q) {
  std::map<size_t, std::vector<double>> buckets;
  for (const auto& o : orders) {
    const auto& t = o.*until;
    if (!o.placed_at || !t) continue;
    buckets[static_cast<size_t>(*o.placed_at)].push_back((*t - *o.placed_at) * 1000.0);
  }
  Series out{name, colour, {}};
  for (auto& [second, samples] : buckets) {
    const auto p = percentiles(std::move(samples));
    out.points.emplace_back(static_cast<double>(second), q >= 0.99 ? p.p99 : p.p50);
  }
  return out;
}

std::string row(const std::string& name, const std::string& value) {
  return "<tr><th>" + escape(name) + "</th><td>" + escape(value) + "</td></tr>\n";
}

}  // namespace

std::string render_report(const RunResult& run, const nlohmann::json& summary,
                          const nlohmann::json& extra) {
  const auto seconds = static_cast<size_t>(std::ceil(run.total_seconds)) + 1;
  std::string html = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Velocity load report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:900px}
table{border-collapse:collapse;margin:8px 0 20px}th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td{font-variant-numeric:tabular-nums}svg{display:block;margin:12px 0 24px}svg text{font:11px sans-serif;fill:#333}
svg text.title{font:bold 13px sans-serif}.ok{color:#186a18}.bad{color:#a11}pre{background:#f6f6f6;padding:8px}
</style></head><body>
<h1>Velocity load report</h1>
)";
  const auto& o = summary["orders"];
  html += "<h2>Orders</h2><table>\n";
  for (const char* key :
       {"requested", "placed", "not_placed", "confirmed", "completed", "cancelled", "not_terminal"})
    html += row(key, o[key].dump());
  for (const auto& [reason, n] : o["cancelled_by_reason"].items())
    html += row("cancelled: " + reason, n.dump());
  html += row("orders/s placed", number(summary["orders_per_second"].get<double>()) + " (target " +
                                     number(summary["target_rate"].get<double>()) + ")");
  html += row("run time", number(summary["total_seconds"].get<double>()) + " s");
  html +=
      "</table>\n<h2>Latency (ms, from the first time each status was seen)</h2><table>\n"
      "<tr><th></th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th></tr>\n";
  for (const char* name : {"placed_to_confirmed", "placed_to_completed"}) {
    const auto& p = summary["latency_ms"][name];
    html += "<tr><th>" + std::string(name) + "</th><td>" + p["count"].dump() + "</td><td>" +
            number(p["p50"].get<double>()) + "</td><td>" + number(p["p90"].get<double>()) +
            "</td><td>" + number(p["p99"].get<double>()) + "</td><td>" +
            number(p["p99_9"].get<double>()) + "</td></tr>\n";
  }
  html += "</table>\n";
  html += line_chart(
      "Latency by second of placement", "seconds since start", "ms",
      {latency_by_second("completed p50", "#1f77b4", run.orders, &OrderRecord::completed_at, 0.5),
       latency_by_second("completed p99", "#d62728", run.orders, &OrderRecord::completed_at, 0.99),
       latency_by_second("confirmed p50", "#2ca02c", run.orders, &OrderRecord::confirmed_at, 0.5)});
  html += line_chart(
      "Throughput per second", "seconds since start", "orders/s",
      {per_second("placed", "#1f77b4", run.orders, &OrderRecord::placed_at, seconds),
       per_second("completed", "#2ca02c", run.orders, &OrderRecord::completed_at, seconds),
       per_second("cancelled", "#ff7f0e", run.orders, &OrderRecord::cancelled_at, seconds)});
  html += "<h2>Errors</h2><table>\n";
  if (summary["errors"].empty()) html += row("none", "0");
  for (const auto& [kind, n] : summary["errors"].items()) html += row(kind, n.dump());
  html += "</table>\n";
  if (extra.contains("memory") && !extra["memory"].is_null()) {
    const auto& m = extra["memory"];
    html += "<h2>Peak resident memory</h2><table>\n";
    for (const auto& p : m["processes"]) {
      const auto bytes = p["peak_bytes"].get<int64_t>();
      html += row(p["name"].get<std::string>() + " (pid " + p["pid"].dump() + ")",
                  bytes < 0 ? "gone" : number(static_cast<double>(bytes) / (1 << 20)) + " MiB");
    }
    const bool within = m["within_goal"].get<bool>();
    html += "<tr><th>total</th><td class=\"" + std::string(within ? "ok" : "bad") + "\">" +
            number(static_cast<double>(m["total_bytes"].get<int64_t>()) / (1 << 20)) +
            " MiB of the 1024 MiB goal</td></tr>\n";
    html += "</table>\n";
  }
  if (extra.contains("check") && !extra["check"].is_null()) {
    const bool ok = extra.value("check_ok", false);
    html += "<h2>Invariant check: <span class=\"" +
            std::string(ok ? "ok\">passed" : "bad\">failed") + "</span></h2>\n";
    html += "<pre>" + escape(extra.value("check_text", std::string{})) + "</pre>\n";
  }
  html += "</body></html>\n";
  return html;
}

bool write_report(const std::filesystem::path& path, const std::string& html, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot write " + path.string();
    return false;
  }
  out << html;
  out.close();
  if (!out) {
    error = "cannot write " + path.string();
    return false;
  }
  return true;
}

}  // namespace velocity::loadgen
