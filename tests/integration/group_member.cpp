// velocity-test-group-member: one consumer-group member (librdkafka KafkaConsumer, C++ API) run
// as its own process, so a test can kill -9 it. It subscribes to one topic, treats writing a
// line per message as "processing", and commits synchronously after each batch and before
// giving partitions back on a rebalance. Every step is one line on stdout, written with a
// single write(2) so a kill never leaves half a line:
//   A <t> <p>,<p>,...   partitions assigned        R <t>            partitions revoked
//   C <t> <p> <offset>  message consumed           K <t> <p> <next> commit acknowledged
//   E <t> <reason>      commit failed (the offsets stay pending or are dropped on revoke)
// <t> is steady_clock (CLOCK_MONOTONIC, shared by all processes) in nanoseconds, so the test
// can order events of different members. SIGTERM: commit what is pending, leave the group,
// exit 0. Usage:
//   velocity-test-group-member --bootstrap H:P --topic T --group G [--session-timeout-ms N]
//       [--batch N] [--pause-ms N] [--max-seconds N]
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

namespace {

std::atomic<bool> g_stop{false};

void on_sigterm(int) { g_stop = true; }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void emit(const std::string& line) {
  const std::string text = line + "\n";
  // One write per line: a kill -9 cuts between lines, never inside one.
  if (::write(STDOUT_FILENO, text.data(), text.size()) < 0) std::perror("write");
}

struct Options {
  std::string bootstrap;
  std::string topic;
  std::string group;
  std::string session_timeout_ms = "6000";
  int batch = 200;
  int pause_ms = 0;
  int max_seconds = 150;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--bootstrap") o.bootstrap = value;
    else if (name == "--topic") o.topic = value;
    else if (name == "--group") o.group = value;
    else if (name == "--session-timeout-ms") o.session_timeout_ms = value;
    else if (name == "--batch") o.batch = std::atoi(value.c_str());
    else if (name == "--pause-ms") o.pause_ms = std::atoi(value.c_str());
    else if (name == "--max-seconds") o.max_seconds = std::atoi(value.c_str());
    else return false;
  }
  return argc % 2 == 1 && !o.bootstrap.empty() && !o.topic.empty() && !o.group.empty() &&
         o.batch > 0;
}

// Offsets processed but not yet committed, partition → next offset to read.
class Member : public RdKafka::RebalanceCb {
 public:
  explicit Member(std::string topic) : topic_(std::move(topic)) {}

  void processed(const RdKafka::Message& m) {
    emit("C " + std::to_string(now_ns()) + " " + std::to_string(m.partition()) + " " +
         std::to_string(m.offset()));
    pending_[m.partition()] = m.offset() + 1;
  }

  void commit(RdKafka::KafkaConsumer& consumer) {
    if (pending_.empty()) return;
    std::vector<RdKafka::TopicPartition*> offsets;
    for (const auto& [partition, next] : pending_) {
      offsets.push_back(RdKafka::TopicPartition::create(topic_, partition, next));
    }
    const RdKafka::ErrorCode err = consumer.commitSync(offsets);
    const std::string t = std::to_string(now_ns());
    for (auto* tp : offsets) {
      if (err == RdKafka::ERR_NO_ERROR && tp->err() == RdKafka::ERR_NO_ERROR) {
        emit("K " + t + " " + std::to_string(tp->partition()) + " " + std::to_string(tp->offset()));
        // A later batch may have moved the partition on; only drop what was committed.
        if (pending_[tp->partition()] == tp->offset()) pending_.erase(tp->partition());
      } else {
        emit("E " + t + " " + RdKafka::err2str(err != RdKafka::ERR_NO_ERROR ? err : tp->err()));
      }
    }
    RdKafka::TopicPartition::destroy(offsets);
  }

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      std::string list;
      for (const auto* tp : partitions) list += (list.empty() ? "" : ",") + std::to_string(tp->partition());
      emit("A " + std::to_string(now_ns()) + " " + list);
      consumer->assign(partitions);
      return;
    }
    // Commit what was processed before the partitions go to another member, which starts
    // from the committed offset; whatever fails to commit will be delivered again there.
    commit(*consumer);
    pending_.clear();
    emit("R " + std::to_string(now_ns()));
    consumer->unassign();
  }

 private:
  std::string topic_;
  std::map<std::int32_t, std::int64_t> pending_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: %s --bootstrap H:P --topic T --group G [--session-timeout-ms N] "
                 "[--batch N] [--pause-ms N] [--max-seconds N]\n",
                 argv[0]);
    return 2;
  }
  ::signal(SIGTERM, on_sigterm);
  ::signal(SIGINT, on_sigterm);

  Member member(options.topic);
  std::string errstr;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  const std::vector<std::pair<std::string, std::string>> settings{
      {"bootstrap.servers", options.bootstrap},
      {"group.id", options.group},
      {"client.id", "velocity-test-group-member"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", options.session_timeout_ms},
      {"heartbeat.interval.ms", "500"},
      {"reconnect.backoff.max.ms", "500"},
  };
  for (const auto& [name, value] : settings) {
    if (conf->set(name, value, errstr) != RdKafka::Conf::CONF_OK) {
      std::fprintf(stderr, "%s=%s: %s\n", name.c_str(), value.c_str(), errstr.c_str());
      return 2;
    }
  }
  if (conf->set("rebalance_cb", &member, errstr) != RdKafka::Conf::CONF_OK) {
    std::fprintf(stderr, "rebalance_cb: %s\n", errstr.c_str());
    return 2;
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), errstr));
  if (!consumer) {
    std::fprintf(stderr, "consumer: %s\n", errstr.c_str());
    return 1;
  }
  if (const auto err = consumer->subscribe({options.topic}); err != RdKafka::ERR_NO_ERROR) {
    std::fprintf(stderr, "subscribe: %s\n", RdKafka::err2str(err).c_str());
    return 1;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.max_seconds);
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    // One batch: up to `batch` messages, or fewer when the queue runs dry.
    for (int n = 0; n < options.batch && !g_stop; ++n) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(n == 0 ? 100 : 10));
      if (m->err() == RdKafka::ERR__TIMED_OUT) break;
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        std::fprintf(stderr, "consume: %s\n", m->errstr().c_str());
        break;
      }
      member.processed(*m);
    }
    member.commit(*consumer);
    if (options.pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.pause_ms));
  }
  member.commit(*consumer);
  consumer->close();
  return 0;
}
