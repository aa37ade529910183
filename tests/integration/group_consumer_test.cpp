// Consumer groups of librdkafka KafkaConsumers (C++ API), each member its own process
// (velocity-test-group-member), sharing a 6-partition topic with synchronous commits after every
// batch: all members consume every message exactly once; when one member is killed its
// partitions move to the others within the session timeout; when the broker is killed and
// restarted the group resumes from its committed offsets. Redeliveries are allowed only for
// messages no acknowledged commit had covered yet (audit_group).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/assertions.h"
#include "support/broker_process.h"
#include "support/group_log.h"
#include "support/group_offsets.h"
#include "support/kafka_clients.h"
#include "support/member_group.h"

namespace velocity::testing {
namespace {

using Logs = std::vector<std::vector<MemberEvent>>;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 6;
constexpr int kSessionTimeoutMs = 6000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::size_t distinct_consumed(const Logs& logs) {
  std::set<PartitionOffset> seen;
  for (const auto& events : logs) {
    for (const auto& e : events) {
      if (e.kind == MemberEvent::Kind::kConsumed) seen.emplace(e.partition, e.offset);
    }
  }
  return seen.size();
}

std::string first_violations(const GroupAudit& audit) {
  std::string text;
  for (std::size_t i = 0; i < std::min<std::size_t>(audit.violations.size(), 5); ++i) {
    text += audit.violations[i] + "\n";
  }
  return text;
}

class GroupConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (BrokerProcess::mock_requested()) {
      GTEST_SKIP() << "group tests need velocity-broker; the mock stand-in keeps no state";
    }
    auto started = BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
  }

