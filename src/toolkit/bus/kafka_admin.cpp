// ensure_topics: CreateTopics through librdkafka's C Admin API (the C++ API has none).
#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>

#include "velocity/kafka_bus.h"

namespace velocity {

namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* h) const { rd_kafka_destroy(h); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};

}  // namespace

Result<void> ensure_topics(const std::string& bootstrap_servers,
                           const std::vector<std::string>& names, int partitions,
                           std::chrono::milliseconds timeout) {
  if (names.empty()) return {};
  std::array<char, 512> err{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers.c_str(), err.data(),
                        err.size()) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return fail(ErrorCode::kInvalidArgument, std::string("ensure_topics: ") + err.data());
  }
  std::unique_ptr<rd_kafka_t, HandleDeleter> handle(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size()));
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    return fail(ErrorCode::kInternal, std::string("ensure_topics: ") + err.data());
  }
  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> owned;
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const auto& name : names) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err.data(), err.size());
    if (t == nullptr) {
      return fail(ErrorCode::kInvalidArgument, "ensure_topics " + name + ": " + err.data());
    }
    owned.emplace_back(t);
    topics.push_back(t);
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(handle.get()));
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(handle.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                            err.data(), err.size());
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                              err.data(), err.size());
  rd_kafka_CreateTopics(handle.get(), topics.data(), topics.size(), options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
  if (!event) return fail(ErrorCode::kTimeout, "ensure_topics: no CreateTopics result");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(ErrorCode::kIo,
                std::string("ensure_topics: ") + rd_kafka_event_error_string(event.get()));
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    return fail(ErrorCode::kIo, std::string("ensure_topics ") + rd_kafka_topic_result_name(results[i]) +
                                    ": " + rd_kafka_err2str(e));
  }
  return {};
}

}  // namespace velocity
