// librdkafka (C API) clients for the tool's commands: a configuration built from the global
// options (librdkafka's own log lines only with --verbose), owning wrappers, the check that a
// broker answers, and Kafka errors turned into messages. Handles are used from the main
// thread; the last transport error is recorded process-wide (one command per process).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>

#include "velocity/result.h"

namespace velocity::cli {

struct Globals;

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

using Properties = std::map<std::string, std::string>;

// A client of `type` for the brokers in `globals`, with `properties` applied; `configure`
// may install callbacks before the handle is created.
[[nodiscard]] Result<Handle> new_client(rd_kafka_type_t type, const Globals& globals,
                                        const Properties& properties,
                                        const std::function<void(rd_kafka_conf_t*)>& configure = {});

// Properties that keep librdkafka quiet unless --verbose (also for KafkaBus clients).
Properties quiet_properties(const Globals& globals);

// Waits until a broker answers a Metadata request. Fails early once every broker is known
// to be down, and at the latest after the request timeout; the message names the brokers
// and the last connection error.
[[nodiscard]] Result<void> await_broker(rd_kafka_t* handle, const Globals& globals);

// "what: ERROR_NAME (description)".
std::string kafka_error_text(const std::string& what, rd_kafka_resp_err_t err,
                             const char* detail = nullptr);
[[nodiscard]] std::unexpected<Error> kafka_failure(const std::string& what,
                                                   rd_kafka_resp_err_t err,
                                                   const char* detail = nullptr);

// Milliseconds as librdkafka's int timeouts.
int timeout_ms(std::chrono::milliseconds timeout);

}  // namespace velocity::cli
