// Metrics in the Prometheus model: counters, gauges and histograms with labels, kept in a
// Registry that renders the text exposition format for /metrics. Thread-safe: updates are
// lock-free atomics; registration and rendering take the registry's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace velocity::metrics {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void inc(double by = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v);
  void add(double by);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  // Cumulative counts per bucket (last = +Inf), sum and count, read together.
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

// Seconds-based latency buckets from 0.5 ms to 10 s.
std::vector<double> default_latency_buckets();

class Registry {
 public:
  // The same (name, labels) always returns the same object, which lives as long as the
  // registry. `help` is kept from the first registration of a name.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {},
                       std::vector<double> upper_bounds = default_latency_buckets());

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_ = make_impl();
  static std::shared_ptr<Impl> make_impl();
};

// The process-wide registry every toolkit component reports to by default.
Registry& default_registry();

}  // namespace velocity::metrics