  // Produces `count` messages round-robin over the partitions (acks=all); returns where
  // each landed.
  std::set<PartitionOffset> produce(const std::string& topic, int count) {
    auto partitions = create_topic(*broker_, topic, kPartitions);
    EXPECT_TRUE(partitions) << partitions.error().message();
    std::vector<OutgoingRecord> records;
    records.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      records.push_back({"", "message-" + std::to_string(i), {}, i % kPartitions});
    }
    auto deliveries = produce_all(broker_->bootstrap(), topic, records,
                                  {{"acks", "all"}, {"linger.ms", "20"}}, seconds(60));
    EXPECT_TRUE(deliveries) << deliveries.error().message();
    std::set<PartitionOffset> landed;
    if (!deliveries) return landed;
    for (const auto& d : *deliveries) {
      EXPECT_EQ(d.error, RdKafka::ERR_NO_ERROR);
      landed.emplace(d.partition, d.offset);
    }
    EXPECT_EQ(landed.size(), records.size()) << "two deliveries reported the same offset";
    return landed;
  }

  // The group committed everything: each partition's committed offset is its high watermark.
  void expect_committed_to_end(const std::string& group, const std::string& topic) {
    auto lag = group_lag(broker_->bootstrap(), group, topic, kPartitions);
    ASSERT_TRUE(lag) << lag.error().message();
    for (const auto& [partition, behind] : *lag) {
      EXPECT_EQ(behind, 0) << "partition " << partition << " has uncommitted messages";
    }
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(GroupConsumerTest, ThreeMembersConsumeEveryMessageExactlyOnce) {
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  const auto expected = produce(topic, 100'000);
  ASSERT_EQ(expected.size(), 100'000u);

  auto members = MemberGroup::start(broker_->bootstrap(), topic, group, 3,
                                    {kSessionTimeoutMs, 500, 0});
  ASSERT_TRUE(members) << members.error().message();
  // Done when every message was consumed and the group settled on three disjoint shares.
  const bool done = members->wait_until(
      [&](const Logs& logs) {
        return distinct_consumed(logs) == expected.size() &&
               MemberGroup::shares_all_partitions(logs, kPartitions);
      },
      seconds(90));
  const Logs before_stop = members->logs();
  ASSERT_TRUE(succeeded(members->stop_all()));
  EXPECT_TRUE(done) << distinct_consumed(before_stop) << " of " << expected.size()
                    << " consumed, or the group never shared all partitions; broker stderr:\n"
                    << broker_->stderr_tail() << members->stderr_tails();

  const GroupAudit audit = audit_group(members->logs());
  EXPECT_EQ(audit.consumed, expected);
  EXPECT_EQ(audit.deliveries, expected.size())
      << audit.duplicates.size() << " messages delivered more than once, with "
      << audit.failed_commits << " failed commits";
  EXPECT_TRUE(audit.violations.empty()) << first_violations(audit);
  for (std::size_t m = 0; m < before_stop.size(); ++m) {
    EXPECT_FALSE(last_assignment(before_stop[m]).empty()) << "member " << m << " got no partitions";
  }
  expect_committed_to_end(group, topic);
}

TEST_F(GroupConsumerTest, PartitionsOfAKilledMemberMoveToTheOthersWithinTheSessionTimeout) {
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  const auto expected = produce(topic, 60'000);
  ASSERT_EQ(expected.size(), 60'000u);

  // Small batches and a pause per batch keep the stream going long enough to kill mid-way.
  auto members = MemberGroup::start(broker_->bootstrap(), topic, group, 3,
                                    {kSessionTimeoutMs, 100, 10});
  ASSERT_TRUE(members) << members.error().message();
  const bool sharing = members->wait_until(
      [&](const Logs& logs) {
        return MemberGroup::shares_all_partitions(logs, kPartitions) &&
               distinct_consumed(logs) >= expected.size() / 5;
      },
      seconds(60));
  ASSERT_TRUE(sharing) << "the three members never shared the partitions; broker stderr:\n"
                       << broker_->stderr_tail() << members->stderr_tails();
  ASSERT_LT(distinct_consumed(members->logs()), expected.size() / 2)
      << "consumption ran ahead; nothing left to take over";

  constexpr std::size_t kVictim = 1;
  members->member(kVictim).kill9();
  const std::int64_t killed_at = now_ns();
  const auto victim_log = members->logs()[kVictim];
  const auto orphaned = last_assignment(victim_log);
  const auto victim_commits = last_commits(victim_log);
  ASSERT_FALSE(orphaned.empty());

  const bool done = members->wait_until(
      [&](const Logs& logs) { return distinct_consumed(logs) == expected.size(); }, seconds(90));
  const Logs logs = members->logs();
  ASSERT_TRUE(succeeded(members->stop_all()));
  ASSERT_TRUE(done) << distinct_consumed(logs) << " of " << expected.size()
                    << " consumed; broker stderr:\n" << broker_->stderr_tail()
                    << members->stderr_tails();

  // Each orphaned partition is consumed again by a survivor within the session timeout
  // (plus the rebalance itself).
  for (const std::int32_t partition : orphaned) {
    std::int64_t taken_over_at = -1;
    for (std::size_t m = 0; m < logs.size(); ++m) {
      if (m == kVictim) continue;
      for (const auto& e : logs[m]) {
        if (e.kind == MemberEvent::Kind::kConsumed && e.partition == partition && e.t_ns > killed_at &&
            (taken_over_at < 0 || e.t_ns < taken_over_at)) {
          taken_over_at = e.t_ns;
        }
      }
    }
    ASSERT_GE(taken_over_at, 0) << "partition " << partition << " was never consumed after the kill";
    EXPECT_LT((taken_over_at - killed_at) / 1'000'000, kSessionTimeoutMs + 5000)
        << "partition " << partition << " moved only after "
        << (taken_over_at - killed_at) / 1'000'000 << " ms";
  }

  const GroupAudit audit = audit_group(logs);
  EXPECT_EQ(audit.consumed, expected);
  EXPECT_TRUE(audit.violations.empty()) << first_violations(audit);
  // Only what the killed member consumed after its last acknowledged commit comes again.
  std::set<PartitionOffset> victim_consumed;
  for (const auto& e : victim_log) {
    if (e.kind == MemberEvent::Kind::kConsumed) victim_consumed.emplace(e.partition, e.offset);
  }
  for (const auto& [message, extra] : audit.duplicates) {
    EXPECT_TRUE(victim_consumed.contains(message))
        << "partition " << message.first << " offset " << message.second
        << " redelivered but the killed member never had it";
    const auto commit = victim_commits.find(message.first);
    EXPECT_TRUE(commit == victim_commits.end() || message.second >= commit->second)
        << "partition " << message.first << " offset " << message.second
        << " redelivered although the killed member had committed up to " << commit->second;
  }
  expect_committed_to_end(group, topic);
}

TEST_F(GroupConsumerTest, GroupResumesFromCommittedOffsetsAfterTheBrokerIsKilledAndRestarted) {
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  const auto expected = produce(topic, 60'000);
  ASSERT_EQ(expected.size(), 60'000u);

  auto members = MemberGroup::start(broker_->bootstrap(), topic, group, 3,
                                    {kSessionTimeoutMs, 100, 10});
  ASSERT_TRUE(members) << members.error().message();
  const bool midway = members->wait_until(
      [&](const Logs& logs) {
        return MemberGroup::shares_all_partitions(logs, kPartitions) &&
               distinct_consumed(logs) >= expected.size() / 5;
      },
      seconds(60));
  ASSERT_TRUE(midway) << "the members never got going; broker stderr:\n"
                      << broker_->stderr_tail() << members->stderr_tails();
  ASSERT_LT(distinct_consumed(members->logs()), expected.size() / 2);

  ASSERT_TRUE(succeeded(broker_->kill9()));
  ASSERT_TRUE(succeeded(broker_->restart()));

  const bool done = members->wait_until(
      [&](const Logs& logs) { return distinct_consumed(logs) == expected.size(); }, seconds(90));
  const Logs logs = members->logs();
  ASSERT_TRUE(succeeded(members->stop_all()));
  ASSERT_TRUE(done) << distinct_consumed(logs) << " of " << expected.size()
                    << " consumed after the restart; broker stderr:\n" << broker_->stderr_tail()
                    << members->stderr_tails();

  // No message lost, and every redelivery is of a message whose commit had not been
  // acknowledged before the crash: acknowledged commits survived kill -9.
  const GroupAudit audit = audit_group(logs);
  EXPECT_EQ(audit.consumed, expected);
  EXPECT_TRUE(audit.violations.empty())
      << first_violations(audit) << "history of the partitions involved:\n"
      << partition_history(logs, audit.violation_partitions) << "broker stderr:\n"
      << broker_->stderr_tail(400) << members->stderr_tails();
  expect_committed_to_end(group, topic);
}

// The two halves of "resume from committed offsets" checked directly, many times around a
// kill -9: an OffsetCommit the broker acknowledged is what OffsetFetch answers after the
// restart (never an older value, never none), and a consumer that starts there is served from
// that offset by the restarted broker's first Fetch (auto.offset.reset=error turns an
// OFFSET_OUT_OF_RANGE answer into a failure instead of a silent re-read).
TEST_F(GroupConsumerTest, AcknowledgedCommitsAreServedByTheRestartedBrokerAfterKill9) {
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  constexpr int kPerPartition = 3000;
  const auto landed = produce(topic, kPartitions * kPerPartition);
  ASSERT_EQ(landed.size(), static_cast<std::size_t>(kPartitions * kPerPartition));

  // A client outside any group membership (assign-style commits, generation -1) commits the
  // same, ever larger offset for every partition as fast as the broker acknowledges.
  auto conf = client_conf(broker_->bootstrap(),
                          {{"group.id", group}, {"enable.auto.commit", "false"},
                           {"reconnect.backoff.max.ms", "200"}});
  ASSERT_TRUE(conf) << conf.error().message();
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> committer(RdKafka::KafkaConsumer::create(conf->get(), errstr));
  ASSERT_TRUE(committer) << errstr;

  std::atomic<std::int64_t> acknowledged{0};
  std::atomic<std::int64_t> attempted{0};
  std::atomic<bool> stop{false};
  std::thread committing([&] {
    for (std::int64_t next = 1; next <= kPerPartition && !stop; ++next) {
      attempted = next;
      std::vector<RdKafka::TopicPartition*> offsets;
      for (int p = 0; p < kPartitions; ++p) offsets.push_back(RdKafka::TopicPartition::create(topic, p, next));
      bool ok = committer->commitSync(offsets) == RdKafka::ERR_NO_ERROR;
      for (const auto* tp : offsets) ok = ok && tp->err() == RdKafka::ERR_NO_ERROR;
      RdKafka::TopicPartition::destroy(offsets);
      if (ok) {
        acknowledged = next;
      } else {
        --next;  // try the same value again once the broker is back
        std::this_thread::sleep_for(milliseconds(20));
      }
    }
  });

  constexpr int kRestarts = 5;
  for (int round = 0; round < kRestarts; ++round) {
    // Kill while commits are flowing: wait for some progress first.
    const std::int64_t from = acknowledged;
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (acknowledged < from + 20 + 15 * round && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_GE(acknowledged.load(), from + 20) << "commits stopped before round " << round;
    ASSERT_TRUE(succeeded(broker_->kill9()));
    const std::int64_t acked_before_kill = acknowledged;
    const std::int64_t attempted_before_kill = attempted;
    ASSERT_TRUE(succeeded(broker_->restart()));

    // Asked at once, by a client that never talked to the old broker.
    auto committed = committed_offsets(broker_->bootstrap(), group, topic, kPartitions);
    ASSERT_TRUE(committed) << committed.error().message();
    for (const auto& [partition, offset] : *committed) {
      EXPECT_GE(offset, acked_before_kill)
          << "round " << round << ": partition " << partition
          << " lost an acknowledged commit across kill -9; broker stderr:\n" << broker_->stderr_tail();
      EXPECT_LE(offset, attempted_before_kill) << "round " << round << ": partition " << partition;
    }

    // A consumer starting at the committed offsets gets exactly the messages there.
    auto reader_conf = client_conf(broker_->bootstrap(), {{"group.id", group + "-reader"},
                                                          {"enable.auto.commit", "false"},
                                                          {"auto.offset.reset", "error"}});
    ASSERT_TRUE(reader_conf) << reader_conf.error().message();
    std::unique_ptr<RdKafka::KafkaConsumer> reader(
        RdKafka::KafkaConsumer::create(reader_conf->get(), errstr));
    ASSERT_TRUE(reader) << errstr;
    std::vector<RdKafka::TopicPartition*> start;
    for (const auto& [partition, offset] : *committed) {
      start.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
    }
    ASSERT_EQ(reader->assign(start), RdKafka::ERR_NO_ERROR);
    RdKafka::TopicPartition::destroy(start);
    std::map<std::int32_t, std::int64_t> first_read;
    const auto read_deadline = std::chrono::steady_clock::now() + seconds(20);
    while (first_read.size() < static_cast<std::size_t>(kPartitions) &&
           std::chrono::steady_clock::now() < read_deadline) {
      std::unique_ptr<RdKafka::Message> m(reader->consume(100));
      if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
      ASSERT_EQ(m->err(), RdKafka::ERR_NO_ERROR)
          << "round " << round << ": " << m->errstr() << "; broker stderr:\n" << broker_->stderr_tail();
      first_read.try_emplace(m->partition(), m->offset());
    }
    reader->close();
    ASSERT_EQ(first_read.size(), static_cast<std::size_t>(kPartitions)) << "round " << round;
    for (const auto& [partition, offset] : first_read) {
      EXPECT_EQ(offset, committed->at(partition))
          << "round " << round << ": partition " << partition << " did not resume where committed";
    }
  }
  stop = true;
  committing.join();
  committer->close();
}

}  // namespace
}  // namespace velocity::testing
