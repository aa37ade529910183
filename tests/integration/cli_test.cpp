// The `velocity` command-line tool as a user runs it: the real binary as a child process
// against a real velocity-broker. Topics, produce and consume (JSON and templates, from an
// offset or a time), consumer groups (list, describe, lag, reset-offsets) with a group made by
// librdkafka and kcat, dead letters written with the toolkit's provenance headers, and the
// exit codes scripts rely on: 2 for usage errors, 1 for failed operations.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafkacpp.h>
#include <nlohmann/json.hpp>

#include "support/assertions.h"
#include "support/broker_process.h"
#include "support/child_process.h"
#include "support/group_offsets.h"
#include "support/kafka_clients.h"
#include "support/net.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "velocity/dead_letter.h"

namespace velocity::testing {
namespace {

using nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
    ASSERT_TRUE(succeeded(started));
    broker_ = std::move(*started);
  }

  // Runs `velocity --brokers <ours> args...` to completion.
  CommandResult velocity(const std::vector<std::string>& args, const std::string& input = "") {
    Command command;
    command.argv = {VELOCITY_CLI_EXECUTABLE, "--brokers", broker_->bootstrap()};
    command.argv.insert(command.argv.end(), args.begin(), args.end());
    command.input = input;
    command.timeout = std::chrono::seconds(120);
    auto result = run_command(command);
    EXPECT_TRUE(succeeded(result));
    return result ? *result : CommandResult{};
  }

  // Runs a command that must succeed and returns its stdout as one JSON document.
  json velocity_json(const std::vector<std::string>& args, const std::string& input = "") {
    auto all = args;
    all.insert(all.end(), {"--format", "json"});
    const auto result = velocity(all, input);
    EXPECT_TRUE(result.ok()) << result.summary();
    return json::parse(result.out);
  }

  // One JSON object per line of stdout.
  static std::vector<json> json_lines(const std::string& out) {
    std::vector<json> lines;
    std::size_t pos = 0;
    while (pos < out.size()) {
      const auto end = out.find('\n', pos);
      lines.push_back(json::parse(out.substr(pos, end - pos)));
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    return lines;
  }

  void create(const std::string& topic, int partitions) {
    const auto result = velocity({"topics", "create", topic, "--partitions", std::to_string(partitions)});
    ASSERT_TRUE(result.ok()) << result.summary();
  }

  std::unique_ptr<BrokerProcess> broker_;
};

// Joins `group` with librdkafka, waits for its first message (so it is a member with an
// assignment), commits `offsets` (partition -> next offset) of `topic` and leaves: the group
// is then Empty with exactly those commits.
void commit_as_group(const std::string& bootstrap, const std::string& group,
                     const std::string& topic, const std::map<std::int32_t, std::int64_t>& offsets) {
  auto conf = client_conf(bootstrap, {{"group.id", group},
                                      {"enable.auto.commit", "false"},
                                      {"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(succeeded(conf));
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), error));
  ASSERT_NE(consumer, nullptr) << error;
  ASSERT_EQ(consumer->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  bool received = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!received && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(200));
    received = message->err() == RdKafka::ERR_NO_ERROR;
  }
  ASSERT_TRUE(received);
  std::vector<RdKafka::TopicPartition*> positions;
  for (const auto& [partition, offset] : offsets) {
    positions.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
  }
  const auto committed = consumer->commitSync(positions);
  RdKafka::TopicPartition::destroy(positions);
  ASSERT_EQ(committed, RdKafka::ERR_NO_ERROR);
  consumer->close();
}

