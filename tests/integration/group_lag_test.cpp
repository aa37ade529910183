// A consumer group's lag is observable from outside: rd_kafka_list_groups (ListGroups +
// DescribeGroups v0) and the Admin API's DescribeConsumerGroups show the group, its state and
// its member; committed offsets (OffsetFetch) against high watermarks (ListOffsets) give the
// lag per partition, and it follows new commits and new messages.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include "support/broker_process.h"
#include "support/group_offsets.h"
#include "support/kafka_clients.h"

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct ListedGroup {
  std::string state;
  std::string protocol_type;
  std::string protocol;
  int members = -1;
  std::size_t assignment_bytes = 0;  // of the first member
};

std::string text(const char* maybe_null) { return maybe_null != nullptr ? maybe_null : ""; }

// The group as rd_kafka_list_groups() reports it, or an error naming what went wrong.
Result<ListedGroup> list_group(rd_kafka_t* handle, const std::string& group) {
  const rd_kafka_group_list* list = nullptr;
  const auto err = rd_kafka_list_groups(handle, group.c_str(), &list, 10000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(ErrorCode::kInternal, fmt::format("list_groups: {}", rd_kafka_err2str(err)));
  }
  std::unique_ptr<const rd_kafka_group_list, decltype(&rd_kafka_group_list_destroy)> owned(
      list, &rd_kafka_group_list_destroy);
  for (int i = 0; i < list->group_cnt; ++i) {
    const rd_kafka_group_info& info = list->groups[i];
    if (group != text(info.group)) continue;
    if (info.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return fail(ErrorCode::kInternal, fmt::format("list_groups {}: {}", group, rd_kafka_err2str(info.err)));
    }
    ListedGroup listed{text(info.state), text(info.protocol_type), text(info.protocol),
                       info.member_cnt, 0};
    if (info.member_cnt > 0) listed.assignment_bytes = static_cast<std::size_t>(info.members[0].member_assignment_size);
    return listed;
  }
  return fail(ErrorCode::kNotFound, fmt::format("list_groups: {} not listed", group));
}

// (state name, member count) from the Admin API's DescribeConsumerGroups.
Result<std::pair<std::string, std::size_t>> describe_group(rd_kafka_t* handle, const std::string& group) {
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(handle, groups, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 15000);
  rd_kafka_queue_destroy(queue);
  if (event == nullptr) return fail(ErrorCode::kTimeout, "DescribeConsumerGroups: no result in 15 s");
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> owned(event, &rd_kafka_event_destroy);
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(ErrorCode::kInternal, fmt::format("DescribeConsumerGroups: {}", rd_kafka_event_error_string(event)));
  }
  const auto* result = rd_kafka_event_DescribeConsumerGroups_result(event);
  size_t count = 0;
  const auto** descriptions = rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
  if (count != 1) return fail(ErrorCode::kInternal, fmt::format("DescribeConsumerGroups: {} results", count));
  if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(descriptions[0])) {
    return fail(ErrorCode::kInternal, fmt::format("DescribeConsumerGroups: {}", rd_kafka_error_string(error)));
  }
  return std::pair{std::string(rd_kafka_consumer_group_state_name(
                       rd_kafka_ConsumerGroupDescription_state(descriptions[0]))),
                   rd_kafka_ConsumerGroupDescription_member_count(descriptions[0])};
}

TEST(GroupLagTest, CommittedOffsetsAgainstHighWatermarksShowTheLagOfAListedGroup) {
  if (BrokerProcess::mock_requested()) GTEST_SKIP() << "the mock has no ListGroups state to inspect";
  auto started = BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
  ASSERT_TRUE(started) << started.error().message();
  auto& broker = *started;
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  ASSERT_TRUE(create_topic(*broker, topic, 2));
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 100; ++i) records.push_back({"", std::to_string(i), {}, i % 2});
  ASSERT_TRUE(produce_all(broker->bootstrap(), topic, records, {{"acks", "all"}}));

  // One member joins, is assigned both partitions and commits 30 of 50 on partition 0 and
  // everything on partition 1.
  auto conf = client_conf(broker->bootstrap(), {{"group.id", group},
                                                {"enable.auto.commit", "false"},
                                                {"auto.offset.reset", "earliest"},
                                                {"session.timeout.ms", "10000"}});
  ASSERT_TRUE(conf);
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), errstr));
  ASSERT_NE(consumer, nullptr) << errstr;
  ASSERT_EQ(consumer->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  std::vector<RdKafka::TopicPartition*> assignment;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (assignment.size() < 2 && Clock::now() < deadline) {
    delete consumer->consume(100);
    RdKafka::TopicPartition::destroy(assignment);
    consumer->assignment(assignment);
  }
  RdKafka::TopicPartition::destroy(assignment);
  ASSERT_TRUE(Clock::now() < deadline) << "never assigned both partitions; broker stderr:\n"
                                       << broker->stderr_tail();
  std::vector<RdKafka::TopicPartition*> commit{RdKafka::TopicPartition::create(topic, 0, 30),
                                               RdKafka::TopicPartition::create(topic, 1, 50)};
  const auto committed = consumer->commitSync(commit);
  RdKafka::TopicPartition::destroy(commit);
  ASSERT_EQ(committed, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(committed);

  auto listed = list_group(consumer->c_ptr(), group);
  ASSERT_TRUE(listed) << listed.error().message();
  EXPECT_EQ(listed->state, "Stable");
  EXPECT_EQ(listed->protocol_type, "consumer");
  EXPECT_TRUE(listed->protocol == "range" || listed->protocol == "roundrobin") << listed->protocol;
  EXPECT_EQ(listed->members, 1);
  EXPECT_GT(listed->assignment_bytes, 0u) << "the member's assignment is not shown";
  auto described = describe_group(consumer->c_ptr(), group);
  ASSERT_TRUE(described) << described.error().message();
  EXPECT_EQ(described->first, "Stable");
  EXPECT_EQ(described->second, 1u);

  auto lag = group_lag(broker->bootstrap(), group, topic, 2);
  ASSERT_TRUE(lag) << lag.error().message();
  EXPECT_EQ((*lag)[0], 20);
  EXPECT_EQ((*lag)[1], 0);

  // After the member leaves, the group is Empty but its offsets, and so its lag, remain; new
  // messages add to it.
  consumer->close();
  consumer.reset();
  ASSERT_TRUE(produce_all(broker->bootstrap(), topic, {{"", "late-1", {}, 1}, {"", "late-2", {}, 1}},
                          {{"acks", "all"}}));
  auto probe_conf = client_conf(broker->bootstrap(), {});
  ASSERT_TRUE(probe_conf);
  std::unique_ptr<RdKafka::Producer> probe(RdKafka::Producer::create(probe_conf->get(), errstr));
  ASSERT_NE(probe, nullptr) << errstr;
  auto empty = list_group(probe->c_ptr(), group);
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->state, "Empty");
  EXPECT_EQ(empty->members, 0);
  lag = group_lag(broker->bootstrap(), group, topic, 2);
  ASSERT_TRUE(lag) << lag.error().message();
  EXPECT_EQ((*lag)[0], 20);
  EXPECT_EQ((*lag)[1], 2);
}

}  // namespace
}  // namespace velocity::testing
