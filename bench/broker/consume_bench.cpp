#include "consume_bench.h"

#include <fmt/format.h>

#include <algorithm>

#include "kafka_client.h"

namespace velocity::bench {

Result<Figures> run_consume_backlog(const ConsumeOptions& options) {
  auto client = make_client(RD_KAFKA_CONSUMER, {
                                                   {"bootstrap.servers", options.bootstrap},
                                                   {"group.id", "velocity-broker-bench"},
                                                   {"enable.auto.commit", "false"},
                                                   {"enable.partition.eof", "false"},
                                                   {"fetch.wait.max.ms", "100"},
                                                   {"socket.nagle.disable", "true"},
                                               });
  if (!client) return std::unexpected(client.error());
  auto backlog = backlog_messages(client->get(), options.topic, options.partitions);
  if (!backlog) return std::unexpected(backlog.error());
  const int64_t target =
      options.max_messages > 0 ? std::min(*backlog, options.max_messages) : *backlog;
  if (target == 0)
    return fail(ErrorCode::kNotFound,
                fmt::format("topic {} has no backlog to consume", options.topic));

  rd_kafka_poll_set_consumer(client->get());
  rd_kafka_topic_partition_list_t* assignment =
      rd_kafka_topic_partition_list_new(options.partitions);
  for (int partition = 0; partition < options.partitions; ++partition) {
    rd_kafka_topic_partition_list_add(assignment, options.topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  const double cpu_before = process_cpu_seconds();
  const auto start = Clock::now();
  rd_kafka_resp_err_t err = rd_kafka_assign(client->get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail(ErrorCode::kIo, fmt::format("assign: {}", rd_kafka_err2str(err)));

  int64_t messages = 0;
  int64_t bytes = 0;
  auto last_progress = Clock::now();
  while (messages < target) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(client->get(), 100);
    if (message == nullptr) {
      if (Clock::now() - last_progress > std::chrono::seconds(30)) {
        return fail(
            ErrorCode::kTimeout,
            fmt::format("consumed {} of {} messages, then nothing for 30 s", messages, target));
      }
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string reason = rd_kafka_message_errstr(message);
      rd_kafka_message_destroy(message);
      return fail(ErrorCode::kIo, fmt::format("consume: {}", reason));
    }
    ++messages;
    bytes += static_cast<int64_t>(message->len);
    last_progress = Clock::now();
    rd_kafka_message_destroy(message);
  }
  const double elapsed = seconds_between(start, Clock::now());
  const double cpu = process_cpu_seconds() - cpu_before;
  rd_kafka_consumer_close(client->get());

  Figures figures = {
      {"msgs_per_s", static_cast<double>(messages) / elapsed},
      {"mb_per_s", static_cast<double>(bytes) / elapsed / 1e6},
      {"messages", static_cast<double>(messages)},
      {"client_cpu_pct", 100 * cpu / elapsed},
  };
  return figures;
}

}  // namespace velocity::bench
