// Test fixture for GroupCoordinator tests: a fake clock, an offset store in a scratch
// directory, a coordinator with no initial rebalance delay, and helpers that capture
// completions and drive members through join and sync. Single-threaded, test-only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/group/clock.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/offset_store.h"
#include "broker/group/scratch_dir.h"

namespace velocity::group {

inline Bytes bytes(std::string_view s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

// Records the one answer a completion is expected to get, and how often it was called.
template <typename R>
struct Captured {
  std::optional<R> result;
  int calls = 0;
  std::function<void(R)> callback() {
    return [this](R r) {
      ++calls;
      result = std::move(r);
    };
  }
  bool answered() const { return calls > 0; }
};

class CoordinatorTest : public ::testing::Test {
 protected:
  static constexpr int32_t kSessionMs = 10'000;
  static constexpr int32_t kRebalanceMs = 30'000;
  static constexpr const char* kGroup = "orders";

  void SetUp() override { reopen(); }

  void reopen() {
    coordinator_.reset();
    store_.reset();
    auto store = OffsetStore::open(dir_.path());
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
    coordinator_ = std::make_unique<GroupCoordinator>(clock_, *store_, options_);
  }

  GroupCoordinator& coordinator() { return *coordinator_; }

  JoinRequest join_request(std::string member_id,
                           std::vector<ProtocolOffer> protocols = {{"range", bytes("sub")}}) {
    JoinRequest r;
    r.group_id = kGroup;
    r.member_id = std::move(member_id);
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = kSessionMs;
    r.rebalance_timeout_ms = kRebalanceMs;
    r.protocol_type = "consumer";
    r.protocols = std::move(protocols);
    return r;
  }

  // Sends a JoinGroup and returns its capture (answered or parked).
  // Captures live as long as the fixture: a parked completion may be answered long after the
  // test dropped its handle.
  std::shared_ptr<Captured<JoinResult>> join(JoinRequest request) {
    auto captured = std::make_shared<Captured<JoinResult>>();
    joins_.push_back(captured);
    coordinator().join(std::move(request), captured->callback());
    return captured;
  }

  std::shared_ptr<Captured<SyncResult>> sync(const std::string& member_id, int32_t generation,
                                             std::vector<MemberAssignment> assignments = {}) {
    SyncRequest r;
    r.group_id = kGroup;
    r.member_id = member_id;
    r.generation_id = generation;
    r.assignments = std::move(assignments);
    auto captured = std::make_shared<Captured<SyncResult>>();
    syncs_.push_back(captured);
    coordinator().sync(std::move(r), captured->callback());
    return captured;
  }

  // One member joins an empty group and syncs: the group is Stable with it as leader.
  std::string join_single_member_stable() {
    auto joined = join(join_request(""));
    EXPECT_TRUE(joined->answered());
    std::string id = joined->result->member_id;
    auto synced = sync(id, joined->result->generation_id, {{id, bytes("all")}});
    EXPECT_TRUE(synced->answered());
    return id;
  }

  OffsetCommitResult commit(int32_t generation, const std::string& member_id,
                            std::vector<OffsetCommitPartition> partitions) {
    OffsetCommitRequest r;
    r.group_id = kGroup;
    r.generation_id = generation;
    r.member_id = member_id;
    r.partitions = std::move(partitions);
    Captured<OffsetCommitResult> captured;
    coordinator().commit_offsets(std::move(r), captured.callback());
    EXPECT_EQ(captured.calls, 1);
    return captured.result.value_or(OffsetCommitResult{});
  }

  GroupState state() { return coordinator().state_of(kGroup).value_or(GroupState::kDead); }

  FakeClock clock_;
  ScratchDir dir_;
  GroupCoordinatorOptions options_{.initial_rebalance_delay_ms = 0};
  std::unique_ptr<OffsetStore> store_;
  std::unique_ptr<GroupCoordinator> coordinator_;
  std::vector<std::shared_ptr<Captured<JoinResult>>> joins_;
  std::vector<std::shared_ptr<Captured<SyncResult>>> syncs_;
};

}  // namespace velocity::group