TEST_F(CliTest, TopicsCreateDescribeListAndDelete) {
  const auto topic = topic_for_this_test();
  auto created = velocity({"topics", "create", topic, "--partitions", "3", "--config",
                           "retention.ms=3600000"});
  ASSERT_TRUE(created.ok()) << created.summary();

  const auto listed = velocity_json({"topics", "list"});
  bool found = false;
  for (const auto& entry : listed) {
    if (entry["name"] == topic) {
      found = true;
      EXPECT_EQ(entry["partitions"], 3);
    }
  }
  EXPECT_TRUE(found) << listed.dump();
  const auto table = velocity({"topics", "list"});
  EXPECT_NE(table.out.find(topic), std::string::npos) << table.out;

  const auto described = velocity_json({"topics", "describe", topic});
  EXPECT_EQ(described["name"], topic);
  ASSERT_EQ(described["partitions"].size(), 3u);
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(described["partitions"][p]["partition"], p);
    EXPECT_EQ(described["partitions"][p]["messages"], 0);
  }
  EXPECT_EQ(described["configs"]["retention.ms"]["value"], "3600000");

  const auto again = velocity({"topics", "create", topic});
  EXPECT_EQ(again.exit_code, 1) << again.summary();
  EXPECT_NE(again.err.find("TOPIC_ALREADY_EXISTS"), std::string::npos) << again.err;

  const auto deleted = velocity({"topics", "delete", topic});
  ASSERT_TRUE(deleted.ok()) << deleted.summary();
  for (const auto& entry : velocity_json({"topics", "list"})) EXPECT_NE(entry["name"], topic);
  const auto missing = velocity({"topics", "describe", topic});
  EXPECT_EQ(missing.exit_code, 1) << missing.summary();
  EXPECT_NE(missing.err.find("topic " + topic + " does not exist"), std::string::npos) << missing.err;
  const auto delete_missing = velocity({"topics", "delete", topic});
  EXPECT_EQ(delete_missing.exit_code, 1) << delete_missing.summary();
}

TEST_F(CliTest, ProducedKeysHeadersAndValuesComeBackAsJson) {
  const auto topic = topic_for_this_test();
  create(topic, 1);
  const auto from_args = velocity_json({"produce", topic, "--key", "order-1", "--header",
                                        "ce_type=order.placed", "--header", "trace=a=b", "first",
                                        "second"});
  ASSERT_EQ(from_args["messages"].size(), 2u);
  EXPECT_EQ(from_args["messages"][0]["offset"], 0);
  EXPECT_EQ(from_args["messages"][1]["offset"], 1);
  const auto from_stdin = velocity_json({"produce", topic, "--key", "order-2", "--partition", "0"},
                                        "third\nfourth\n\n");
  ASSERT_EQ(from_stdin["messages"].size(), 3u);
  EXPECT_EQ(from_stdin["messages"][2]["partition"], 0);
  EXPECT_EQ(from_stdin["messages"][2]["offset"], 4);

  const auto consumed = velocity({"consume", topic, "--offset", "earliest", "--count", "5", "--format", "json"});
  ASSERT_TRUE(consumed.ok()) << consumed.summary();
  const auto lines = json_lines(consumed.out);
  ASSERT_EQ(lines.size(), 5u) << consumed.out;
  const std::vector<std::string> values = {"first", "second", "third", "fourth", ""};
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    EXPECT_EQ(line["topic"], topic);
    EXPECT_EQ(line["partition"], 0);
    EXPECT_EQ(line["offset"], static_cast<int>(i));
    EXPECT_GT(line["timestamp"].get<std::int64_t>(), now_ms - 3'600'000);
    EXPECT_LE(line["timestamp"].get<std::int64_t>(), now_ms);
    EXPECT_EQ(line["value"], values[i]);
    if (i < 2) {
      EXPECT_EQ(line["key"], "order-1");
      EXPECT_EQ(line["headers"], (json{{"ce_type", "order.placed"}, {"trace", "a=b"}}));
    } else {
      EXPECT_EQ(line["key"], "order-2");
      EXPECT_EQ(line["headers"], json::object());
    }
  }

  const auto templated = velocity({"consume", topic, "--offset", "1", "--count", "1", "--format",
                                   "{offset} {key} {value} {header.ce_type}|{header.absent}"});
  ASSERT_TRUE(templated.ok()) << templated.summary();
  EXPECT_EQ(templated.out, "1 order-1 second order.placed|\n");
}

