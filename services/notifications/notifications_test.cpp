// The notifications service on a MemoryBus with the .eml backend (and a scripted mailer where
// a delivery outcome must be chosen): driven through its event handlers and its HTTP route.
#include "notifications/notifications.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "notifications/test_support.h"
#include "toolkit/store/postgres_test_server.h"

namespace notifications {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::http_get;

const std::string kUsers(shop::topics::kUsers);
const std::string kOrders(shop::topics::kOrders);
const std::string kShipping(shop::topics::kShipping);
const std::string kNotifications(shop::topics::kNotifications);

// A mailer whose outcomes the test chooses, one per call (then kDelivered).
class ScriptedMailer final : public Mailer {
 public:
  explicit ScriptedMailer(std::vector<DeliveryStatus> script) : script_(std::move(script)) {}
  DeliveryResult deliver(const OutgoingMail& mail, std::stop_token) override {
    std::lock_guard lock(mutex_);
    const auto call = calls_++;
    delivered_.push_back(mail);
    return {call < script_.size() ? script_[call] : DeliveryStatus::kDelivered, "scripted"};
  }
  std::string describe() const override { return "a scripted mailer"; }
  size_t calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  std::vector<DeliveryStatus> script_;
  size_t calls_ = 0;
  std::vector<OutgoingMail> delivered_;
};

struct EmailRow {
  std::string email_id;
  std::string trigger_type;
  std::string recipient;
  std::string subject;
  std::string status;
  int64_t attempts = 0;
};

class NotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-notifications-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    testing::create_topics(*bus_);
  }
  void TearDown() override {
    shut_down();
    std::filesystem::remove_all(dir_);
  }

  // Starts the service with the .eml backend, or with `mailer` when one is given. Without
  // `send`, emails are recorded but the sender does not run.
  void start(std::unique_ptr<Mailer> mailer = nullptr, bool send = true) {
    velocity::ServiceConfig config;
    config.name = "notifications";
    config.data_dir = dir_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    config.retry.tier_delays = {300ms, 1s, 5s};
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    Options options;
    options.sender.poll = 20ms;
    options.sender.retry_initial = 20ms;
    auto app = mailer ? Notifications::install(*service_, options, std::move(mailer))
                      : Notifications::install(*service_, options);
    ASSERT_TRUE(app) << app.error().message();
    app_ = std::move(*app);
    if (send) {
      ASSERT_TRUE(app_->start());
    }
    ASSERT_TRUE(service_->start());
  }

  void shut_down() {
    if (service_) service_->stop();
    app_.reset();
    service_.reset();
  }

  template <typename T>
  velocity::Event publish(const std::string& topic, const std::string& subject, const T& value) {
    auto event = velocity::make_event("/test", subject, value);
    publish_event(topic, event);
    return event;
  }
  void publish_event(const std::string& topic, const velocity::Event& event) {
    auto message = velocity::to_message(event, topic);
    ASSERT_TRUE(message);
    ASSERT_TRUE(bus_->publish(*message));
  }

  velocity::Event register_customer(const std::string& id, const std::string& email,
                                    const std::string& name) {
    return publish(kUsers, id, shop::UserRegistered{id, email, name});
  }

  std::vector<EmailRow> emails() {
    std::vector<EmailRow> rows;
    auto tx = service_->db().begin();
    EXPECT_TRUE(tx);
    auto row = tx->query(
        "SELECT email_id, trigger_type, recipient, subject, status, attempts FROM emails ORDER BY "
        "created_at, rowid");
    EXPECT_TRUE(row);
    while (*row->next()) {
      rows.push_back(
          {row->text(0), row->text(1), row->text(2), row->text(3), row->text(4), row->int64(5)});
    }
    return rows;
  }

  size_t count_with_status(std::string_view status) {
    size_t n = 0;
    for (const auto& email : emails()) n += email.status == status;
    return n;
  }

  std::filesystem::path mail_dir() const { return dir_ / "notifications" / "mail"; }

  // The .eml files written so far, by name.
  std::map<std::string, std::string> mail_files() const {
    std::map<std::string, std::string> files;
    if (!std::filesystem::exists(mail_dir())) return files;
    for (const auto& entry : std::filesystem::directory_iterator(mail_dir())) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      files[entry.path().filename().string()] = text.str();
    }
    return files;
  }

  std::vector<shop::EmailSent> emails_sent() {
    std::vector<shop::EmailSent> sent;
    for (const auto& message : bus_->messages(kNotifications)) {
      auto event = velocity::from_message(message);
      EXPECT_TRUE(event);
      auto value = velocity::decode<shop::EmailSent>(*event);
      EXPECT_TRUE(value);
      sent.push_back(*value);
    }
    return sent;
  }

  void interrupt_delivery_to_ada();  // sets ada_id_
  std::string ada_id_;

  std::string email_id_of(std::string_view recipient) {
    for (const auto& email : emails())
      if (email.recipient == recipient) return email.email_id;
    ADD_FAILURE() << "no email to " << recipient;
    return "";
  }

  std::filesystem::path dir_;
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  std::unique_ptr<Notifications> app_;
};

