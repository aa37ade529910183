#include "broker/group/coordinator_fixture.h"

namespace velocity::group {
namespace {

using GroupCoordinatorTest = CoordinatorTest;

TEST_F(GroupCoordinatorTest, FirstMemberLeadsGenerationOneAndSyncMakesGroupStable) {
  auto joined = join(join_request(""));
  ASSERT_TRUE(joined->answered());
  const JoinResult& r = *joined->result;
  EXPECT_EQ(r.error, GroupError::kNone);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.leader_id, r.member_id);
  EXPECT_EQ(r.protocol_name, "range");
  EXPECT_TRUE(r.member_id.starts_with("client-"));
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].metadata, bytes("sub"));
  EXPECT_EQ(state(), GroupState::kCompletingRebalance);

  auto synced = sync(r.member_id, 1, {{r.member_id, bytes("p0,p1")}});
  ASSERT_TRUE(synced->answered());
  EXPECT_EQ(synced->result->error, GroupError::kNone);
  EXPECT_EQ(synced->result->assignment, bytes("p0,p1"));
  EXPECT_EQ(state(), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, JoinIsHeldUntilAllKnownMembersRejoin) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  EXPECT_FALSE(b->answered());
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  clock_.advance(1000);
  coordinator().tick();
  EXPECT_FALSE(b->answered());

  auto a_again = join(join_request(a));
  ASSERT_TRUE(a_again->answered());
  ASSERT_TRUE(b->answered());
  EXPECT_EQ(a_again->result->generation_id, 2);
  EXPECT_EQ(b->result->generation_id, 2);
  EXPECT_EQ(a_again->result->leader_id, a) << "the old leader rejoined and keeps its role";
  EXPECT_EQ(a_again->result->members.size(), 2u);
  EXPECT_TRUE(b->result->members.empty()) << "only the leader gets the member list";
  EXPECT_EQ(b->calls, 1);
}

TEST_F(GroupCoordinatorTest, FollowerSyncIsParkedUntilLeaderAssigns) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  auto a_again = join(join_request(a));
  std::string b_id = b->result->member_id;

  auto b_sync = sync(b_id, 2);
  clock_.advance(5000);
  coordinator().tick();
  EXPECT_FALSE(b_sync->answered()) << "no timer may answer a follower before the leader";

  auto a_sync = sync(a, 2, {{a, bytes("p0")}, {b_id, bytes("p1")}});
  ASSERT_TRUE(b_sync->answered());
  EXPECT_EQ(b_sync->result->error, GroupError::kNone);
  EXPECT_EQ(b_sync->result->assignment, bytes("p1"));
  EXPECT_EQ(a_sync->result->assignment, bytes("p0"));
  EXPECT_EQ(state(), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, MemberMissingFromLeaderAssignmentGetsEmptyBytes) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  join(join_request(a));
  auto b_sync = sync(b->result->member_id, 2);
  sync(a, 2, {{a, bytes("p0,p1")}});
  ASSERT_TRUE(b_sync->answered());
  EXPECT_EQ(b_sync->result->error, GroupError::kNone);
  EXPECT_TRUE(b_sync->result->assignment.empty());
}

TEST_F(GroupCoordinatorTest, HeartbeatDuringRebalanceAsksToRejoin) {
  std::string a = join_single_member_stable();
  EXPECT_EQ(coordinator().heartbeat(kGroup, 1, a), GroupError::kNone);
  join(join_request(""));
  EXPECT_EQ(coordinator().heartbeat(kGroup, 1, a), GroupError::kRebalanceInProgress);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 0, a), GroupError::kIllegalGeneration);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 1, "stranger"), GroupError::kUnknownMemberId);
  EXPECT_EQ(coordinator().heartbeat("no-such-group", 1, a), GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, MemberThatMissesHeartbeatsIsEvicted) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  join(join_request(a));
  std::string b_id = b->result->member_id;
  sync(b_id, 2);
  sync(a, 2, {{a, bytes("p0")}, {b_id, bytes("p1")}});

  clock_.advance(kSessionMs - 1000);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 2, a), GroupError::kNone);
  clock_.advance(999);
  coordinator().tick();
  EXPECT_EQ(state(), GroupState::kStable) << "b is not late yet";
  clock_.advance(1);
  coordinator().tick();
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 2, b_id), GroupError::kUnknownMemberId);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 2, a), GroupError::kRebalanceInProgress);

  auto a_again = join(join_request(a));
  ASSERT_TRUE(a_again->answered());
  EXPECT_EQ(a_again->result->generation_id, 3);
  EXPECT_EQ(a_again->result->members.size(), 1u);
}

