// The bus conformance suite (src/toolkit/bus/bus_conformance.h) against KafkaBus on two
// Kafka backends: a velocity-broker child process, and librdkafka's in-process mock cluster
// of three brokers. Both declare idempotent retries and broker restarts: velocity-broker by
// stopping and restarting its process, the mock by taking all its brokers down and up.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <thread>

#include "support/broker_process.h"
#include "toolkit/bus/bus_conformance.h"
#include "velocity/kafka_bus.h"

namespace velocity::bus_conformance {
namespace {

using testing::BrokerProcess;

KafkaBusConfig bus_config(const std::string& bootstrap) {
  KafkaBusConfig config;
  config.bootstrap_servers = bootstrap;
  config.client_id = "toolkit-bus-test";
  // Quick reconnects after a broker restart keep the restart cases short.
  config.properties = {{"reconnect.backoff.ms", "50"}, {"reconnect.backoff.max.ms", "500"}};
  return config;
}

class VelocityBrokerUnderTest final : public BusUnderTest {
 public:
  static Result<std::unique_ptr<BusUnderTest>> start() {
    auto broker = BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
    if (!broker) return std::unexpected(broker.error());
    auto bus = KafkaBus::connect(bus_config((*broker)->bootstrap()));
    if (!bus) return std::unexpected(bus.error());
    return std::unique_ptr<BusUnderTest>(new VelocityBrokerUnderTest(std::move(*broker), std::move(*bus)));
  }
  Publisher& publisher() override { return *bus_; }
  Subscriber& subscriber() override { return *bus_; }
  Result<void> create_topic(const std::string& topic, int partitions) override {
    return ensure_topics(broker_->bootstrap(), {topic}, partitions);
  }
  // A restart closes every connection: produce requests in flight are retried.
  Result<void> break_connections() override { return restart_broker(); }
  Result<void> restart_broker() override {
    auto stopped = broker_->stop();
    if (!stopped) return std::unexpected(stopped.error());
    return broker_->restart();
  }

 private:
  VelocityBrokerUnderTest(std::unique_ptr<BrokerProcess> broker, std::unique_ptr<KafkaBus> bus)
      : broker_(std::move(broker)), bus_(std::move(bus)) {}
  std::unique_ptr<BrokerProcess> broker_;  // declared first: outlives the bus
  std::unique_ptr<KafkaBus> bus_;
};

// librdkafka's mock cluster lives inside a client handle of this process; its brokers listen
// on real localhost ports, so KafkaBus talks to it like to any cluster.
class MockClusterUnderTest final : public BusUnderTest {
 public:
  static constexpr int kBrokers = 3;

  static Result<std::unique_ptr<BusUnderTest>> start() {
    auto self = std::unique_ptr<MockClusterUnderTest>(new MockClusterUnderTest());
    std::array<char, 512> err{};
    self->host_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err.data(), err.size());
    if (self->host_ == nullptr) return fail(ErrorCode::kInternal, std::string("mock host: ") + err.data());
    self->cluster_ = rd_kafka_mock_cluster_new(self->host_, kBrokers);
    if (self->cluster_ == nullptr) return fail(ErrorCode::kInternal, "rd_kafka_mock_cluster_new failed");
    KafkaBusConfig config = bus_config(rd_kafka_mock_cluster_bootstraps(self->cluster_));
    // The mock waits session.timeout.ms - 1 s for members before each rebalance of a
    // non-empty group (3 s fixed for an empty one), and evicts members whose JoinGroup waits
    // longer than their session: 4 s is as short as works.
    config.properties["session.timeout.ms"] = "4000";
    config.properties["heartbeat.interval.ms"] = "300";
    auto bus = KafkaBus::connect(std::move(config));
    if (!bus) return std::unexpected(bus.error());
    self->bus_ = std::move(*bus);
    return std::unique_ptr<BusUnderTest>(std::move(self));
  }
  ~MockClusterUnderTest() override {
    bus_.reset();
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
    if (host_ != nullptr) rd_kafka_destroy(host_);
  }
  Publisher& publisher() override { return *bus_; }
  Subscriber& subscriber() override { return *bus_; }
  // The mock has no CreateTopics; it creates topics through its own API.
  Result<void> create_topic(const std::string& topic, int partitions) override {
    const auto err = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(ErrorCode::kIo, rd_kafka_err2str(err));
    return {};
  }
  // Takes one broker (a partition leader) down mid-publish, then brings it back.
  Result<void> break_connections() override { return bounce({1}); }
  Result<void> restart_broker() override { return bounce({1, 2, 3}); }

 private:
  MockClusterUnderTest() = default;
  Result<void> bounce(const std::vector<int32_t>& ids) {
    for (int32_t id : ids) {
      if (auto e = rd_kafka_mock_broker_set_down(cluster_, id); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(ErrorCode::kIo, std::string("broker down: ") + rd_kafka_err2str(e));
      }
    }
    // Down long enough for clients to notice the closed connections and start retrying.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (int32_t id : ids) {
      if (auto e = rd_kafka_mock_broker_set_up(cluster_, id); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(ErrorCode::kIo, std::string("broker up: ") + rd_kafka_err2str(e));
      }
    }
    return {};
  }
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::unique_ptr<KafkaBus> bus_;
};

const std::vector<Backend> kBackends = {
    {"VelocityBroker",
     {Capability::kIdempotentRetries, Capability::kBrokerRestart, Capability::kOffsetsByTime},
     &VelocityBrokerUnderTest::start},
    // Not kOffsetsByTime: the mock cluster answers ListOffsets by timestamp with no offset.
    {"MockCluster",
     {Capability::kIdempotentRetries, Capability::kBrokerRestart},
     &MockClusterUnderTest::start},
};

VELOCITY_BUS_CONFORMANCE(kBackends);

}  // namespace
}  // namespace velocity::bus_conformance
