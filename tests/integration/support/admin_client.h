// AdminClient: librdkafka's C Admin API (the C++ API has none) behind blocking calls that each
// wait at most the given timeout. Owns one client handle; use from one thread at a time.
// A Kafka error is returned as an Error whose context names it (e.g. "TOPIC_ALREADY_EXISTS");
// TOPIC_ALREADY_EXISTS maps to ErrorCode::kAlreadyExists, unknown topic to kNotFound.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "common/result.h"

namespace velocity::testing {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::map<std::string, std::string> configs;
};

class AdminClient {
 public:
  [[nodiscard]] static Result<AdminClient> connect(
      const std::string& bootstrap, std::chrono::milliseconds timeout = std::chrono::seconds(15));

  [[nodiscard]] Result<void> create_topic(const TopicSpec& spec);
  [[nodiscard]] Result<void> delete_topic(const std::string& topic);
  // Grows the topic to `total_partitions`.
  [[nodiscard]] Result<void> create_partitions(const std::string& topic, int total_partitions);
  // Every config entry the broker reports for the topic, name → value (null values as "").
  [[nodiscard]] Result<std::map<std::string, std::string>> describe_topic_configs(
      const std::string& topic);
  // Deletes the records of one partition before `offset`; returns the new low watermark.
  [[nodiscard]] Result<std::int64_t> delete_records_before(const std::string& topic,
                                                           std::int32_t partition,
                                                           std::int64_t offset);
  // Topic names and partition counts from a Metadata request for all topics.
  [[nodiscard]] Result<std::map<std::string, int>> list_topics();

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
  };
  AdminClient(rd_kafka_t* handle, std::chrono::milliseconds timeout)
      : handle_(handle), timeout_(timeout) {}

  std::unique_ptr<rd_kafka_t, HandleDeleter> handle_;
  std::chrono::milliseconds timeout_;
};

}  // namespace velocity::testing
