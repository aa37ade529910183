#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/topic_manager.h"
#include "broker/group/clock.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/offset_store.h"
#include "broker/group/producer_id_allocator.h"
#include "broker/group/scratch_dir.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"
#include "broker/storage/fake_env.h"
#include "broker/storage/flusher.h"

namespace velocity::broker {
namespace {

using group::GroupError;
using protocol::KafkaError;
using protocol::wire;

protocol::Bytes bytes(std::string_view s) {
  protocol::Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

constexpr const char* kGroup = "orders-service";
constexpr const char* kTopic = "orders";

// A broker context around a real coordinator (fake clock, offsets in a scratch directory, no
// initial rebalance delay) and a topic "orders" with two partitions on a fake filesystem.
class GroupHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = "/data";
    config_.advertised_host = "broker.test";
    config_.advertised_port = 19092;
    config_.node_id = 7;
    auto topics = TopicManager::open(env_, config_, nullptr);
    ASSERT_TRUE(topics.has_value()) << topics.error().message();
    topics_ = std::move(*topics);
    ASSERT_TRUE(topics_->create(kTopic, 2, {}).has_value());
    auto store = group::OffsetStore::open(dir_.path() / "groups");
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
    coordinator_ = std::make_unique<group::GroupCoordinator>(
        clock_, *store_, group::GroupCoordinatorOptions{.initial_rebalance_delay_ms = 0});
    auto ids = group::ProducerIdAllocator::open(dir_.path() / "producers");
    ASSERT_TRUE(ids.has_value()) << ids.error().message();
    producer_ids_ = std::move(*ids);
    ctx_ = std::make_unique<HandlerContext>(HandlerContext{
        config_, *topics_, flusher_, io_, coordinator_.get(), [](std::function<void()> fn) { fn(); },
        producer_ids_.get()});
  }

  // Calls the handler for `request` at `version`; the returned slot holds the response once
  // the handler answered (at once, or later from another call into the coordinator).
  template <typename Response, typename Request>
  std::shared_ptr<std::optional<Response>> send(Request request, int16_t version, std::string client_id = "client-1") {
    auto answer = std::make_shared<std::optional<Response>>();
    auto calls = std::make_shared<int>(0);
    RequestHeader header;
    header.api_key = Request::kApiKey;
    header.api_version = version;
    header.client_id = std::move(client_id);
    handle(*ctx_, header, request, [answer, calls](std::optional<protocol::ResponseBody> body) {
      ++*calls;
      EXPECT_EQ(*calls, 1) << "a handler must answer exactly once";
      ASSERT_TRUE(body.has_value());
      auto* response = std::get_if<Response>(&*body);
      ASSERT_NE(response, nullptr);
      *answer = std::move(*response);
    });
    return answer;
  }

  // As send(), for requests answered at once: the response, or nullopt if it is still held.
  template <typename Response, typename Request>
  std::optional<Response> call(Request request, int16_t version, std::string client_id = "client-1") {
    return *send<Response>(std::move(request), version, std::move(client_id));
  }

  static protocol::JoinGroupRequest join_request(std::string member_id) {
    protocol::JoinGroupRequest r;
    r.group_id = kGroup;
    r.session_timeout_ms = 10'000;
    r.rebalance_timeout_ms = 30'000;
    r.member_id = std::move(member_id);
    r.protocol_type = "consumer";
    r.protocols = {{"range", bytes("subscription")}};
    return r;
  }

  static protocol::OffsetCommitRequest commit_request(int32_t generation, std::string member_id) {
    protocol::OffsetCommitRequest r;
    r.group_id = kGroup;
    r.generation_id_or_member_epoch = generation;
    r.member_id = std::move(member_id);
    r.topics = {{kTopic, {{0, 42, 3, -1, "meta-0"}, {1, 7, 3, -1, std::nullopt}}}};
    return r;
  }

