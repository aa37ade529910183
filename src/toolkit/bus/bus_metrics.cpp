#include "toolkit/bus/bus_metrics.h"

#include <unordered_map>

#include "velocity/metrics.h"

namespace velocity::bus {
namespace {

// One cache per thread and metric: the registry takes a lock and builds a label map per
// lookup, too much for every message. Counters live as long as the process-wide registry.
metrics::Counter& per_topic(const char* name, const char* help, const std::string& topic,
                            std::unordered_map<std::string, metrics::Counter*>& cache) {
  auto it = cache.find(topic);
  if (it == cache.end()) {
    it = cache.emplace(topic, &metrics::default_registry().counter(name, help, {{"topic", topic}})).first;
  }
  return *it->second;
}

}  // namespace

void count_produced(const std::string& topic, double n) {
  thread_local std::unordered_map<std::string, metrics::Counter*> cache;
  per_topic("velocity_messages_produced_total", "Messages the bus accepted durably", topic, cache).inc(n);
}

void count_delivered(const std::string& topic) {
  thread_local std::unordered_map<std::string, metrics::Counter*> cache;
  per_topic("velocity_messages_delivered_total", "Messages handed to a subscription's handler", topic, cache)
      .inc();
}

}  // namespace velocity::bus
