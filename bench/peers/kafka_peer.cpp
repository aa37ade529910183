// velocity-broker (or any Kafka-protocol broker) through librdkafka, acks=all. Delivery
// reports run on the thread that polls the producer, which is the thread that produces.
#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "kafka_client.h"
#include "peer_client.h"
#include "workload.h"

namespace velocity::bench::peers {
namespace {

struct Deliveries {
  int64_t acked = 0;
  int64_t failed = 0;
  rd_kafka_resp_err_t last_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool record_latency = false;
  int64_t record_from_ns = 0;  // ack latencies of messages scheduled before this are dropped
  std::vector<double> latencies_us;
};

void on_delivery(rd_kafka_t* /*client*/, const rd_kafka_message_t* message, void* opaque) {
  auto* deliveries = static_cast<Deliveries*>(opaque);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++deliveries->failed;
    deliveries->last_error = message->err;
    return;
  }
  ++deliveries->acked;
  if (deliveries->record_latency) {
    const auto scheduled = static_cast<int64_t>(reinterpret_cast<uintptr_t>(message->_private));
    if (scheduled >= deliveries->record_from_ns)
      deliveries->latencies_us.push_back(static_cast<double>(now_ns() - scheduled) / 1e3);
  }
}

class KafkaPeer final : public PeerClient {
 public:
  explicit KafkaPeer(const Target& target)
      : target_(target), bootstrap_(fmt::format("{}:{}", target.host, target.port)) {}

  Result<void> reset() override {
    // A Kafka topic cannot be emptied in place; the run script gives each broker a fresh
    // directory, so the topic is only created when missing.
    auto created = create_topic(bootstrap_, target_.name, target_.partitions);
    if (!created && created.error().message().find("already exists") == std::string::npos)
      return created;
    return {};
  }

