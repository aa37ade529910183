// KafkaBus subscriptions: one KafkaConsumer per subscription, driven by one poll thread that
// alone touches the consumer and the per-partition state. Handlers ack/nack from any thread
// by queueing a settlement that the poll thread applies.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "toolkit/bus/bus_metrics.h"
#include "toolkit/bus/kafka_conf.h"
#include "velocity/kafka_bus.h"

namespace velocity {

namespace {

using Clock = std::chrono::steady_clock;
using TopicPartitionKey = std::pair<std::string, int32_t>;

struct Settlement {
  TopicPartitionKey tp;
  int64_t offset = -1;
  uint64_t delivery_id = 0;
  bool ack = false;
};

// Where handlers leave their acks and nacks; outlives the subscription if a handler acks late.
struct Settlements {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<Settlement> pending;
  void push(Settlement s) {
    {
      std::lock_guard lock(mutex);
      pending.push_back(std::move(s));
    }
    arrived.notify_one();
  }
  std::vector<Settlement> take() {
    std::lock_guard lock(mutex);
    return std::exchange(pending, {});
  }
  // Returns at the first settlement queued, or after `bound`.
  void wait(std::chrono::milliseconds bound) {
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, bound, [this] { return !pending.empty(); });
  }
};

// While max_in_flight deliveries await their ack, the poll thread first just stops taking
// messages and waits for acks: librdkafka keeps what it fetched ahead, bounded by its
// queued.* limits. Only a subscription full for longer than this pauses its partitions, so
// that the poll thread can go back to serving rebalances while a handler is stuck. (Pausing
// drops librdkafka's fetched-ahead messages, and resuming waits for the connection's
// outstanding Fetch, a long poll of up to fetch.wait.max.ms, before it reads them again.)
constexpr std::chrono::milliseconds kFullBeforePause{1000};
// How long the poll thread waits for an ack at a time while full, between commits.
constexpr std::chrono::milliseconds kFullWait{50};

struct InFlight {
  uint64_t delivery_id = 0;
  bool acked = false;
};

struct PartitionState {
  std::map<int64_t, InFlight> in_flight;  // delivered, above the committed prefix
  size_t unacked = 0;                     // entries of in_flight not acked yet
  int64_t commit_next = -1;               // end of the contiguous acked prefix (to commit)
  int64_t committed = -1;                 // last commit_next handed to the broker
  std::optional<int64_t> seek_to;         // set by a nack: re-read from here at seek_at
  Clock::time_point seek_at{};
  bool paused = false;
};

// Owns a vector of TopicPartition* as librdkafka's C++ API wants them.
struct PartitionList {
  std::vector<RdKafka::TopicPartition*> items;
  PartitionList() = default;
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  ~PartitionList() { RdKafka::TopicPartition::destroy(items); }
  void add(const TopicPartitionKey& tp, int64_t offset = RdKafka::Topic::OFFSET_INVALID) {
    items.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  }
};

class KafkaSubscription final : public Subscription, public RdKafka::RebalanceCb {
 public:
  KafkaSubscription(const KafkaBusConfig& config, SubscribeOptions options,
                    std::function<void(Delivery)> handler)
      : config_(config), options_(std::move(options)), handler_(std::move(handler)) {}

  ~KafkaSubscription() override { close(std::chrono::milliseconds(0)); }

