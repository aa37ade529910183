// Redis Streams through hiredis: XADD to `<name>-<i>`, one connection per role. The pipelined
// and fixed-rate producers drive a non-blocking connection themselves (writes and reply reads
// interleaved, replies matched to requests in order); readers use XREAD on a blocking one.
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <thread>

#include "peer_client.h"
#include "workload.h"

namespace velocity::bench::peers {
namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// A non-blocking connection with requests appended to its output buffer and replies taken in
// order as they arrive.
class Pipe {
 public:
  static Result<Pipe> open(const std::string& host, int port) {
    Context context(redisConnectNonBlock(host.c_str(), port));
    if (!context || context->err)
      return fail(ErrorCode::kIo, fmt::format("redis connect {}:{}: {}", host, port,
                                              context ? context->errstr : "out of memory"));
    pollfd connecting{.fd = context->fd, .events = POLLOUT, .revents = 0};
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    if (poll(&connecting, 1, 5000) != 1 ||
        getsockopt(context->fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0 ||
        socket_error != 0)
      return fail(ErrorCode::kIo,
                  fmt::format("redis connect {}:{}: refused or timed out", host, port));
    return Pipe(std::move(context));
  }

  void append(const char* const* argv, const size_t* lengths, int argc) {
    redisAppendCommandArgv(context_.get(), argc, const_cast<const char**>(argv), lengths);
    write_pending_ = true;
  }

  // One write(2) of what is buffered, one read(2) of what has arrived; `on_reply` runs for each
  // complete reply. Waits up to `wait_ns` for the socket when neither made progress.
  template <typename OnReply>
  Result<void> pump(int64_t wait_ns, OnReply&& on_reply) {
    if (write_pending_) {
      int done = 0;
      if (redisBufferWrite(context_.get(), &done) != REDIS_OK) return io_error("write");
      write_pending_ = done == 0;
    }
    if (redisBufferRead(context_.get()) != REDIS_OK) return io_error("read");
    bool progressed = false;
    while (true) {
      void* raw = nullptr;
      if (redisReaderGetReply(context_->reader, &raw) != REDIS_OK) return io_error("protocol");
      if (raw == nullptr) break;
      Reply reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR)
        return fail(ErrorCode::kIo, fmt::format("redis: {}", reply->str));
      on_reply(*reply);
      progressed = true;
    }
    if (!progressed && wait_ns > 0) {
      pollfd ready{.fd = context_->fd,
                   .events = static_cast<short>(POLLIN | (write_pending_ ? POLLOUT : 0)),
                   .revents = 0};
      timespec timeout{.tv_sec = wait_ns / 1'000'000'000, .tv_nsec = wait_ns % 1'000'000'000};
      ppoll(&ready, 1, &timeout, nullptr);
    }
    return {};
  }

 private:
  explicit Pipe(Context context) : context_(std::move(context)) {}
  Result<void> io_error(const char* what) const {
    return fail(ErrorCode::kIo, fmt::format("redis {}: {}", what, context_->errstr));
  }
  Context context_;
  bool write_pending_ = false;
};

class RedisPeer final : public PeerClient {
 public:
  explicit RedisPeer(const Target& target) : target_(target) {
    for (int i = 0; i < target.partitions; ++i)
      keys_.push_back(fmt::format("{}-{}", target.name, i));
  }

  Result<void> reset() override {
    auto context = connect();
    if (!context) return std::unexpected(context.error());
    for (const auto& key : keys_) {
      auto reply = command(context->get(), {"DEL", key});
      if (!reply) return std::unexpected(reply.error());
    }
    return {};
  }

