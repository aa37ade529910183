#include "broker/group/producer_state.h"

#include <algorithm>
#include <limits>

namespace velocity::group {

int32_t increment_sequence(int32_t sequence, int32_t by) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  if (sequence > kMax - by) return by - (kMax - sequence) - 1;
  return sequence + by;
}

namespace {

int32_t last_sequence_of(int32_t base_sequence, int32_t record_count) {
  return increment_sequence(base_sequence, std::max(record_count, 1) - 1);
}

}  // namespace

SequenceCheck PartitionProducerState::check(int64_t producer_id, int16_t epoch,
                                            int32_t base_sequence, int32_t record_count) const {
  SequenceCheck result;
  if (producer_id < 0) return result;
  auto it = producers_.find(producer_id);
  // An unknown producer (new, expired, or older than the replayed log tail) is accepted
  // whatever its sequence, as Kafka does since 2.5 (KIP-360): refusing would be fatal for a
  // healthy client whose state we merely lost.
  if (it == producers_.end() || it->second.batches.empty()) return result;
  const ProducerEntry& entry = it->second;
  if (epoch < entry.epoch) {
    result.verdict = SequenceVerdict::kInvalidProducerEpoch;
    return result;
  }
  if (epoch > entry.epoch) {
    // A client-side epoch bump (librdkafka's idempotent producer does this after some errors)
    // starts its sequences again at 0.
    if (base_sequence != 0) result.verdict = SequenceVerdict::kOutOfOrderSequence;
    return result;
  }
  int32_t last_sequence = last_sequence_of(base_sequence, record_count);
  for (const ProducerBatch& batch : entry.batches) {
    if (batch.first_sequence == base_sequence && batch.last_sequence == last_sequence) {
      result.verdict = SequenceVerdict::kDuplicate;
      result.original_base_offset = batch.base_offset;
      result.original_last_offset = batch.last_offset;
      return result;
    }
  }
  if (base_sequence != increment_sequence(entry.batches.back().last_sequence, 1)) {
    result.verdict = SequenceVerdict::kOutOfOrderSequence;
  }
  return result;
}

void PartitionProducerState::record(const BatchHeader& batch, int64_t activity_ms) {
  if (batch.producer_id < 0) return;
  ProducerEntry& entry = producers_[batch.producer_id];
  if (entry.batches.empty() || entry.epoch != batch.producer_epoch) {
    entry.batches.clear();
    entry.epoch = batch.producer_epoch;
  }
  entry.batches.push_back({batch.base_sequence,
                           last_sequence_of(batch.base_sequence, batch.record_count),
                           batch.base_offset, batch.last_offset});
  while (entry.batches.size() > kDedupWindow) entry.batches.pop_front();
  entry.last_activity_ms = std::max(entry.last_activity_ms, activity_ms);
}

void PartitionProducerState::record_append(const BatchHeader& batch) {
  record(batch, clock_.now_ms());
}

void PartitionProducerState::replay(const BatchHeader& batch) {
  record(batch, batch.max_timestamp_ms);
}

size_t PartitionProducerState::expire_idle() {
  int64_t now = clock_.now_ms();
  return std::erase_if(producers_, [&](const auto& entry) {
    return now - entry.second.last_activity_ms >= options_.producer_id_expiration_ms;
  });
}

const ProducerEntry* PartitionProducerState::find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

}  // namespace velocity::group
