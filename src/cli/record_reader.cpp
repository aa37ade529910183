#include "cli/record_reader.h"

#include <csignal>
#include <map>
#include <set>

#include "cli/kafka_admin.h"

namespace velocity::cli {
namespace {

volatile std::sig_atomic_t interrupted = 0;

void on_signal(int /*signal*/) { interrupted = 1; }

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Shared with the rebalance callback through the handle's opaque.
struct GroupState {
  const std::map<std::int32_t, std::int64_t>* starts = nullptr;  // null: committed positions
  bool assigned = false;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* state = static_cast<GroupState*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (state->starts != nullptr) {
      for (int i = 0; i < partitions->cnt; ++i) {
        auto found = state->starts->find(partitions->elems[i].partition);
        if (found != state->starts->end()) partitions->elems[i].offset = found->second;
      }
    }
    state->error = rd_kafka_assign(handle, partitions);
    state->assigned = true;
  } else {
    state->error = rd_kafka_assign(handle, nullptr);
  }
}

Record to_record(const rd_kafka_message_t& message) {
  Record record;
  record.topic = rd_kafka_topic_name(message.rkt);
  record.partition = message.partition;
  record.offset = message.offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, &type);
  if (message.key != nullptr) {
    record.key.emplace(static_cast<const char*>(message.key), message.key_len);
  }
  if (message.payload != nullptr) {
    record.value.emplace(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      std::optional<std::string> text;
      if (value != nullptr) text.emplace(static_cast<const char*>(value), size);
      record.headers.emplace_back(name, std::move(text));
    }
  }
  return record;
}

// Errors a consumer recovers from by itself (the broker comes back, a leader moves).
bool transient(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
         err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
         err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
}

// librdkafka's start offset for every partition to read.
Result<std::map<std::int32_t, std::int64_t>> start_offsets(KafkaAdmin& admin,
                                                           const std::vector<std::int32_t>& partitions,
                                                           const ReadOptions& options) {
  std::map<std::int32_t, std::int64_t> starts;
  const StartPosition start = options.start.value_or(StartPosition{});
  if (start.kind == StartPosition::Kind::kTime) {
    auto found = admin.offsets_for_time(options.topic, partitions, start.value);
    if (!found) return std::unexpected(found.error());
    // No message at or after that time: start at the end, seeing only new messages.
    for (const auto& [partition, offset] : *found) {
      starts[partition] = offset >= 0 ? offset : RD_KAFKA_OFFSET_END;
    }
    return starts;
  }
  for (const auto partition : partitions) {
    switch (start.kind) {
      case StartPosition::Kind::kEarliest: starts[partition] = RD_KAFKA_OFFSET_BEGINNING; break;
      case StartPosition::Kind::kLatest: starts[partition] = RD_KAFKA_OFFSET_END; break;
      default: starts[partition] = start.value; break;
    }
  }
  return starts;
}

}  // namespace

std::optional<std::string_view> Record::header(std::string_view name) const {
  for (const auto& [header_name, header_value] : headers) {
    if (header_name == name && header_value) return std::string_view(*header_value);
  }
  return std::nullopt;
}

nlohmann::json record_json(const Record& record) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : record.headers) {
    if (headers.contains(name)) continue;
    headers[name] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  }
  return {{"topic", record.topic},
          {"partition", record.partition},
          {"offset", record.offset},
          {"timestamp", record.timestamp_ms},
          {"key", record.key ? nlohmann::json(*record.key) : nlohmann::json(nullptr)},
          {"value", record.value ? nlohmann::json(*record.value) : nlohmann::json(nullptr)},
          {"headers", std::move(headers)}};
}

Result<std::uint64_t> read_records(KafkaAdmin& admin, const Globals& globals,
                                   const ReadOptions& options,
                                   const std::function<void(const Record&)>& sink) {
  auto topic = admin.describe_topic(options.topic);
  if (!topic) return std::unexpected(topic.error());
  std::vector<std::int32_t> partitions;
  for (const auto& partition : topic->partitions) {
    if (!options.partition || *options.partition == partition.id) partitions.push_back(partition.id);
  }
  if (partitions.empty()) {
    return fail(ErrorCode::kNotFound, "topic " + options.topic + " has no partition " +
                                          std::to_string(*options.partition) + " (it has " +
                                          std::to_string(topic->partitions.size()) + ")");
  }
  std::optional<std::map<std::int32_t, std::int64_t>> starts;
  if (options.start || !options.group) {
    auto computed = start_offsets(admin, partitions, options);
    if (!computed) return std::unexpected(computed.error());
    starts = std::move(*computed);
  }

  GroupState group_state;
  group_state.starts = starts ? &*starts : nullptr;
  Properties properties{{"enable.partition.eof", options.stop_at_end ? "true" : "false"},
                        {"auto.offset.reset", "earliest"}};
  if (options.group) {
    properties["group.id"] = *options.group;
    properties["enable.auto.commit"] = "true";
  } else {
    // librdkafka's consumer API needs a group id even for assign(); this one never joins
    // (no subscribe) and never commits.
    properties["group.id"] = "velocity-cli.assign";
    properties["enable.auto.commit"] = "false";
  }
  auto consumer = new_client(RD_KAFKA_CONSUMER, globals, properties, [&](rd_kafka_conf_t* conf) {
    if (options.group) {
      rd_kafka_conf_set_opaque(conf, &group_state);
      rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    }
  });
  if (!consumer) return std::unexpected(consumer.error());
  rd_kafka_t* handle = consumer->get();
  rd_kafka_poll_set_consumer(handle);

  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto partition : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), partition)->offset =
        starts ? starts->at(partition) : RD_KAFKA_OFFSET_INVALID;
  }
  rd_kafka_resp_err_t started = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (options.group) {
    PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), options.topic.c_str(), RD_KAFKA_PARTITION_UA);
    started = rd_kafka_subscribe(handle, topics.get());
  } else {
    started = rd_kafka_assign(handle, list.get());
  }
  if (started != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_failure("read " + options.topic, started);
  }

  install_signal_handlers();
  using Clock = std::chrono::steady_clock;
  auto last_activity = Clock::now();
  bool was_assigned = !options.group;
  std::set<std::int32_t> at_end;
  std::uint64_t read = 0;
  Result<std::uint64_t> outcome = read;
  while (interrupted == 0 && (!options.count || read < *options.count)) {
    MessagePtr message(rd_kafka_consumer_poll(handle, 100));
    if (!was_assigned && group_state.assigned) {
      was_assigned = true;
      last_activity = Clock::now();
    }
    if (group_state.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      outcome = kafka_failure("assign partitions of " + options.topic, group_state.error);
      break;
    }
    if (!message) {
      if (options.idle_timeout && was_assigned &&
          Clock::now() - last_activity >= *options.idle_timeout) {
        break;
      }
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
      if (options.stop_at_end && at_end.size() == partitions.size()) break;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (transient(message->err)) continue;
      outcome = kafka_failure("read " + options.topic, message->err,
                              rd_kafka_message_errstr(message.get()));
      break;
    }
    last_activity = Clock::now();
    at_end.erase(message->partition);
    sink(to_record(*message));
    ++read;
    outcome = read;
  }
  // Leaves the group and commits the positions of what `sink` saw.
  rd_kafka_consumer_close(handle);
  return outcome;
}

}  // namespace velocity::cli
