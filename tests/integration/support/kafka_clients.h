// librdkafka (C++ API) helpers for the integration tests: configuration, topic set-up,
// a producer that reports every delivery, and a consumer that reads partitions from the
// beginning to their end. Each call creates and destroys its own client handles, so calls
// are independent and safe from any thread. Every wait is bounded by an explicit timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "common/result.h"
#include "support/broker_process.h"

namespace velocity::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Settings = std::map<std::string, std::string>;

struct OutgoingRecord {
  std::string key;
  std::string value;
  Headers headers;
  std::int32_t partition = RdKafka::Topic::PARTITION_UA;  // unassigned: partitioner decides
  std::int64_t timestamp_ms = 0;                          // 0: producer's clock
};

struct Delivery {
  RdKafka::ErrorCode error = RdKafka::ERR__IN_PROGRESS;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

struct ConsumedRecord {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string value;
  Headers headers;
  std::int64_t timestamp_ms = -1;
};

// A configuration with bootstrap.servers set and `settings` applied.
[[nodiscard]] Result<std::unique_ptr<RdKafka::Conf>> client_conf(const std::string& bootstrap,
                                                                  const Settings& settings);

// Creates the topic through the Admin API (CreateTopics) on our broker; against the mock,
// which has no CreateTopics, lets Metadata auto-create it with the mock's default partition
// count. Returns the partition count the broker then reports.
[[nodiscard]] Result<int> create_topic(const BrokerProcess& broker, const std::string& topic,
                                       int partitions);

// The partition count of `topic` from a Metadata request (error if the topic is unknown).
[[nodiscard]] Result<int> partition_count(const std::string& bootstrap, const std::string& topic);

// Produces every record (in order) and waits for all delivery reports, up to `timeout`.
// deliveries[i] belongs to records[i]. Fails only if the producer cannot be created or the
// reports do not all arrive in time; per-record errors are in the deliveries.
[[nodiscard]] Result<std::vector<Delivery>> produce_all(
    const std::string& bootstrap, const std::string& topic,
    const std::vector<OutgoingRecord>& records, const Settings& settings,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Assigns partitions 0..partitions-1 from the beginning (KafkaConsumer::assign, no group
// rebalance) and reads until every partition has reported its end, or until `timeout`.
[[nodiscard]] Result<std::vector<ConsumedRecord>> consume_from_beginning(
    const std::string& bootstrap, const std::string& topic, int partitions,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Low and high watermark of one partition, asked of the broker (ListOffsets).
[[nodiscard]] Result<std::pair<std::int64_t, std::int64_t>> query_watermarks(
    const std::string& bootstrap, const std::string& topic, std::int32_t partition);

// The current test's name, turned into a topic name unique within the run:
// "<suite>-<test>-<suffix>" with characters Kafka forbids replaced.
std::string topic_for_this_test(const std::string& suffix = "");

}  // namespace velocity::testing