  // One consumer joins (JoinGroup v5, so first MEMBER_ID_REQUIRED) and syncs as leader.
  std::pair<std::string, int32_t> join_and_sync_single_member() {
    auto first = call<protocol::JoinGroupResponse>(join_request(""), 5);
    EXPECT_TRUE(first.has_value());
    if (!first) return {};
    auto joined = call<protocol::JoinGroupResponse>(join_request(first->member_id), 5);
    EXPECT_TRUE(joined.has_value());
    if (!joined) return {};
    protocol::SyncGroupRequest sync;
    sync.group_id = kGroup;
    sync.generation_id = joined->generation_id;
    sync.member_id = joined->member_id;
    sync.assignments = {{joined->member_id, bytes("orders:0,1")}};
    auto synced = call<protocol::SyncGroupResponse>(sync, 3);
    EXPECT_TRUE(synced.has_value());
    return {joined->member_id, joined->generation_id};
  }

  group::FakeClock clock_;
  group::ScratchDir dir_;
  storage::FakeEnv env_;
  BrokerConfig config_;
  std::unique_ptr<TopicManager> topics_;
  storage::Flusher flusher_;
  boost::asio::io_context io_;
  std::unique_ptr<group::OffsetStore> store_;
  std::unique_ptr<group::GroupCoordinator> coordinator_;
  std::unique_ptr<group::ProducerIdAllocator> producer_ids_;
  std::unique_ptr<HandlerContext> ctx_;
};

TEST(GroupErrorMapping, EveryGroupErrorHasItsKafkaCode) {
  const std::vector<std::pair<GroupError, KafkaError>> table = {
      {GroupError::kNone, KafkaError::kNone},
      {GroupError::kUnknownMemberId, KafkaError::kUnknownMemberId},
      {GroupError::kIllegalGeneration, KafkaError::kIllegalGeneration},
      {GroupError::kRebalanceInProgress, KafkaError::kRebalanceInProgress},
      {GroupError::kInconsistentGroupProtocol, KafkaError::kInconsistentGroupProtocol},
      {GroupError::kInvalidSessionTimeout, KafkaError::kInvalidSessionTimeout},
      {GroupError::kMemberIdRequired, KafkaError::kMemberIdRequired},
      {GroupError::kInvalidGroupId, KafkaError::kInvalidGroupId},
      {GroupError::kGroupIdNotFound, KafkaError::kGroupIdNotFound},
      {GroupError::kNonEmptyGroup, KafkaError::kNonEmptyGroup},
      {GroupError::kGroupSubscribedToTopic, KafkaError::kNonEmptyGroup},
      {GroupError::kOffsetMetadataTooLarge, KafkaError::kInvalidCommitOffsetSize},
      {GroupError::kCoordinatorLoadInProgress, KafkaError::kCoordinatorLoadInProgress},
      {GroupError::kCoordinatorNotAvailable, KafkaError::kCoordinatorNotAvailable},
  };
  // The table lists every enumerator: the last one is kCoordinatorNotAvailable.
  ASSERT_EQ(table.size(), static_cast<size_t>(GroupError::kCoordinatorNotAvailable) + 1);
  for (const auto& [error, expected] : table) {
    EXPECT_EQ(to_kafka_error(error), expected) << group::to_string(error);
    EXPECT_EQ(wire_error(error), wire(expected)) << group::to_string(error);
  }
  EXPECT_EQ(wire_error(GroupError::kUnknownMemberId), 25);
  EXPECT_EQ(wire_error(GroupError::kMemberIdRequired), 79);
}

TEST_F(GroupHandlersTest, FindCoordinatorNamesThisBrokerForGroups) {
  protocol::FindCoordinatorRequest request;
  request.key = kGroup;
  auto response = call<protocol::FindCoordinatorResponse>(request, 0);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->error_code, 0);
  EXPECT_EQ(response->node_id, 7);
  EXPECT_EQ(response->host, "broker.test");
  EXPECT_EQ(response->port, 19092);
}