// The header block and the decoded body of a message.
std::pair<std::string, std::string> split_message(const std::string& message) {
  const auto end = message.find("\r\n\r\n");
  if (end == std::string::npos) return {message, ""};
  return {message.substr(0, end + 2), testing::decode_quoted_printable(message.substr(end + 4))};
}

TEST_F(NotificationsTest, ARegistrationSendsAWelcomeEmailAsAnEmlFileAndPublishesEmailSent) {
  start();
  const auto event = register_customer("cus_1", "ada@example.com", "Ada Lovelace");

  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 1; }));
  const auto files = mail_files();
  ASSERT_EQ(files.size(), 1u);
  const auto rows = emails();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "sent");
  EXPECT_EQ(files.begin()->first, rows[0].email_id + ".eml");
  EXPECT_TRUE(rows[0].email_id.starts_with("eml_"));

  const auto [headers, body] = split_message(files.begin()->second);
  EXPECT_NE(headers.find("From: Velocity Shop <shop@velocity.local>\r\n"), std::string::npos)
      << headers;
  EXPECT_NE(headers.find("To: Ada Lovelace <ada@example.com>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Subject: Welcome to Velocity Shop\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("\r\nDate: "), std::string::npos) << headers;
  EXPECT_NE(headers.find("Message-ID: <" + rows[0].email_id + "@velocity.local>\r\n"),
            std::string::npos)
      << headers;
  EXPECT_NE(headers.find("MIME-Version: 1.0\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos)
      << headers;
  EXPECT_NE(body.find("Hello Ada Lovelace,"), std::string::npos) << body;
  EXPECT_NE(body.find("ada@example.com"), std::string::npos) << body;
  // No temporary file is left behind.
  EXPECT_FALSE(files.begin()->first.starts_with("."));

  const auto sent = emails_sent();
  EXPECT_EQ(sent[0].email_id, rows[0].email_id);
  EXPECT_EQ(sent[0].customer_id, "cus_1");
  EXPECT_EQ(sent[0].to, "ada@example.com");
  EXPECT_EQ(sent[0].subject, "Welcome to Velocity Shop");
  EXPECT_EQ(sent[0].trigger_event_id, "/test/" + event.id);
  EXPECT_EQ(sent[0].trigger_type, shop::UserRegistered::kType);
  EXPECT_EQ(bus_->messages(kNotifications).front().key, "cus_1");
}

TEST_F(NotificationsTest, EachOrderEventSendsItsOwnEmailWithWhatTheCustomerNeedsToKnow) {
  start();
  register_customer("cus_1", "ada@example.com", "Ada");
  publish(kOrders, "ord_1", shop::OrderConfirmed{"ord_1", "cus_1", 2990, "EUR"});
  publish(kOrders, "ord_2",
          shop::OrderCancelled{"ord_2", "cus_1", "payment_declined", "Your card was declined."});
  publish(kShipping, "ord_1", shop::ShipmentDispatched{"ord_1", "cus_1", "shp_1", "TRK-42", {}});
  publish(kShipping, "ord_1", shop::ShipmentDelivered{"ord_1", "cus_1", "shp_1"});

  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 5; }));
  std::map<std::string, std::string> body_by_subject;
  for (const auto& [name, message] : mail_files()) {
    const auto [headers, body] = split_message(message);
    const auto start = headers.find("Subject: ") + 9;
    body_by_subject[headers.substr(start, headers.find("\r\n", start) - start)] = body;
    EXPECT_NE(headers.find("To: Ada <ada@example.com>\r\n"), std::string::npos) << headers;
  }
  ASSERT_EQ(body_by_subject.size(), 5u);
  EXPECT_NE(body_by_subject["Your order ord_1 is confirmed"].find("Total: €29.90"),
            std::string::npos)
      << body_by_subject["Your order ord_1 is confirmed"];
  EXPECT_NE(
      body_by_subject["Your order ord_2 was cancelled"].find("Reason: Your card was declined."),
      std::string::npos);
  EXPECT_NE(body_by_subject["Your order ord_1 is on its way"].find("Tracking number: TRK-42"),
            std::string::npos)
      << body_by_subject["Your order ord_1 is on its way"];
  EXPECT_NE(body_by_subject["Your order ord_1 was delivered"].find("ord_1 was delivered"),
            std::string::npos);
  EXPECT_EQ(body_by_subject.count("Welcome to Velocity Shop"), 1u);

  std::map<std::string, std::string> key_by_type;
  for (const auto& message : bus_->messages(kNotifications)) {
    auto sent = velocity::decode<shop::EmailSent>(*velocity::from_message(message));
    key_by_type[sent->trigger_type] = message.key;
  }
  EXPECT_EQ(key_by_type[std::string(shop::OrderConfirmed::kType)], "ord_1");
  EXPECT_EQ(key_by_type[std::string(shop::OrderCancelled::kType)], "ord_2");
}

