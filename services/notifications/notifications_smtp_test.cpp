// Real SMTP: the service sends through libcurl to an SMTP server we did not write — the npm
// package smtp-server, run by tests/smtp/smtp_sink.js as a child process — which records every
// message it accepts, decoded by mailparser, as one JSON line.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>

#include "notifications/notifications.h"
#include "notifications/test_support.h"
#include "support/child_process.h"
#include "support/subprocess.h"

namespace notifications {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

const std::filesystem::path kSmtpDir = VELOCITY_SMTP_TEST_DIR;
const std::string kUsers(shop::topics::kUsers);
const std::string kOrders(shop::topics::kOrders);
const std::string kNotifications(shop::topics::kNotifications);

class NotificationsSmtpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto found = velocity::testing::run_command({{"sh", "-c", "command -v node"}, "", 30s, {}});
    ASSERT_TRUE(found && found->ok() && !found->out.empty())
        << "node is not installed: run scripts/setup to install Node.js and the SMTP test server";
    node_ = found->out.substr(0, found->out.find('\n'));
    for (const char* package : {"smtp-server", "mailparser"}) {
      ASSERT_TRUE(std::filesystem::exists(kSmtpDir / "node_modules" / package / "package.json"))
          << "the npm package " << package << " is not installed in " << kSmtpDir.string()
          << ": run scripts/setup (it runs npm install there)";
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-notifications-smtp-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    received_ = dir_ / "received.jsonl";
    bus_ = std::make_shared<velocity::MemoryBus>();
    testing::create_topics(*bus_);
  }

  void TearDown() override {
    if (service_) service_->stop();
    app_.reset();
    service_.reset();
    sink_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Starts smtp_sink.js on `port` (0: any free one) and returns the port it listens on.
  uint16_t start_sink(uint16_t port = 0) {
    auto sink = velocity::testing::ChildProcess::spawn(
        {node_, (kSmtpDir / "smtp_sink.js").string(), std::to_string(port), received_.string()},
        dir_ / "sink.out", dir_ / "sink.err");
    EXPECT_TRUE(sink) << sink.error().message();
    if (!sink) return 0;
    sink_ = std::move(*sink);
    const std::regex listening(R"(port (\d+))");
    std::smatch match;
    std::string out;
    const bool ready = eventually([&] {
      out = sink_->stdout_text();
      return std::regex_search(out, match, listening) || !sink_->running();
    });
    EXPECT_TRUE(ready && !match.empty()) << "smtp_sink.js did not start:\n" << sink_->stderr_tail();
    return match.empty() ? 0 : static_cast<uint16_t>(std::stoi(match[1]));
  }

  void start_service(uint16_t smtp_port) {
    velocity::ServiceConfig config;
    config.name = "notifications";
    config.data_dir = dir_ / "data";
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    const std::string url = "smtp://127.0.0.1:" + std::to_string(smtp_port);
    auto options = Options::from_env(
        velocity::config::Env([&](std::string_view name) -> std::optional<std::string> {
          if (name == "VELOCITY_SMTP_URL") return url;
          return std::nullopt;
        }));
    ASSERT_TRUE(options) << options.error().message();
    options->sender.poll = 20ms;
    options->sender.retry_initial = 50ms;
    options->sender.retry_max = 200ms;
    options->sender.max_attempts = 1000;
    auto app = Notifications::install(*service_, *options);
    ASSERT_TRUE(app) << app.error().message();
    app_ = std::move(*app);
    ASSERT_TRUE(app_->start());
    ASSERT_TRUE(service_->start());
  }

  velocity::Event publish(const std::string& topic, const std::string& subject, const auto& value) {
    auto event = velocity::make_event("/test", subject, value);
    publish_event(topic, event);
    return event;
  }
  void publish_event(const std::string& topic, const velocity::Event& event) {
    auto message = velocity::to_message(event, topic);
    ASSERT_TRUE(message);
    ASSERT_TRUE(bus_->publish(*message));
  }

  // What the SMTP server accepted, one JSON object per message.
  std::vector<nlohmann::json> received() const {
    std::vector<nlohmann::json> messages;
    std::ifstream in(received_);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) messages.push_back(nlohmann::json::parse(line));
    }
    return messages;
  }

  std::string node_;
  std::filesystem::path dir_;
  std::filesystem::path received_;
  std::unique_ptr<velocity::testing::ChildProcess> sink_;
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  std::unique_ptr<Notifications> app_;
};

