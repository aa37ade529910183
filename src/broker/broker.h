// Broker: the composition root of velocity-broker. Opens the topics (recovering every
// partition), the committed-offsets store and the group coordinator, wires the API handlers
// to the network server, and runs the periodic work (retention, group session timeouts).
// Lives on the event-loop thread that runs `io`.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>

#include "broker/core/broker_config.h"
#include "broker/core/topic_manager.h"
#include "broker/group/clock.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/offset_store.h"
#include "broker/group/producer_id_allocator.h"
#include "broker/handlers/context.h"
#include "broker/handlers/dispatcher.h"
#include "broker/net/server.h"
#include "broker/storage/flusher.h"
#include "broker/storage/journal.h"
#include "common/result.h"

namespace velocity::broker {

class Broker {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Broker>> open(boost::asio::io_context& io, BrokerConfig config);
  ~Broker();

  // Starts listening; logs the start line. Returns the bound port.
  [[nodiscard]] Result<uint16_t> start();
  // Stops accepting, lets in-flight requests finish (bounded by shutdown_drain_ms), then
  // runs `done` on the event loop.
  void stop(std::function<void()> done);
  // After the event loop stopped: logs how long requests were held (as log_request_times),
  // then syncs and closes every log cleanly.
  [[nodiscard]] Result<void> close();
  // Logs how long requests were held since the last call, per API (p50, p99, p99.9, max from
  // frame to answer), and starts counting afresh. On the event loop (main.cpp: on SIGUSR1).
  void log_request_times();

 private:
  Broker(boost::asio::io_context& io, BrokerConfig config);
  void schedule_housekeeping();
  void schedule_group_tick();

  BrokerConfig config_;
  TopicsRecovery recovery_;
  std::unique_ptr<storage::Journal> journal_;  // before topics_: outlives every log
  std::unique_ptr<TopicManager> topics_;
  std::unique_ptr<storage::Flusher> flusher_;
  group::SystemClock clock_;
  std::unique_ptr<group::OffsetStore> offsets_;
  std::unique_ptr<group::GroupCoordinator> groups_;
  std::unique_ptr<group::ProducerIdAllocator> producer_ids_;
  std::unique_ptr<HandlerContext> context_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<net::Server> server_;
  boost::asio::steady_timer housekeeping_timer_;
  boost::asio::steady_timer group_timer_;
  bool stopping_ = false;
};

}  // namespace velocity::broker
