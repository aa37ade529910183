#include "velocity/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <sstream>

namespace velocity::metrics {

void Counter::inc(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
double Counter::value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::set(double v) { value_.store(v, std::memory_order_relaxed); }
void Gauge::add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
double Gauge::value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  auto bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative_counts.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  // The count is the +Inf bucket, so the exposition stays self-consistent under concurrency.
  s.count = running;
  return s;
}

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace {

enum class Kind { kCounter, kGauge, kHistogram };

struct Family {
  Kind kind;
  std::string help;
  std::map<Labels, std::unique_ptr<Counter>> counters;
  std::map<Labels, std::unique_ptr<Gauge>> gauges;
  std::map<Labels, std::unique_ptr<Histogram>> histograms;
};

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_labels(const Labels& labels, const std::string& extra_name = {}, const std::string& extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escape_label(v) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form: 0.1, not 0.10000000000000001
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

}  // namespace

struct Registry::Impl {
  mutable std::mutex mu;
  std::map<std::string, Family> families;

  Family& family(const std::string& name, const std::string& help, Kind kind) {
    auto [it, inserted] = families.try_emplace(name, Family{kind, help, {}, {}, {}});
    // One name, one type: Prometheus rejects a family that mixes them, so this is a bug in
    // the caller that must be found in its first test run.
    if (!inserted && it->second.kind != kind) std::abort();
    return it->second;
  }
};

std::shared_ptr<Registry::Impl> Registry::make_impl() { return std::make_shared<Impl>(); }

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(impl_->mu);
  auto& slot = impl_->family(name, help, Kind::kCounter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(impl_->mu);
  auto& slot = impl_->family(name, help, Kind::kGauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                               std::vector<double> upper_bounds) {
  std::lock_guard lock(impl_->mu);
  auto& slot = impl_->family(name, help, Kind::kHistogram).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(upper_bounds));
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(impl_->mu);
  std::string out;
  for (const auto& [name, family] : impl_->families) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    switch (family.kind) {
      case Kind::kCounter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, c] : family.counters) {
          out += name + format_labels(labels) + " " + format_number(c->value()) + "\n";
        }
        break;
      case Kind::kGauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, g] : family.gauges) {
          out += name + format_labels(labels) + " " + format_number(g->value()) + "\n";
        }
        break;
      case Kind::kHistogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, h] : family.histograms) {
          auto s = h->snapshot();
          for (size_t i = 0; i < s.upper_bounds.size(); ++i) {
            out += name + "_bucket" + format_labels(labels, "le", format_number(s.upper_bounds[i])) + " " +
                   std::to_string(s.cumulative_counts[i]) + "\n";
          }
          out += name + "_bucket" + format_labels(labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
          out += name + "_sum" + format_labels(labels) + " " + format_number(s.sum) + "\n";
          out += name + "_count" + format_labels(labels) + " " + std::to_string(s.count) + "\n";
        }
        break;
    }
  }
  return out;
}

Registry& default_registry() {
  static Registry registry;
  return registry;
}

}  // namespace velocity::metrics
