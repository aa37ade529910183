// The notifications service: keeps a read model of customers (email, name) from shop.users and
// sends one email per triggering event — welcome on UserRegistered, and order confirmed,
// cancelled, dispatched and delivered — over SMTP or into .eml files. The event handlers only
// record an email as `pending` inside the inbox transaction; MailSender delivers it afterwards,
// at most once (see mail_sender.h). Admin route: GET /api/notifications/admin/emails?to=.
//
//   auto app = notifications::Notifications::install(service, options);  // before service.start()
//   app->start(); service.start();  ...  app->stop(); service.stop();      // sender inside the
//   service's life
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "notifications/mail_sender.h"
#include "notifications/mailer.h"
#include "velocity/config.h"
#include "velocity/result.h"
#include "velocity/service.h"

namespace notifications {

struct Options {
  std::string smtp_url;  // VELOCITY_SMTP_URL (smtp://host:port); empty: .eml files in
                         // <data>/notifications/mail
  std::chrono::milliseconds smtp_timeout{std::chrono::seconds(30)};  // VELOCITY_SMTP_TIMEOUT
  SenderOptions sender;  // sender.from: VELOCITY_SMTP_FROM (default shop@velocity.local)

  [[nodiscard]] static velocity::Result<Options> from_env(const velocity::config::Env& env = {});
};

// The table every email is recorded in; `trigger_event_id` ("<source>/<id>") is unique, so
// one triggering event never yields two emails.
extern const char* const kSchema;

class Notifications {
 public:
  // Registers schema, event handlers and routes on `service` (not yet started), with the mailer
  // the options name.
  [[nodiscard]] static velocity::Result<std::unique_ptr<Notifications>> install(
      velocity::Service& service, Options options);
  // The same with a given mailer (tests).
  [[nodiscard]] static velocity::Result<std::unique_ptr<Notifications>> install(
      velocity::Service& service, Options options, std::unique_ptr<Mailer> mailer);
  ~Notifications();
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;

  // Recovers emails interrupted by the last stop (→ unknown) and starts the sender.
  [[nodiscard]] velocity::Result<void> start();
  void stop();
  MailSender& sender() { return sender_; }

 private:
  Notifications(velocity::Service& service, std::unique_ptr<Mailer> mailer, SenderOptions options);
  void register_handlers();
  void register_routes();

  velocity::Service& service_;
  MailSender sender_;
};

}  // namespace notifications
