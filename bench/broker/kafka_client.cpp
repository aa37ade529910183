#include "kafka_client.h"

#include <fmt/format.h>

#include <array>

namespace velocity::bench {

void KafkaHandleDeleter::operator()(rd_kafka_t* handle) const {
  if (handle != nullptr) rd_kafka_destroy(handle);
}

Result<KafkaHandle> make_client(rd_kafka_type_t type, const KafkaSettings& settings,
                                const std::function<void(rd_kafka_conf_t*)>& configure) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> error{};
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("librdkafka setting {}={}: {}", name, value, error.data()));
    }
  }
  if (configure) configure(conf);
  // On success rd_kafka_new owns conf; on failure the caller still does.
  rd_kafka_t* handle = rd_kafka_new(type, conf, error.data(), error.size());
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail(ErrorCode::kInternal, fmt::format("rd_kafka_new: {}", error.data()));
  }
  return KafkaHandle(handle);
}

Result<void> create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto admin = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!admin) return std::unexpected(admin.error());
  std::array<char, 512> error{};
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error.data(), error.size());
  if (new_topic == nullptr)
    return fail(ErrorCode::kInvalidArgument, fmt::format("topic {}: {}", topic, error.data()));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin->get());
  rd_kafka_CreateTopics(admin->get(), &new_topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  Result<void> result;
  if (event == nullptr) {
    result = fail(ErrorCode::kTimeout, fmt::format("CreateTopics {}: no answer in 30 s", topic));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result = fail(ErrorCode::kIo,
                  fmt::format("CreateTopics {}: {}", topic, rd_kafka_event_error_string(event)));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** topics =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      if (rd_kafka_topic_result_error(topics[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = fail(ErrorCode::kIo,
                      fmt::format("CreateTopics {}: {}", topic,
                                  rd_kafka_err2str(rd_kafka_topic_result_error(topics[i]))));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  return result;
}

Result<int64_t> backlog_messages(rd_kafka_t* client, const std::string& topic, int partitions) {
  int64_t total = 0;
  for (int partition = 0; partition < partitions; ++partition) {
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(client, topic.c_str(), partition, &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return fail(ErrorCode::kIo,
                  fmt::format("watermarks {}/{}: {}", topic, partition, rd_kafka_err2str(err)));
    }
    total += high - low;
  }
  return total;
}

}  // namespace velocity::bench
