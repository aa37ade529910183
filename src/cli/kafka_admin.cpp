#include "cli/kafka_admin.h"

#include <algorithm>
#include <array>

#include "cli/admin_request.h"

namespace velocity::cli {
namespace {

std::unexpected<Error> topic_missing(const std::string& name) {
  return fail(ErrorCode::kNotFound, "topic " + name + " does not exist");
}

Result<void> check_topic_result(const rd_kafka_topic_result_t* const* results, std::size_t count,
                                const std::string& what) {
  if (count != 1) return fail(ErrorCode::kInternal, what + ": no result for the topic");
  if (const auto err = rd_kafka_topic_result_error(results[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_failure(what, err, rd_kafka_topic_result_error_string(results[0]));
  }
  return {};
}

}  // namespace

Result<KafkaAdmin> KafkaAdmin::connect(const Globals& globals) {
  auto handle = new_client(RD_KAFKA_PRODUCER, globals, {});
  if (!handle) return std::unexpected(handle.error());
  if (auto reached = await_broker(handle->get(), globals); !reached) {
    return std::unexpected(reached.error());
  }
  return KafkaAdmin(std::move(*handle), globals);
}

Result<std::vector<TopicInfo>> KafkaAdmin::metadata() {
  const rd_kafka_metadata_t* metadata = nullptr;
  // all_topics=1 lists what exists and never asks the broker to create anything.
  const auto err = rd_kafka_metadata(handle_.get(), 1, nullptr, &metadata,
                                     timeout_ms(globals_->request_timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_failure("Metadata", err);
  std::vector<TopicInfo> topics;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const auto& topic = metadata->topics[t];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    TopicInfo info{topic.topic, {}};
    for (int p = 0; p < topic.partition_cnt; ++p) {
      info.partitions.push_back({topic.partitions[p].id, topic.partitions[p].leader, -1, -1});
    }
    std::ranges::sort(info.partitions, {}, &PartitionInfo::id);
    topics.push_back(std::move(info));
  }
  rd_kafka_metadata_destroy(metadata);
  std::ranges::sort(topics, {}, &TopicInfo::name);
  return topics;
}

Result<std::vector<TopicInfo>> KafkaAdmin::list_topics() { return metadata(); }

Result<void> KafkaAdmin::require_topic(const std::string& name) {
  auto topics = metadata();
  if (!topics) return std::unexpected(topics.error());
  if (std::ranges::find(*topics, name, &TopicInfo::name) == topics->end()) {
    return topic_missing(name);
  }
  return {};
}

Result<TopicInfo> KafkaAdmin::describe_topic(const std::string& name) {
  auto topics = metadata();
  if (!topics) return std::unexpected(topics.error());
  auto found = std::ranges::find(*topics, name, &TopicInfo::name);
  if (found == topics->end()) return topic_missing(name);
  TopicInfo info = std::move(*found);
  for (auto& partition : info.partitions) {
    auto marks = watermarks(name, partition.id);
    if (!marks) return std::unexpected(marks.error());
    partition.low = marks->first;
    partition.high = marks->second;
  }
  return info;
}

Result<std::pair<std::int64_t, std::int64_t>> KafkaAdmin::watermarks(const std::string& topic,
                                                                    std::int32_t partition) {
  std::int64_t low = -1;
  std::int64_t high = -1;
  const auto err = rd_kafka_query_watermark_offsets(handle_.get(), topic.c_str(), partition, &low,
                                                    &high, timeout_ms(globals_->request_timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_failure("ListOffsets " + topic + "/" + std::to_string(partition), err);
  }
  return std::pair{low, high};
}

Result<std::map<std::int32_t, std::int64_t>> KafkaAdmin::offsets_for_time(
    const std::string& topic, const std::vector<std::int32_t>& partitions, std::int64_t time_ms) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto partition : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = time_ms;
  }
  const auto err =
      rd_kafka_offsets_for_times(handle_.get(), list.get(), timeout_ms(globals_->request_timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_failure("ListOffsets by time " + topic, err);
  std::map<std::int32_t, std::int64_t> offsets;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& element = list->elems[i];
    if (element.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_failure("ListOffsets by time " + topic + "/" + std::to_string(element.partition),
                           element.err);
    }
    offsets[element.partition] = element.offset;
  }
  return offsets;
}

Result<void> KafkaAdmin::create_topic(const std::string& name, int partitions,
                                      int replication_factor,
                                      const std::map<std::string, std::string>& configs) {
  const std::string what = "create topic " + name;
  std::array<char, 512> errstr{};
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(name.c_str(), partitions, replication_factor,
                                                     errstr.data(), errstr.size());
  if (topic == nullptr) return fail(ErrorCode::kInvalidArgument, what + ": " + errstr.data());
  for (const auto& [key, value] : configs) {
    rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str());
  }
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = admin_options(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, globals_->request_timeout);
  rd_kafka_CreateTopics(handle_.get(), &topic, 1, options.get(), queue.get());
  rd_kafka_NewTopic_destroy(topic);
  auto event = await_admin_result(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT,
                                  globals_->request_timeout, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event->get()), &count);
  return check_topic_result(results, count, what);
}

Result<void> KafkaAdmin::delete_topic(const std::string& name) {
  // DeleteTopics of an unknown topic is an error too, but this one names the topic plainly.
  if (auto exists = require_topic(name); !exists) return exists;
  const std::string what = "delete topic " + name;
  rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(name.c_str());
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = admin_options(handle_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, globals_->request_timeout);
  rd_kafka_DeleteTopics(handle_.get(), &request, 1, options.get(), queue.get());
  rd_kafka_DeleteTopic_destroy(request);
  auto event = await_admin_result(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT,
                                  globals_->request_timeout, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event->get()), &count);
  return check_topic_result(results, count, what);
}

Result<std::vector<ConfigEntry>> KafkaAdmin::topic_configs(const std::string& name) {
  const std::string what = "describe configs of topic " + name;
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options =
      admin_options(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, globals_->request_timeout);
  rd_kafka_DescribeConfigs(handle_.get(), &resource, 1, options.get(), queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  auto event = await_admin_result(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
                                  globals_->request_timeout, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event->get()), &count);
  if (count != 1) return fail(ErrorCode::kInternal, what + ": no result for the topic");
  if (const auto err = rd_kafka_ConfigResource_error(resources[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_failure(what, err, rd_kafka_ConfigResource_error_string(resources[0]));
  }
  std::size_t entry_count = 0;
  const auto* entries = rd_kafka_ConfigResource_configs(resources[0], &entry_count);
  std::vector<ConfigEntry> configs;
  for (std::size_t i = 0; i < entry_count; ++i) {
    ConfigEntry entry;
    entry.name = rd_kafka_ConfigEntry_name(entries[i]);
    if (const char* value = rd_kafka_ConfigEntry_value(entries[i]); value != nullptr) {
      entry.value = value;
    }
    entry.source = rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(entries[i]));
    entry.is_default = rd_kafka_ConfigEntry_is_default(entries[i]) != 0;
    configs.push_back(std::move(entry));
  }
  std::ranges::sort(configs, {}, &ConfigEntry::name);
  return configs;
}

}  // namespace velocity::cli