TEST_F(CliTest, ConsumeFromTimeStartsAtTheFirstMessageAtOrAfterIt) {
  const auto topic = topic_for_this_test();
  // The messages carry timestamps from 2023: no retention may remove them.
  const auto created = velocity({"topics", "create", topic, "--config", "retention.ms=-1"});
  ASSERT_TRUE(created.ok()) << created.summary();
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 4; ++i) {
    OutgoingRecord record;
    record.key = "k" + std::to_string(i);
    record.value = "v" + std::to_string(i);
    record.timestamp_ms = 1'700'000'000'000 + i * 60'000;  // 2023-11-14T22:13:20Z + i minutes
    records.push_back(record);
  }
  auto produced = produce_all(broker_->bootstrap(), topic, records, {});
  ASSERT_TRUE(succeeded(produced));

  const auto rfc3339 = velocity({"consume", topic, "--from-time", "2023-11-14T23:15:20+01:00",
                                 "--count", "2", "--format", "json"});
  ASSERT_TRUE(rfc3339.ok()) << rfc3339.summary();
  auto lines = json_lines(rfc3339.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["offset"], 2);
  EXPECT_EQ(lines[0]["timestamp"], 1'700'000'120'000);
  EXPECT_EQ(lines[1]["value"], "v3");

  // Between two messages: the next one.
  const auto epoch_ms = velocity({"consume", topic, "--from-time", "1700000030000", "--count",
                                  "1", "--format", "{offset} {timestamp}"});
  ASSERT_TRUE(epoch_ms.ok()) << epoch_ms.summary();
  EXPECT_EQ(epoch_ms.out, "1 1700000060000\n");
}

TEST_F(CliTest, ConsumeWithGroupCommitsWhatItPrintedAndResumesThere) {
  const auto topic = topic_for_this_test();
  const auto group = topic + "-group";
  create(topic, 1);
  ASSERT_TRUE(velocity({"produce", topic, "1", "2", "3", "4", "5"}).ok());
  const auto first = velocity({"consume", topic, "--group", group, "--count", "3", "--format", "{value}"});
  ASSERT_TRUE(first.ok()) << first.summary();
  EXPECT_EQ(first.out, "1\n2\n3\n");
  EXPECT_EQ(velocity_json({"groups", "lag", group})["total_lag"], 2);
  const auto rest = velocity({"consume", topic, "--group", group, "--count", "2", "--format", "{value}"});
  ASSERT_TRUE(rest.ok()) << rest.summary();
  EXPECT_EQ(rest.out, "4\n5\n");
  EXPECT_EQ(velocity_json({"groups", "lag", group})["total_lag"], 0);
}

