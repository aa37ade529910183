// Idempotent produce across lost responses: librdkafka with enable.idempotence=true talks to the
// broker through DroppingProxy, which lets the broker append a batch and then cuts the
// connection instead of passing the Produce response on. The producer retries the same
// (producer id, epoch, sequence); the log must hold every message exactly once, in order.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/broker_process.h"
#include "support/dropping_proxy.h"
#include "support/kafka_clients.h"

namespace velocity::testing {
namespace {

constexpr int kPartitions = 3;
constexpr int kMessages = 3000;
constexpr int kDrops = 4;

TEST(IdempotenceTest, RetriesAfterLostProduceResponsesLeaveEachMessageOnceAndInOrder) {
  if (BrokerProcess::mock_requested()) GTEST_SKIP() << "needs --advertise, which the mock lacks";
  auto proxy = DroppingProxy::listen(kDrops);
  ASSERT_TRUE(proxy) << proxy.error().message();
  // Metadata names the proxy, so every client connection after bootstrap goes through it.
  auto started = BrokerProcess::start({"--advertise", fmt::format("127.0.0.1:{}", (*proxy)->port())});
  ASSERT_TRUE(started) << started.error().message();
  auto& broker = *started;
  (*proxy)->forward_to(broker->host(), broker->port());
  const std::string bootstrap = fmt::format("127.0.0.1:{}", (*proxy)->port());

  const std::string topic = topic_for_this_test();
  ASSERT_TRUE(create_topic(*broker, topic, kPartitions));
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < kMessages; ++i) {
    records.push_back({"key-" + std::to_string(i % kPartitions), std::to_string(i), {}, i % kPartitions});
  }
  // Small batches and several in flight, so a cut connection loses more than one request.
  auto deliveries = produce_all(bootstrap, topic, records,
                                {{"enable.idempotence", "true"},
                                 {"acks", "all"},
                                 {"linger.ms", "5"},
                                 {"batch.num.messages", "50"},
                                 {"max.in.flight.requests.per.connection", "5"},
                                 {"retry.backoff.ms", "50"},
                                 {"reconnect.backoff.ms", "50"},
                                 {"message.timeout.ms", "60000"}},
                                std::chrono::seconds(90));
  ASSERT_TRUE(deliveries) << deliveries.error().message() << "\nbroker stderr:\n" << broker->stderr_tail();
  ASSERT_EQ((*proxy)->dropped(), kDrops)
      << "the proxy saw only " << (*proxy)->produce_responses() << " produce responses";
  for (std::size_t i = 0; i < deliveries->size(); ++i) {
    ASSERT_EQ((*deliveries)[i].error, RdKafka::ERR_NO_ERROR)
        << "message " << i << ": " << RdKafka::err2str((*deliveries)[i].error);
  }

  auto consumed = consume_from_beginning(bootstrap, topic, kPartitions);
  ASSERT_TRUE(consumed) << consumed.error().message();
  std::map<std::int32_t, std::vector<std::string>> log;
  for (const auto& r : *consumed) log[r.partition].push_back(r.value);
  std::map<std::int32_t, std::vector<std::string>> sent;
  for (const auto& r : records) sent[r.partition].push_back(r.value);
  for (int p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(log[p].size(), sent[p].size()) << "partition " << p << " holds duplicates or gaps";
    EXPECT_EQ(log[p], sent[p]) << "partition " << p << " differs from what was sent, in order";
  }
  // Each delivery report names the offset where its message really is.
  std::map<std::pair<std::int32_t, std::int64_t>, std::string> at;
  for (const auto& r : *consumed) at[{r.partition, r.offset}] = r.value;
  std::size_t misplaced = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Delivery& d = (*deliveries)[i];
    if (at[{d.partition, d.offset}] != records[i].value) ++misplaced;
  }
  EXPECT_EQ(misplaced, 0u) << "delivery reports that name an offset holding another message";
}

}  // namespace
}  // namespace velocity::testing
