#include "support/kafka_clients.h"

#include <atomic>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/admin_client.h"

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::unexpected<Error> client_error(RdKafka::ErrorCode err, const std::string& what) {
  return fail(err == RdKafka::ERR__TIMED_OUT ? ErrorCode::kTimeout : ErrorCode::kInternal,
              fmt::format("{}: {}", what, RdKafka::err2str(err)));
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Stores each delivery report at the index passed as the message's opaque pointer.
class DeliveryRecorder : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryRecorder(std::size_t count) : deliveries_(count) {}

  void dr_cb(RdKafka::Message& message) override {
    const auto index = reinterpret_cast<std::uintptr_t>(message.msg_opaque());
    if (index >= deliveries_.size()) return;
    deliveries_[index] = Delivery{message.err(), message.partition(), message.offset()};
    ++reported_;
  }

  std::size_t reported() const { return reported_; }
  std::vector<Delivery> take() { return std::move(deliveries_); }

 private:
  std::vector<Delivery> deliveries_;
  std::atomic<std::size_t> reported_{0};
};

Headers copy_headers(RdKafka::Message& message) {
  Headers headers;
  if (RdKafka::Headers* source = message.headers(); source != nullptr) {
    for (const auto& header : source->get_all()) {
      const char* value = static_cast<const char*>(header.value());
      headers.emplace_back(header.key(), value != nullptr ? std::string(value, header.value_size())
                                                          : std::string());
    }
  }
  return headers;
}

}  // namespace

Result<std::unique_ptr<RdKafka::Conf>> client_conf(const std::string& bootstrap,
                                                   const Settings& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string errstr;
  Settings all = settings;
  all.emplace("bootstrap.servers", bootstrap);
  for (const auto& [name, value] : all) {
    if (conf->set(name, value, errstr) != RdKafka::Conf::CONF_OK) {
      return fail(ErrorCode::kInvalidArgument, fmt::format("{}={}: {}", name, value, errstr));
    }
  }
  return conf;
}

Result<int> partition_count(const std::string& bootstrap, const std::string& topic) {
  auto conf = client_conf(bootstrap, {});
  if (!conf) return std::unexpected(conf.error());
  std::string errstr;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), errstr));
  if (!producer) return fail(ErrorCode::kInternal, fmt::format("producer: {}", errstr));
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(producer.get(), topic, nullptr, errstr));
  if (!handle) return fail(ErrorCode::kInternal, fmt::format("topic handle: {}", errstr));
  RdKafka::Metadata* raw = nullptr;
  const auto err = producer->metadata(false, handle.get(), &raw, 10000);
  if (err != RdKafka::ERR_NO_ERROR) return client_error(err, fmt::format("Metadata {}", topic));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  for (const auto* t : *metadata->topics()) {
    if (t->topic() != topic) continue;
    if (t->err() != RdKafka::ERR_NO_ERROR) return client_error(t->err(), fmt::format("Metadata {}", topic));
    return static_cast<int>(t->partitions()->size());
  }
  return fail(ErrorCode::kNotFound, fmt::format("Metadata {}: topic not in response", topic));
}