TEST_F(CliTest, GroupsListDescribeLagAndResetOffsets) {
  const auto topic = topic_for_this_test();
  const auto group = topic + "-group";
  create(topic, 2);
  ASSERT_TRUE(velocity({"produce", topic, "--partition", "0", "a", "b", "c", "d", "e", "f"}).ok());
  ASSERT_TRUE(velocity({"produce", topic, "--partition", "1", "g", "h", "i", "j"}).ok());
  commit_as_group(broker_->bootstrap(), group, topic, {{0, 4}, {1, 2}});
  auto committed = committed_offsets(broker_->bootstrap(), group, topic, 2);
  ASSERT_TRUE(succeeded(committed));
  ASSERT_EQ(*committed, (std::map<std::int32_t, std::int64_t>{{0, 4}, {1, 2}}));

  bool listed = false;
  for (const auto& entry : velocity_json({"groups", "list"})) {
    if (entry["group"] == group) {
      listed = true;
      EXPECT_EQ(entry["state"], "Empty");
      EXPECT_EQ(entry["members"], 0);
    }
  }
  EXPECT_TRUE(listed);

  const auto described = velocity_json({"groups", "describe", group});
  EXPECT_EQ(described["state"], "Empty");
  EXPECT_TRUE(described["members"].empty());
  ASSERT_EQ(described["offsets"].size(), 2u);
  const std::map<int, std::int64_t> latest = {{0, 6}, {1, 4}};
  for (const auto& row : described["offsets"]) {
    const int p = row["partition"];
    EXPECT_EQ(row["topic"], topic);
    EXPECT_EQ(row["committed"], (*committed)[p]);
    EXPECT_EQ(row["latest"], latest.at(p));
    EXPECT_EQ(row["lag"], latest.at(p) - (*committed)[p]);
  }

  const auto lag = velocity_json({"groups", "lag", group});
  EXPECT_EQ(lag["total_lag"], 4);
  const auto lag_table = velocity({"groups", "lag", group});
  EXPECT_NE(lag_table.out.find("total lag: 4"), std::string::npos) << lag_table.out;

  // A dry run prints the plan and changes nothing.
  const auto dry = velocity_json({"groups", "reset-offsets", group, "--topic", topic, "--to-earliest", "--dry-run"});
  EXPECT_EQ(dry["executed"], false);
  for (const auto& row : dry["partitions"]) {
    EXPECT_EQ(row["new"], 0);
    EXPECT_EQ(row["current"], (*committed)[row["partition"].get<int>()]);
  }
  auto unchanged = committed_offsets(broker_->bootstrap(), group, topic, 2);
  ASSERT_TRUE(succeeded(unchanged));
  EXPECT_EQ(*unchanged, *committed);
  // So does leaving out both --dry-run and --execute.
  ASSERT_TRUE(velocity({"groups", "reset-offsets", group, "--topic", topic, "--to-latest"}).ok());
  unchanged = committed_offsets(broker_->bootstrap(), group, topic, 2);
  EXPECT_EQ(*unchanged, *committed);

  auto reset = [&](const std::vector<std::string>& mode) {
    std::vector<std::string> args = {"groups", "reset-offsets", group, "--topic", topic};
    args.insert(args.end(), mode.begin(), mode.end());
    args.push_back("--execute");
    const auto result = velocity(args);
    EXPECT_TRUE(result.ok()) << result.summary();
    auto offsets = committed_offsets(broker_->bootstrap(), group, topic, 2);
    EXPECT_TRUE(succeeded(offsets));
    return offsets ? *offsets : std::map<std::int32_t, std::int64_t>{};
  };
  EXPECT_EQ(reset({"--to-earliest"}), (std::map<std::int32_t, std::int64_t>{{0, 0}, {1, 0}}));
  EXPECT_EQ(velocity_json({"groups", "lag", group})["total_lag"], 10);
  EXPECT_EQ(reset({"--shift-by", "5"}), (std::map<std::int32_t, std::int64_t>{{0, 5}, {1, 4}}));
  EXPECT_EQ(reset({"--shift-by=-2"}), (std::map<std::int32_t, std::int64_t>{{0, 3}, {1, 2}}));
  EXPECT_EQ(reset({"--to-latest"}), (std::map<std::int32_t, std::int64_t>{{0, 6}, {1, 4}}));
  EXPECT_EQ(reset({"--to-time", "0"}), (std::map<std::int32_t, std::int64_t>{{0, 0}, {1, 0}}));

  // With an active member (kcat in the group) the reset is refused.
  auto dir = TempDir::create("velocity-cli-kcat");
  ASSERT_TRUE(succeeded(dir));
  auto kcat = ChildProcess::spawn({"kcat", "-b", broker_->bootstrap(), "-G", group, topic},
                                  dir->path() / "out", dir->path() / "err");
  ASSERT_TRUE(succeeded(kcat));
  bool joined = false;
  for (int attempt = 0; attempt < 300 && !joined; ++attempt) {
    const auto now = velocity({"groups", "describe", group, "--format", "json"});
    joined = now.ok() && json::parse(now.out)["members"].size() == 1 &&
             json::parse(now.out)["state"] == "Stable";
    if (!joined) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(joined) << (*kcat)->stderr_tail();
  const auto refused = velocity({"groups", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute"});
  EXPECT_EQ(refused.exit_code, 1) << refused.summary();
  EXPECT_NE(refused.err.find("active member"), std::string::npos) << refused.err;
  const auto member = velocity_json({"groups", "describe", group});
  ASSERT_EQ(member["members"].size(), 1u);
  EXPECT_EQ(member["members"][0]["assignment"].size(), 2u);
  ASSERT_TRUE(succeeded((*kcat)->terminate(std::chrono::seconds(30))));
}

TEST_F(CliTest, DeadLettersAreListedShownAndRedriven) {
  const std::string topic = topic_for_this_test();
  const std::string dlq = topic + ".dlq";
  create(topic, 1);
  create(dlq, 1);
  std::vector<OutgoingRecord> dead_letters;
  for (int i = 0; i < 3; ++i) {
    OutgoingRecord record;
    record.key = "order-" + std::to_string(i);
    record.value = "{\"n\":" + std::to_string(i) + "}";
    record.headers = {{"ce_type", "order.placed"},
                      {"ce_id", "event-" + std::to_string(i)},
                      {std::string(kOriginalTopicHeader), topic},
                      {std::string(kOriginalPartitionHeader), "0"},
                      {std::string(kOriginalOffsetHeader), std::to_string(10 + i)},
                      {std::string(kErrorHeader), "internal: handler failed"},
                      {std::string(kAttemptsHeader), "4"},
                      {std::string(kFirstFailureHeader), "2024-05-01T12:00:00.000Z"},
                      {std::string(kLastFailureHeader), "2024-05-01T12:00:05.000Z"}};
    // The third was redriven three times already: the loop guard keeps it in the DLQ.
    if (i == 2) record.headers.push_back({std::string(kRedriveCountHeader), "3"});
    dead_letters.push_back(record);
  }
  auto produced = produce_all(broker_->bootstrap(), dlq, dead_letters, {});
  ASSERT_TRUE(succeeded(produced));

  bool listed = false;
  for (const auto& entry : velocity_json({"dlq", "list"})) {
    EXPECT_NE(entry["topic"], topic);
    if (entry["topic"] == dlq) {
      listed = true;
      EXPECT_EQ(entry["messages"], 3);
    }
  }
  EXPECT_TRUE(listed);

  const auto shown = velocity({"dlq", "show", dlq, "--format", "json"});
  ASSERT_TRUE(shown.ok()) << shown.summary();
  const auto lines = json_lines(shown.out);
  ASSERT_EQ(lines.size(), 3u) << shown.out;
  EXPECT_EQ(lines[1]["key"], "order-1");
  EXPECT_EQ(lines[1]["headers"]["ce_type"], "order.placed");
  EXPECT_EQ(lines[1]["provenance"]["original_topic"], topic);
  EXPECT_EQ(lines[1]["provenance"]["original_offset"], "11");
  EXPECT_EQ(lines[1]["provenance"]["error"], "internal: handler failed");
  EXPECT_EQ(lines[1]["provenance"]["attempts"], "4");
  EXPECT_EQ(lines[1]["provenance"]["redrive_count"], nullptr);
  EXPECT_EQ(lines[2]["provenance"]["redrive_count"], "3");
  const auto table = velocity({"dlq", "show", dlq});
  EXPECT_NE(table.out.find(topic + "/0/10"), std::string::npos) << table.out;

  const auto one = velocity_json({"dlq", "redrive", dlq, "--offset", "1"});
  EXPECT_EQ(one["redriven"], 1);
  const auto back = velocity({"consume", topic, "--count", "1", "--format", "json"});
  ASSERT_TRUE(back.ok()) << back.summary();
  const auto redriven = json::parse(back.out);
  EXPECT_EQ(redriven["key"], "order-1");
  EXPECT_EQ(redriven["value"], "{\"n\":1}");
  EXPECT_EQ(redriven["headers"],
            (json{{"ce_type", "order.placed"}, {"ce_id", "event-1"}, {"velocity_redrive_count", "1"}}));

  const auto guarded = velocity({"dlq", "redrive", dlq, "--offset", "2"});
  EXPECT_EQ(guarded.exit_code, 1) << guarded.summary();
  EXPECT_NE(guarded.err.find("already redriven 3 time(s)"), std::string::npos) << guarded.err;

  const auto all = velocity_json({"dlq", "redrive", dlq, "--all"});
  EXPECT_EQ(all["redriven"], 2);
  EXPECT_EQ(all["refused"], 1);
  const auto described = velocity_json({"topics", "describe", topic});
  EXPECT_EQ(described["messages"], 3);
  // Redrive never deletes dead letters.
  EXPECT_EQ(velocity_json({"topics", "describe", dlq})["messages"], 3);
}

// The state file a running `velocity up` keeps in its data directory, naming this test process
// as the supervisor and as every process (alive, no port to probe).
void write_up_state(const std::filesystem::path& data_dir, const std::string& brokers,
                    const std::vector<std::string>& services) {
  json processes = json::array();
  for (const auto& service : services) {
    processes.push_back({{"name", service}, {"service", service}, {"pid", ::getpid()}, {"restarts", 0},
                         {"started_at", "2026-01-01T00:00:00Z"}, {"host", "127.0.0.1"}, {"port", 0},
                         {"ready_path", ""}});
  }
  std::ofstream(data_dir / "velocity.state.json")
      << json{{"supervisor_pid", ::getpid()}, {"brokers", brokers}, {"processes", processes}}.dump();
}

TEST_F(CliTest, StatusShowsEachServicesConsumerLagFromTheBroker) {
  auto dir = TempDir::create("velocity-status");
  ASSERT_TRUE(succeeded(dir));
  const auto topic = topic_for_this_test();
  create(topic, 2);
  ASSERT_TRUE(velocity({"produce", topic, "--partition", "0", "a", "b", "c", "d", "e", "f", "g"}).ok());
  ASSERT_TRUE(velocity({"produce", topic, "--partition", "1", "h", "i", "j"}).ok());
  // The orders service's group has read 2 of 7 and 1 of 3: 7 still to read. Payments has no group.
  commit_as_group(broker_->bootstrap(), "orders", topic, {{0, 2}, {1, 1}});
  write_up_state(dir->path(), broker_->bootstrap(), {"orders", "payments"});

  const auto status = velocity_json({"status", "--data-dir", dir->path().string()});
  EXPECT_EQ(status["running"], true);
  EXPECT_FALSE(status.contains("lag_error")) << status.dump();
  ASSERT_EQ(status["processes"].size(), 2u);
  EXPECT_EQ(status["processes"][0]["name"], "orders");
  EXPECT_EQ(status["processes"][0]["lag"], 7);
  EXPECT_EQ(status["processes"][0]["health"], "up");
  EXPECT_EQ(status["processes"][1]["lag"], 0);
  ASSERT_EQ(status["groups"].size(), 2u);
  EXPECT_EQ(status["groups"][0]["group"], "orders");
  EXPECT_EQ(status["groups"][0]["lag"], 7);
  EXPECT_EQ(status["groups"][0]["partitions"], 2);
  EXPECT_EQ(status["groups"][0]["state"], "Empty");
  EXPECT_EQ(status["groups"][1]["group"], "payments");
  EXPECT_EQ(status["groups"][1]["lag"], 0);

  const auto table = velocity({"status", "--data-dir", dir->path().string()});
  ASSERT_TRUE(table.ok()) << table.summary();
  EXPECT_NE(table.out.find("LAG"), std::string::npos) << table.out;
  // PROCESS PID HEALTH RESTARTS LAG ...
  std::istringstream lines(table.out);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name, pid, health, restarts, lag;
    words >> name >> pid >> health >> restarts >> lag;
    if (name != "orders") continue;
    found = true;
    EXPECT_EQ(lag, "7") << table.out;
  }
  EXPECT_TRUE(found) << table.out;

  // The services read on: the lag goes down with the commits.
  commit_as_group(broker_->bootstrap(), "orders", topic, {{0, 7}, {1, 3}});
  EXPECT_EQ(velocity_json({"status", "--data-dir", dir->path().string()})["groups"][0]["lag"], 0);
}

TEST_F(CliTest, StatusWithAnUnreachableBusShowsTheProcessesAndSaysWhyTheLagIsUnknown) {
  auto dir = TempDir::create("velocity-status");
  ASSERT_TRUE(succeeded(dir));
  auto port = free_tcp_port();
  ASSERT_TRUE(succeeded(port));
  write_up_state(dir->path(), "127.0.0.1:" + std::to_string(*port), {"orders"});
  const auto status = velocity_json({"status", "--data-dir", dir->path().string()});
  EXPECT_EQ(status["running"], true);
  EXPECT_TRUE(status["processes"][0]["lag"].is_null());
  EXPECT_TRUE(status["groups"][0]["lag"].is_null());
  EXPECT_NE(status.value("lag_error", "").find("cannot reach broker"), std::string::npos) << status.dump();
}

TEST_F(CliTest, OutboxFailsWithExitCodeOneNamingEachDatabaseItCannotRead) {
  auto dir = TempDir::create("velocity-outbox");
  ASSERT_TRUE(succeeded(dir));
  std::filesystem::create_directories(dir->path() / "orders");
  std::ofstream(dir->path() / "orders" / "orders.db") << "not a database, only text long enough to be read";
  const auto result = velocity({"outbox", "--data-dir", dir->path().string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.summary();
  const auto rows = json::parse(result.out);
  ASSERT_EQ(rows.size(), 8u);  // every service
  for (const auto& row : rows) {
    EXPECT_TRUE(row.contains("error")) << row.dump();
    EXPECT_FALSE(row.contains("pending")) << row.dump();
  }
  EXPECT_EQ(rows[3]["service"], "orders");
  EXPECT_EQ(rows[3]["database"], (dir->path() / "orders" / "orders.db").string());
  EXPECT_EQ(rows[0]["error"], (dir->path() / "users" / "users.db").string() + " does not exist");

  const auto one = velocity({"outbox", "payments", "--data-dir", dir->path().string()});
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_NE(one.err.find("payments"), std::string::npos) << one.err;
  EXPECT_EQ(one.err.find("orders"), std::string::npos) << one.err;
  EXPECT_FALSE(std::filesystem::exists(dir->path() / "payments" / "payments.db"));  // read-only

  const auto unknown = velocity({"outbox", "warehouse", "--data-dir", dir->path().string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("warehouse"), std::string::npos) << unknown.err;
}

TEST_F(CliTest, MissingTopicFailsWithExitCodeOneAndIsNotCreated) {
  const auto topic = topic_for_this_test();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"consume", topic, "--count", "1"}, {"produce", topic, "v"}, {"dlq", "show", topic + ".dlq"}}) {
    const auto result = velocity(args);
    EXPECT_EQ(result.exit_code, 1) << args[0] << ": " << result.summary();
    EXPECT_NE(result.err.find("does not exist"), std::string::npos) << result.err;
  }
  for (const auto& entry : velocity_json({"topics", "list"})) EXPECT_NE(entry["name"], topic);
}

TEST_F(CliTest, UsageErrorsExitWithTwoAndSayWhatIsWrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"frobnicate"}, "frobnicate"},
      {{"topics"}, "subcommand"},
      {{"topics", "create"}, "name"},
      {{"topics", "create", "t", "--partitions", "0"}, "--partitions"},
      {{"topics", "list", "--format", "xml"}, "--format"},
      {{"consume", "t", "--offset", "abc"}, "--offset"},
      {{"consume", "t", "--from-time", "yesterday"}, "--from-time"},
      {{"consume", "t", "--format", "{nope}"}, "{nope}"},
      {{"consume", "t", "--timeout", "soon"}, "--timeout"},
      {{"produce", "t", "--header", "novalue", "v"}, "--header"},
      {{"groups", "reset-offsets", "g", "--topic", "t"}, "--to-earliest"},
      {{"groups", "reset-offsets", "g", "--topic", "t", "--to-latest", "--dry-run", "--execute"}, "--dry-run"},
      {{"dlq", "redrive", "orders"}, "not a dead-letter topic"},
      {{"dlq", "redrive", "orders.dlq"}, "--offset"},
  };
  for (const auto& [args, mention] : cases) {
    const auto result = velocity(args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.summary();
    EXPECT_NE(result.err.find(mention), std::string::npos)
        << "stderr of `" << args[0] << " ...` should mention " << mention << ": " << result.err;
  }
  const auto help = velocity({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos) << help.out;
}

TEST_F(CliTest, UnreachableBrokerFailsWithExitCodeOne) {
  auto port = free_tcp_port();
  ASSERT_TRUE(succeeded(port));
  const auto address = "127.0.0.1:" + std::to_string(*port);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"topics", "list"}, {"consume", "t", "--count", "1"}, {"groups", "lag", "g"}}) {
    Command command;
    command.argv = {VELOCITY_CLI_EXECUTABLE, "--brokers", address};
    command.argv.insert(command.argv.end(), args.begin(), args.end());
    command.timeout = std::chrono::seconds(60);
    auto result = run_command(command);
    ASSERT_TRUE(succeeded(result));
    EXPECT_FALSE(result->timed_out);
    EXPECT_EQ(result->exit_code, 1) << result->summary();
    EXPECT_NE(result->err.find("cannot reach broker " + address), std::string::npos) << result->err;
  }
}

}  // namespace
}  // namespace velocity::testing