TEST_F(NotificationsSmtpTest, EachEventIsOneMessageToTheCustomerOverSmtp) {
  start_service(start_sink());
  publish(kUsers, "cus_1", shop::UserRegistered{"cus_1", "zoe@example.com", "Zoë Ådahl"});
  const auto confirmed =
      publish(kOrders, "ord_1", shop::OrderConfirmed{"ord_1", "cus_1", 2990, "EUR"});
  publish_event(kOrders, confirmed);  // redelivered: still one message

  ASSERT_TRUE(eventually([&] { return bus_->messages(kNotifications).size() == 2; }))
      << "sink stderr:\n"
      << sink_->stderr_tail();
  // EmailSent is published after the server accepted the message, which it records first.
  const auto messages = received();
  ASSERT_EQ(messages.size(), 2u);
  std::map<std::string, nlohmann::json> by_subject;
  for (const auto& message : messages) by_subject[message["subject"].get<std::string>()] = message;
  ASSERT_EQ(by_subject.count("Welcome to Velocity Shop"), 1u);
  ASSERT_EQ(by_subject.count("Your order ord_1 is confirmed"), 1u);
  for (const auto& [subject, message] : by_subject) {
    EXPECT_EQ(message["from"], "shop@velocity.local") << subject;
    EXPECT_EQ(message["to"], nlohmann::json::array({"zoe@example.com"})) << subject;
    EXPECT_EQ(message["to_name"], "Zoë Ådahl") << subject;
    EXPECT_NE(message["text"].get<std::string>().find("Hello Zoë Ådahl,"), std::string::npos)
        << message["text"];
  }
  EXPECT_NE(
      by_subject["Your order ord_1 is confirmed"]["text"].get<std::string>().find("Total: €29.90"),
      std::string::npos);
  const std::string raw = by_subject["Welcome to Velocity Shop"]["raw"];
  for (const char* header : {"\r\nDate: ", "\r\nMessage-ID: <eml_", "\r\nMIME-Version: 1.0\r\n",
                             "\r\nContent-Type: text/plain; charset=UTF-8\r\n"}) {
    EXPECT_NE(raw.find(header), std::string::npos) << header << " missing in\n" << raw;
  }
}

TEST_F(NotificationsSmtpTest, MailWaitsWhileTheServerIsDownAndGoesOutOnceWhenItIsBack) {
  // Learn a free port, then stop the server: the service finds nobody listening there.
  const uint16_t port = start_sink();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(sink_->terminate(10s));
  start_service(port);

  publish(kUsers, "cus_1", shop::UserRegistered{"cus_1", "ada@example.com", "Ada"});
  const auto tried_at_least_twice = [&] {
    auto tx = service_->db().begin();
    auto row = tx->query("SELECT status, attempts FROM emails");
    return *row->next() && row->text(0) == "pending" && row->int64(1) >= 2;
  };
  ASSERT_TRUE(eventually(tried_at_least_twice));
  EXPECT_TRUE(received().empty());

  ASSERT_EQ(start_sink(port), port);
  ASSERT_TRUE(eventually([&] { return bus_->messages(kNotifications).size() == 1; }))
      << "sink stderr:\n"
      << sink_->stderr_tail();
  const auto messages = received();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["subject"], "Welcome to Velocity Shop");
  EXPECT_EQ(messages[0]["to"], nlohmann::json::array({"ada@example.com"}));
}

}  // namespace
}  // namespace notifications
