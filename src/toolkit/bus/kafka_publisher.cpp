// KafkaBus publishing: an idempotent librdkafka producer (acks=all) with a poll thread that
// serves delivery reports; each produced message carries its completion as the opaque.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "toolkit/bus/bus_metrics.h"
#include "toolkit/bus/kafka_conf.h"
#include "velocity/kafka_bus.h"

namespace velocity {

using Done = std::function<void(Result<void>)>;
using Clock = std::chrono::steady_clock;

namespace {

Error delivery_error(RdKafka::ErrorCode err, const std::string& topic) {
  const ErrorCode code = (err == RdKafka::ERR__MSG_TIMED_OUT || err == RdKafka::ERR__TIMED_OUT)
                             ? ErrorCode::kTimeout
                             : ErrorCode::kIo;
  return Error{code, "publish to " + topic + ": " + RdKafka::err2str(err)};
}

}  // namespace

struct KafkaBus::Producer final : public RdKafka::DeliveryReportCb {
  std::unique_ptr<RdKafka::Producer> handle;
  std::thread poller;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  size_t outstanding = 0;  // produced, delivery report not yet served

  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<Done> done(static_cast<Done*>(message.msg_opaque()));
    if (done && *done) {
      if (message.err() == RdKafka::ERR_NO_ERROR) {
        bus::count_produced(message.topic_name());
        (*done)({});
      } else {
        (*done)(std::unexpected(delivery_error(message.err(), message.topic_name())));
      }
    }
    std::lock_guard lock(mutex);
    --outstanding;
    idle.notify_all();
  }

  // Queues one message. Retries a full local queue until `deadline`; the done callback runs
  // exactly once, here on a synchronous failure or later from the delivery report.
  Result<void> produce(const Message& m, Done done, Clock::time_point deadline) {
    for (;;) {
      RdKafka::Headers* headers = RdKafka::Headers::create();
      for (const auto& h : m.headers) headers->add(h.name, h.value.data(), h.value.size());
      auto* opaque = new Done(std::move(done));
      {
        std::lock_guard lock(mutex);
        ++outstanding;
      }
      const RdKafka::ErrorCode err = handle->produce(
          m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(m.payload.data()), m.payload.size(),
          m.key.empty() ? nullptr : m.key.data(), m.key.size(), 0, headers, opaque);
      if (err == RdKafka::ERR_NO_ERROR) return {};  // headers now belong to librdkafka
      delete headers;
      done = std::move(*opaque);
      delete opaque;
      {
        std::lock_guard lock(mutex);
        --outstanding;
        idle.notify_all();
      }
      if (err == RdKafka::ERR__QUEUE_FULL && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      Error e = delivery_error(err, m.topic);
      if (done) done(std::unexpected(e));
      return std::unexpected(std::move(e));
    }
  }

  Result<void> wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    if (!idle.wait_for(lock, timeout, [&] { return outstanding == 0; })) {
      return fail(ErrorCode::kTimeout, "flush: " + std::to_string(outstanding) +
                                           " messages still awaiting delivery reports");
    }
    return {};
  }
};

Result<std::unique_ptr<KafkaBus>> KafkaBus::connect(KafkaBusConfig config) {
  auto producer = std::make_unique<Producer>();
  auto conf = kafka_bus::make_conf(config, {{"enable.idempotence", "true"},
                                            {"acks", "all"},
                                            {"linger.ms", "2"},
                                            {"message.timeout.ms", "30000"}});
  if (!conf) return std::unexpected(conf.error());
  std::string reason;
  if ((*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(producer.get()), reason) !=
      RdKafka::Conf::CONF_OK) {
    return fail(ErrorCode::kInternal, "producer dr_cb: " + reason);
  }
  producer->handle.reset(RdKafka::Producer::create(conf->get(), reason));
  if (!producer->handle) return fail(ErrorCode::kInvalidArgument, "create producer: " + reason);
  Producer* p = producer.get();
  producer->poller = std::thread([p] {
    while (!p->stopping.load()) p->handle->poll(50);
  });
  return std::unique_ptr<KafkaBus>(new KafkaBus(std::move(config), std::move(producer)));
}

KafkaBus::KafkaBus(KafkaBusConfig config, std::unique_ptr<Producer> producer)
    : config_(std::move(config)), producer_(std::move(producer)) {}

KafkaBus::~KafkaBus() {
  if (auto flushed = producer_->wait_idle(config_.publish_timeout); !flushed) {
    log::warn("kafka bus: closing with undelivered messages: {}", flushed.error().message());
  }
  producer_->stopping = true;
  producer_->poller.join();
  // Whatever is left fails with ERR__PURGE, so every publish_async callback still runs once.
  producer_->handle->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->handle->poll(0);
  producer_->handle->flush(1000);
}

Result<void> KafkaBus::publish(std::span<const Message> messages) {
  struct Batch {
    std::mutex mutex;
    std::condition_variable done;
    size_t remaining = 0;
    std::optional<Error> first_error;
  };
  auto batch = std::make_shared<Batch>();
  batch->remaining = messages.size();
  const auto deadline = Clock::now() + config_.publish_timeout;
  for (const auto& m : messages) {
    auto queued = producer_->produce(
        m,
        [batch](Result<void> r) {
          std::lock_guard lock(batch->mutex);
          if (!r && !batch->first_error) batch->first_error = r.error();
          --batch->remaining;
          batch->done.notify_all();
        },
        deadline);
    if (!queued) break;  // the callback already recorded the error and counted it down
  }
  std::unique_lock lock(batch->mutex);
  if (batch->first_error) return std::unexpected(*batch->first_error);
  if (!batch->done.wait_until(lock, deadline, [&] { return batch->remaining == 0; })) {
    return fail(ErrorCode::kTimeout, "publish: no delivery report within publish_timeout");
  }
  if (batch->first_error) return std::unexpected(*batch->first_error);
  return {};
}

void KafkaBus::publish_async(Message message, std::function<void(Result<void>)> done) {
  (void)producer_->produce(message, std::move(done), Clock::now() + config_.publish_timeout);
}

Result<void> KafkaBus::flush(std::chrono::milliseconds timeout) {
  return producer_->wait_idle(timeout);
}

}  // namespace velocity