TEST_F(NotificationsTest, ARedeliveredEventStillSendsOneEmail) {
  start();
  register_customer("cus_1", "ada@example.com", "Ada");
  const auto confirmed =
      publish(kOrders, "ord_1", shop::OrderConfirmed{"ord_1", "cus_1", 1000, "EUR"});
  publish_event(kOrders, confirmed);  // the same event id again
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 2; }));
  publish_event(kOrders, confirmed);  // and once more after its email went out
  const auto welcome_and_nothing_more = [&] {
    // A third delivery ends in the inbox; wait until the group has committed past it.
    int64_t committed = 0;
    for (int32_t p = 0; p < 2; ++p)
      committed += std::max<int64_t>(0, bus_->committed("notifications", kOrders, p));
    return committed == 3;
  };
  ASSERT_TRUE(eventually(welcome_and_nothing_more));

  EXPECT_EQ(emails().size(), 2u);
  EXPECT_EQ(mail_files().size(), 2u);
  EXPECT_EQ(emails_sent().size(), 2u);
}

TEST_F(NotificationsTest,
       AnOrderEventForAnUnknownCustomerIsRetriedAndSentOnceTheRegistrationArrives) {
  start();
  publish(kOrders, "ord_1", shop::OrderConfirmed{"ord_1", "cus_late", 4500, "EUR"});
  // The handler failed and the event went to the first retry tier: nothing was recorded.
  ASSERT_TRUE(eventually([&] { return !bus_->messages(kOrders + ".retry.1").empty(); }));
  EXPECT_TRUE(emails().empty());

  register_customer("cus_late", "late@example.com", "Late Comer");
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 2; }));
  const auto rows = emails();
  ASSERT_EQ(rows.size(), 2u);
  size_t confirmed = 0;
  for (const auto& row : rows) {
    EXPECT_EQ(row.recipient, "late@example.com");
    confirmed += row.subject == "Your order ord_1 is confirmed";
  }
  EXPECT_EQ(confirmed, 1u);
  EXPECT_TRUE(bus_->messages(kOrders + ".dlq").empty());
}