TEST_F(GroupHandlersTest, FindCoordinatorRefusesTransactionAndUnknownKeyTypes) {
  protocol::FindCoordinatorRequest request;
  request.key = "tx-1";
  request.key_type = 1;
  auto transaction = call<protocol::FindCoordinatorResponse>(request, 2);
  ASSERT_TRUE(transaction.has_value());
  EXPECT_EQ(transaction->error_code, wire(KafkaError::kCoordinatorNotAvailable));
  EXPECT_EQ(transaction->node_id, -1);
  request.key_type = 5;
  auto unknown = call<protocol::FindCoordinatorResponse>(request, 2);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->error_code, wire(KafkaError::kInvalidRequest));
}

TEST_F(GroupHandlersTest, WithoutCoordinatorGroupApisAnswerCoordinatorNotAvailable) {
  ctx_->groups = nullptr;
  auto found = call<protocol::FindCoordinatorResponse>(protocol::FindCoordinatorRequest{kGroup, 0}, 1);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->error_code, wire(KafkaError::kCoordinatorNotAvailable));
  auto joined = call<protocol::JoinGroupResponse>(join_request(""), 5);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(joined->error_code, wire(KafkaError::kCoordinatorNotAvailable));
  auto committed = call<protocol::OffsetCommitResponse>(commit_request(-1, ""), 2);
  ASSERT_TRUE(committed.has_value());
  ASSERT_EQ(committed->topics.size(), 1u);
  for (const auto& p : committed->topics[0].partitions) {
    EXPECT_EQ(p.error_code, wire(KafkaError::kCoordinatorNotAvailable));
  }
}

TEST_F(GroupHandlersTest, JoinGroupV5AsksForMemberIdThenJoinAndSyncMakeSingleMemberStable) {
  auto first = call<protocol::JoinGroupResponse>(join_request(""), 5);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->error_code, wire(KafkaError::kMemberIdRequired));
  ASSERT_FALSE(first->member_id.empty());
  EXPECT_EQ(first->member_id.rfind("client-1-", 0), 0u) << first->member_id;

  auto joined = call<protocol::JoinGroupResponse>(join_request(first->member_id), 5);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(joined->error_code, 0);
  EXPECT_EQ(joined->member_id, first->member_id);
  EXPECT_EQ(joined->leader, first->member_id);
  EXPECT_EQ(joined->protocol_name, "range");
  EXPECT_EQ(joined->generation_id, 1);
  ASSERT_EQ(joined->members.size(), 1u);
  EXPECT_EQ(joined->members[0].member_id, first->member_id);
  EXPECT_EQ(joined->members[0].metadata, bytes("subscription"));

  protocol::SyncGroupRequest sync;
  sync.group_id = kGroup;
  sync.generation_id = joined->generation_id;
  sync.member_id = joined->member_id;
  sync.assignments = {{joined->member_id, bytes("orders:0,1")}};
  auto synced = call<protocol::SyncGroupResponse>(sync, 3);
  ASSERT_TRUE(synced.has_value());
  EXPECT_EQ(synced->error_code, 0);
  EXPECT_EQ(synced->assignment, bytes("orders:0,1"));
  EXPECT_EQ(coordinator_->state_of(kGroup), group::GroupState::kStable);

  auto beat = call<protocol::HeartbeatResponse>(
      protocol::HeartbeatRequest{kGroup, joined->generation_id, joined->member_id, std::nullopt}, 3);
  ASSERT_TRUE(beat.has_value());
  EXPECT_EQ(beat->error_code, 0);
}

TEST_F(GroupHandlersTest, JoinGroupV0IsAnsweredWithoutAskingForMemberIdFirst) {
  auto joined = call<protocol::JoinGroupResponse>(join_request(""), 0);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(joined->error_code, 0);
  EXPECT_FALSE(joined->member_id.empty());
  EXPECT_EQ(joined->leader, joined->member_id);
  EXPECT_EQ(joined->generation_id, 1);
}

