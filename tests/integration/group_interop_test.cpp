// Consumer groups across clients we did not write: kafkajs and `kcat -G` (librdkafka's balanced
// consumer) share one group, each understanding the other's subscription and assignment; and a
// second `kcat -G` that joins after the first left starts consuming at once instead of waiting
// out the first member's session.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/broker_process.h"
#include "support/child_process.h"
#include "support/kafka_clients.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

const std::filesystem::path kInteropDir = VELOCITY_INTEROP_DIR;

// Polls `done()` every 50 ms until it holds or `timeout` passes.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Lines "<partition> <value>" printed by kcat -f '%p %s\n'.
std::vector<std::pair<int, std::string>> kcat_lines(const std::string& text) {
  std::vector<std::pair<int, std::string>> lines;
  std::istringstream in(text);
  int partition = -1;
  std::string value;
  while (in >> partition >> value) lines.emplace_back(partition, value);
  return lines;
}

class GroupInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (BrokerProcess::mock_requested()) GTEST_SKIP() << "group interop needs velocity-broker";
    auto started = BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
    auto dir = TempDir::create("velocity-group-interop");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }

  // `kcat -G` with unbuffered output of partition and value per message. No -o: in -G mode it
  // would override the committed offsets; auto.offset.reset only applies where none exist.
  std::unique_ptr<ChildProcess> start_kcat(const std::string& name, const std::string& group,
                                           const std::string& topic) {
    auto child = ChildProcess::spawn(
        {"kcat", "-b", broker_->bootstrap(), "-G", group, "-X", "auto.offset.reset=earliest", "-u", "-f",
         "%p %s\\n", "-X", "partition.assignment.strategy=roundrobin", "-X",
         "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=500", topic},
        dir_->path() / (name + ".out"), dir_->path() / (name + ".err"));
    EXPECT_TRUE(child) << child.error().message();
    return child ? std::move(*child) : nullptr;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<TempDir> dir_;
};

