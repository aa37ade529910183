// PartitionProducerState: the idempotent-producer bookkeeping of one partition. Per producer id
// it keeps the epoch and the last 5 appended batches (first/last sequence, first/last offset),
// which is enough to recognise a retried batch (answer with its original offset), a gap
// (OUT_OF_ORDER_SEQUENCE_NUMBER) and a fenced producer (INVALID_PRODUCER_EPOCH). Rebuilt on
// start by replaying the batch headers of the partition's log. Not thread-safe: owned by the
// partition, used from one thread. Semantics: docs/groups.md, "Idempotent producers".
#pragma once

#include <cstdint>
#include <deque>
#include <map>

#include "broker/group/clock.h"

namespace velocity::group {

// What the broker learns from a v2 batch header (plus the offsets it assigned on append).
struct BatchHeader {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp_ms = -1;
};

struct ProducerBatch {
  int32_t first_sequence = 0;
  int32_t last_sequence = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
};

struct ProducerEntry {
  int16_t epoch = 0;
  std::deque<ProducerBatch> batches;  // oldest first, at most kDedupWindow
  int64_t last_activity_ms = 0;
};

enum class SequenceVerdict {
  kAppend,                // new data in order (or first sight of this producer): append it
  kDuplicate,             // a retry of a cached batch: do not append, answer with its offset
  kOutOfOrderSequence,    // 45 OUT_OF_ORDER_SEQUENCE_NUMBER
  kInvalidProducerEpoch,  // 47 INVALID_PRODUCER_EPOCH
};

struct SequenceCheck {
  SequenceVerdict verdict = SequenceVerdict::kAppend;
  int64_t original_base_offset = -1;  // kDuplicate only
  int64_t original_last_offset = -1;  // kDuplicate only
};

struct ProducerStateOptions {
  int64_t producer_id_expiration_ms = 7LL * 24 * 60 * 60 * 1000;  // producer.id.expiration.ms
};

// Kafka's sequence arithmetic: sequences wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t sequence, int32_t by);

class PartitionProducerState {
 public:
  static constexpr size_t kDedupWindow = 5;  // idempotent clients keep ≤ 5 requests in flight

  explicit PartitionProducerState(const Clock& clock, ProducerStateOptions options = {})
      : clock_(clock), options_(options) {}

  // Decides what to do with a batch before it is appended. Batches without a producer id
  // (producer_id < 0) are always appended.
  SequenceCheck check(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                      int32_t record_count) const;
  // Records a batch after it was appended (offsets assigned); its activity time is now.
  void record_append(const BatchHeader& batch);
  // Records a batch found in the log while rebuilding; its activity time is its max timestamp.
  void replay(const BatchHeader& batch);
  // Forgets producers idle for longer than the expiration time; returns how many.
  size_t expire_idle();

  const ProducerEntry* find(int64_t producer_id) const;
  size_t size() const { return producers_.size(); }

 private:
  void record(const BatchHeader& batch, int64_t activity_ms);

  const Clock& clock_;
  ProducerStateOptions options_;
  std::map<int64_t, ProducerEntry> producers_;
};

}  // namespace velocity::group