TEST_F(GroupHandlersTest, FollowerSyncIsAnsweredWhenLeaderSyncArrives) {
  auto [leader, generation] = join_and_sync_single_member();
  // A second member joins: the rebalance completes once the leader rejoins too.
  auto second = call<protocol::JoinGroupResponse>(join_request(""), 3);
  EXPECT_FALSE(second.has_value()) << "JoinGroup is held until the join phase completes";
  auto leader_rejoin = call<protocol::JoinGroupResponse>(join_request(leader), 3);
  ASSERT_TRUE(leader_rejoin.has_value());
  EXPECT_EQ(leader_rejoin->generation_id, generation + 1);
  EXPECT_EQ(leader_rejoin->members.size(), 2u);
  ASSERT_TRUE(coordinator_->state_of(kGroup) == group::GroupState::kCompletingRebalance);
  const auto& members = leader_rejoin->members;
  std::string follower = members[0].member_id == leader ? members[1].member_id : members[0].member_id;

  // The follower's SyncGroup is parked; the handler answers it from the leader's call.
  protocol::SyncGroupRequest follower_sync{kGroup, generation + 1, follower, std::nullopt, {}};
  auto answer = send<protocol::SyncGroupResponse>(follower_sync, 3, "client-2");
  EXPECT_FALSE(answer->has_value());
  protocol::SyncGroupRequest leader_sync{
      kGroup, generation + 1, leader, std::nullopt, {{leader, bytes("orders:0")}, {follower, bytes("orders:1")}}};
  auto leader_synced = call<protocol::SyncGroupResponse>(leader_sync, 3);
  ASSERT_TRUE(leader_synced.has_value());
  EXPECT_EQ(leader_synced->assignment, bytes("orders:0"));
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->error_code, 0);
  EXPECT_EQ((*answer)->assignment, bytes("orders:1"));
}

TEST_F(GroupHandlersTest, LeaveGroupV3AnswersPerMemberAndEmptiesTheGroup) {
  auto [member, generation] = join_and_sync_single_member();
  protocol::LeaveGroupRequest leave;
  leave.group_id = kGroup;
  leave.members = {{member, std::nullopt}, {"stranger", std::string("instance-9")}};
  auto left = call<protocol::LeaveGroupResponse>(leave, 3);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->error_code, 0);
  ASSERT_EQ(left->members.size(), 2u);
  EXPECT_EQ(left->members[0].member_id, member);
  EXPECT_EQ(left->members[0].error_code, 0);
  EXPECT_EQ(left->members[1].member_id, "stranger");
  EXPECT_EQ(left->members[1].group_instance_id, "instance-9");
  EXPECT_EQ(left->members[1].error_code, wire(KafkaError::kUnknownMemberId));
  EXPECT_EQ(coordinator_->state_of(kGroup), group::GroupState::kEmpty);
}

TEST_F(GroupHandlersTest, LeaveGroupV0OfUnknownMemberAnswersUnknownMemberId) {
  join_and_sync_single_member();
  protocol::LeaveGroupRequest leave;
  leave.group_id = kGroup;
  leave.member_id = "stranger";
  auto left = call<protocol::LeaveGroupResponse>(leave, 0);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->error_code, wire(KafkaError::kUnknownMemberId));
}