TEST_F(GroupCoordinatorTest, RebalanceTimeoutDropsMembersThatDidNotRejoin) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  join(join_request(a));
  std::string b_id = b->result->member_id;
  sync(b_id, 2);
  sync(a, 2, {{a, bytes("p0")}});

  auto c = join(join_request(""));  // a rejoins, b keeps heartbeating but never rejoins
  auto a_again = join(join_request(a));
  for (int elapsed = 0; elapsed < kRebalanceMs - 3000; elapsed += 3000) {
    clock_.advance(3000);
    EXPECT_EQ(coordinator().heartbeat(kGroup, 2, b_id), GroupError::kRebalanceInProgress);
    coordinator().tick();
  }
  EXPECT_FALSE(c->answered());
  clock_.advance(3000);
  coordinator().tick();
  ASSERT_TRUE(c->answered());
  ASSERT_TRUE(a_again->answered());
  EXPECT_EQ(a_again->result->generation_id, 3);
  EXPECT_EQ(a_again->result->members.size(), 2u);
  EXPECT_EQ(coordinator().heartbeat(kGroup, 3, b_id), GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, LastMemberLeavingEmptiesGroupAtOnce) {
  std::string a = join_single_member_stable();
  LeaveResult left = coordinator().leave(kGroup, {a});
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].second, GroupError::kNone);
  EXPECT_EQ(state(), GroupState::kEmpty);

  auto next = join(join_request(""));
  ASSERT_TRUE(next->answered()) << "the next consumer must not wait for the old session";
  EXPECT_EQ(next->result->error, GroupError::kNone);
}

TEST_F(GroupCoordinatorTest, BatchLeaveReportsEachMember) {
  std::string a = join_single_member_stable();
  LeaveResult left = coordinator().leave(kGroup, {a, "ghost"});
  ASSERT_EQ(left.members.size(), 2u);
  EXPECT_EQ(left.members[0].second, GroupError::kNone);
  EXPECT_EQ(left.members[1].second, GroupError::kUnknownMemberId);
  EXPECT_EQ(state(), GroupState::kEmpty);
}

TEST_F(GroupCoordinatorTest, LeavingMemberWithParkedJoinIsAnsweredOnce) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  join(join_request(a));  // generation 2: a and b
  auto c = join(join_request(""));
  auto a_parked = join(join_request(a));
  EXPECT_FALSE(a_parked->answered()) << "b has not rejoined yet";
  (void)coordinator().leave(kGroup, {a});
  ASSERT_TRUE(a_parked->answered());
  EXPECT_EQ(a_parked->calls, 1);
  EXPECT_EQ(a_parked->result->error, GroupError::kUnknownMemberId);
  EXPECT_FALSE(c->answered());

  auto b_again = join(join_request(b->result->member_id));
  ASSERT_TRUE(c->answered());
  EXPECT_EQ(c->result->generation_id, 3);
  EXPECT_NE(b_again->result->leader_id, a) << "a left, so a remaining member leads";
  EXPECT_EQ(b_again->result->leader_id, c->result->leader_id);
  EXPECT_EQ(a_parked->calls, 1);
}

TEST_F(GroupCoordinatorTest, InitialRebalanceDelayHoldsFirstJoinOfEmptyGroup) {
  options_.initial_rebalance_delay_ms = 3000;
  reopen();
  auto a = join(join_request(""));
  EXPECT_FALSE(a->answered());
  clock_.advance(2999);
  coordinator().tick();
  EXPECT_FALSE(a->answered());
  clock_.advance(1);
  coordinator().tick();
  ASSERT_TRUE(a->answered());
  EXPECT_EQ(a->result->generation_id, 1);
}

TEST_F(GroupCoordinatorTest, JoinV4FirstAsksForMemberIdThenAcceptsIt) {
  JoinRequest first = join_request("");
  first.require_known_member_id = true;
  auto asked = join(first);
  ASSERT_TRUE(asked->answered());
  EXPECT_EQ(asked->result->error, GroupError::kMemberIdRequired);
  ASSERT_TRUE(asked->result->member_id.starts_with("client-"));

  JoinRequest second = join_request(asked->result->member_id);
  second.require_known_member_id = true;
  auto joined = join(second);
  ASSERT_TRUE(joined->answered());
  EXPECT_EQ(joined->result->error, GroupError::kNone);
  EXPECT_EQ(joined->result->member_id, asked->result->member_id);
}

