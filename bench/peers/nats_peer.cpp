// NATS JetStream through the nats.c client: stream `<name>-<i>` on subject `<name>.<i>` with
// file storage, publishes acked by the server (js_PublishAsync with a max-pending window, or
// js_Publish one at a time), readers as ordered push consumers. Ack and message callbacks run
// on the client library's own threads; their state is atomics or read only after they stop.
#include <fmt/format.h>
#include <nats/nats.h>

#include <atomic>
#include <thread>

#include "peer_client.h"
#include "workload.h"

namespace velocity::bench::peers {
namespace {

struct Acks {
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  std::string last_error;
  bool record = false;
  int64_t record_from_ns = 0;
  std::vector<double> latencies_us;  // written by the one ack thread, read after completion
};

void on_ack(jsCtx* /*js*/, natsMsg* message, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* acks = static_cast<Acks*>(closure);
  if (ack != nullptr) {
    acks->acked.fetch_add(1, std::memory_order_relaxed);
    if (acks->record) {
      const int64_t scheduled = payload_stamp(natsMsg_GetData(message),
                                              static_cast<size_t>(natsMsg_GetDataLength(message)));
      if (scheduled >= acks->record_from_ns)
        acks->latencies_us.push_back(static_cast<double>(now_ns() - scheduled) / 1e3);
    }
  } else {
    acks->failed.fetch_add(1, std::memory_order_relaxed);
    if (error != nullptr && error->ErrText != nullptr) acks->last_error = error->ErrText;
  }
  natsMsg_Destroy(message);
}

// One ordered consumer's tally, fed on that subscription's delivery thread.
struct Reader {
  std::atomic<int64_t> received{0};
  int64_t record_from_ns = 0;
  int64_t record_until_ns = 0;
  std::atomic<bool> record{false};
  std::vector<double> e2e_us;
};

void on_message(natsConnection* /*connection*/, natsSubscription* /*sub*/, natsMsg* message,
                void* closure) {
  auto* reader = static_cast<Reader*>(closure);
  if (reader->record.load(std::memory_order_relaxed)) {
    const int64_t scheduled = payload_stamp(natsMsg_GetData(message),
                                            static_cast<size_t>(natsMsg_GetDataLength(message)));
    if (scheduled >= reader->record_from_ns && scheduled < reader->record_until_ns) {
      reader->e2e_us.push_back(static_cast<double>(now_ns() - scheduled) / 1e3);
      reader->received.fetch_add(1, std::memory_order_relaxed);
    }
  } else {
    reader->received.fetch_add(1, std::memory_order_relaxed);
  }
  natsMsg_Destroy(message);
}

Result<void> check(natsStatus status, const std::string& what) {
  if (status == NATS_OK) return {};
  return fail(ErrorCode::kIo, fmt::format("nats {}: {} ({})", what, natsStatus_GetText(status),
                                          nats_GetLastError(nullptr)));
}

// A connection and its JetStream context, destroyed together.
class Session {
 public:
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    for (auto* sub : subscriptions_) natsSubscription_Destroy(sub);
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (connection_ != nullptr) natsConnection_Destroy(connection_);
  }

  Result<void> open(const Target& target, bool send_asap, int window, Acks* acks) {
    natsOptions* options = nullptr;
    if (auto made = check(natsOptions_Create(&options), "options"); !made) return made;
    natsOptions_SetURL(options, fmt::format("nats://{}:{}", target.host, target.port).c_str());
    natsOptions_SetSendAsap(options, send_asap);
    natsStatus status = natsConnection_Connect(&connection_, options);
    natsOptions_Destroy(options);
    if (auto connected = check(status, "connect"); !connected) return connected;
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 60000;
    js_options.PublishAsync.MaxPending = window;
    js_options.PublishAsync.StallWait = 1000;
    if (acks != nullptr) {
      js_options.PublishAsync.AckHandler = on_ack;
      js_options.PublishAsync.AckHandlerClosure = acks;
    }
    return check(natsConnection_JetStream(&js_, connection_, &js_options), "jetstream");
  }

  // Publishes asynchronously, retrying while the max-pending window stays full.
  Result<void> publish_async(const std::string& subject, const std::vector<char>& payload) {
    while (true) {
      natsStatus status = js_PublishAsync(js_, subject.c_str(), payload.data(),
                                          static_cast<int>(payload.size()), nullptr);
      if (status != NATS_TIMEOUT) return check(status, "publish");
    }
  }

  Result<void> complete(int64_t timeout_ms) {
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = timeout_ms;
    return check(js_PublishAsyncComplete(js_, &options), "publish complete");
  }

