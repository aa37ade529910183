#include "supervisor/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "supervisor/data_dir_lock.h"
#include "supervisor/probe.h"
#include "supervisor/up.h"

namespace velocity::supervisor {
namespace {

using namespace std::chrono_literals;

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("velocity-supervisor-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    out_ = std::tmpfile();
  }
  void TearDown() override {
    std::fclose(out_);
    std::filesystem::remove_all(dir_);
  }

  std::string output() {
    std::fflush(out_);
    std::rewind(out_);
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, out_)) > 0) text.append(buffer, n);
    return text;
  }

  static Member shell(std::string name, std::string script, int stage = 0) {
    Member m;
    m.name = m.group = std::move(name);
    m.stage = stage;
    m.spec.argv = {"/bin/sh", "-c", std::move(script)};
    m.port = 0;  // ready as soon as started
    return m;
  }

  SupervisorOptions fast() {
    SupervisorOptions o;
    o.first_backoff = 50ms;
    o.max_backoff = 200ms;
    o.stop_grace = 2s;
    o.ready_timeout = 5s;
    o.state_file = dir_ / "state.json";
    return o;
  }

  std::filesystem::path dir_;
  std::FILE* out_ = nullptr;
};

TEST_F(SupervisorTest, ChildLinesArePrefixedWithTheirNameAndWrittenWhole) {
  LogMux log(LogMuxOptions{}, out_);
  Supervisor s({shell("alpha", "echo one; echo two >&2; exec sleep 30"), shell("beta", "echo three; exec sleep 30")},
               fast(), log);
  std::atomic<bool> cancelled{false};
  ASSERT_TRUE(s.start(cancelled));
  std::this_thread::sleep_for(300ms);
  s.stop();
  const auto text = output();
  EXPECT_NE(text.find("alpha         | one\n"), std::string::npos) << text;
  EXPECT_NE(text.find("alpha         | two\n"), std::string::npos) << text;
  EXPECT_NE(text.find("beta          | three\n"), std::string::npos) << text;
  // Stopped in reverse order of start.
  EXPECT_LT(text.find("stopped beta"), text.find("stopped alpha")) << text;
}

TEST_F(SupervisorTest, ADeadChildIsRestartedWithBackoffAndTheStateFileCountsRestarts) {
  LogMux log(LogMuxOptions{.quiet = true}, out_);
  const auto marker = dir_ / "runs";
  // Dies at once the first two times, then stays up.
  Supervisor s({shell("flaky", "echo x >> " + marker.string() + "; [ $(wc -l < " + marker.string() +
                                   ") -ge 3 ] && exec sleep 30; sleep 0.2; exit 3")},
               fast(), log);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(s.start(stop));
  std::thread watcher([&] { s.supervise(stop); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s.restarts("flaky") < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(300ms);
  const pid_t pid = s.pid("flaky");
  EXPECT_GT(pid, 0);
  EXPECT_EQ(s.restarts("flaky"), 2);
  std::ifstream state_file(dir_ / "state.json");
  auto state = nlohmann::json::parse(state_file, nullptr, false);
  ASSERT_FALSE(state.is_discarded());
  EXPECT_EQ(state["processes"][0]["restarts"], 2);
  EXPECT_NE(output().find("exited with code 3; restarting"), std::string::npos) << output();
  stop = true;
  watcher.join();
  s.stop();
  EXPECT_NE(::kill(pid, 0), 0) << "the child outlived stop()";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state.json"));
}

TEST_F(SupervisorTest, StartFailsClearlyWhenAChildDiesBeforeItIsReady) {
  LogMux log(LogMuxOptions{}, out_);
  Member m = shell("broken", "echo 'cannot open database' >&2; exit 4");
  m.port = free_port();
  m.ready_path.clear();
  Supervisor s({m}, fast(), log);
  std::atomic<bool> cancelled{false};
  auto started = s.start(cancelled);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("broken exited with code 4 while starting"), std::string::npos)
      << started.error().message();
  EXPECT_NE(output().find("cannot open database"), std::string::npos);
}

TEST_F(SupervisorTest, ALaterStageWaitsForTheEarlierOneToBeReady) {
  LogMux log(LogMuxOptions{.quiet = true}, out_);
  const uint16_t port = free_port();
  Member server = shell("server", "sleep 0.5; exec python3 -c \"import socket,time; s=socket.socket(); "
                                  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1'," +
                                      std::to_string(port) + ")); s.listen(); time.sleep(30)\"");
  server.port = port;
  server.ready_path.clear();
  const auto marker = dir_ / "client-started";
  Member client = shell("client", "python3 -c \"import socket; socket.create_connection(('127.0.0.1'," +
                                      std::to_string(port) + "))\" && touch " + marker.string() +
                                      "; exec sleep 30",
                        1);
  Supervisor s({client, server}, fast(), log);
  std::atomic<bool> cancelled{false};
  ASSERT_TRUE(s.start(cancelled));
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(std::filesystem::exists(marker)) << "the client started before the server accepted connections";
  s.stop();
}

TEST(DataDirLockTest, ASecondHolderIsRefusedWithTheFirstOnesPid) {
  const auto dir = std::filesystem::temp_directory_path() / ("velocity-lock-" + std::to_string(std::random_device{}()));
  auto first = DataDirLock::acquire(dir);
  ASSERT_TRUE(first);
  // flock locks belong to the open file description: a second open in this process conflicts too.
  auto second = DataDirLock::acquire(dir);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.error().message();
  first->reset();
  EXPECT_TRUE(DataDirLock::acquire(dir));
  std::filesystem::remove_all(dir);
}

TEST(UpPlanTest, ScalesAServiceIntoOneRelayAndExtraInstances) {
  UpOptions o;
  o.data_dir = "/tmp/shop";
  o.bin_dir = "/opt/velocity/bin";
  o.web_dir = "/opt/velocity/web";
  ASSERT_TRUE(parse_scale("inventory=3", o.scale));
  EXPECT_FALSE(parse_scale("warehouse=2", o.scale));
  EXPECT_FALSE(parse_scale("inventory=0", o.scale));
  EXPECT_FALSE(parse_scale("inventory", o.scale));
  auto members = plan(o);
  ASSERT_TRUE(members) << members.error().message();
  // broker + 8 services + 2 extra inventory + gateway
  ASSERT_EQ(members->size(), 12u);
  EXPECT_EQ(members->front().name, "broker");
  EXPECT_EQ(members->back().name, "gateway");
  int inventories = 0;
  for (const auto& m : *members) {
    if (m.group != "inventory") continue;
    ++inventories;
    const bool first = m.name == "inventory";
    EXPECT_EQ(m.spec.env.count("VELOCITY_OUTBOX_RELAY"), first ? 0u : 1u) << m.name;
    EXPECT_EQ(m.spec.env.at("VELOCITY_BROKERS"), "127.0.0.1:9092");
  }
  EXPECT_EQ(inventories, 3);
  EXPECT_EQ(members->back().spec.env.at("VELOCITY_INVENTORY_ADDR"), "127.0.0.1:8085");

  UpOptions external = o;
  external.external_broker = "kafka-1:9092,kafka-2:9092";
  auto without_broker = plan(external);
  ASSERT_TRUE(without_broker);
  EXPECT_NE(without_broker->front().name, "broker");
  EXPECT_EQ(without_broker->front().spec.env.at("VELOCITY_BROKERS"), "kafka-1:9092,kafka-2:9092");
}

}  // namespace
}  // namespace velocity::supervisor
