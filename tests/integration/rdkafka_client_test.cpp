// The librdkafka C++ API (rdkafka++) against the broker: acks=all production with delivery
// reports, assign() from earliest, order per key, headers, offsetsForTimes and DeleteRecords.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/admin_client.h"
#include "support/broker_process.h"
#include "support/kafka_clients.h"

namespace velocity::testing {
namespace {

const Settings kAcksAll{{"acks", "all"}, {"linger.ms", "5"}};

class RdKafkaClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::start();
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
  }

  std::unique_ptr<BrokerProcess> broker_;
};

std::vector<OutgoingRecord> keyed_records(int count, int keys) {
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < count; ++i) {
    const std::string key = "customer-" + std::to_string(i % keys);
    records.push_back({key, key + "/" + std::to_string(i),
                       {{"ce_id", std::to_string(i)}, {"ce_type", "shop.cart.item_added.v1"}}});
  }
  return records;
}

TEST_F(RdKafkaClientTest, AcksAllDeliveriesAllSucceedAndAssignFromEarliestReadsThemInKeyOrder) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 4);
  ASSERT_TRUE(partitions) << partitions.error().message();
  const auto records = keyed_records(2000, 20);

  auto deliveries = produce_all(broker_->bootstrap(), topic, records, kAcksAll);
  ASSERT_TRUE(deliveries) << deliveries.error().message();
  std::map<std::pair<int, std::int64_t>, std::size_t> produced_at;  // (partition, offset) → index
  for (std::size_t i = 0; i < deliveries->size(); ++i) {
    const Delivery& d = (*deliveries)[i];
    ASSERT_EQ(d.error, RdKafka::ERR_NO_ERROR) << "record " << i << ": " << RdKafka::err2str(d.error);
    ASSERT_GE(d.offset, 0) << "record " << i;
    ASSERT_TRUE(produced_at.emplace(std::pair{d.partition, d.offset}, i).second)
        << "two records acknowledged at partition " << d.partition << " offset " << d.offset;
  }

  auto consumed = consume_from_beginning(broker_->bootstrap(), topic, *partitions);
  ASSERT_TRUE(consumed) << consumed.error().message();
  ASSERT_EQ(consumed->size(), records.size());

  std::map<std::string, int> partition_of_key;
  std::map<std::string, std::vector<std::string>> values_by_key;
  for (const ConsumedRecord& r : *consumed) {
    // Every record is where its delivery report said, with key, value and headers intact.
    const auto at = produced_at.find({r.partition, r.offset});
    ASSERT_NE(at, produced_at.end()) << "unexpected record at " << r.partition << "/" << r.offset;
    const OutgoingRecord& sent = records[at->second];
    EXPECT_EQ(r.key, sent.key);
    EXPECT_EQ(r.value, sent.value);
    EXPECT_EQ(r.headers, sent.headers);
    // One key, one partition.
    const auto [it, inserted] = partition_of_key.emplace(r.key, r.partition);
    EXPECT_EQ(it->second, r.partition) << "key " << r.key << " spread over partitions";
    values_by_key[r.key].push_back(r.value);
  }
  std::map<std::string, std::vector<std::string>> sent_by_key;
  for (const auto& r : records) sent_by_key[r.key].push_back(r.value);
  EXPECT_EQ(values_by_key, sent_by_key) << "order within a key was not kept";
}

TEST_F(RdKafkaClientTest, OffsetsForTimesReturnsTheFirstOffsetAtOrAfterEachTimestamp) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 1);
  ASSERT_TRUE(partitions) << partitions.error().message();
  // Ten records one second apart, in one partition and (with linger) mostly in one batch, so
  // the broker must look inside batches, not only at their max timestamps.
  constexpr std::int64_t kBase = 1'700'000'000'000;
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 10; ++i) {
    records.push_back({"k", "v" + std::to_string(i), {}, 0, kBase + i * 1000});
  }
  auto deliveries = produce_all(broker_->bootstrap(), topic, records, {{"acks", "all"}, {"linger.ms", "50"}});
  ASSERT_TRUE(deliveries) << deliveries.error().message();
  for (const auto& d : *deliveries) ASSERT_EQ(d.error, RdKafka::ERR_NO_ERROR);
  const std::int64_t first = (*deliveries)[0].offset;

  auto conf = client_conf(broker_->bootstrap(), {{"group.id", topic}});
  ASSERT_TRUE(conf) << conf.error().message();
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), errstr));
  ASSERT_NE(consumer, nullptr) << errstr;

  struct Lookup {
    std::int64_t timestamp;
    std::int64_t want_offset;
  };
  const std::vector<Lookup> lookups{
      {kBase - 5000, first},          // before everything: the first record
      {kBase, first},                 // exact match
      {kBase + 3500, first + 4},      // between records: the next one
      {kBase + 9000, first + 9},      // the last record
      {kBase + 60000, first + 10},    // after everything: the log end offset
  };
  for (const Lookup& lookup : lookups) {
    std::vector<RdKafka::TopicPartition*> query{RdKafka::TopicPartition::create(topic, 0, lookup.timestamp)};
    const auto err = consumer->offsetsForTimes(query, 10000);
    const std::int64_t got = query[0]->offset();
    const auto partition_err = query[0]->err();
    RdKafka::TopicPartition::destroy(query);
    ASSERT_EQ(err, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(err);
    ASSERT_EQ(partition_err, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(partition_err);
    // Kafka answers "no record at or after this time" with -1 (OFFSET_END) in ListOffsets v1+.
    if (lookup.want_offset == first + 10) {
      EXPECT_TRUE(got == -1 || got == first + 10) << "timestamp " << lookup.timestamp << ": " << got;
    } else {
      EXPECT_EQ(got, lookup.want_offset) << "timestamp " << lookup.timestamp;
    }
  }
  consumer->close();
}

TEST_F(RdKafkaClientTest, DeleteRecordsMovesTheLogStartOffset) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 1);
  ASSERT_TRUE(partitions) << partitions.error().message();
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 100; ++i) records.push_back({"k", "value-" + std::to_string(i), {}, 0});
  auto deliveries = produce_all(broker_->bootstrap(), topic, records, kAcksAll);
  ASSERT_TRUE(deliveries) << deliveries.error().message();
  for (const auto& d : *deliveries) ASSERT_EQ(d.error, RdKafka::ERR_NO_ERROR);
  ASSERT_EQ((*deliveries)[0].offset, 0);

  auto admin = AdminClient::connect(broker_->bootstrap());
  ASSERT_TRUE(admin) << admin.error().message();
  auto low = admin->delete_records_before(topic, 0, 40);
  ASSERT_TRUE(low) << low.error().message();
  EXPECT_EQ(*low, 40);

  auto watermarks = query_watermarks(broker_->bootstrap(), topic, 0);
  ASSERT_TRUE(watermarks) << watermarks.error().message();
  EXPECT_EQ(watermarks->first, 40);
  EXPECT_EQ(watermarks->second, 100);

  auto consumed = consume_from_beginning(broker_->bootstrap(), topic, 1);
  ASSERT_TRUE(consumed) << consumed.error().message();
  ASSERT_EQ(consumed->size(), 60u);
  EXPECT_EQ(consumed->front().offset, 40);
  EXPECT_EQ(consumed->front().value, "value-40");
  EXPECT_EQ(consumed->back().offset, 99);
}

}  // namespace
}  // namespace velocity::testing