  Result<void> subscribe(const std::string& subject, const std::string& stream,
                         jsDeliverPolicy policy, Reader* reader) {
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream.c_str();
    options.Ordered = true;
    options.Config.DeliverPolicy = policy;
    natsSubscription* sub = nullptr;
    jsErrCode code{};
    // Creating the consumer is a request to the server, which can be slow to answer while it
    // writes a large stream on a loaded machine: a few attempts before giving up.
    natsStatus status = NATS_TIMEOUT;
    for (int attempt = 0; attempt < 3 && status == NATS_TIMEOUT; ++attempt) {
      status =
          js_Subscribe(&sub, js_, subject.c_str(), on_message, reader, nullptr, &options, &code);
    }
    auto made = check(status, "subscribe " + subject);
    if (!made) return made;
    subscriptions_.push_back(sub);
    return check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
  }

  jsCtx* js() const { return js_; }

 private:
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  std::vector<natsSubscription*> subscriptions_;
};

class NatsPeer final : public PeerClient {
 public:
  explicit NatsPeer(const Target& target) : target_(target) {
    for (int i = 0; i < target.partitions; ++i) {
      streams_.push_back(fmt::format("{}-{}", target.name, i));
      subjects_.push_back(fmt::format("{}.{}", target.name, i));
    }
  }
  ~NatsPeer() override { nats_Close(); }
  NatsPeer(const NatsPeer&) = delete;
  NatsPeer& operator=(const NatsPeer&) = delete;

  Result<void> reset() override {
    Session session;
    if (auto opened = session.open(target_, true, 1, nullptr); !opened) return opened;
    for (size_t i = 0; i < streams_.size(); ++i) {
      jsErrCode code{};
      js_DeleteStream(session.js(), streams_[i].c_str(), nullptr, &code);  // absent is fine
      const char* subjects[] = {subjects_[i].c_str()};
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      config.Name = streams_[i].c_str();
      config.Subjects = subjects;
      config.SubjectsLen = 1;
      config.Storage = js_FileStorage;
      jsStreamInfo* info = nullptr;
      auto added = check(js_AddStream(&info, session.js(), &config, nullptr, &code),
                         "add stream " + streams_[i]);
      if (info != nullptr) jsStreamInfo_Destroy(info);
      if (!added) return added;
    }
    return {};
  }

  Result<Figures> produce_pipelined(const RunOptions& options) override {
    Acks acks;
    Session session;
    if (auto opened = session.open(target_, false, options.window, &acks); !opened)
      return std::unexpected(opened.error());
    auto payload = make_payload(target_.message_bytes);
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    const int64_t deadline = start + static_cast<int64_t>(options.seconds * 1e9);
    for (int64_t sent = 0; options.max_messages == 0 || sent < options.max_messages; ++sent) {
      if ((sent & 255) == 0 && now_ns() >= deadline) break;
      auto published =
          session.publish_async(subjects_[static_cast<size_t>(sent % target_.partitions)], payload);
      if (!published) return std::unexpected(published.error());
    }
    if (auto done = session.complete(120000); !done) return std::unexpected(done.error());
    if (acks.failed > 0) return fail(ErrorCode::kIo, "publish failed: " + acks.last_error);
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    return throughput_figures(acks.acked, target_.message_bytes, elapsed,
                              process_cpu_seconds() - cpu_before);
  }