TEST_F(GroupHandlersTest, CommittedOffsetsAreFetchedBackWithMetadataAndLeaderEpoch) {
  auto request = commit_request(-1, "");
  request.topics.push_back({"no-such-topic", {{0, 1, -1, -1, std::nullopt}}});
  request.topics[0].partitions.push_back({9, 1, -1, -1, std::nullopt});  // orders has 2 partitions
  auto committed = call<protocol::OffsetCommitResponse>(request, 7);
  ASSERT_TRUE(committed.has_value());
  ASSERT_EQ(committed->topics.size(), 2u);
  ASSERT_EQ(committed->topics[0].partitions.size(), 3u);
  EXPECT_EQ(committed->topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(committed->topics[0].partitions[1].error_code, 0);
  EXPECT_EQ(committed->topics[0].partitions[2].partition_index, 9);
  EXPECT_EQ(committed->topics[0].partitions[2].error_code, wire(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(committed->topics[1].name, "no-such-topic");
  EXPECT_EQ(committed->topics[1].partitions[0].error_code, wire(KafkaError::kUnknownTopicOrPartition));

  protocol::OffsetFetchRequest fetch;
  fetch.group_id = kGroup;
  fetch.topics = std::vector<protocol::OffsetFetchRequest::Topic>{{kTopic, {1, 0}}};
  auto fetched = call<protocol::OffsetFetchResponse>(fetch, 5);
  ASSERT_TRUE(fetched.has_value());
  EXPECT_EQ(fetched->error_code, 0);
  ASSERT_EQ(fetched->topics.size(), 1u);
  ASSERT_EQ(fetched->topics[0].partitions.size(), 2u);
  const auto& p1 = fetched->topics[0].partitions[0];
  const auto& p0 = fetched->topics[0].partitions[1];
  EXPECT_EQ(p1.partition_index, 1);
  EXPECT_EQ(p1.committed_offset, 7);
  EXPECT_EQ(p0.partition_index, 0);
  EXPECT_EQ(p0.committed_offset, 42);
  EXPECT_EQ(p0.committed_leader_epoch, 3);
  EXPECT_EQ(p0.metadata, "meta-0");

  // Null topics (v2+): every committed partition; the unknown partition 9 was never stored.
  fetch.topics = std::nullopt;
  auto all = call<protocol::OffsetFetchResponse>(fetch, 2);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->topics.size(), 1u);
  EXPECT_EQ(all->topics[0].partitions.size(), 2u);
}

TEST_F(GroupHandlersTest, MemberCommitChecksGenerationAndNothingCommittedFetchesMinusOne) {
  auto [member, generation] = join_and_sync_single_member();
  auto stale = call<protocol::OffsetCommitResponse>(commit_request(generation + 5, member), 2);
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->topics[0].partitions[0].error_code, wire(KafkaError::kIllegalGeneration));
  // A "simple" commit while the group has members is refused.
  auto simple = call<protocol::OffsetCommitResponse>(commit_request(-1, ""), 2);
  ASSERT_TRUE(simple.has_value());
  EXPECT_EQ(simple->topics[0].partitions[0].error_code, wire(KafkaError::kUnknownMemberId));

  protocol::OffsetFetchRequest fetch;
  fetch.group_id = kGroup;
  fetch.topics = std::vector<protocol::OffsetFetchRequest::Topic>{{kTopic, {0}}};
  auto fetched = call<protocol::OffsetFetchResponse>(fetch, 1);
  ASSERT_TRUE(fetched.has_value());
  ASSERT_EQ(fetched->topics.size(), 1u);
  EXPECT_EQ(fetched->topics[0].partitions[0].committed_offset, -1);
  EXPECT_EQ(fetched->topics[0].partitions[0].error_code, 0);
}

TEST_F(GroupHandlersTest, OffsetFetchV1RepeatsGroupErrorOnEveryPartition) {
  protocol::OffsetFetchRequest fetch;
  fetch.group_id = "";
  fetch.topics = std::vector<protocol::OffsetFetchRequest::Topic>{{kTopic, {0, 1}}};
  auto fetched = call<protocol::OffsetFetchResponse>(fetch, 1);
  ASSERT_TRUE(fetched.has_value());
  ASSERT_EQ(fetched->topics.size(), 1u);
  ASSERT_EQ(fetched->topics[0].partitions.size(), 2u);
  for (const auto& p : fetched->topics[0].partitions) {
    EXPECT_EQ(p.error_code, wire(KafkaError::kInvalidGroupId));
    EXPECT_EQ(p.committed_offset, -1);
  }
}

TEST_F(GroupHandlersTest, OffsetDeleteRemovesOffsetsOfAnEmptyGroup) {
  ASSERT_TRUE(call<protocol::OffsetCommitResponse>(commit_request(-1, ""), 2).has_value());
  protocol::OffsetDeleteRequest request;
  request.group_id = kGroup;
  request.topics = {{kTopic, {{0}}}};
  auto deleted = call<protocol::OffsetDeleteResponse>(request, 0);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->error_code, 0);
  ASSERT_EQ(deleted->topics.size(), 1u);
  EXPECT_EQ(deleted->topics[0].partitions[0].error_code, 0);
  EXPECT_FALSE(store_->offset(kGroup, {kTopic, 0}).has_value());
  EXPECT_TRUE(store_->offset(kGroup, {kTopic, 1}).has_value());

  request.group_id = "never-seen";
  auto missing = call<protocol::OffsetDeleteResponse>(request, 0);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->error_code, wire(KafkaError::kGroupIdNotFound));
}

