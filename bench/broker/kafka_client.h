// Thin owners of librdkafka handles for the broker benchmark: a configured producer, consumer
// or admin client destroyed with its owner, and topic creation through the Admin API. A handle
// is as thread-safe as librdkafka makes one rd_kafka_t; errors come back as Result.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace velocity::bench {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* handle) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

// librdkafka properties in the order they are applied ("acks" = "all", ...).
using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

// Creates a client; `configure` may install callbacks or an opaque on the conf first.
[[nodiscard]] Result<KafkaHandle> make_client(
    rd_kafka_type_t type, const KafkaSettings& settings,
    const std::function<void(rd_kafka_conf_t*)>& configure = {});

// Creates `topic` with `partitions` partitions; a topic that already exists is an error, so
// every run starts from an empty log.
[[nodiscard]] Result<void> create_topic(const std::string& bootstrap, const std::string& topic,
                                        int partitions);

// Sum over partitions of (high watermark - low watermark): the backlog a consumer can read.
[[nodiscard]] Result<int64_t> backlog_messages(rd_kafka_t* client, const std::string& topic,
                                               int partitions);

}  // namespace velocity::bench