  Result<Figures> produce_one_by_one(const RunOptions& options) override {
    Session session;
    if (auto opened = session.open(target_, true, 1, nullptr); !opened)
      return std::unexpected(opened.error());
    auto payload = make_payload(target_.message_bytes);
    std::vector<double> latencies_us;
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    const int64_t deadline = start + static_cast<int64_t>(options.seconds * 1e9);
    int64_t acked = 0;
    while (now_ns() < deadline) {
      const std::string& subject = subjects_[static_cast<size_t>(acked % target_.partitions)];
      const int64_t sent = now_ns();
      jsPubAck* ack = nullptr;
      jsErrCode code{};
      auto published = check(js_Publish(&ack, session.js(), subject.c_str(), payload.data(),
                                        static_cast<int>(payload.size()), nullptr, &code),
                             "publish");
      if (ack != nullptr) jsPubAck_Destroy(ack);
      if (!published) return std::unexpected(published.error());
      latencies_us.push_back(static_cast<double>(now_ns() - sent) / 1e3);
      ++acked;
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    Figures figures = throughput_figures(acked, target_.message_bytes, elapsed,
                                         process_cpu_seconds() - cpu_before);
    add_percentiles(figures, "", latencies_us);
    return figures;
  }

  Result<Figures> produce_at_rate(const RunOptions& options) override {
    Acks acks;
    Session session;
    if (auto opened = session.open(target_, false, 1 << 20, &acks); !opened)
      return std::unexpected(opened.error());
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns() + 1'000'000'000;
    const int64_t record_from = start + static_cast<int64_t>(options.warmup_seconds * 1e9);
    const int64_t end = record_from + static_cast<int64_t>(options.seconds * 1e9);
    acks.record = true;
    acks.record_from_ns = record_from;
    std::vector<Reader> readers(streams_.size());
    for (size_t i = 0; i < streams_.size(); ++i) {
      readers[i].record = true;
      readers[i].record_from_ns = record_from;
      readers[i].record_until_ns = end;
      if (auto subscribed =
              session.subscribe(subjects_[i], streams_[i], js_DeliverNew, &readers[i]);
          !subscribed)
        return std::unexpected(subscribed.error());
    }
    auto payload = make_payload(target_.message_bytes);
    const Schedule schedule(start, options.rate);
    int64_t sent = 0;
    int64_t measured = 0;
    const int64_t cap = saturation_backlog(options.rate);
    bool saturated = false;
    int64_t stopped = end;
    for (int64_t now = now_ns(); now < end; now = now_ns()) {
      if (sent - acks.acked.load() - acks.failed.load() > cap) {
        saturated = true;
        stopped = now;
        break;
      }
      for (const int64_t due = schedule.due_by(now); sent < due; ++sent) {
        const int64_t scheduled = schedule.send_time(sent);
        if (scheduled >= end) break;
        stamp_payload(payload, scheduled);
        auto published = session.publish_async(
            subjects_[static_cast<size_t>(sent % target_.partitions)], payload);
        if (!published) return std::unexpected(published.error());
        if (scheduled >= record_from) ++measured;
      }
      sleep_until_ns(std::min(schedule.send_time(sent), end));
    }
    const int64_t acked_at_stop = acks.acked.load();
    if (auto done = session.complete(60000); !done) return std::unexpected(done.error());
    auto received = [&readers] {
      int64_t total = 0;
      for (const auto& reader : readers) total += reader.received.load();
      return total;
    };
    const int64_t give_up = now_ns() + 10'000'000'000;
    while (received() < measured && now_ns() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    const int64_t got = received();
    std::vector<double> e2e_us;
    for (auto& reader : readers) reader.record = false;  // later deliveries only count
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& reader : readers)
      e2e_us.insert(e2e_us.end(), reader.e2e_us.begin(), reader.e2e_us.end());
    if (acks.failed > 0) return fail(ErrorCode::kIo, "publish failed: " + acks.last_error);
    Figures figures = {
        {"rate_target", options.rate},
        {"saturated", saturated ? 1.0 : 0.0},
        {"acked_per_s",
         static_cast<double>(acked_at_stop) / (static_cast<double>(stopped - start) / 1e9)},
        {"sent", static_cast<double>(measured)},
        {"received", static_cast<double>(got)},
        {"client_cpu_pct", 100 * (process_cpu_seconds() - cpu_before) / elapsed},
    };
    add_percentiles(figures, "ack_", acks.latencies_us);
    add_percentiles(figures, "e2e_", e2e_us);
    return figures;
  }

  Result<Figures> consume_backlog(const RunOptions& /*options*/) override {
    Session session;
    if (auto opened = session.open(target_, false, 1, nullptr); !opened)
      return std::unexpected(opened.error());
    int64_t backlog = 0;
    for (const auto& stream : streams_) {
      jsStreamInfo* info = nullptr;
      jsErrCode code{};
      auto got = check(js_GetStreamInfo(&info, session.js(), stream.c_str(), nullptr, &code),
                       "stream info " + stream);
      if (!got) return std::unexpected(got.error());
      backlog += static_cast<int64_t>(info->State.Msgs);
      jsStreamInfo_Destroy(info);
    }
    if (backlog == 0) return fail(ErrorCode::kNotFound, "no backlog to consume");
    std::vector<Reader> readers(streams_.size());
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (auto subscribed =
              session.subscribe(subjects_[i], streams_[i], js_DeliverAll, &readers[i]);
          !subscribed)
        return std::unexpected(subscribed.error());
    }
    int64_t messages = 0;
    int64_t last = 0;
    int64_t last_progress = start;
    while (true) {
      messages = 0;
      for (const auto& reader : readers) messages += reader.received.load();
      if (messages >= backlog) break;
      if (messages != last) {
        last = messages;
        last_progress = now_ns();
      } else if (now_ns() - last_progress > 30'000'000'000) {
        return fail(ErrorCode::kTimeout,
                    fmt::format("consumed {} of {}, then nothing for 30 s", messages, backlog));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    return throughput_figures(messages, target_.message_bytes, elapsed,
                              process_cpu_seconds() - cpu_before);
  }

 private:
  Target target_;
  std::vector<std::string> streams_;
  std::vector<std::string> subjects_;
};

}  // namespace

std::unique_ptr<PeerClient> make_nats_client(const Target& target) {
  return std::make_unique<NatsPeer>(target);
}

}  // namespace velocity::bench::peers