  Result<Figures> produce_pipelined(const RunOptions& options) override {
    Deliveries deliveries;
    auto client = make_producer(deliveries, "5");
    if (!client) return std::unexpected(client.error());
    if (auto primed = prime(client->get(), deliveries); !primed)
      return std::unexpected(primed.error());
    auto payload = make_payload(target_.message_bytes);
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    const int64_t deadline = start + static_cast<int64_t>(options.seconds * 1e9);
    int64_t produced = 0;
    while (options.max_messages == 0 || produced < options.max_messages) {
      if ((produced & 255) == 0) {
        rd_kafka_poll(client->get(), 0);
        if (now_ns() >= deadline) break;
      }
      rd_kafka_resp_err_t err =
          rd_kafka_producev(client->get(), RD_KAFKA_V_TOPIC(target_.name.c_str()),
                            RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                            RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(client->get(), 1);
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(ErrorCode::kIo, fmt::format("produce: {}", rd_kafka_err2str(err)));
      ++produced;
    }
    if (rd_kafka_flush(client->get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail(ErrorCode::kTimeout, "flush: outstanding messages not acked in 120 s");
    if (deliveries.failed > 0) return delivery_failure(deliveries);
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    return throughput_figures(deliveries.acked, target_.message_bytes, elapsed,
                              process_cpu_seconds() - cpu_before);
  }

  Result<Figures> produce_one_by_one(const RunOptions& options) override {
    Deliveries deliveries;
    auto client = make_producer(deliveries, "0");
    if (!client) return std::unexpected(client.error());
    if (auto primed = prime(client->get(), deliveries); !primed)
      return std::unexpected(primed.error());
    auto payload = make_payload(target_.message_bytes);
    std::vector<double> latencies_us;
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    const int64_t deadline = start + static_cast<int64_t>(options.seconds * 1e9);
    int32_t partition = 0;
    while (now_ns() < deadline) {
      const int64_t sent = now_ns();
      rd_kafka_resp_err_t err = rd_kafka_producev(
          client->get(), RD_KAFKA_V_TOPIC(target_.name.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(ErrorCode::kIo, fmt::format("produce: {}", rd_kafka_err2str(err)));
      const int64_t settled = deliveries.acked + deliveries.failed;
      while (deliveries.acked + deliveries.failed == settled) rd_kafka_poll(client->get(), 100);
      if (deliveries.failed > 0) return delivery_failure(deliveries);
      latencies_us.push_back(static_cast<double>(now_ns() - sent) / 1e3);
      partition = (partition + 1) % target_.partitions;
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    Figures figures = throughput_figures(deliveries.acked, target_.message_bytes, elapsed,
                                         process_cpu_seconds() - cpu_before);
    add_percentiles(figures, "", latencies_us);
    return figures;
  }

  Result<Figures> produce_at_rate(const RunOptions& options) override {
    Deliveries deliveries;
    auto client = make_producer(deliveries, std::to_string(options.linger_ms).c_str());
    if (!client) return std::unexpected(client.error());
    if (auto primed = prime(client->get(), deliveries); !primed)
      return std::unexpected(primed.error());
    auto consumer = make_client(RD_KAFKA_CONSUMER, consumer_settings());
    if (!consumer) return std::unexpected(consumer.error());
    rd_kafka_poll_set_consumer(consumer->get());
    auto* assignment = rd_kafka_topic_partition_list_new(target_.partitions);
    for (int partition = 0; partition < target_.partitions; ++partition) {
      rd_kafka_topic_partition_list_add(assignment, target_.name.c_str(), partition)->offset =
          RD_KAFKA_OFFSET_END;
    }
    rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer->get(), assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail(ErrorCode::kIo, fmt::format("assign: {}", rd_kafka_err2str(assigned)));

    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns() + 1'000'000'000;  // the consumer has a second to settle
    const int64_t record_from = start + static_cast<int64_t>(options.warmup_seconds * 1e9);
    const int64_t end = record_from + static_cast<int64_t>(options.seconds * 1e9);
    deliveries.record_latency = true;
    deliveries.record_from_ns = record_from;

    std::atomic<bool> stop{false};
    std::vector<double> e2e_us;
    std::atomic<int64_t> received{0};
    std::string consume_error;
    std::jthread reader([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 50);
        if (message == nullptr) continue;
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const int64_t scheduled = payload_stamp(message->payload, message->len);
          if (scheduled >= record_from && scheduled < end) {
            e2e_us.push_back(static_cast<double>(now_ns() - scheduled) / 1e3);
            received.fetch_add(1, std::memory_order_relaxed);
          }
        } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          consume_error = rd_kafka_message_errstr(message);
        }
        rd_kafka_message_destroy(message);
      }
    });

    auto payload = make_payload(target_.message_bytes);
    const Schedule schedule(start, options.rate);
    int64_t sent = 0;
    int64_t measured = 0;
    const int64_t cap = saturation_backlog(options.rate);
    const int64_t tick_ns = int64_t{options.send_tick_us} * 1000;
    bool saturated = false;
    int64_t stopped = end;
    int64_t acked_at_stop = 0;
    for (int64_t now = now_ns(); now < end; now = now_ns()) {
      if (sent - deliveries.acked - deliveries.failed > cap) {
        saturated = true;
        stopped = now;
        break;
      }
      const int64_t due = schedule.due_by(now);
      for (; sent < due; ++sent) {
        const int64_t scheduled = schedule.send_time(sent);
        if (scheduled >= end) break;
        stamp_payload(payload, scheduled);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            client->get(), RD_KAFKA_V_TOPIC(target_.name.c_str()),
            RD_KAFKA_V_PARTITION(static_cast<int32_t>(sent % target_.partitions)),
            RD_KAFKA_V_VALUE(payload.data(), payload.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(scheduled))),
            RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          stop = true;
          return fail(ErrorCode::kIo, fmt::format("produce: {}", rd_kafka_err2str(err)));
        }
        if (scheduled >= record_from) ++measured;
      }
      rd_kafka_poll(client->get(), 0);
      sleep_until_ns(std::min(std::max(schedule.send_time(sent), now + tick_ns), end));
    }
    acked_at_stop = deliveries.acked;
    rd_kafka_flush(client->get(), 60000);
    // Give the consumer until every measured message arrived, or 10 s.
    const int64_t give_up = now_ns() + 10'000'000'000;
    while (now_ns() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (received.load() >= measured) break;
    }
    stop = true;
    reader.join();
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    if (deliveries.failed > 0) return delivery_failure(deliveries);
    if (!consume_error.empty()) return fail(ErrorCode::kIo, "consume: " + consume_error);
    rd_kafka_consumer_close(consumer->get());

    Figures figures = {
        {"rate_target", options.rate},
        {"saturated", saturated ? 1.0 : 0.0},
        {"acked_per_s",
         static_cast<double>(acked_at_stop) / (static_cast<double>(stopped - start) / 1e9)},
        {"sent", static_cast<double>(measured)},
        {"received", static_cast<double>(received.load())},
        {"client_cpu_pct", 100 * (process_cpu_seconds() - cpu_before) / elapsed},
    };
    add_percentiles(figures, "ack_", deliveries.latencies_us);
    add_percentiles(figures, "e2e_", e2e_us);
    return figures;
  }

