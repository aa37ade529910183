// Topic administration through librdkafka's Admin API against the broker: CreateTopics with
// partitions and configs, DescribeConfigs, CreatePartitions, DeleteTopics.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "support/admin_client.h"
#include "support/assertions.h"
#include "support/broker_process.h"
#include "support/kafka_clients.h"

namespace velocity::testing {
namespace {

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::start();
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
    auto admin = AdminClient::connect(broker_->bootstrap());
    ASSERT_TRUE(admin) << admin.error().message();
    admin_ = std::make_unique<AdminClient>(std::move(*admin));
  }

  // Metadata after an admin call may lag for a moment: ask a bounded number of times until
  // `topic` has `partitions` partitions (0 = until it is gone). Returns the last answer.
  int wait_for_partitions(const std::string& topic, int partitions) {
    int seen = -1;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto topics = admin_->list_topics();
      if (topics) {
        const auto it = topics->find(topic);
        seen = it == topics->end() ? 0 : it->second;
        if (seen == partitions) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return seen;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AdminClient> admin_;
};

TEST_F(AdminTest, CreateTopicWithPartitionsAndConfigsIsListedAndDescribed) {
  const std::string topic = topic_for_this_test();
  auto created = admin_->create_topic({topic, 3, 1, {{"retention.ms", "3600000"},
                                                     {"cleanup.policy", "delete"}}});
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(wait_for_partitions(topic, 3), 3);

  auto configs = admin_->describe_topic_configs(topic);
  ASSERT_TRUE(configs) << configs.error().message();
  ASSERT_TRUE(configs->contains("retention.ms"));
  EXPECT_EQ(configs->at("retention.ms"), "3600000");
  ASSERT_TRUE(configs->contains("cleanup.policy"));
  EXPECT_EQ(configs->at("cleanup.policy"), "delete");
}

TEST_F(AdminTest, CreatingAnExistingTopicFailsWithTopicAlreadyExists) {
  const std::string topic = topic_for_this_test();
  ASSERT_TRUE(succeeded(admin_->create_topic({topic, 1, 1, {}})));
  auto again = admin_->create_topic({topic, 1, 1, {}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists) << again.error().message();
}

TEST_F(AdminTest, DescribeConfigsReportsBrokerDefaultsForATopicCreatedWithout) {
  const std::string topic = topic_for_this_test();
  ASSERT_TRUE(succeeded(admin_->create_topic({topic, 1, 1, {}})));
  auto configs = admin_->describe_topic_configs(topic);
  ASSERT_TRUE(configs) << configs.error().message();
  for (const char* name : {"retention.ms", "retention.bytes", "cleanup.policy", "segment.bytes"}) {
    EXPECT_TRUE(configs->contains(name)) << name << " missing from DescribeConfigs";
  }
}

TEST_F(AdminTest, CreatePartitionsGrowsTheTopicAndNewPartitionsAcceptRecords) {
  const std::string topic = topic_for_this_test();
  ASSERT_TRUE(succeeded(admin_->create_topic({topic, 2, 1, {}})));
  ASSERT_EQ(wait_for_partitions(topic, 2), 2);
  auto grown = admin_->create_partitions(topic, 5);
  ASSERT_TRUE(grown) << grown.error().message();
  ASSERT_EQ(wait_for_partitions(topic, 5), 5);

  std::vector<OutgoingRecord> records;
  for (int p = 0; p < 5; ++p) records.push_back({"k", "to-" + std::to_string(p), {}, p});
  auto deliveries = produce_all(broker_->bootstrap(), topic, records, {{"acks", "all"}});
  ASSERT_TRUE(deliveries) << deliveries.error().message();
  for (int p = 0; p < 5; ++p) {
    EXPECT_EQ((*deliveries)[p].error, RdKafka::ERR_NO_ERROR) << "partition " << p;
    EXPECT_EQ((*deliveries)[p].partition, p);
  }
}

TEST_F(AdminTest, DeletedTopicDisappearsFromMetadata) {
  const std::string topic = topic_for_this_test();
  const std::string survivor = topic_for_this_test("survivor");
  ASSERT_TRUE(succeeded(admin_->create_topic({topic, 1, 1, {}})));
  ASSERT_TRUE(succeeded(admin_->create_topic({survivor, 1, 1, {}})));
  ASSERT_EQ(wait_for_partitions(topic, 1), 1);
  auto deleted = admin_->delete_topic(topic);
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(wait_for_partitions(topic, 0), 0);
  EXPECT_EQ(wait_for_partitions(survivor, 1), 1);

  auto again = admin_->delete_topic(topic);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound) << again.error().message();
}

}  // namespace
}  // namespace velocity::testing