TEST_F(GroupHandlersTest, DescribeListAndDeleteGroups) {
  auto [member, generation] = join_and_sync_single_member();
  auto described = call<protocol::DescribeGroupsResponse>(protocol::DescribeGroupsRequest{{kGroup}, false}, 0);
  ASSERT_TRUE(described.has_value());
  ASSERT_EQ(described->groups.size(), 1u);
  const auto& g = described->groups[0];
  EXPECT_EQ(g.error_code, 0);
  EXPECT_EQ(g.group_state, "Stable");
  EXPECT_EQ(g.protocol_type, "consumer");
  EXPECT_EQ(g.protocol_data, "range");
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].member_id, member);
  EXPECT_EQ(g.members[0].client_id, "client-1");
  EXPECT_EQ(g.members[0].member_metadata, bytes("subscription"));
  EXPECT_EQ(g.members[0].member_assignment, bytes("orders:0,1"));

  auto listed = call<protocol::ListGroupsResponse>(protocol::ListGroupsRequest{}, 0);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->groups.size(), 1u);
  EXPECT_EQ(listed->groups[0].group_id, kGroup);
  EXPECT_EQ(listed->groups[0].protocol_type, "consumer");

  auto busy = call<protocol::DeleteGroupsResponse>(protocol::DeleteGroupsRequest{{kGroup}}, 1);
  ASSERT_TRUE(busy.has_value());
  ASSERT_EQ(busy->results.size(), 1u);
  EXPECT_EQ(busy->results[0].error_code, wire(KafkaError::kNonEmptyGroup));

  protocol::LeaveGroupRequest leave;
  leave.group_id = kGroup;
  leave.member_id = member;
  ASSERT_TRUE(call<protocol::LeaveGroupResponse>(leave, 1).has_value());
  auto deleted = call<protocol::DeleteGroupsResponse>(protocol::DeleteGroupsRequest{{kGroup, "never-seen"}}, 1);
  ASSERT_TRUE(deleted.has_value());
  ASSERT_EQ(deleted->results.size(), 2u);
  EXPECT_EQ(deleted->results[0].error_code, 0);
  EXPECT_EQ(deleted->results[1].group_id, "never-seen");
  EXPECT_EQ(deleted->results[1].error_code, wire(KafkaError::kGroupIdNotFound));
}

TEST_F(GroupHandlersTest, InitProducerIdHandsOutFreshIdsAndRefusesTransactions) {
  auto first = call<protocol::InitProducerIdResponse>(protocol::InitProducerIdRequest{}, 1);
  auto second = call<protocol::InitProducerIdResponse>(protocol::InitProducerIdRequest{}, 1);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->error_code, 0);
  EXPECT_GT(first->producer_id, 0);
  EXPECT_EQ(first->producer_epoch, 0);
  EXPECT_NE(second->producer_id, first->producer_id);

  protocol::InitProducerIdRequest transactional;
  transactional.transactional_id = "tx-1";
  auto refused = call<protocol::InitProducerIdResponse>(transactional, 1);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->error_code, wire(KafkaError::kUnsupportedVersion));
  EXPECT_EQ(refused->producer_id, -1);

  ctx_->producer_ids = nullptr;
  auto unavailable = call<protocol::InitProducerIdResponse>(protocol::InitProducerIdRequest{}, 1);
  ASSERT_TRUE(unavailable.has_value());
  EXPECT_EQ(unavailable->error_code, wire(KafkaError::kCoordinatorNotAvailable));
}

}  // namespace
}  // namespace velocity::broker