  Result<Figures> consume_backlog(const RunOptions& /*options*/) override {
    auto client = make_client(RD_KAFKA_CONSUMER, consumer_settings());
    if (!client) return std::unexpected(client.error());
    auto backlog = backlog_messages(client->get(), target_.name, target_.partitions);
    if (!backlog) return std::unexpected(backlog.error());
    if (*backlog == 0) return fail(ErrorCode::kNotFound, "no backlog to consume");
    rd_kafka_poll_set_consumer(client->get());
    auto* assignment = rd_kafka_topic_partition_list_new(target_.partitions);
    for (int partition = 0; partition < target_.partitions; ++partition) {
      rd_kafka_topic_partition_list_add(assignment, target_.name.c_str(), partition)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    rd_kafka_resp_err_t err = rd_kafka_assign(client->get(), assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail(ErrorCode::kIo, fmt::format("assign: {}", rd_kafka_err2str(err)));
    int64_t messages = 0;
    int64_t last_progress = start;
    while (messages < *backlog) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(client->get(), 100);
      if (message == nullptr) {
        if (now_ns() - last_progress > 30'000'000'000)
          return fail(ErrorCode::kTimeout,
                      fmt::format("consumed {} of {}, then nothing for 30 s", messages, *backlog));
        continue;
      }
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string reason = rd_kafka_message_errstr(message);
        rd_kafka_message_destroy(message);
        return fail(ErrorCode::kIo, "consume: " + reason);
      }
      ++messages;
      last_progress = now_ns();
      rd_kafka_message_destroy(message);
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    const double cpu = process_cpu_seconds() - cpu_before;
    rd_kafka_consumer_close(client->get());
    return throughput_figures(messages, target_.message_bytes, elapsed, cpu);
  }

 private:
  // One acked message per partition before the clock starts: a new producer learns a topic's
  // partitions only at librdkafka's next metadata refresh (up to a second later), a stall
  // that would otherwise be charged to the broker.
  Result<void> prime(rd_kafka_t* client, Deliveries& deliveries) const {
    const auto payload = make_payload(target_.message_bytes);
    for (int32_t partition = 0; partition < target_.partitions; ++partition) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          client, RD_KAFKA_V_TOPIC(target_.name.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(ErrorCode::kIo, fmt::format("produce: {}", rd_kafka_err2str(err)));
    }
    if (rd_kafka_flush(client, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail(ErrorCode::kTimeout, "first messages not acked in 30 s");
    if (deliveries.failed > 0) return std::unexpected(delivery_failure(deliveries).error());
    deliveries.acked = 0;
    return {};
  }

  Result<KafkaHandle> make_producer(Deliveries& deliveries, const char* linger_ms) {
    KafkaSettings settings = {
        {"bootstrap.servers", bootstrap_},        {"acks", "all"},
        {"socket.nagle.disable", "true"},         {"compression.type", "none"},
        {"message.timeout.ms", "60000"},          {"linger.ms", linger_ms},
        {"queue.buffering.max.kbytes", "262144"},
    };
    if (const char* debug = std::getenv("VELOCITY_PEERS_RDKAFKA_DEBUG"))
      settings.emplace_back("debug", debug);
    return make_client(RD_KAFKA_PRODUCER, settings, [&deliveries](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
      rd_kafka_conf_set_opaque(conf, &deliveries);
    });
  }

  KafkaSettings consumer_settings() const {
    return {
        {"bootstrap.servers", bootstrap_}, {"group.id", "velocity-peers-bench"},
        {"enable.auto.commit", "false"},   {"enable.partition.eof", "false"},
        {"fetch.wait.max.ms", "100"},      {"socket.nagle.disable", "true"},
        {"fetch.min.bytes", "1"},
    };
  }

  static Result<Figures> delivery_failure(const Deliveries& deliveries) {
    return fail(ErrorCode::kIo, fmt::format("{} deliveries failed, last: {}", deliveries.failed,
                                            rd_kafka_err2str(deliveries.last_error)));
  }

  Target target_;
  std::string bootstrap_;
};

}  // namespace

std::unique_ptr<PeerClient> make_kafka_client(const Target& target) {
  return std::make_unique<KafkaPeer>(target);
}

}  // namespace velocity::bench::peers