TEST_F(NotificationsTest, AProfileEmailChangeIsUsedForLaterMail) {
  start();
  register_customer("cus_1", "old@example.com", "Ada");
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 1; }));
  publish(kUsers, "cus_1", shop::ProfileUpdated{"cus_1", "new@example.com", "Ada L.", {}});
  ASSERT_TRUE(eventually([&] {
    auto tx = service_->db().begin();
    auto row = tx->query("SELECT email FROM customers WHERE customer_id = 'cus_1'");
    return *row->next() && row->text(0) == "new@example.com";
  }));
  publish(kOrders, "ord_1", shop::OrderConfirmed{"ord_1", "cus_1", 1000, "EUR"});
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 2; }));

  const auto sent = emails_sent();
  EXPECT_EQ(sent[0].to, "old@example.com");
  EXPECT_EQ(sent[1].to, "new@example.com");
  EXPECT_EQ(sent[1].subject, "Your order ord_1 is confirmed");
  bool found = false;
  for (const auto& [name, message] : mail_files()) {
    if (message.find("To: \"Ada L.\" <new@example.com>\r\n") != std::string::npos) found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(NotificationsTest, ARegistrationOvertakenByAProfileUpdateKeepsTheNewerAddress) {
  start();
  // The registration was retried and arrives after the profile change made later.
  auto registered = velocity::make_event("/test", "cus_1",
                                         shop::UserRegistered{"cus_1", "old@example.com", "Ada"});
  registered.time -= 1min;
  publish(kUsers, "cus_1", shop::ProfileUpdated{"cus_1", "new@example.com", "Ada", {}});
  publish_event(kUsers, registered);

  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 1; }));
  EXPECT_EQ(emails_sent()[0].to, "new@example.com");
  EXPECT_EQ(emails_sent()[0].subject, "Welcome to Velocity Shop");
}

TEST_F(NotificationsTest, AnInvalidEventIsDeadLetteredWithoutAnEmail) {
  start();
  publish(kUsers, "cus_1", shop::UserRegistered{"cus_1", "not an address", "Ada"});
  publish(kOrders, "ord_1", shop::OrderConfirmed{"", "cus_1", 1000, "EUR"});
  ASSERT_TRUE(eventually([&] {
    return bus_->messages(kUsers + ".dlq").size() == 1 &&
           bus_->messages(kOrders + ".dlq").size() == 1;
  }));
  EXPECT_TRUE(emails().empty());
  EXPECT_TRUE(mail_files().empty());
}

TEST_F(NotificationsTest, TheAdminRouteNeedsTheEdgeKeyAndListsEmailsByRecipient) {
  start();
  register_customer("cus_1", "ada@example.com", "Ada");
  register_customer("cus_2", "bob@example.com", "Bob");
  publish(kOrders, "ord_1", shop::OrderConfirmed{"ord_1", "cus_1", 1000, "EUR"});
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 3; }));
  const auto port = service_->http_port();
  const auto key = service_->edge_key();

  EXPECT_EQ(http_get(port, "/api/notifications/admin/emails").status, 401);
  EXPECT_EQ(
      http_get(port, "/api/notifications/admin/emails", {{"X-Velocity-Edge-Key", "wrong"}}).status,
      401);

  auto all = http_get(port, "/api/notifications/admin/emails", {{"X-Velocity-Edge-Key", key}});
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body["emails"].size(), 3u);

  auto ada = http_get(port, "/api/notifications/admin/emails?to=ADA%40example.com",
                      {{"X-Velocity-Edge-Key", key}});
  ASSERT_EQ(ada.status, 200);
  ASSERT_EQ(ada.body["emails"].size(), 2u);
  // Newest first.
  const auto& newest = ada.body["emails"][0];
  EXPECT_EQ(newest["to"], "ada@example.com");
  EXPECT_EQ(newest["subject"], "Your order ord_1 is confirmed");
  EXPECT_EQ(newest["trigger_type"], shop::OrderConfirmed::kType);
  EXPECT_TRUE(newest["trigger_event_id"].get<std::string>().starts_with("/test/"));
  EXPECT_TRUE(newest["email_id"].get<std::string>().starts_with("eml_"));
  EXPECT_TRUE(newest["sent_at"].is_string());
  EXPECT_EQ(newest["status"], "sent");

  auto empty =
      http_get(port, "/api/notifications/admin/emails?to=", {{"X-Velocity-Edge-Key", key}});
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.body["field"], "to");
}

