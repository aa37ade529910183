#include <algorithm>
#include <vector>

#include "broker/core/record_timestamps.h"
#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {
namespace {

using protocol::KafkaError;
using protocol::wire;

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;

}  // namespace

void handle(HandlerContext& ctx, const RequestHeader&, protocol::ListOffsetsRequest& request, Respond respond) {
  protocol::ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = topic.name;
    for (const auto& wanted : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = wanted.partition_index;
      auto* partition = ctx.topics.find(topic.name, wanted.partition_index);
      if (!partition) {
        out.error_code = wire(KafkaError::kUnknownTopicOrPartition);
        continue;
      }
      auto& log = *partition->log;
      if (wanted.timestamp == kLatest) {
        out.offset = log.high_watermark();
      } else if (wanted.timestamp == kEarliest) {
        out.offset = log.log_start_offset();
      } else {
        auto found = log.offset_for_timestamp(wanted.timestamp);
        if (!found) {
          out.error_code = wire(protocol::to_kafka_error(found.error()));
          continue;
        }
        if (!*found) continue;  // no record that late: offset -1, timestamp -1
        // The log finds the batch; the record inside it is found by reading its timestamps.
        // Compressed batches are not opened: their base offset is the answer, and a consumer
        // reading from there skips the earlier records of that batch itself.
        int64_t batch_offset = std::max(**found, log.log_start_offset());
        out.offset = batch_offset;
        out.timestamp = wanted.timestamp;
        auto read = log.read(batch_offset, 1);
        if (read && !read->ranges.empty()) {
          const auto& range = read->ranges.front();
          std::vector<std::byte> batch(range.length);
          if (range.read_into(batch)) {
            if (auto exact = first_record_at_or_after(batch, wanted.timestamp)) {
              out.offset = exact->offset;
              out.timestamp = exact->timestamp;
            }
          }
        }
      }
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
