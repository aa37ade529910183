// The plumbing of one librdkafka Admin API call: owning wrappers for its queue, options and
// result event, and a bounded wait for the result. Used by KafkaAdmin only; main thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>

#include "velocity/result.h"

namespace velocity::cli {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const { rd_kafka_AdminOptions_destroy(options); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using AdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;

// Options for `op` whose request (and, for topic changes, operation) times out after `timeout`.
AdminOptions admin_options(rd_kafka_t* handle, rd_kafka_admin_op_t op,
                           std::chrono::milliseconds timeout);

// Waits for the result event of one admin call; a request-level error fails with `what`.
[[nodiscard]] Result<Event> await_admin_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                               std::chrono::milliseconds timeout,
                                               const std::string& what);

}  // namespace velocity::cli