TEST_F(GroupInteropTest, KafkajsAndKcatShareOneGroupAndHandOverCommittedPartitions) {
  ASSERT_TRUE(std::filesystem::exists(kInteropDir / "node_modules" / "kafkajs" / "package.json"))
      << "kafkajs is not installed in " << kInteropDir.string() << ": run scripts/setup";
  constexpr int kPartitions = 4;
  constexpr int kMessages = 400;
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  ASSERT_TRUE(create_topic(*broker_, topic, kPartitions));

  auto kcat = start_kcat("kcat", group, topic);
  ASSERT_NE(kcat, nullptr);
  ASSERT_TRUE(eventually([&] { return kcat->stderr_tail(50).find("assigned:") != std::string::npos; },
                         seconds(30)))
      << "kcat -G never got an assignment; kcat stderr:\n" << kcat->stderr_tail() << "\nbroker:\n"
      << broker_->stderr_tail();

  auto node = run_command({{"node", (kInteropDir / "group_mixed.js").string(), broker_->bootstrap(),
                            topic, group, std::to_string(kPartitions), std::to_string(kMessages)},
                           "",
                           seconds(120)});
  ASSERT_TRUE(node) << node.error().message();
  ASSERT_TRUE(node->ok()) << "stdout:\n" << node->out << node->summary() << "\nkcat stderr:\n"
                          << kcat->stderr_tail() << "\nbroker stderr:\n" << broker_->stderr_tail();
  const auto verdict = nlohmann::json::parse(node->out.substr(node->out.find('{')));
  ASSERT_TRUE(verdict.value("ok", false)) << node->out;
  const std::set<int> kafkajs_partitions = verdict["partitions"].get<std::set<int>>();

  // kcat consumed exactly the messages of the other partitions while kafkajs was a member.
  std::set<std::string> kcat_expected;
  for (int i = 0; i < kMessages; ++i) {
    if (!kafkajs_partitions.contains(i % kPartitions)) kcat_expected.insert("mixed-" + std::to_string(i));
  }
  ASSERT_TRUE(eventually([&] { return kcat_lines(kcat->stdout_text()).size() >= kcat_expected.size(); },
                         seconds(30)))
      << "kcat printed " << kcat_lines(kcat->stdout_text()).size() << " of " << kcat_expected.size();

  // kafkajs left after committing: kcat takes its partitions over from those commits, so the
  // next message on each partition is the first thing kcat sees there.
  std::vector<OutgoingRecord> after;
  for (int p = 0; p < kPartitions; ++p) after.push_back({"", "after-" + std::to_string(p), {}, p});
  ASSERT_TRUE(produce_all(broker_->bootstrap(), topic, after, {{"acks", "all"}}));
  const auto after_seen = [&] {
    std::multiset<std::string> seen;
    for (const auto& [p, v] : kcat_lines(kcat->stdout_text())) {
      if (v.starts_with("after-")) seen.insert(v);
    }
    return seen;
  };
  const auto distinct = [](const std::multiset<std::string>& values) {
    return std::set<std::string>(values.begin(), values.end());
  };
  ASSERT_TRUE(eventually(
      [&] { return distinct(after_seen()).size() == static_cast<std::size_t>(kPartitions); },
      seconds(30)))
      << "kcat did not take over all partitions after kafkajs left; kcat stderr:\n"
      << kcat->stderr_tail() << "\nbroker stderr:\n" << broker_->stderr_tail();
  ASSERT_TRUE(kcat->terminate(seconds(15)));
  const auto taken_over = after_seen();
  for (const auto& value : distinct(taken_over)) {
    EXPECT_EQ(taken_over.count(value), 1u) << value << " reached kcat more than once";
  }

  std::multiset<std::string> kcat_mixed;
  for (const auto& [partition, value] : kcat_lines(kcat->stdout_text())) {
    if (!value.starts_with("mixed-")) continue;
    EXPECT_FALSE(kafkajs_partitions.contains(partition))
        << value << " on partition " << partition << " reached kcat although kafkajs committed it";
    kcat_mixed.insert(value);
  }
  EXPECT_EQ(kcat_mixed, std::multiset<std::string>(kcat_expected.begin(), kcat_expected.end()));
}

TEST_F(GroupInteropTest, SecondKcatInTheGroupConsumesWithinSecondsAfterTheFirstLeaves) {
  const std::string topic = topic_for_this_test();
  const std::string group = topic_for_this_test("group");
  ASSERT_TRUE(create_topic(*broker_, topic, 2));

  auto first = start_kcat("first", group, topic);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(produce_all(broker_->bootstrap(), topic, {{"", "one", {}, 0}}, {{"acks", "all"}}));
  ASSERT_TRUE(eventually([&] { return first->stdout_text().find("one") != std::string::npos; }, seconds(30)))
      << "the first kcat -G consumed nothing; stderr:\n" << first->stderr_tail();
  // SIGTERM: kcat closes its consumer, which commits and sends LeaveGroup.
  auto exit_code = first->terminate(seconds(15));
  ASSERT_TRUE(exit_code) << exit_code.error().message();

  auto second = start_kcat("second", group, topic);
  ASSERT_NE(second, nullptr);
  const auto produced_at = Clock::now();
  ASSERT_TRUE(produce_all(broker_->bootstrap(), topic, {{"", "two", {}, 1}}, {{"acks", "all"}}));
  // The bug this guards against (waiting out the departed member's session) took 45 s.
  const bool consumed = eventually(
      [&] { return second->stdout_text().find("two") != std::string::npos; }, seconds(10));
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - produced_at);
  EXPECT_TRUE(consumed) << "the second kcat -G had not consumed a new message after "
                        << waited.count() << " ms; stderr:\n" << second->stderr_tail()
                        << "\nbroker stderr:\n" << broker_->stderr_tail();
  ASSERT_TRUE(second->terminate(seconds(15)));
  EXPECT_EQ(second->stdout_text().find("one"), std::string::npos)
      << "the first member's commit on leaving was lost: 'one' was delivered again";
}

}  // namespace
}  // namespace velocity::testing
