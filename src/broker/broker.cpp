#include "broker/broker.h"

#include <boost/asio/post.hpp>

#include <chrono>

#include "broker/storage/env.h"
#include "common/log.h"

namespace velocity::broker {

namespace asio = boost::asio;

Broker::Broker(asio::io_context& io, BrokerConfig config)
    : config_(std::move(config)), housekeeping_timer_(io), group_timer_(io) {}

Broker::~Broker() = default;

Result<std::unique_ptr<Broker>> Broker::open(asio::io_context& io, BrokerConfig config) {
  std::unique_ptr<Broker> broker(new Broker(io, std::move(config)));
  auto& b = *broker;
  if (b.config_.sync_on_ack && b.config_.journal) {
    storage::JournalOptions options;
    options.checkpoint_bytes = b.config_.journal_checkpoint_bytes;
    options.checkpoint_interval_ms = b.config_.journal_checkpoint_ms;
    options.prewrite_bytes = b.config_.prewrite_kib << 10;
    auto journal = storage::Journal::open(storage::posix_env(), b.config_.data_dir + "/journal", options);
    if (!journal) return fail(journal.error().code, "journal: " + journal.error().message());
    b.journal_ = std::move(*journal);
  }
  // Each log replays its journal records as it opens, before anything is served.
  auto topics = TopicManager::open(storage::posix_env(), b.config_, &b.recovery_, b.journal_.get());
  if (!topics) return std::unexpected(topics.error());
  b.topics_ = std::move(*topics);
  if (b.journal_) {
    auto report = b.journal_->finish_recovery();
    if (!report) return fail(report.error().code, "journal: " + report.error().message());
    for (const auto& note : report->notes) log::warn("journal: {}", note);
    if (report->records > 0) {
      log::info("journal: read {} records from {} files ({} for existing partitions, {} of deleted ones)",
                report->records, report->files, report->records_taken, report->records_orphaned);
    }
  }
  b.flusher_ = std::make_unique<storage::Flusher>(b.config_.sync_threads, b.journal_.get());

  auto offsets = group::OffsetStore::open(b.config_.data_dir + "/groups");
  if (!offsets) return fail(offsets.error().code, "committed offsets: " + offsets.error().message());
  b.offsets_ = std::move(*offsets);
  group::GroupCoordinatorOptions group_options;
  group_options.initial_rebalance_delay_ms = static_cast<int32_t>(b.config_.group_initial_rebalance_delay_ms);
  group_options.min_session_timeout_ms = static_cast<int32_t>(b.config_.group_min_session_timeout_ms);
  group_options.max_session_timeout_ms = static_cast<int32_t>(b.config_.group_max_session_timeout_ms);
  b.groups_ = std::make_unique<group::GroupCoordinator>(b.clock_, *b.offsets_, group_options);

  auto producer_ids = group::ProducerIdAllocator::open(b.config_.data_dir);
  if (!producer_ids) return fail(producer_ids.error().code, "producer ids: " + producer_ids.error().message());
  b.producer_ids_ = std::move(*producer_ids);

  b.context_.reset(new HandlerContext{b.config_, *b.topics_, *b.flusher_, io, b.groups_.get(),
                                      [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); },
                                      b.producer_ids_.get()});
  b.dispatcher_ = std::make_unique<Dispatcher>(*b.context_);
  net::ServerConfig server_config;
  server_config.host = b.config_.listen_host;
  server_config.port = b.config_.listen_port;
  server_config.max_request_bytes = b.config_.max_request_bytes;
  server_config.max_queued_request_bytes = b.config_.max_queued_request_bytes;
  b.server_ = std::make_unique<net::Server>(io, server_config, *b.dispatcher_);
  return broker;
}

Result<uint16_t> Broker::start() {
  auto port = server_->start();
  if (!port) return port;
  log::info("velocity-broker {} listening on {}:{} (advertised {}:{}), data dir {}, {} topics / {} partitions recovered{}",
            VELOCITY_VERSION, config_.listen_host, *port, config_.advertised_host, config_.advertised_port,
            config_.data_dir, recovery_.topics, recovery_.partitions,
            !config_.sync_on_ack ? ", durability OFF (acks=all does not wait for fsync)"
            : journal_           ? ", acks=all synced through the journal"
                                 : ", acks=all synced per partition (journal off)");
  schedule_housekeeping();
  schedule_group_tick();
  return port;
}

void Broker::schedule_housekeeping() {
  housekeeping_timer_.expires_after(std::chrono::milliseconds(config_.housekeeping_interval_ms));
  housekeeping_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    size_t removed = topics_->enforce_retention(HandlerContext::now_ms());
    if (removed > 0) log::info("retention removed {} segments", removed);
    size_t expired = topics_->expire_idle_producers();
    if (expired > 0) log::info("forgot {} idle producer ids", expired);
    schedule_housekeeping();
  });
}

void Broker::schedule_group_tick() {
  group_timer_.expires_after(std::chrono::milliseconds(100));
  group_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    groups_->tick();
    schedule_group_tick();
  });
}

void Broker::stop(std::function<void()> done) {
  stopping_ = true;
  housekeeping_timer_.cancel();
  group_timer_.cancel();
  server_->stop(config_.shutdown_drain_ms, std::move(done));
}

void Broker::log_request_times() {
  for (const auto& line : describe(dispatcher_->request_times().summaries()))
    log::info("requests held: {}", line);
  dispatcher_->request_times().clear();
}

Result<void> Broker::close() {
  log_request_times();
  flusher_.reset();  // answers anything still queued before the logs close
  auto closed = topics_->close();
  // Every log is synced now: a last checkpoint leaves the journal empty.
  if (journal_) {
    auto checkpointed = journal_->close();
    if (closed && !checkpointed) return checkpointed;
  }
  return closed;
}

}  // namespace velocity::broker