  Result<Figures> produce_pipelined(const RunOptions& options) override {
    auto pipe = Pipe::open(target_.host, target_.port);
    if (!pipe) return std::unexpected(pipe.error());
    auto payload = make_payload(target_.message_bytes);
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    const int64_t deadline = start + static_cast<int64_t>(options.seconds * 1e9);
    int64_t sent = 0;
    int64_t acked = 0;
    auto on_reply = [&acked](const redisReply&) { ++acked; };
    auto more = [&] {
      return (options.max_messages == 0 || sent < options.max_messages) && now_ns() < deadline;
    };
    while (true) {
      if (!more() && acked == sent) break;
      while (sent - acked < options.window && more()) append_xadd(*pipe, sent++, payload);
      auto pumped = pipe->pump(100'000'000, on_reply);
      if (!pumped) return std::unexpected(pumped.error());
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    return throughput_figures(acked, target_.message_bytes, elapsed,
                              process_cpu_seconds() - cpu_before);
  }

  Result<Figures> produce_one_by_one(const RunOptions& options) override {
    auto context = connect();
    if (!context) return std::unexpected(context.error());
    auto payload = make_payload(target_.message_bytes);
    std::vector<double> latencies_us;
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    const int64_t deadline = start + static_cast<int64_t>(options.seconds * 1e9);
    int64_t acked = 0;
    while (now_ns() < deadline) {
      const std::string& key = keys_[static_cast<size_t>(acked % target_.partitions)];
      const char* argv[] = {"XADD", key.c_str(), "*", "d", payload.data()};
      const size_t lengths[] = {4, key.size(), 1, 1, payload.size()};
      const int64_t sent = now_ns();
      Reply reply(static_cast<redisReply*>(redisCommandArgv(context->get(), 5, argv, lengths)));
      if (!reply || reply->type == REDIS_REPLY_ERROR)
        return fail(ErrorCode::kIo,
                    fmt::format("XADD: {}", reply ? reply->str : (*context)->errstr));
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
    auto pipe = Pipe::open(target_.host, target_.port);
    if (!pipe) return std::unexpected(pipe.error());
    auto reader_context = connect();
    if (!reader_context) return std::unexpected(reader_context.error());
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns() + 1'000'000'000;
    const int64_t record_from = start + static_cast<int64_t>(options.warmup_seconds * 1e9);
    const int64_t end = record_from + static_cast<int64_t>(options.seconds * 1e9);

    // The reader starts after the newest entry of every stream ("$" would skip entries added
    // between two XREADs, so it only seeds the first call's ids through XREVRANGE).
    std::vector<std::string> ids;
    for (const auto& key : keys_) {
      auto last = command(reader_context->get(), {"XREVRANGE", key, "+", "-", "COUNT", "1"});
      if (!last) return std::unexpected(last.error());
      ids.push_back((*last)->elements > 0 ? (*last)->element[0]->element[0]->str : "0-0");
    }
    std::atomic<bool> stop{false};
    std::atomic<int64_t> received{0};
    std::vector<double> e2e_us;
    std::string read_error;
    std::jthread reader([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<std::string> args = {"XREAD", "BLOCK", "100", "COUNT", "1000", "STREAMS"};
        args.insert(args.end(), keys_.begin(), keys_.end());
        args.insert(args.end(), ids.begin(), ids.end());
        auto reply = command(reader_context->get(), args);
        if (!reply) {
          read_error = reply.error().message();
          return;
        }
        for_each_entry(**reply, ids, [&](const char* data, size_t length) {
          const int64_t scheduled = payload_stamp(data, length);
          if (scheduled < record_from || scheduled >= end) return;
          e2e_us.push_back(static_cast<double>(now_ns() - scheduled) / 1e3);
          received.fetch_add(1, std::memory_order_relaxed);
        });
      }
    });

    auto payload = make_payload(target_.message_bytes);
    const Schedule schedule(start, options.rate);
    std::deque<int64_t> awaiting;  // scheduled send times of requests not yet answered
    std::vector<double> ack_us;
    auto on_reply = [&](const redisReply&) {
      const int64_t scheduled = awaiting.front();
      awaiting.pop_front();
      if (scheduled >= record_from)
        ack_us.push_back(static_cast<double>(now_ns() - scheduled) / 1e3);
    };
    int64_t sent = 0;
    int64_t measured = 0;
    const auto cap = static_cast<size_t>(saturation_backlog(options.rate));
    bool saturated = false;
    int64_t stopped = end;
    int64_t acked_at_stop = 0;
    while (true) {
      const int64_t now = now_ns();
      if (now < stopped && awaiting.size() > cap) {
        saturated = true;
        stopped = now;
        acked_at_stop = sent - static_cast<int64_t>(awaiting.size());
      }
      if (now >= stopped && awaiting.empty()) break;
      for (const int64_t due = now < stopped ? schedule.due_by(now) : sent; sent < due; ++sent) {
        const int64_t scheduled = schedule.send_time(sent);
        if (scheduled >= end) break;
        stamp_payload(payload, scheduled);
        append_xadd(*pipe, sent, payload);
        awaiting.push_back(scheduled);
        if (scheduled >= record_from) ++measured;
      }
      const int64_t wait = now < stopped ? schedule.send_time(sent) - now_ns() : 100'000'000;
      auto pumped = pipe->pump(std::max<int64_t>(wait, 1), on_reply);
      if (!pumped) {
        stop = true;
        return std::unexpected(pumped.error());
      }
    }
    if (!saturated) acked_at_stop = sent;
    const int64_t give_up = now_ns() + 10'000'000'000;
    while (received.load() < measured && now_ns() < give_up && read_error.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
    reader.join();
    if (!read_error.empty()) return fail(ErrorCode::kIo, read_error);
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    Figures figures = {
        {"rate_target", options.rate},
        {"saturated", saturated ? 1.0 : 0.0},
        {"acked_per_s",
         static_cast<double>(acked_at_stop) / (static_cast<double>(stopped - start) / 1e9)},
        {"sent", static_cast<double>(measured)},
        {"received", static_cast<double>(received.load())},
        {"client_cpu_pct", 100 * (process_cpu_seconds() - cpu_before) / elapsed},
    };
    add_percentiles(figures, "ack_", ack_us);
    add_percentiles(figures, "e2e_", e2e_us);
    return figures;
  }

  Result<Figures> consume_backlog(const RunOptions& /*options*/) override {
    auto context = connect();
    if (!context) return std::unexpected(context.error());
    int64_t backlog = 0;
    for (const auto& key : keys_) {
      auto length = command(context->get(), {"XLEN", key});
      if (!length) return std::unexpected(length.error());
      backlog += (*length)->integer;
    }
    if (backlog == 0) return fail(ErrorCode::kNotFound, "no backlog to consume");
    std::vector<std::string> ids(keys_.size(), "0-0");
    std::vector<std::string> args = {"XREAD", "COUNT", "1000", "STREAMS"};
    args.insert(args.end(), keys_.begin(), keys_.end());
    args.insert(args.end(), ids.begin(), ids.end());
    const double cpu_before = process_cpu_seconds();
    const int64_t start = now_ns();
    int64_t messages = 0;
    while (messages < backlog) {
      std::copy(ids.begin(), ids.end(), args.end() - static_cast<ptrdiff_t>(ids.size()));
      auto reply = command(context->get(), args);
      if (!reply) return std::unexpected(reply.error());
      const int64_t before = messages;
      for_each_entry(**reply, ids, [&messages](const char*, size_t) { ++messages; });
      if (messages == before)
        return fail(ErrorCode::kIo,
                    fmt::format("read {} of {} entries, then none", messages, backlog));
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    return throughput_figures(messages, target_.message_bytes, elapsed,
                              process_cpu_seconds() - cpu_before);
  }

 private:
  Result<Context> connect() const {
    Context context(redisConnect(target_.host.c_str(), target_.port));
    if (!context || context->err)
      return fail(ErrorCode::kIo,
                  fmt::format("redis connect: {}", context ? context->errstr : "no memory"));
    return context;
  }

  static Result<Reply> command(redisContext* context, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) return fail(ErrorCode::kIo, fmt::format("redis {}: {}", args[0], context->errstr));
    if (reply->type == REDIS_REPLY_ERROR)
      return fail(ErrorCode::kIo, fmt::format("redis {}: {}", args[0], reply->str));
    return reply;
  }

  void append_xadd(Pipe& pipe, int64_t index, const std::vector<char>& payload) const {
    const std::string& key = keys_[static_cast<size_t>(index % target_.partitions)];
    const char* argv[] = {"XADD", key.c_str(), "*", "d", payload.data()};
    const size_t lengths[] = {4, key.size(), 1, 1, payload.size()};
    pipe.append(argv, lengths, 5);
  }

  // XREAD reply: [[key, [[id, [field, value]], ...]], ...] or nil. Calls `on_value` with each
  // entry's value and moves that stream's id in `ids` to its last entry.
  template <typename OnValue>
  void for_each_entry(const redisReply& reply, std::vector<std::string>& ids,
                      OnValue&& on_value) const {
    if (reply.type != REDIS_REPLY_ARRAY) return;
    for (size_t s = 0; s < reply.elements; ++s) {
      const redisReply* stream = reply.element[s];
      if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
      const std::string key(stream->element[0]->str, stream->element[0]->len);
      const auto slot =
          static_cast<size_t>(std::find(keys_.begin(), keys_.end(), key) - keys_.begin());
      if (slot >= ids.size()) continue;
      const redisReply* entries = stream->element[1];
      for (size_t e = 0; e < entries->elements; ++e) {
        const redisReply* entry = entries->element[e];
        if (entry->elements != 2) continue;
        ids[slot].assign(entry->element[0]->str, entry->element[0]->len);
        const redisReply* fields = entry->element[1];
        if (fields->elements >= 2) on_value(fields->element[1]->str, fields->element[1]->len);
      }
    }
  }

  Target target_;
  std::vector<std::string> keys_;
};

}  // namespace

std::unique_ptr<PeerClient> make_redis_client(const Target& target) {
  return std::make_unique<RedisPeer>(target);
}

}  // namespace velocity::bench::peers
