#include "produce_bench.h"

#include <fmt/format.h>

#include <atomic>
#include <thread>
#include <vector>

#include "kafka_client.h"

namespace velocity::bench {
namespace {

// Delivery reports run on the thread that polls the client, which is the thread that
// produces, so the counters need no synchronisation.
struct Deliveries {
  int64_t acked = 0;
  int64_t failed = 0;
  rd_kafka_resp_err_t last_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t* /*client*/, const rd_kafka_message_t* message, void* opaque) {
  auto* deliveries = static_cast<Deliveries*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++deliveries->acked;
  } else {
    ++deliveries->failed;
    deliveries->last_error = message->err;
  }
}

// Incompressible, shared by every message: produced with no copy flag, so librdkafka only
// points at it and the client measures the protocol, not memcpy.
std::vector<char> make_payload(int bytes) {
  std::vector<char> payload(static_cast<size_t>(bytes));
  uint32_t state = 2463534242u;
  for (auto& byte : payload) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<char>(state);
  }
  return payload;
}

KafkaSettings producer_settings(const ProduceOptions& options, bool pipelined) {
  KafkaSettings settings = {
      {"bootstrap.servers", options.bootstrap}, {"acks", "all"},
      {"socket.nagle.disable", "true"},         {"compression.type", "none"},
      {"message.timeout.ms", "60000"},
  };
  if (pipelined) {
    settings.emplace_back("linger.ms", "5");
    // 50 clients in one process must not each buffer the default 1 GiB.
    settings.emplace_back("queue.buffering.max.kbytes", options.producers > 1 ? "16384" : "262144");
  } else {
    settings.emplace_back("linger.ms", "0");
  }
  return settings;
}

Result<KafkaHandle> make_producer(const ProduceOptions& options, bool pipelined,
                                  Deliveries& deliveries) {
  return make_client(RD_KAFKA_PRODUCER, producer_settings(options, pipelined),
                     [&deliveries](rd_kafka_conf_t* conf) {
                       rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
                       rd_kafka_conf_set_opaque(conf, &deliveries);
                     });
}

rd_kafka_resp_err_t produce_one(rd_kafka_t* client, const std::string& topic, int32_t partition,
                                const std::vector<char>& payload) {
  return rd_kafka_producev(client, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                           RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                           RD_KAFKA_V_END);
}

struct PipelinedResult {
  int64_t acked = 0;
  int64_t failed = 0;
  std::string error;
};

void produce_until(const ProduceOptions& options, const std::vector<char>& payload,
                   Clock::time_point deadline, PipelinedResult& result) {
  Deliveries deliveries;
  auto client = make_producer(options, true, deliveries);
  if (!client) {
    result.error = client.error().message();
    return;
  }
  int64_t produced = 0;
  while (true) {
    if ((produced & 255) == 0) {
      rd_kafka_poll(client->get(), 0);
      if (Clock::now() >= deadline) break;
    }
    rd_kafka_resp_err_t err =
        produce_one(client->get(), options.topic, RD_KAFKA_PARTITION_UA, payload);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(client->get(), 1);
      if (Clock::now() >= deadline) break;
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result.error = fmt::format("produce: {}", rd_kafka_err2str(err));
      break;
    }
    ++produced;
  }
  if (rd_kafka_flush(client->get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR && result.error.empty()) {
    result.error = "flush: outstanding messages not acked in 120 s";
  }
  result.acked = deliveries.acked;
  result.failed = deliveries.failed;
  if (deliveries.failed > 0 && result.error.empty()) {
    result.error = fmt::format("{} messages failed, last: {}", deliveries.failed,
                               rd_kafka_err2str(deliveries.last_error));
  }
}

}  // namespace

Result<Figures> run_one_in_flight(const ProduceOptions& options) {
  Deliveries deliveries;
  auto client = make_producer(options, false, deliveries);
  if (!client) return std::unexpected(client.error());
  const std::vector<char> payload = make_payload(options.message_bytes);
  std::vector<double> latencies_us;
  latencies_us.reserve(200000);

  const double cpu_before = process_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.seconds));
  int32_t partition = 0;
  while (Clock::now() < deadline) {
    const int64_t settled_before = deliveries.acked + deliveries.failed;
    const auto sent = Clock::now();
    rd_kafka_resp_err_t err = produce_one(client->get(), options.topic, partition, payload);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail(ErrorCode::kIo, fmt::format("produce: {}", rd_kafka_err2str(err)));
    while (deliveries.acked + deliveries.failed == settled_before)
      rd_kafka_poll(client->get(), 100);
    if (deliveries.failed > 0) {
      return fail(ErrorCode::kIo,
                  fmt::format("delivery failed: {}", rd_kafka_err2str(deliveries.last_error)));
    }
    latencies_us.push_back(seconds_between(sent, Clock::now()) * 1e6);
    partition = (partition + 1) % options.partitions;
  }
  const double elapsed = seconds_between(start, Clock::now());
  const double cpu = process_cpu_seconds() - cpu_before;

  const auto count = static_cast<double>(latencies_us.size());
  Figures figures = {
      {"msgs_per_s", count / elapsed},
      {"mb_per_s", count * options.message_bytes / elapsed / 1e6},
      {"p50_us", quantile(latencies_us, 0.50)},
      {"p99_us", quantile(latencies_us, 0.99)},
      {"p999_us", quantile(latencies_us, 0.999)},
      {"max_us", quantile(latencies_us, 1.0)},
      {"messages", count},
      {"client_cpu_pct", 100 * cpu / elapsed},
  };
  return figures;
}

Result<Figures> run_pipelined(const ProduceOptions& options) {
  const std::vector<char> payload = make_payload(options.message_bytes);
  std::vector<PipelinedResult> results(static_cast<size_t>(options.producers));
  const double cpu_before = process_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.seconds));
  {
    std::vector<std::jthread> threads;
    for (auto& result : results) {
      threads.emplace_back([&options, &payload, deadline, &result] {
        produce_until(options, payload, deadline, result);
      });
    }
  }
  const double elapsed = seconds_between(start, Clock::now());
  const double cpu = process_cpu_seconds() - cpu_before;

  int64_t acked = 0;
  int64_t failed = 0;
  for (const auto& result : results) {
    if (!result.error.empty()) return fail(ErrorCode::kIo, result.error);
    acked += result.acked;
    failed += result.failed;
  }
  const auto count = static_cast<double>(acked);
  Figures figures = {
      {"msgs_per_s", count / elapsed},
      {"mb_per_s", count * options.message_bytes / elapsed / 1e6},
      {"messages", count},
      {"failed", static_cast<double>(failed)},
      {"client_cpu_pct", 100 * cpu / elapsed},
  };
  return figures;
}

}  // namespace velocity::bench