TEST_F(GroupCoordinatorTest, UnknownMemberIdIsRejected) {
  join_single_member_stable();
  auto stranger = join(join_request("client-made-up"));
  ASSERT_TRUE(stranger->answered());
  EXPECT_EQ(stranger->result->error, GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, SessionTimeoutOutsideBoundsIsRejected) {
  JoinRequest low = join_request("");
  low.session_timeout_ms = 5999;
  EXPECT_EQ(join(low)->result->error, GroupError::kInvalidSessionTimeout);
  JoinRequest high = join_request("");
  high.session_timeout_ms = 1'800'001;
  EXPECT_EQ(join(high)->result->error, GroupError::kInvalidSessionTimeout);
  EXPECT_EQ(coordinator().state_of(kGroup), std::nullopt) << "a rejected join creates nothing";
}

TEST_F(GroupCoordinatorTest, ProtocolNotSharedWithMembersIsInconsistent) {
  join_single_member_stable();
  auto other = join(join_request("", {{"roundrobin", bytes("x")}}));
  EXPECT_EQ(other->result->error, GroupError::kInconsistentGroupProtocol);
  JoinRequest wrong_type = join_request("");
  wrong_type.protocol_type = "connect";
  EXPECT_EQ(join(wrong_type)->result->error, GroupError::kInconsistentGroupProtocol);
}

TEST_F(GroupCoordinatorTest, ProtocolWithMostVotesAmongCommonOnesIsChosen) {
  options_.initial_rebalance_delay_ms = 1000;
  reopen();
  auto a = join(join_request("", {{"range", bytes("a")}, {"roundrobin", bytes("a")}}));
  auto b = join(join_request("", {{"roundrobin", bytes("b")}, {"range", bytes("b")}}));
  auto c = join(join_request("", {{"roundrobin", bytes("c")}, {"range", bytes("c")}}));
  clock_.advance(1000);
  coordinator().tick();
  ASSERT_TRUE(a->answered());
  EXPECT_EQ(a->result->protocol_name, "roundrobin");
  EXPECT_EQ(c->result->protocol_name, "roundrobin");
  EXPECT_EQ(a->result->generation_id, 1)
      << "members arriving during the delay share one generation";
}

TEST_F(GroupCoordinatorTest, SyncChecksGenerationAndRebalanceState) {
  std::string a = join_single_member_stable();
  EXPECT_EQ(sync(a, 7)->result->error, GroupError::kIllegalGeneration);
  EXPECT_EQ(sync("stranger", 1)->result->error, GroupError::kUnknownMemberId);
  join(join_request(""));
  EXPECT_EQ(sync(a, 1)->result->error, GroupError::kRebalanceInProgress);
}

TEST_F(GroupCoordinatorTest, FollowerRejoinWithSameMetadataKeepsGeneration) {
  std::string a = join_single_member_stable();
  auto b = join(join_request(""));
  join(join_request(a));
  std::string b_id = b->result->member_id;
  sync(b_id, 2);
  sync(a, 2, {{a, bytes("p0")}, {b_id, bytes("p1")}});

  auto b_again = join(join_request(b_id));
  ASSERT_TRUE(b_again->answered());
  EXPECT_EQ(b_again->result->generation_id, 2);
  EXPECT_EQ(state(), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, LeaderRejoinWithChangedMetadataInStableTriggersRebalance) {
  std::string a = join_single_member_stable();
  auto a_again = join(join_request(a, {{"range", bytes("sub+new-topic")}}));
  ASSERT_TRUE(a_again->answered()) << "a is the only member, so the join phase ends at once";
  EXPECT_EQ(a_again->result->generation_id, 2);
  EXPECT_EQ(a_again->result->members[0].metadata, bytes("sub+new-topic"));
}

TEST_F(GroupCoordinatorTest, CompletionMayCallBackIntoCoordinator) {
  Captured<SyncResult> synced;
  JoinRequest request = join_request("");
  coordinator().join(request, [&](JoinResult r) {
    SyncRequest s;
    s.group_id = kGroup;
    s.member_id = r.member_id;
    s.generation_id = r.generation_id;
    s.assignments = {{r.member_id, bytes("p0")}};
    coordinator().sync(std::move(s), synced.callback());
  });
  ASSERT_TRUE(synced.answered());
  EXPECT_EQ(synced.result->assignment, bytes("p0"));
  EXPECT_EQ(state(), GroupState::kStable);
}

}  // namespace
}  // namespace velocity::group
