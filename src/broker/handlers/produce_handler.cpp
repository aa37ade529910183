#include <memory>

#include "broker/group/producer_state.h"
#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"
#include "broker/storage/flusher.h"
#include "broker/storage/record_batch.h"
#include "common/log.h"

namespace velocity::broker {
namespace {

using protocol::KafkaError;
using protocol::wire;

constexpr int kZstd = 4;

// The shared mapping covers the log's errors; a batch the log refuses as invalid (e.g. no
// records) is, on Produce, Kafka's INVALID_RECORD.
KafkaError append_error(const Error& error) {
  if (error.code == ErrorCode::kInvalidArgument) return KafkaError::kInvalidRecord;
  return protocol::to_kafka_error(error);
}

// Answers once every partition that waits for fsync has been synced.
struct PendingProduce {
  protocol::ProduceResponse response;
  Respond respond;
  size_t waiting = 0;
};

}  // namespace

void handle(HandlerContext& ctx, const RequestHeader& header, protocol::ProduceRequest& request, Respond respond) {
  auto pending = std::make_shared<PendingProduce>();
  pending->respond = std::move(respond);
  bool valid_acks = request.acks == -1 || request.acks == 0 || request.acks == 1;
  bool wait_for_sync = request.acks == -1 && ctx.config.sync_on_ack;
  int64_t now = HandlerContext::now_ms();

  struct SyncWait {
    std::shared_ptr<storage::PartitionLog> log;
    int64_t offset;
    size_t topic;
    size_t partition;
  };
  std::vector<SyncWait> syncs;

  for (auto& topic_data : request.topic_data) {
    auto& topic_out = pending->response.responses.emplace_back();
    topic_out.name = topic_data.name;
    for (auto& partition_data : topic_data.partition_data) {
      auto& out = topic_out.partition_responses.emplace_back();
      out.index = partition_data.index;
      out.base_offset = -1;
      if (!valid_acks) {
        out.error_code = wire(KafkaError::kInvalidRequiredAcks);
        continue;
      }
      auto* partition = ctx.topics.find(topic_data.name, partition_data.index);
      if (!partition) {
        out.error_code = wire(KafkaError::kUnknownTopicOrPartition);
        continue;
      }
      if (partition_data.records.is_null || partition_data.records.bytes.empty()) {
        out.error_code = wire(KafkaError::kCorruptMessage);
        continue;
      }
      // The frame belongs to this request (the dispatcher owns it until we answer), so the
      // batches may be changed in place: the log rewrites each base offset.
      auto bytes = partition_data.records.bytes;
      std::span<std::byte> batches(const_cast<std::byte*>(bytes.data()), bytes.size());
      auto first = storage::parse_batch_header(batches);
      if (first && first->compression() == kZstd && header.api_version < 7) {
        out.error_code = wire(KafkaError::kUnsupportedCompressionType);
        continue;
      }
      // Idempotent producers: a retried batch is answered with the offset it got the first
      // time and not appended again; a gap or a stale epoch is refused.
      if (first && first->producer_id >= 0) {
        auto check = partition->producers->check(first->producer_id, first->producer_epoch,
                                                 first->base_sequence, first->record_count);
        if (check.verdict == group::SequenceVerdict::kDuplicate) {
          out.base_offset = check.original_base_offset;
          out.log_start_offset = partition->log->log_start_offset();
          if (wait_for_sync) {
            syncs.push_back({partition->log, check.original_last_offset, pending->response.responses.size() - 1,
                             topic_out.partition_responses.size() - 1});
          }
          continue;
        }
        if (check.verdict == group::SequenceVerdict::kOutOfOrderSequence) {
          out.error_code = wire(KafkaError::kOutOfOrderSequenceNumber);
          continue;
        }
        if (check.verdict == group::SequenceVerdict::kInvalidProducerEpoch) {
          out.error_code = wire(KafkaError::kInvalidProducerEpoch);
          continue;
        }
      }
      auto appended = partition->log->append(batches, now);
      if (!appended) {
        out.error_code = wire(append_error(appended.error()));
        if (appended.error().code == ErrorCode::kFenced || appended.error().code == ErrorCode::kIo) {
          log::error("produce to {}-{}: {}", topic_data.name, partition_data.index, appended.error().message());
        }
        continue;
      }
      out.base_offset = appended->base_offset;
      if (first && first->producer_id >= 0) {
        partition->producers->record_append({first->producer_id, first->producer_epoch, first->base_sequence,
                                             static_cast<int32_t>(appended->last_offset - appended->base_offset + 1),
                                             appended->base_offset, appended->last_offset, appended->max_timestamp});
      }
      out.log_start_offset = partition->log->log_start_offset();
      partition->notify_append();
      if (wait_for_sync) {
        syncs.push_back({partition->log, appended->last_offset, pending->response.responses.size() - 1,
                         topic_out.partition_responses.size() - 1});
      }
    }
  }

  if (request.acks == 0) {
    pending->respond(std::nullopt);
    return;
  }
  if (syncs.empty()) {
    pending->respond(std::move(pending->response));
    return;
  }
  pending->waiting = syncs.size();
  for (auto& wait : syncs) {
    // The flusher runs callbacks on its own threads; the answer is built on the event loop.
    ctx.flusher.request(wait.log, wait.offset,
                        [&ctx, pending, topic = wait.topic, index = wait.partition](Result<void> synced) {
                          ctx.post([pending, topic, index, synced = std::move(synced)] {
                            if (!synced) {
                              auto& out = pending->response.responses[topic].partition_responses[index];
                              out.error_code = wire(KafkaError::kKafkaStorageError);
                              out.base_offset = -1;
                            }
                            if (--pending->waiting == 0) pending->respond(std::move(pending->response));
                          });
                        });
  }
}

}  // namespace velocity::broker
