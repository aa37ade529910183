#include "support/admin_client.h"

#include <array>

#include <fmt/format.h>

namespace velocity::testing {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const { rd_kafka_AdminOptions_destroy(options); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using Options = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

std::unexpected<Error> kafka_error(rd_kafka_resp_err_t err, const std::string& what,
                                   const char* message = nullptr) {
  ErrorCode code = ErrorCode::kInternal;
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) code = ErrorCode::kAlreadyExists;
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) code = ErrorCode::kNotFound;
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) code = ErrorCode::kTimeout;
  return fail(code, fmt::format("{}: {} ({})", what, rd_kafka_err2name(err),
                                message != nullptr ? message : rd_kafka_err2str(err)));
}

Options make_options(rd_kafka_t* handle, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  Options options(rd_kafka_AdminOptions_new(handle, op));
  std::array<char, 512> errstr{};
  const int ms = static_cast<int>(timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, errstr.data(), errstr.size());
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS || op == RD_KAFKA_ADMIN_OP_DELETERECORDS) {
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), ms, errstr.data(), errstr.size());
  }
  return options;
}

// Waits for the one result event of an admin call; a request-level error fails it.
Result<Event> await_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                           std::chrono::milliseconds timeout, const std::string& what) {
  // The admin request itself times out after `timeout`; give its result a little longer.
  Event event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000));
  if (!event) return fail(ErrorCode::kTimeout, fmt::format("{}: no result event", what));
  if (rd_kafka_event_type(event.get()) != type) {
    return fail(ErrorCode::kInternal,
                fmt::format("{}: unexpected event {}", what, rd_kafka_event_name(event.get())));
  }
  if (const auto err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(err, what, rd_kafka_event_error_string(event.get()));
  }
  return event;
}

Result<void> check_topic_results(const rd_kafka_topic_result_t* const* results, std::size_t count,
                                 const std::string& what) {
  if (count != 1) {
    return fail(ErrorCode::kInternal, fmt::format("{}: {} topic results, want 1", what, count));
  }
  if (const auto err = rd_kafka_topic_result_error(results[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(err, what, rd_kafka_topic_result_error_string(results[0]));
  }
  return {};
}

}  // namespace

Result<AdminClient> AdminClient::connect(const std::string& bootstrap,
                                         std::chrono::milliseconds timeout) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> errstr{};
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr.data(),
                        errstr.size()) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return fail(ErrorCode::kInvalidArgument, errstr.data());
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr.data(), errstr.size());
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail(ErrorCode::kInternal, fmt::format("admin client: {}", errstr.data()));
  }
  return AdminClient(handle, timeout);
}

Result<void> AdminClient::create_topic(const TopicSpec& spec) {
  const std::string what = fmt::format("CreateTopics {}", spec.name);
  std::array<char, 512> errstr{};
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                                     spec.replication_factor, errstr.data(),
                                                     errstr.size());
  if (topic == nullptr) return fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", what, errstr.data()));
  for (const auto& [name, value] : spec.configs) {
    rd_kafka_NewTopic_set_config(topic, name.c_str(), value.c_str());
  }
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_);
  rd_kafka_CreateTopics(handle_.get(), &topic, 1, options.get(), queue.get());
  rd_kafka_NewTopic_destroy(topic);
  auto event = await_result(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout_, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event->get()), &count);
  return check_topic_results(results, count, what);
}

Result<void> AdminClient::delete_topic(const std::string& topic) {
  const std::string what = fmt::format("DeleteTopics {}", topic);
  rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(topic.c_str());
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_);
  rd_kafka_DeleteTopics(handle_.get(), &request, 1, options.get(), queue.get());
  rd_kafka_DeleteTopic_destroy(request);
  auto event = await_result(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout_, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* results = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(event->get()), &count);
  return check_topic_results(results, count, what);
}

Result<void> AdminClient::create_partitions(const std::string& topic, int total_partitions) {
  const std::string what = fmt::format("CreatePartitions {} to {}", topic, total_partitions);
  std::array<char, 512> errstr{};
  rd_kafka_NewPartitions_t* request =
      rd_kafka_NewPartitions_new(topic.c_str(), static_cast<std::size_t>(total_partitions),
                                 errstr.data(), errstr.size());
  if (request == nullptr) return fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", what, errstr.data()));
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout_);
  rd_kafka_CreatePartitions(handle_.get(), &request, 1, options.get(), queue.get());
  rd_kafka_NewPartitions_destroy(request);
  auto event = await_result(queue.get(), RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, timeout_, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(event->get()), &count);
  return check_topic_results(results, count, what);
}

Result<std::map<std::string, std::string>> AdminClient::describe_topic_configs(
    const std::string& topic) {
  const std::string what = fmt::format("DescribeConfigs {}", topic);
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_);
  rd_kafka_DescribeConfigs(handle_.get(), &resource, 1, options.get(), queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  auto event = await_result(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout_, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event->get()), &count);
  if (count != 1) return fail(ErrorCode::kInternal, fmt::format("{}: {} resources", what, count));
  if (const auto err = rd_kafka_ConfigResource_error(resources[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(err, what, rd_kafka_ConfigResource_error_string(resources[0]));
  }
  std::map<std::string, std::string> configs;
  std::size_t entries = 0;
  const auto* entry = rd_kafka_ConfigResource_configs(resources[0], &entries);
  for (std::size_t i = 0; i < entries; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(entry[i]);
    configs[rd_kafka_ConfigEntry_name(entry[i])] = value != nullptr ? value : "";
  }
  return configs;
}

Result<std::int64_t> AdminClient::delete_records_before(const std::string& topic,
                                                        std::int32_t partition,
                                                        std::int64_t offset) {
  const std::string what = fmt::format("DeleteRecords {}/{} before {}", topic, partition, offset);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = offset;
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(offsets);
  rd_kafka_topic_partition_list_destroy(offsets);
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout_);
  rd_kafka_DeleteRecords(handle_.get(), &request, 1, options.get(), queue.get());
  rd_kafka_DeleteRecords_destroy(request);
  auto event = await_result(queue.get(), RD_KAFKA_EVENT_DELETERECORDS_RESULT, timeout_, what);
  if (!event) return std::unexpected(event.error());
  const auto* result = rd_kafka_DeleteRecords_result_offsets(
      rd_kafka_event_DeleteRecords_result(event->get()));
  if (result == nullptr || result->cnt != 1) {
    return fail(ErrorCode::kInternal, fmt::format("{}: no partition result", what));
  }
  if (result->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(result->elems[0].err, what);
  return result->elems[0].offset;
}

Result<std::map<std::string, int>> AdminClient::list_topics() {
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto err = rd_kafka_metadata(handle_.get(), 1, nullptr, &metadata,
                                     static_cast<int>(timeout_.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "Metadata (all topics)");
  std::map<std::string, int> topics;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (metadata->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      topics[metadata->topics[i].topic] = metadata->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return topics;
}

}  // namespace velocity::testing
