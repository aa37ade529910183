#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

using protocol::KafkaError;
using protocol::wire;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::DeleteRecordsRequest& request, Respond respond) {
  protocol::DeleteRecordsResponse response;
  for (const auto& topic : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = topic.name;
    for (const auto& wanted : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = wanted.partition_index;
      out.low_watermark = -1;
      auto* partition = ctx.topics.find(topic.name, wanted.partition_index);
      if (!partition) {
        out.error_code = wire(KafkaError::kUnknownTopicOrPartition);
        continue;
      }
      auto& log = *partition->log;
      // -1 means "up to the high watermark" (Kafka's DeleteRecordsRequest.HIGH_WATERMARK).
      int64_t offset = wanted.offset == -1 ? log.high_watermark() : wanted.offset;
      if (offset < 0 || offset > log.high_watermark()) {
        out.error_code = wire(KafkaError::kOffsetOutOfRange);
        continue;
      }
      auto moved = log.delete_records_before(offset);
      if (!moved) {
        out.error_code = wire(protocol::to_kafka_error(moved.error()));
        continue;
      }
      out.low_watermark = *moved;
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
