// kafkajs 2.2.4 (npm, a client that shares no code with librdkafka and speaks only
// non-flexible versions) against the broker, through the node scripts in tests/interop/.
// Each script prints one JSON line; {"ok":true,...} is success.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/broker_process.h"
#include "support/kafka_clients.h"
#include "support/subprocess.h"

namespace velocity::testing {
namespace {

const std::filesystem::path kInteropDir = VELOCITY_INTEROP_DIR;

class KafkajsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kInteropDir / "node_modules" / "kafkajs" / "package.json"))
        << "kafkajs is not installed in " << kInteropDir.string() << ": run scripts/setup";
    auto started = BrokerProcess::start();
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
  }

  void run_script(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv{"node", (kInteropDir / script).string(), broker_->bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run_command({argv, "", std::chrono::seconds(120)});
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_TRUE(result->ok()) << "stdout:\n" << result->out << result->summary()
                              << "\nbroker stderr tail:\n" << broker_->stderr_tail();
    EXPECT_NE(result->out.find("{\"ok\":true"), std::string::npos) << result->out;
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(KafkajsTest, AdminCreatesListsAndDeletesTopics) {
  run_script("admin.js", {topic_for_this_test()});
}

TEST_F(KafkajsTest, ProducedMessagesWithKeysAndHeadersReachAConsumerGroupInKeyOrder) {
  std::vector<std::string> args{topic_for_this_test(), topic_for_this_test("group")};
  if (broker_->is_mock()) args.push_back("--auto-create");
  run_script("produce_consume.js", args);
}

}  // namespace
}  // namespace velocity::testing
