// The bus conformance suite against MemoryBus. Kafka backends run the same suite in
// tests/integration/toolkit_bus_test.cpp.
#include "toolkit/bus/bus_conformance.h"
#include "velocity/memory_bus.h"

namespace velocity::bus_conformance {
namespace {

class MemoryBusUnderTest final : public BusUnderTest {
 public:
  Publisher& publisher() override { return bus_; }
  Subscriber& subscriber() override { return bus_; }
  Result<void> create_topic(const std::string& topic, int partitions) override {
    return bus_.create_topic(topic, partitions);
  }

 private:
  MemoryBus bus_{MemoryBusOptions{.default_partitions = 4, .redelivery_delay = std::chrono::milliseconds(5)}};
};

// MemoryBus keeps nothing across a restart and has no connections to break: it declares
// neither kIdempotentRetries nor kBrokerRestart. It assigns partitions within subscribe(), so
// "latest" is the moment of subscribe() (kOffsetsByTime).
const std::vector<Backend> kBackends = {
    {"MemoryBus", {Capability::kOffsetsByTime}, []() -> Result<std::unique_ptr<BusUnderTest>> {
       return std::make_unique<MemoryBusUnderTest>();
     }},
};

VELOCITY_BUS_CONFORMANCE(kBackends);

}  // namespace
}  // namespace velocity::bus_conformance
