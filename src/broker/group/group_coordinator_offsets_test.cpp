#include "broker/group/coordinator_fixture.h"
#include "common/big_endian.h"

namespace velocity::group {
namespace {

using GroupOffsetsTest = CoordinatorTest;

OffsetCommitPartition partition(std::string topic, int32_t p, int64_t offset,
                                std::optional<std::string> metadata = "meta") {
  return {std::move(topic), p, offset, 4, std::move(metadata)};
}

// A ConsumerProtocolSubscription v0 blob: version, topics, null user data.
Bytes subscription(const std::vector<std::string>& topics) {
  std::string raw(6, '\0');
  store_be<int16_t>(raw.data(), 0);
  store_be<int32_t>(raw.data() + 2, static_cast<int32_t>(topics.size()));
  for (const std::string& t : topics) {
    char len[2];
    store_be<int16_t>(len, static_cast<int16_t>(t.size()));
    raw.append(len, 2);
    raw += t;
  }
  raw.append("\xff\xff\xff\xff", 4);
  return bytes(raw);
}

TEST_F(GroupOffsetsTest, MemberCommitRoundTripsOffsetEpochAndMetadata) {
  std::string a = join_single_member_stable();
  OffsetCommitResult r =
      commit(1, a, {partition("orders", 0, 42), partition("orders", 1, 7, std::nullopt)});
  EXPECT_EQ(r.partition_errors, (std::vector<GroupError>{GroupError::kNone, GroupError::kNone}));

  OffsetFetchResult fetched = coordinator().fetch_offsets(
      kGroup, std::vector<TopicPartition>{{"orders", 0}, {"orders", 1}, {"orders", 2}});
  ASSERT_EQ(fetched.offsets.size(), 3u);
  EXPECT_EQ(fetched.offsets[0].offset, 42);
  EXPECT_EQ(fetched.offsets[0].leader_epoch, 4);
  EXPECT_EQ(fetched.offsets[0].metadata, "meta");
  EXPECT_EQ(fetched.offsets[1].metadata, std::nullopt);
  EXPECT_EQ(fetched.offsets[2].offset, -1) << "never committed";
  EXPECT_EQ(fetched.offsets[2].error, GroupError::kNone);
}

TEST_F(GroupOffsetsTest, FetchWithoutPartitionsReturnsEveryCommittedOne) {
  commit(-1, "", {partition("orders", 1, 5), partition("cart", 0, 9)});
  OffsetFetchResult all = coordinator().fetch_offsets(kGroup, std::nullopt);
  ASSERT_EQ(all.offsets.size(), 2u);
  EXPECT_EQ(all.offsets[0].topic, "cart");
  EXPECT_EQ(all.offsets[1].offset, 5);
  EXPECT_TRUE(coordinator().fetch_offsets("unknown", std::nullopt).offsets.empty());
}

TEST_F(GroupOffsetsTest, SimpleCommitRejectedWhileGroupHasMembers) {
  std::string a = join_single_member_stable();
  EXPECT_EQ(commit(-1, "", {partition("orders", 0, 1)}).partition_errors[0],
            GroupError::kUnknownMemberId);
  (void)coordinator().leave(kGroup, {a});
  EXPECT_EQ(commit(-1, "", {partition("orders", 0, 1)}).partition_errors[0], GroupError::kNone);
}

TEST_F(GroupOffsetsTest, CommitChecksMembershipGenerationAndRebalance) {
  std::string a = join_single_member_stable();
  EXPECT_EQ(commit(1, "stranger", {partition("orders", 0, 1)}).partition_errors[0],
            GroupError::kUnknownMemberId);
  EXPECT_EQ(commit(0, a, {partition("orders", 0, 1)}).partition_errors[0],
            GroupError::kIllegalGeneration);
  join(join_request(""));
  EXPECT_EQ(commit(1, a, {partition("orders", 0, 1)}).partition_errors[0], GroupError::kNone)
      << "members may still commit while the group prepares a rebalance";
  join(join_request(a));
  EXPECT_EQ(commit(2, a, {partition("orders", 0, 2)}).partition_errors[0],
            GroupError::kRebalanceInProgress);
  OffsetCommitRequest absent;
  absent.group_id = "never-seen";
  absent.generation_id = 3;
  absent.member_id = "m";
  absent.partitions = {partition("orders", 0, 1)};
  Captured<OffsetCommitResult> captured;
  coordinator().commit_offsets(absent, captured.callback());
  EXPECT_EQ(captured.result->partition_errors[0], GroupError::kIllegalGeneration);
}

TEST_F(GroupOffsetsTest, OversizedMetadataIsRejectedPerPartition) {
  OffsetCommitResult r = commit(
      -1, "", {partition("orders", 0, 1, std::string(4097, 'x')), partition("orders", 1, 1)});
  EXPECT_EQ(r.partition_errors[0], GroupError::kOffsetMetadataTooLarge);
  EXPECT_EQ(r.partition_errors[1], GroupError::kNone);
  EXPECT_EQ(coordinator()
                .fetch_offsets(kGroup, std::vector<TopicPartition>{{"orders", 0}})
                .offsets[0]
                .offset,
            -1);
}

TEST_F(GroupOffsetsTest, OffsetsAndGenerationSurviveCoordinatorRestart) {
  std::string a = join_single_member_stable();
  commit(1, a, {partition("orders", 0, 42)});
  reopen();
  EXPECT_EQ(state(), GroupState::kEmpty);
  EXPECT_EQ(coordinator().generation_of(kGroup), 1);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 1, a), GroupError::kUnknownMemberId)
      << "membership is not durable: the client rejoins";
  auto rejoined = join(join_request(""));
  EXPECT_EQ(rejoined->result->generation_id, 2) << "generations keep increasing across restarts";
  EXPECT_EQ(coordinator().fetch_offsets(kGroup, std::nullopt).offsets.at(0).offset, 42);
}

