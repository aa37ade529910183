// What every API handler may use: the broker's configuration, its topics, the group
// coordinator, the flusher that makes acks=all durable, and the event loop that replies are
// posted back to. Owned by the Broker; handlers borrow it. Event-loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "broker/core/broker_config.h"
#include "broker/core/topic_manager.h"
#include "broker/protocol/codec.h"

namespace boost::asio {
class io_context;
}

namespace velocity::storage {
class Flusher;
}

namespace velocity::group {
class GroupCoordinator;
class ProducerIdAllocator;
class ProducerStateTable;
}  // namespace velocity::group

namespace velocity::broker {

struct HandlerContext {
  const BrokerConfig& config;
  TopicManager& topics;
  storage::Flusher& flusher;
  boost::asio::io_context& io;
  group::GroupCoordinator* groups = nullptr;
  // Runs `fn` on the event loop (from any thread).
  std::function<void(std::function<void()>)> post;
  // Hands out idempotent producer ids (InitProducerId); null: answered COORDINATOR_NOT_AVAILABLE.
  group::ProducerIdAllocator* producer_ids = nullptr;

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// How a handler answers: a body, or nothing at all (acks=0 produce).
using Respond = std::function<void(std::optional<protocol::ResponseBody>)>;

}  // namespace velocity::broker
