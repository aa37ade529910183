#include "broker/group/producer_state.h"

#include <gtest/gtest.h>

#include <limits>

namespace velocity::group {
namespace {

constexpr int64_t kPid = 1001;
constexpr int32_t kMaxSeq = std::numeric_limits<int32_t>::max();

class ProducerState : public ::testing::Test {
 protected:
  // Checks a batch of `count` records and, if it may be appended, appends it at the log end.
  SequenceCheck produce(int16_t epoch, int32_t base_sequence, int32_t count, int64_t pid = kPid) {
    SequenceCheck c = state_.check(pid, epoch, base_sequence, count);
    if (c.verdict == SequenceVerdict::kAppend) {
      state_.record_append(
          {pid, epoch, base_sequence, count, log_end_, log_end_ + count - 1, clock_.now_ms()});
      log_end_ += count;
    }
    return c;
  }

  FakeClock clock_;
  PartitionProducerState state_{clock_};
  int64_t log_end_ = 0;
};

TEST_F(ProducerState, InOrderBatchesAreAppended) {
  EXPECT_EQ(produce(0, 0, 3).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(produce(0, 3, 2).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(log_end_, 5);
}

TEST_F(ProducerState, DuplicateBatchReturnsOriginalOffset) {
  produce(0, 0, 3);
  produce(0, 3, 2);
  produce(0, 5, 4);
  SequenceCheck retry = produce(0, 3, 2);
  EXPECT_EQ(retry.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(retry.original_base_offset, 3);
  EXPECT_EQ(retry.original_last_offset, 4);
  EXPECT_EQ(log_end_, 9) << "a duplicate is not appended";
}

TEST_F(ProducerState, OnlyTheLastFiveBatchesAreRemembered) {
  for (int32_t seq = 0; seq < 6; ++seq) produce(0, seq, 1);
  EXPECT_EQ(produce(0, 1, 1).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(produce(0, 0, 1).verdict, SequenceVerdict::kOutOfOrderSequence)
      << "batch 0 fell out of the window";
}

TEST_F(ProducerState, GapIsOutOfOrder) {
  produce(0, 0, 3);
  EXPECT_EQ(produce(0, 4, 1).verdict, SequenceVerdict::kOutOfOrderSequence);
  EXPECT_EQ(produce(0, 3, 1).verdict, SequenceVerdict::kAppend) << "the gap left no trace";
}

TEST_F(ProducerState, StaleEpochIsFenced) {
  produce(1, 0, 1);
  EXPECT_EQ(produce(0, 1, 1).verdict, SequenceVerdict::kInvalidProducerEpoch);
}

TEST_F(ProducerState, NewerEpochRestartsSequenceAtZero) {
  produce(0, 0, 10);
  EXPECT_EQ(produce(1, 5, 1).verdict, SequenceVerdict::kOutOfOrderSequence);
  EXPECT_EQ(produce(1, 0, 2).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(state_.find(kPid)->epoch, 1);
  EXPECT_EQ(produce(1, 2, 1).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(produce(0, 10, 1).verdict, SequenceVerdict::kInvalidProducerEpoch);
}

TEST_F(ProducerState, UnknownProducerWithNonZeroSequenceIsAccepted) {
  EXPECT_EQ(produce(0, 42, 1).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(produce(0, 43, 1).verdict, SequenceVerdict::kAppend);
}

TEST_F(ProducerState, SequencesWrapAtInt32Max) {
  EXPECT_EQ(increment_sequence(kMaxSeq, 1), 0);
  EXPECT_EQ(increment_sequence(kMaxSeq - 1, 3), 1);
  produce(0, kMaxSeq - 1, 2);  // kMaxSeq - 1 and kMaxSeq
  EXPECT_EQ(produce(0, 0, 1).verdict, SequenceVerdict::kAppend);
  produce(0, kMaxSeq - 2, 5, kPid + 1);  // covers kMaxSeq - 2 .. 1
  EXPECT_EQ(produce(0, kMaxSeq - 2, 5, kPid + 1).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(produce(0, 2, 1, kPid + 1).verdict, SequenceVerdict::kAppend);
}

TEST_F(ProducerState, BatchesWithoutProducerIdAreAlwaysAppended) {
  EXPECT_EQ(produce(-1, -1, 1, -1).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(produce(-1, -1, 1, -1).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(state_.size(), 0u);
}

TEST_F(ProducerState, StateRebuiltFromBatchHeaders) {
  // The log tail as a restarted broker scans it: two producers, seven batches.
  std::vector<BatchHeader> tail;
  int64_t offset = 100;
  for (int32_t seq = 0; seq < 14; seq += 2) {
    int64_t pid = seq % 4 == 0 ? kPid : kPid + 1;
    tail.push_back({pid, 0, seq / 4 * 2, 2, offset, offset + 1, clock_.now_ms()});
    offset += 2;
  }
  PartitionProducerState rebuilt(clock_);
  for (const BatchHeader& h : tail) rebuilt.replay(h);
  ASSERT_EQ(rebuilt.size(), 2u);
  SequenceCheck retry = rebuilt.check(kPid, 0, 6, 2);
  EXPECT_EQ(retry.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(retry.original_base_offset, tail[6].base_offset);
  EXPECT_EQ(rebuilt.check(kPid, 0, 8, 1).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(rebuilt.check(kPid + 1, 0, 6, 1).verdict, SequenceVerdict::kAppend);
  EXPECT_EQ(rebuilt.check(kPid + 1, 0, 7, 1).verdict, SequenceVerdict::kOutOfOrderSequence);
}

TEST_F(ProducerState, IdleProducerExpires) {
  ProducerStateOptions options{.producer_id_expiration_ms = 60'000};
  PartitionProducerState state(clock_, options);
  state.record_append({kPid, 0, 0, 1, 0, 0, clock_.now_ms()});
  clock_.advance(30'000);
  state.record_append({kPid + 1, 0, 0, 1, 1, 1, clock_.now_ms()});
  clock_.advance(29'999);
  EXPECT_EQ(state.expire_idle(), 0u);
  clock_.advance(1);
  EXPECT_EQ(state.expire_idle(), 1u);
  EXPECT_EQ(state.find(kPid), nullptr);
  EXPECT_NE(state.find(kPid + 1), nullptr);
  EXPECT_EQ(state.check(kPid, 0, 57, 1).verdict, SequenceVerdict::kAppend)
      << "an expired producer is unknown again, so any sequence is accepted";
}

}  // namespace
}  // namespace velocity::group
