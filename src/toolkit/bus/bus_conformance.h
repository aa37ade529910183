// The bus conformance suite: one set of GoogleTest cases that every Publisher/Subscriber
// backend must pass. A test file describes its backends (a name, the capabilities it
// promises, a factory) and instantiates the suites with VELOCITY_BUS_CONFORMANCE. Cases that
// need a capability live in their own suite, instantiated only with backends that declare it.
// Include from exactly one test file per executable: it defines the test cases.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "velocity/bus.h"

namespace velocity::bus_conformance {

enum class Capability {
  // Publish retries after a broken connection never duplicate a message (idempotent
  // producer); the backend can break its connections mid-publish.
  kIdempotentRetries,
  // The backend can restart its broker; publishers and subscriptions reconnect by themselves.
  kBrokerRestart,
  // The backend finds a partition's first message at or after a time (Kafka: ListOffsets by
  // timestamp), so a StartFrom::kLatest group sees everything published from subscribe() on.
  kOffsetsByTime,
};

// One running backend for one test. Owned by the test fixture.
class BusUnderTest {
 public:
  virtual ~BusUnderTest() = default;
  virtual Publisher& publisher() = 0;
  virtual Subscriber& subscriber() = 0;
  [[nodiscard]] virtual Result<void> create_topic(const std::string& topic, int partitions) = 0;
  // kIdempotentRetries: breaks the broker connections so in-flight produce requests retry.
  [[nodiscard]] virtual Result<void> break_connections() {
    return fail(ErrorCode::kUnsupported, "break_connections");
  }
  // kBrokerRestart: stops the broker and starts it again; returns once it serves again.
  [[nodiscard]] virtual Result<void> restart_broker() {
    return fail(ErrorCode::kUnsupported, "restart_broker");
  }
};

struct Backend {
  std::string name;  // a C identifier: it names the test instances
  std::set<Capability> capabilities;
  std::function<Result<std::unique_ptr<BusUnderTest>>()> start;
};

// Test names and failure messages show the backend's name, not its bytes.
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

inline std::vector<Backend> with_capability(const std::vector<Backend>& all, Capability c) {
  std::vector<Backend> out;
  for (const auto& b : all) {
    if (b.capabilities.contains(c)) out.push_back(b);
  }
  return out;
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

class BusConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A fresh topic named after the test, created with `partitions`.
  std::string new_topic(int partitions);
  std::unique_ptr<BusUnderTest> bus_;
};

class BusConformanceIdempotentRetries : public BusConformance {};
class BusConformanceBrokerRestart : public BusConformance {};
class BusConformanceOffsetsByTime : public BusConformance {};

}  // namespace velocity::bus_conformance

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BusConformanceIdempotentRetries);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BusConformanceBrokerRestart);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BusConformanceOffsetsByTime);

// Instantiates every conformance suite for `backends` (a std::vector<Backend>), each
// capability suite only with the backends that declare the capability.
#define VELOCITY_BUS_CONFORMANCE(backends)                                                    \
  INSTANTIATE_TEST_SUITE_P(Bus, BusConformance, ::testing::ValuesIn(backends),                \
                           ::velocity::bus_conformance::backend_name);                        \
  INSTANTIATE_TEST_SUITE_P(                                                                   \
      Bus, BusConformanceIdempotentRetries,                                                   \
      ::testing::ValuesIn(::velocity::bus_conformance::with_capability(                       \
          backends, ::velocity::bus_conformance::Capability::kIdempotentRetries)),            \
      ::velocity::bus_conformance::backend_name);                                             \
  INSTANTIATE_TEST_SUITE_P(                                                                   \
      Bus, BusConformanceBrokerRestart,                                                       \
      ::testing::ValuesIn(::velocity::bus_conformance::with_capability(                       \
          backends, ::velocity::bus_conformance::Capability::kBrokerRestart)),                \
      ::velocity::bus_conformance::backend_name);                                             \
  INSTANTIATE_TEST_SUITE_P(                                                                   \
      Bus, BusConformanceOffsetsByTime,                                                       \
      ::testing::ValuesIn(::velocity::bus_conformance::with_capability(                       \
          backends, ::velocity::bus_conformance::Capability::kOffsetsByTime)),                \
      ::velocity::bus_conformance::backend_name)

#include "toolkit/bus/bus_conformance_cases.h"