TEST_F(GroupOffsetsTest, DeleteGroupsOnlyDeletesEmptyGroups) {
  std::string a = join_single_member_stable();
  commit(1, a, {partition("orders", 0, 42)});
  auto deleted = coordinator().delete_groups({kGroup, "unknown", ""});
  EXPECT_EQ(deleted[0].error, GroupError::kNonEmptyGroup);
  EXPECT_EQ(deleted[1].error, GroupError::kGroupIdNotFound);
  EXPECT_EQ(deleted[2].error, GroupError::kInvalidGroupId);

  (void)coordinator().leave(kGroup, {a});
  EXPECT_EQ(coordinator().delete_groups({kGroup})[0].error, GroupError::kNone);
  EXPECT_EQ(coordinator().state_of(kGroup), std::nullopt);
  reopen();
  EXPECT_EQ(coordinator().state_of(kGroup), std::nullopt) << "the deletion is durable";
  EXPECT_EQ(coordinator()
                .fetch_offsets(kGroup, std::vector<TopicPartition>{{"orders", 0}})
                .offsets[0]
                .offset,
            -1);
}

TEST_F(GroupOffsetsTest, OffsetDeleteRefusesTopicsMembersSubscribeTo) {
  auto joined = join(join_request("", {{"range", subscription({"orders"})}}));
  std::string a = joined->result->member_id;
  sync(a, 1, {{a, bytes("x")}});
  commit(1, a, {partition("orders", 0, 1), partition("legacy", 0, 1)});

  OffsetDeleteResult r = coordinator().delete_offsets(kGroup, {{"orders", 0}, {"legacy", 0}});
  EXPECT_EQ(r.error, GroupError::kNone);
  EXPECT_EQ(r.partitions[0].second, GroupError::kGroupSubscribedToTopic);
  EXPECT_EQ(r.partitions[1].second, GroupError::kNone);
  auto left = coordinator().fetch_offsets(kGroup, std::nullopt).offsets;
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].topic, "orders");
  EXPECT_EQ(coordinator().delete_offsets("unknown", {{"orders", 0}}).error,
            GroupError::kGroupIdNotFound);
}

TEST_F(GroupOffsetsTest, DescribeShowsMembersAndAssignmentsOnceStable) {
  auto joined = join(join_request(""));
  std::string a = joined->result->member_id;
  auto during = coordinator().describe_groups({kGroup})[0];
  EXPECT_EQ(during.state, "CompletingRebalance");
  EXPECT_EQ(during.protocol, "");
  ASSERT_EQ(during.members.size(), 1u);
  EXPECT_TRUE(during.members[0].assignment.empty());

  sync(a, 1, {{a, bytes("p0")}});
  auto described = coordinator().describe_groups({kGroup, "nobody"});
  ASSERT_EQ(described.size(), 2u);
  const GroupDescription& d = described[0];
  EXPECT_EQ(d.state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol, "range");
  EXPECT_EQ(d.members[0].client_id, "client");
  EXPECT_EQ(d.members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(d.members[0].metadata, bytes("sub"));
  EXPECT_EQ(d.members[0].assignment, bytes("p0"));
  EXPECT_EQ(described[1].state, "Dead");
  EXPECT_EQ(described[1].error, GroupError::kNone);
}

TEST_F(GroupOffsetsTest, ListGroupsShowsEveryGroupWithKafkaStateNames) {
  join_single_member_stable();
  OffsetCommitRequest simple;
  simple.group_id = "audit";
  simple.partitions = {partition("orders", 0, 1)};
  coordinator().commit_offsets(simple, [](OffsetCommitResult) {});
  auto listed = coordinator().list_groups();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].group_id, "audit");
  EXPECT_EQ(listed[0].state, "Empty");
  EXPECT_EQ(listed[1].group_id, kGroup);
  EXPECT_EQ(listed[1].state, "Stable");
  EXPECT_EQ(listed[1].protocol_type, "consumer");
}

}  // namespace
}  // namespace velocity::group