// What a crash between the claim and the outcome leaves behind: Ada's email `sending`.
void NotificationsTest::interrupt_delivery_to_ada() {
  start(nullptr, /*send=*/false);
  register_customer("cus_1", "ada@example.com", "Ada");
  register_customer("cus_2", "bob@example.com", "Bob");
  ASSERT_TRUE(eventually([&] { return count_with_status("pending") == 2; }));
  ada_id_ = email_id_of("ada@example.com");
  shut_down();
  auto db = velocity::Database::open(dir_ / "notifications" / "notifications.db");
  ASSERT_TRUE(db);
  auto tx = (*db)->begin();
  ASSERT_TRUE(tx->execute(
      "UPDATE emails SET status = 'sending', attempts = 1 WHERE recipient = 'ada@example.com'"));
  ASSERT_TRUE(tx->commit());
}

TEST_F(NotificationsTest, AnEmailWhoseFileWasNotWrittenBeforeACrashIsSentOnceAtRestart) {
  ASSERT_NO_FATAL_FAILURE(interrupt_delivery_to_ada());
  // The interrupted attempt got as far as its temporary file.
  std::filesystem::create_directories(mail_dir());
  const auto ada_id = ada_id_;
  std::ofstream(mail_dir() / ("." + ada_id + ".eml.tmp")) << "half a mess";

  start();
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 2; }));
  for (const auto& row : emails()) {
    EXPECT_EQ(row.status, "sent") << row.recipient;
    EXPECT_EQ(row.attempts, 2 - (row.recipient == "bob@example.com")) << row.recipient;
  }
  const auto files = mail_files();
  ASSERT_EQ(files.size(), 2u);
  ASSERT_TRUE(files.contains(ada_id + ".eml"));
  EXPECT_NE(files.at(ada_id + ".eml").find("ada@example.com"), std::string::npos);
}

TEST_F(NotificationsTest, AnEmailWhoseFileWasInPlaceBeforeACrashIsRecordedSentNotWrittenAgain) {
  ASSERT_NO_FATAL_FAILURE(interrupt_delivery_to_ada());
  // The crash came after the rename, before the outcome was recorded.
  std::filesystem::create_directories(mail_dir());
  const auto ada_id = ada_id_;
  std::ofstream(mail_dir() / (ada_id + ".eml")) << "the message as written";

  start();
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 2; }));
  for (const auto& row : emails()) EXPECT_EQ(row.status, "sent") << row.recipient;
  EXPECT_EQ(mail_files().at(ada_id + ".eml"), "the message as written");
  EXPECT_EQ(mail_files().size(), 2u);
  std::set<std::string> recipients;
  for (const auto& sent : emails_sent()) recipients.insert(sent.to);
  EXPECT_EQ(recipients, (std::set<std::string>{"ada@example.com", "bob@example.com"}));
}

TEST_F(NotificationsTest, AnInterruptedEmailAMailerCannotAccountForIsMarkedUnknownAndNeverSent) {
  ASSERT_NO_FATAL_FAILURE(interrupt_delivery_to_ada());
  auto mailer = std::make_unique<ScriptedMailer>(std::vector<DeliveryStatus>{});
  auto* scripted = mailer.get();
  start(std::move(mailer));
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 1; }));
  EXPECT_EQ(emails_sent()[0].to, "bob@example.com");
  for (const auto& row : emails()) {
    EXPECT_EQ(row.status, row.recipient == "ada@example.com" ? "unknown" : "sent") << row.recipient;
  }
  // Woken again, the sender still leaves the unknown one alone.
  auto again = app_->sender().send_due({});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(scripted->calls(), 1u);
  EXPECT_EQ(emails_sent().size(), 1u);
}

