#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"
#include "common/log.h"

namespace velocity::broker {
namespace {

using protocol::KafkaError;
using protocol::wire;

// Reads what the request asks for, right now. Returns the bytes found.
size_t read_all(HandlerContext& ctx, const protocol::FetchRequest& request, protocol::FetchResponse& response) {
  response = protocol::FetchResponse{};
  size_t total = 0;
  int64_t budget = std::max<int64_t>(request.max_bytes, 0);
  for (const auto& topic : request.topics) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.topic = topic.topic;
    for (const auto& wanted : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = wanted.partition;
      out.aborted_transactions.reset();
      auto* partition = ctx.topics.find(topic.topic, wanted.partition);
      if (!partition) {
        out.error_code = wire(KafkaError::kUnknownTopicOrPartition);
        out.high_watermark = -1;
        out.last_stable_offset = -1;
        out.log_start_offset = -1;
        continue;
      }
      auto& log = *partition->log;
      out.high_watermark = log.high_watermark();
      out.last_stable_offset = out.high_watermark;  // no transactions: everything is stable
      out.log_start_offset = log.log_start_offset();
      if (wanted.fetch_offset == out.high_watermark) continue;  // caught up: empty records
      // Kafka returns at least one batch even past the limits, so a consumer can never be
      // stuck behind a batch larger than its max bytes; only the first partition may do so.
      uint64_t limit = static_cast<uint64_t>(std::max<int64_t>(0, std::min<int64_t>(wanted.partition_max_bytes, budget)));
      if (total > 0 && limit == 0) continue;
      auto read = log.read(wanted.fetch_offset, std::max<uint64_t>(limit, 1));
      if (!read) {
        // A consumer answered OFFSET_OUT_OF_RANGE applies auto.offset.reset and may re-read a
        // partition from the start: always worth a line, as it explains duplicates later.
        log::info("fetch {}[{}] at offset {} refused: {} (log start {}, high watermark {})", topic.topic,
                  wanted.partition, wanted.fetch_offset, read.error().message(), out.log_start_offset,
                  out.high_watermark);
        out.error_code = read.error().code == ErrorCode::kOutOfRange ? wire(KafkaError::kOffsetOutOfRange)
                                                                     : wire(protocol::to_kafka_error(read.error()));
        continue;
      }
      if (read->ranges.empty()) continue;
      // One segment per partition and response: the next fetch continues from where it ends.
      const auto& range = read->ranges.front();
      protocol::FileRange file;
      file.fd = range.fd();
      file.position = static_cast<int64_t>(range.position);
      file.length = static_cast<int32_t>(range.length);
      file.keep_alive = range.file;
      out.records = protocol::Records::from_file(file);
      total += range.length;
      budget -= static_cast<int64_t>(range.length);
    }
  }
  return total;
}

// A fetch that found less than MinBytes: waits for appends on its partitions or MaxWaitMs.
class ParkedFetch : public AppendWaiter, public std::enable_shared_from_this<ParkedFetch> {
 public:
  ParkedFetch(HandlerContext& ctx, protocol::FetchRequest& request, Respond respond)
      : ctx_(ctx), request_(request), respond_(std::move(respond)), timer_(ctx.io) {}

  void park(int32_t max_wait_ms) {
    self_ = shared_from_this();
    subscribe();
    timer_.expires_after(std::chrono::milliseconds(max_wait_ms));
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->finish_with_current_data();
    });
  }

  void on_append() override {
    // One produce may append to several of our partitions: one re-read answers them all.
    if (done_ || recheck_posted_) return;
    recheck_posted_ = true;
    // Appends happen on the event loop; re-read after the producer's turn completes.
    ctx_.post([weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self || self->done_) return;
      self->recheck_posted_ = false;
      protocol::FetchResponse response;
      if (read_all(self->ctx_, self->request_, response) >= static_cast<size_t>(std::max(self->request_.min_bytes, 1))) {
        self->finish(std::move(response));
      } else {
        self->subscribe();
      }
    });
  }

 private:
  void subscribe() {
    for (const auto& topic : request_.topics) {
      for (const auto& wanted : topic.partitions) {
        if (auto* partition = ctx_.topics.find(topic.topic, wanted.partition)) {
          partition->wait_for_append(shared_from_this());
        }
      }
    }
  }

  void finish_with_current_data() {
    if (done_) return;
    protocol::FetchResponse response;
    read_all(ctx_, request_, response);
    finish(std::move(response));
  }

  void finish(protocol::FetchResponse response) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    auto respond = std::move(respond_);
    auto keep = std::move(self_);  // released when this function returns
    respond(std::move(response));
  }

  HandlerContext& ctx_;
  protocol::FetchRequest& request_;  // owned by the dispatcher until we respond
  Respond respond_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<ParkedFetch> self_;
  bool done_ = false;
  bool recheck_posted_ = false;
};

}  // namespace

void handle(HandlerContext& ctx, const RequestHeader&, protocol::FetchRequest& request, Respond respond) {
  protocol::FetchResponse response;
  size_t found = read_all(ctx, request, response);
  bool has_error = false;
  for (const auto& topic : response.responses) {
    for (const auto& partition : topic.partitions) has_error |= partition.error_code != 0;
  }
  if (request.max_wait_ms <= 0 || found >= static_cast<size_t>(std::max(request.min_bytes, 1)) || has_error ||
      request.topics.empty()) {
    respond(std::move(response));
    return;
  }
  auto parked = std::make_shared<ParkedFetch>(ctx, request, std::move(respond));
  parked->park(request.max_wait_ms);
}

}  // namespace velocity::broker