  Result<void> start() {
    subscribed_at_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto conf = kafka_bus::make_conf(
        config_, {{"group.id", options_.group},
                  {"enable.auto.commit", "false"},
                  {"enable.auto.offset.store", "false"},
                  {"enable.partition.eof", "false"},
                  {"auto.offset.reset", options_.start == StartFrom::kEarliest ? "earliest" : "latest"},
                  {"heartbeat.interval.ms", "500"},
                  {"session.timeout.ms", "10000"}});
    if (!conf) return std::unexpected(conf.error());
    std::string reason;
    if ((*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), reason) !=
        RdKafka::Conf::CONF_OK) {
      return fail(ErrorCode::kInternal, "consumer rebalance_cb: " + reason);
    }
    consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), reason));
    if (!consumer_) return fail(ErrorCode::kInvalidArgument, "create consumer: " + reason);
    if (auto err = consumer_->subscribe(options_.topics); err != RdKafka::ERR_NO_ERROR) {
      return fail(ErrorCode::kIo, "subscribe: " + RdKafka::err2str(err));
    }
    thread_ = std::thread([this] { run(); });
    return {};
  }

  void close(std::chrono::milliseconds grace) override {
    {
      std::lock_guard lock(close_mutex_);
      if (closed_) return;
      closed_ = true;
    }
    grace_deadline_ = Clock::now() + grace;
    closing_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      for (auto* p : partitions) partitions_[{p->topic(), p->partition()}] = PartitionState{};
      if (options_.start == StartFrom::kLatest) position_at_subscribe_time(*consumer, partitions);
      if (cooperative) {
        delete consumer->incremental_assign(partitions);
      } else {
        (void)consumer->assign(partitions);
      }
      return;
    }
    // Revoked (or lost): commit what was acked, then forget the in-flight deliveries; their
    // late acks are ignored and the partition's next owner redelivers them.
    if (err == RdKafka::ERR__REVOKE_PARTITIONS) commit(true);
    for (auto* p : partitions) partitions_.erase({p->topic(), p->partition()});
    if (cooperative) {
      delete consumer->incremental_unassign(partitions);
    } else {
      (void)consumer->unassign();
      partitions_.clear();
    }
  }

 private:
  // StartFrom::kLatest means "published after subscribe()", not "after the group got its
  // partitions", which can be seconds later (the group's join and its rebalance delay): a
  // partition without a committed position starts at its first message stamped at or after
  // the moment of subscribe(), or at its end as it was just before that lookup when there is
  // none yet (whatever arrives from then on is later still). On any failure the partition is
  // left to auto.offset.reset=latest, as before.
  void position_at_subscribe_time(RdKafka::KafkaConsumer& consumer,
                                  std::vector<RdKafka::TopicPartition*>& partitions) {
    constexpr int kTimeoutMs = 5000;
    if (auto err = consumer.committed(partitions, kTimeoutMs); err != RdKafka::ERR_NO_ERROR) {
      log::warn("kafka bus: group {}: reading committed offsets: {}; starting at the end",
                options_.group, RdKafka::err2str(err));
      for (auto* p : partitions) p->set_offset(RdKafka::Topic::OFFSET_INVALID);
      return;
    }
    PartitionList by_time;
    std::vector<std::pair<RdKafka::TopicPartition*, int64_t>> fresh;  // with the end seen first
    for (auto* p : partitions) {
      if (p->offset() >= 0) continue;  // committed: resume there
      int64_t low = 0;
      int64_t high = 0;
      if (consumer.query_watermark_offsets(p->topic(), p->partition(), &low, &high, kTimeoutMs) !=
          RdKafka::ERR_NO_ERROR) {
        p->set_offset(RdKafka::Topic::OFFSET_INVALID);
        continue;
      }
      fresh.emplace_back(p, high);
      by_time.add({p->topic(), p->partition()}, subscribed_at_ms_);
    }
    if (fresh.empty()) return;
    if (auto err = consumer.offsetsForTimes(by_time.items, kTimeoutMs); err != RdKafka::ERR_NO_ERROR) {
      log::warn("kafka bus: group {}: finding offsets by time: {}; starting at the end",
                options_.group, RdKafka::err2str(err));
      for (auto& [p, high] : fresh) p->set_offset(RdKafka::Topic::OFFSET_INVALID);
      return;
    }
    for (size_t i = 0; i < fresh.size(); ++i) {
      const auto* found = by_time.items[i];
      const bool ok = found->err() == RdKafka::ERR_NO_ERROR;
      fresh[i].first->set_offset(ok && found->offset() >= 0 ? found->offset() : fresh[i].second);
    }
  }

  void run() {
    for (;;) {
      apply_settlements();
      if (closing_ && (unacked() == 0 || Clock::now() >= grace_deadline_)) break;
      seek_due_partitions();
      const bool full = unacked() >= options_.max_in_flight;
      if (!full) full_since_.reset();
      if (full && !full_since_) full_since_ = Clock::now();
      const bool hold = full && !closing_ && Clock::now() - *full_since_ < kFullBeforePause;
      update_pauses(full && !hold);
      if (Clock::now() >= next_commit_) {
        commit(false);
        next_commit_ = Clock::now() + config_.commit_interval;
      }
      if (hold) {
        settlements_->wait(kFullWait);
        continue;
      }
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(closing_ ? 10 : 50));
      handle(*message);
    }
    commit(true);
    // Leaves the group; the revoke callback runs in here and commits once more.
    if (auto err = consumer_->close(); err != RdKafka::ERR_NO_ERROR) {
      log::warn("kafka bus: closing consumer of group {}: {}", options_.group, RdKafka::err2str(err));
    }
  }

  void handle(RdKafka::Message& message) {
    if (message.err() == RdKafka::ERR__TIMED_OUT || message.err() == RdKafka::ERR__PARTITION_EOF) return;
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      // librdkafka retries transport and leader errors by itself; these are reports only.
      log::debug("kafka bus: consumer of group {}: {}", options_.group, message.errstr());
      return;
    }
    const TopicPartitionKey tp{message.topic_name(), message.partition()};
    auto it = partitions_.find(tp);
    // Not delivered (hence not committed, hence read again later): messages of a partition
    // we no longer own, messages behind a pending nack-seek, and anything once closing.
    if (it == partitions_.end() || it->second.seek_to || closing_) return;
    const int64_t offset = message.offset();
    const uint64_t id = next_delivery_id_++;
    InFlight& slot = it->second.in_flight[offset];
    if (slot.delivery_id == 0 || slot.acked) ++it->second.unacked;  // new, or delivered again
    slot = InFlight{id, false};

    Message m;
    m.topic = tp.first;
    m.partition = tp.second;
    m.offset = offset;
    m.timestamp_ms = message.timestamp().timestamp;
    if (message.key() != nullptr) m.key = *message.key();
    m.payload.assign(static_cast<const char*>(message.payload()), message.len());
    // Through the C API: the C++ one builds a Headers object and copies every header twice.
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message.c_ptr(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const size_t count = rd_kafka_header_cnt(headers);
      m.headers.reserve(count);
      for (size_t i = 0; i < count; ++i) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        if (rd_kafka_header_get_all(headers, i, &name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) break;
        m.headers.push_back(Header{name, value ? std::string(static_cast<const char*>(value), size) : std::string()});
      }
    }
    auto settlements = settlements_;
    auto settle = [settlements, tp, offset, id](bool ack) {
      settlements->push(Settlement{tp, offset, id, ack});
    };
    auto nack = [settle] { settle(false); };
    bus::count_delivered(tp.first);
    try {
      handler_(Delivery{std::move(m), [settle] { settle(true); }, nack});
    } catch (const std::exception& e) {
      log::error("kafka bus: handler threw: {}; message nacked", e.what());
      nack();
    }
  }

  void apply_settlements() {
    for (const auto& s : settlements_->take()) {
      auto p = partitions_.find(s.tp);
      if (p == partitions_.end()) continue;  // revoked meanwhile
      PartitionState& st = p->second;
      auto f = st.in_flight.find(s.offset);
      if (f == st.in_flight.end() || f->second.delivery_id != s.delivery_id || f->second.acked) continue;
      if (s.ack) {
        f->second.acked = true;
        --st.unacked;
        while (!st.in_flight.empty() && st.in_flight.begin()->second.acked) {
          st.commit_next = st.in_flight.begin()->first + 1;
          st.in_flight.erase(st.in_flight.begin());
        }
      } else {
        // This message and the ones after it are read again; they were not committed.
        for (auto g = f; g != st.in_flight.end(); ++g) st.unacked -= g->second.acked ? 0 : 1;
        st.in_flight.erase(f, st.in_flight.end());
        st.seek_to = s.offset;
        st.seek_at = Clock::now() + config_.nack_backoff;
      }
    }
  }

  void seek_due_partitions() {
    const auto now = Clock::now();
    for (auto& [tp, st] : partitions_) {
      if (!st.seek_to || now < st.seek_at || !st.paused) continue;
      std::unique_ptr<RdKafka::TopicPartition> target(
          RdKafka::TopicPartition::create(tp.first, tp.second, *st.seek_to));
      if (auto err = consumer_->seek(*target, 2000); err != RdKafka::ERR_NO_ERROR) {
        log::warn("kafka bus: seek {}[{}] to {}: {}", tp.first, tp.second, *st.seek_to, RdKafka::err2str(err));
        st.seek_at = now + config_.nack_backoff;
        continue;
      }
      st.seek_to.reset();
    }
  }

  // A partition is paused while a nack-seek is pending, while closing, and (all of them)
  // when `pause_all`: max_in_flight deliveries have awaited their ack for kFullBeforePause.
  void update_pauses(bool pause_all) {
    PartitionList to_pause;
    PartitionList to_resume;
    for (auto& [tp, st] : partitions_) {
      const bool want = closing_ || pause_all || st.seek_to.has_value();
      if (want == st.paused) continue;
      (want ? to_pause : to_resume).add(tp);
      st.paused = want;
    }
    if (!to_pause.items.empty()) (void)consumer_->pause(to_pause.items);
    if (!to_resume.items.empty()) (void)consumer_->resume(to_resume.items);
  }

  void commit(bool sync) {
    PartitionList offsets;
    for (auto& [tp, st] : partitions_) {
      if (st.commit_next < 0 || (!sync && st.commit_next == st.committed)) continue;
      offsets.add(tp, st.commit_next);
      st.committed = st.commit_next;
    }
    if (offsets.items.empty()) return;
    const auto err = sync ? consumer_->commitSync(offsets.items) : consumer_->commitAsync(offsets.items);
    if (err != RdKafka::ERR_NO_ERROR) {
      log::warn("kafka bus: commit for group {}: {}", options_.group, RdKafka::err2str(err));
    }
  }

  // Called for every message: counts kept per partition, not a walk over every delivery.
  size_t unacked() const {
    size_t n = 0;
    for (const auto& [tp, st] : partitions_) n += st.unacked;
    return n;
  }

  const KafkaBusConfig config_;
  const SubscribeOptions options_;
  const std::function<void(Delivery)> handler_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::shared_ptr<Settlements> settlements_ = std::make_shared<Settlements>();
  std::map<TopicPartitionKey, PartitionState> partitions_;  // poll thread only
  uint64_t next_delivery_id_ = 1;
  int64_t subscribed_at_ms_ = 0;  // wall clock, for StartFrom::kLatest
  Clock::time_point next_commit_{};
  std::optional<Clock::time_point> full_since_;  // since when max_in_flight are unacked
  std::thread thread_;
  std::mutex close_mutex_;
  bool closed_ = false;
  std::atomic<bool> closing_{false};
  Clock::time_point grace_deadline_{};  // written before closing_ is set, read after
};

}  // namespace

Result<std::unique_ptr<Subscription>> KafkaBus::subscribe(SubscribeOptions options,
                                                          std::function<void(Delivery)> handler) {
  if (options.topics.empty() || options.group.empty() || !handler) {
    return fail(ErrorCode::kInvalidArgument, "subscribe: needs topics, a group and a handler");
  }
  if (options.max_in_flight == 0) options.max_in_flight = 1;
  auto subscription = std::make_unique<KafkaSubscription>(config_, std::move(options), std::move(handler));
  if (auto started = subscription->start(); !started) return std::unexpected(started.error());
  return std::unique_ptr<Subscription>(std::move(subscription));
}

}  // namespace velocity
