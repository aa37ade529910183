// Durability across broker restarts, seen by librdkafka: what was acknowledged with acks=all
// is there after a graceful stop (SIGTERM) and after a crash (kill -9). Also the broker's
// own signals: SIGUSR1 logs how long requests were held and starts counting afresh.
#include <gtest/gtest.h>

#include <csignal>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/assertions.h"
#include "support/broker_process.h"
#include "support/kafka_clients.h"

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (BrokerProcess::mock_requested()) {
      GTEST_SKIP() << "restart tests need durable state; the librdkafka mock stand-in has none";
    }
    auto started = BrokerProcess::start();
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(RestartTest, EverythingAcknowledgedIsReadableAfterSigtermAndRestart) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 3);
  ASSERT_TRUE(partitions) << partitions.error().message();
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 3000; ++i) {
    records.push_back({"key-" + std::to_string(i % 30), "value-" + std::to_string(i),
                       {{"seq", std::to_string(i)}}});
  }
  auto deliveries = produce_all(broker_->bootstrap(), topic, records, {{"acks", "all"}});
  ASSERT_TRUE(deliveries) << deliveries.error().message();
  for (const auto& d : *deliveries) ASSERT_EQ(d.error, RdKafka::ERR_NO_ERROR);

  auto exit_code = broker_->stop();
  ASSERT_TRUE(exit_code) << exit_code.error().message();
  EXPECT_EQ(*exit_code, 0) << "graceful stop should exit 0; stderr:\n" << broker_->stderr_tail();
  auto restarted = broker_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message();

  auto consumed = consume_from_beginning(broker_->bootstrap(), topic, *partitions);
  ASSERT_TRUE(consumed) << consumed.error().message();
  ASSERT_EQ(consumed->size(), records.size());
  std::map<std::pair<int, std::int64_t>, std::string> got;
  for (const auto& r : *consumed) got[{r.partition, r.offset}] = r.value;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Delivery& d = (*deliveries)[i];
    const std::string& value = got[std::pair(d.partition, d.offset)];
    ASSERT_EQ(value, records[i].value) << "record " << i;
  }

  // The restarted broker keeps serving writes after the recovered log end.
  auto more = produce_all(broker_->bootstrap(), topic, {{"key-0", "after-restart", {}}}, {{"acks", "all"}});
  ASSERT_TRUE(more) << more.error().message();
  EXPECT_EQ(more->front().error, RdKafka::ERR_NO_ERROR);
}

// Acknowledgement records, filled by librdkafka's delivery report thread.
class AckLog : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR) return;
    std::lock_guard lock(mutex_);
    acked_[std::string(static_cast<const char*>(message.payload()), message.len())] =
        {message.partition(), message.offset()};
    count_ = acked_.size();
  }
  std::size_t count() const { return count_; }
  std::map<std::string, std::pair<int, std::int64_t>> snapshot() {
    std::lock_guard lock(mutex_);
    return acked_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<int, std::int64_t>> acked_;
  std::atomic<std::size_t> count_{0};
};

// Lines of the broker's log holding `text`.
size_t count_lines(const std::string& log, const std::string& text) {
  size_t n = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
  return n;
}

TEST_F(RestartTest, Sigusr1LogsHowLongRequestsWereHeldAndCountsAfresh) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 1);
  ASSERT_TRUE(partitions) << partitions.error().message();
  auto deliveries = produce_all(broker_->bootstrap(), topic, {{"k", "v", {}}}, {{"acks", "all"}});
  ASSERT_TRUE(deliveries) << deliveries.error().message();
  ASSERT_TRUE(broker_->send_signal(SIGUSR1));
  const std::string held = "requests held: Produce n=";
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (count_lines(broker_->stderr_tail(1000), held) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string after_signal = broker_->stderr_tail(1000);
  ASSERT_EQ(count_lines(after_signal, held), 1u) << after_signal;
  EXPECT_NE(after_signal.find("p99="), std::string::npos) << after_signal;
  EXPECT_TRUE(broker_->running()) << "SIGUSR1 must not stop the broker";
  // Nothing was produced since: the summary at stop has no Produce line of its own.
  auto exit_code = broker_->stop();
  ASSERT_TRUE(exit_code) << exit_code.error().message();
  EXPECT_EQ(*exit_code, 0);
  EXPECT_EQ(count_lines(broker_->stderr_tail(1000), held), 1u) << broker_->stderr_tail(1000);
}

TEST_F(RestartTest, EverythingAcknowledgedSurvivesKillNine) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 2);
  ASSERT_TRUE(partitions) << partitions.error().message();

  AckLog acks;
  auto conf = client_conf(broker_->bootstrap(), {{"acks", "all"}, {"linger.ms", "1"},
                                                 {"message.timeout.ms", "5000"}});
  ASSERT_TRUE(conf) << conf.error().message();
  std::string errstr;
  (*conf)->set("dr_cb", &acks, errstr);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), errstr));
  ASSERT_NE(producer, nullptr) << errstr;

  // Keep producing while the broker is killed: some requests are in flight at the crash.
  constexpr std::size_t kKillAfterAcks = 2000;
  constexpr int kMaxMessages = 200000;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  bool killed = false;
  for (int i = 0; i < kMaxMessages && Clock::now() < deadline; ++i) {
    const std::string value = "crash-" + std::to_string(i);
    const auto err = producer->produce(topic, RdKafka::Topic::PARTITION_UA,
                                       RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                       value.size(), value.data(), value.size(), 0, nullptr);
    if (err == RdKafka::ERR__QUEUE_FULL) producer->poll(10);
    producer->poll(0);
    if (acks.count() >= kKillAfterAcks) {
      ASSERT_TRUE(succeeded(broker_->kill9()));
      killed = true;
      break;
    }
  }
  ASSERT_TRUE(killed) << "only " << acks.count() << " acknowledgements within the deadline";
  // Whatever was in flight fails (message.timeout.ms) or stays unacknowledged.
  producer->flush(10000);
  const auto acked = acks.snapshot();
  producer.reset();

  auto restarted = broker_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message();
  auto consumed = consume_from_beginning(broker_->bootstrap(), topic, *partitions);
  ASSERT_TRUE(consumed) << consumed.error().message();
  std::map<std::pair<int, std::int64_t>, std::string> got;
  for (const auto& r : *consumed) got[{r.partition, r.offset}] = r.value;
  std::size_t missing = 0;
  for (const auto& [value, where] : acked) {
    const auto it = got.find(where);
    if (it == got.end() || it->second != value) ++missing;
  }
  EXPECT_EQ(missing, 0u) << missing << " of " << acked.size()
                         << " acknowledged records lost or moved after kill -9";
}

}  // namespace
}  // namespace velocity::testing