TEST_F(NotificationsTest, ADeliveryThatMayHaveHappenedIsNeverRetried) {
  auto mailer = std::make_unique<ScriptedMailer>(std::vector{DeliveryStatus::kUncertain});
  auto* scripted = mailer.get();
  start(std::move(mailer));
  register_customer("cus_1", "ada@example.com", "Ada");
  ASSERT_TRUE(eventually([&] { return count_with_status("unknown") == 1; }));
  auto again = app_->sender().send_due({});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(scripted->calls(), 1u);
  EXPECT_TRUE(emails_sent().empty());
}

TEST_F(NotificationsTest, ADeliveryThatCertainlyFailedIsRetriedUntilItIsSent) {
  auto mailer = std::make_unique<ScriptedMailer>(
      std::vector{DeliveryStatus::kNotDelivered, DeliveryStatus::kNotDelivered});
  auto* scripted = mailer.get();
  start(std::move(mailer));
  register_customer("cus_1", "ada@example.com", "Ada");
  ASSERT_TRUE(eventually([&] { return emails_sent().size() == 1; }));
  EXPECT_EQ(scripted->calls(), 3u);
  const auto rows = emails();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "sent");
  EXPECT_EQ(rows[0].attempts, 3);
}

TEST_F(NotificationsTest, ARefusedDeliveryFailsWithoutAnotherTry) {
  auto mailer = std::make_unique<ScriptedMailer>(std::vector{DeliveryStatus::kRejected});
  auto* scripted = mailer.get();
  start(std::move(mailer));
  register_customer("cus_1", "ada@example.com", "Ada");
  ASSERT_TRUE(eventually([&] { return count_with_status("failed") == 1; }));
  auto again = app_->sender().send_due({});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(scripted->calls(), 1u);
  EXPECT_TRUE(emails_sent().empty());
}

TEST(NotificationsOptionsTest, ReadTheEnvironmentAndNameABadValue) {
  velocity::config::Env env([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_SMTP_URL") return "smtp://127.0.0.1:2525";
    if (name == "VELOCITY_SMTP_FROM") return "orders@shop.example";
    return std::nullopt;
  });
  auto options = Options::from_env(env);
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_EQ(options->smtp_url, "smtp://127.0.0.1:2525");
  EXPECT_EQ(options->sender.from, "orders@shop.example");

  auto defaults =
      Options::from_env(velocity::config::Env([](std::string_view) { return std::nullopt; }));
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->smtp_url.empty());
  EXPECT_EQ(defaults->sender.from, "shop@velocity.local");

  auto bad_url = Options::from_env(
      velocity::config::Env([](std::string_view name) -> std::optional<std::string> {
        if (name == "VELOCITY_SMTP_URL") return "http://127.0.0.1:2525";
        return std::nullopt;
      }));
  ASSERT_FALSE(bad_url);
  EXPECT_NE(bad_url.error().message().find("VELOCITY_SMTP_URL"), std::string::npos);

  auto bad_from = Options::from_env(
      velocity::config::Env([](std::string_view name) -> std::optional<std::string> {
        if (name == "VELOCITY_SMTP_FROM") return "shop";
        return std::nullopt;
      }));
  ASSERT_FALSE(bad_from);
  EXPECT_NE(bad_from.error().message().find("VELOCITY_SMTP_FROM"), std::string::npos);
}

TEST(NotificationsOnPostgres, RefusesToInstallNamingTheReason) {
  auto url = velocity::testing::fresh_postgres_database();
  ASSERT_TRUE(url) << url.error().message();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("velocity-notifications-pg-" + std::to_string(std::random_device{}()));
  velocity::ServiceConfig config;
  config.name = "notifications";
  config.data_dir = dir;
  config.database_url = *url;
  auto bus = std::make_shared<velocity::MemoryBus>();
  auto service = velocity::Service::create(config, bus, bus);
  ASSERT_TRUE(service) << service.error().message();
  auto installed = Notifications::install(**service, Options{});
  service->reset();
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(installed);
  EXPECT_EQ(installed.error().code, velocity::ErrorCode::kInvalidArgument);
  EXPECT_NE(installed.error().message().find("SQLite only"), std::string::npos) << installed.error().message();
  EXPECT_NE(installed.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos);
}

}  // namespace
}  // namespace notifications