Result<int> create_topic(const BrokerProcess& broker, const std::string& topic, int partitions) {
  if (!broker.is_mock()) {
    auto admin = AdminClient::connect(broker.bootstrap());
    if (!admin) return std::unexpected(admin.error());
    if (auto created = admin->create_topic({topic, partitions, 1, {}}); !created) {
      return std::unexpected(created.error());
    }
  }
  // Metadata may lag CreateTopics briefly (and is what auto-creates on the mock): ask a
  // bounded number of times.
  Result<int> count = fail(ErrorCode::kNotFound, topic);
  for (int attempt = 0; attempt < 50; ++attempt) {
    count = partition_count(broker.bootstrap(), topic);
    if (count && *count > 0) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return count;
}

Result<std::vector<Delivery>> produce_all(const std::string& bootstrap, const std::string& topic,
                                          const std::vector<OutgoingRecord>& records,
                                          const Settings& settings,
                                          std::chrono::milliseconds timeout) {
  auto conf = client_conf(bootstrap, settings);
  if (!conf) return std::unexpected(conf.error());
  DeliveryRecorder recorder(records.size());
  std::string errstr;
  (*conf)->set("dr_cb", &recorder, errstr);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), errstr));
  if (!producer) return fail(ErrorCode::kInternal, fmt::format("producer: {}", errstr));

  const auto deadline = Clock::now() + timeout;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const OutgoingRecord& r = records[i];
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [key, value] : r.headers) headers->add(key, value.data(), value.size());
    while (true) {
      const auto err = producer->produce(
          topic, r.partition, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(r.value.data()),
          r.value.size(), r.key.data(), r.key.size(), r.timestamp_ms, headers,
          reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
      if (err == RdKafka::ERR_NO_ERROR) break;  // librdkafka now owns the headers
      if (err != RdKafka::ERR__QUEUE_FULL || Clock::now() >= deadline) {
        delete headers;
        return client_error(err, fmt::format("produce record {} to {}", i, topic));
      }
      producer->poll(50);
    }
    producer->poll(0);
  }
  producer->flush(remaining_ms(deadline));
  if (recorder.reported() != records.size()) {
    return fail(ErrorCode::kTimeout,
                fmt::format("produce to {}: {} of {} delivery reports within {} ms", topic,
                            recorder.reported(), records.size(), timeout.count()));
  }
  return recorder.take();
}

Result<std::vector<ConsumedRecord>> consume_from_beginning(const std::string& bootstrap,
                                                           const std::string& topic,
                                                           int partitions,
                                                           std::chrono::milliseconds timeout) {
  // A group id is required by KafkaConsumer; with assign() it is never joined or committed.
  auto conf = client_conf(bootstrap, {{"group.id", "velocity-it-reader-" + topic},
                                      {"enable.auto.commit", "false"},
                                      {"enable.partition.eof", "true"},
                                      {"auto.offset.reset", "earliest"}});
  if (!conf) return std::unexpected(conf.error());
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), errstr));
  if (!consumer) return fail(ErrorCode::kInternal, fmt::format("consumer: {}", errstr));
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  const auto assigned = consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (assigned != RdKafka::ERR_NO_ERROR) return client_error(assigned, "assign");

  std::vector<ConsumedRecord> records;
  std::set<std::int32_t> at_end;
  std::string last_error = "none";
  const auto deadline = Clock::now() + timeout;
  while (static_cast<int>(at_end.size()) < partitions && Clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(std::min(200, remaining_ms(deadline))));
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        records.push_back({message->partition(), message->offset(),
                           message->key() != nullptr ? *message->key() : std::string(),
                           std::string(static_cast<const char*>(message->payload()), message->len()),
                           copy_headers(*message), message->timestamp().timestamp});
        break;
      case RdKafka::ERR__PARTITION_EOF:
        at_end.insert(message->partition());
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        last_error = message->errstr();
        break;
    }
  }
  consumer->close();
  if (static_cast<int>(at_end.size()) < partitions) {
    return fail(ErrorCode::kTimeout,
                fmt::format("consume {}: {} of {} partitions reached their end within {} ms "
                            "({} records read, last error: {})",
                            topic, at_end.size(), partitions, timeout.count(), records.size(),
                            last_error));
  }
  return records;
}

Result<std::pair<std::int64_t, std::int64_t>> query_watermarks(const std::string& bootstrap,
                                                               const std::string& topic,
                                                               std::int32_t partition) {
  auto conf = client_conf(bootstrap, {});
  if (!conf) return std::unexpected(conf.error());
  std::string errstr;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), errstr));
  if (!producer) return fail(ErrorCode::kInternal, fmt::format("producer: {}", errstr));
  std::int64_t low = -1;
  std::int64_t high = -1;
  const auto err = producer->query_watermark_offsets(topic, partition, &low, &high, 10000);
  if (err != RdKafka::ERR_NO_ERROR) {
    return client_error(err, fmt::format("watermarks {}/{}", topic, partition));
  }
  return std::pair{low, high};
}

std::string topic_for_this_test(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr
                         ? fmt::format("{}-{}", info->test_suite_name(), info->name())
                         : std::string("no-test");
  if (!suffix.empty()) name += "-" + suffix;
  for (char& c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) c = '-';
  }
  return name;
}

}  // namespace velocity::testing
