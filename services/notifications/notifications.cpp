#include "notifications/notifications.h"

#include <sodium.h>

#include <optional>

#include "notifications/mail_message.h"
#include "notifications/mail_templates.h"
#include "shop/events.h"
#include "velocity/router.h"
#include "velocity/trace.h"

namespace notifications {
namespace {

using velocity::ErrorCode;
using velocity::Event;
using velocity::fail;
using velocity::Result;
using velocity::Transaction;

struct Customer {
  std::string email;
  std::string name;
};

int64_t millis(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string new_email_id() {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string("eml_") + hex;
}

Result<std::optional<Customer>> find_customer(Transaction& tx, const std::string& customer_id) {
  auto row = tx.query("SELECT email, name FROM customers WHERE customer_id = ?", customer_id);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  return Customer{row->text(0), row->text(1)};
}

// Applies one user event to the read model. Events of one customer share a partition, but a
// retried one can come back after a later one; the newer event (by its time) wins. An empty
// email or name leaves the stored one as it is.
Result<void> upsert_customer(Transaction& tx, const std::string& customer_id,
                             const std::string& email, const std::string& name,
                             const Event& event) {
  auto written = tx.execute(
      "INSERT INTO customers (customer_id, email, name, updated_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(customer_id) DO UPDATE SET "
      "email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE customers.email END, "
      "name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END, "
      "updated_at = excluded.updated_at "
      "WHERE excluded.updated_at >= customers.updated_at",
      customer_id, email, name, millis(event.time));
  if (!written) return std::unexpected(written.error());
  return {};
}

std::string trigger_id(const Event& event) {
  return event.source + "/" + event.id;
}

Result<void> not_known_yet(std::string_view customer_id, const Event& event) {
  // Not poison: the registration is on its way (or being retried); this event is retried.
  return fail(ErrorCode::kNotFound, "customer " + std::string(customer_id) +
                                        " is not known yet (no UserRegistered); " + event.type +
                                        " " + event.id + " waits for it");
}

// Records the email a triggering event causes, once: a redelivered event finds its row.
Result<bool> record_email(Transaction& tx, const Event& event, const std::string& customer_id,
                          const std::string& order_id, const Customer& customer,
                          const ComposedMail& mail) {
  const auto now = millis(std::chrono::system_clock::now());
  const auto trace = velocity::trace::current();
  auto inserted = tx.execute(
      "INSERT INTO emails (email_id, trigger_event_id, trigger_type, trigger_subject, customer_id, "
      "order_id, "
      "recipient, recipient_name, subject, body, status, next_attempt_at, traceparent, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT(trigger_event_id) DO "
      "NOTHING",
      new_email_id(), trigger_id(event), event.type, event.subject, customer_id, order_id,
      customer.email, customer.name, mail.subject, mail.body, now,
      trace ? velocity::trace::format_traceparent(*trace) : "", now);
  if (!inserted) return std::unexpected(inserted.error());
  return *inserted > 0;
}

}  // namespace

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS customers (
  customer_id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  updated_at INTEGER NOT NULL          -- time (ms) of the newest event applied
);
CREATE TABLE IF NOT EXISTS emails (
  email_id TEXT PRIMARY KEY,
  trigger_event_id TEXT NOT NULL UNIQUE,  -- "<source>/<id>" of the event that caused it
  trigger_type TEXT NOT NULL,
  trigger_subject TEXT NOT NULL,       -- that event's subject: the key of EmailSent
  customer_id TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL,
  recipient_name TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,                -- pending | sending | sent | failed | unknown
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  traceparent TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX IF NOT EXISTS emails_due ON emails (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS emails_by_recipient ON emails (recipient COLLATE NOCASE, created_at);
)sql";

Result<Options> Options::from_env(const velocity::config::Env& env) {
  Options options;
  auto url = env.string("VELOCITY_SMTP_URL", "");
  if (!url) return std::unexpected(url.error());
  options.smtp_url = *url;
  if (!options.smtp_url.empty() && !options.smtp_url.starts_with("smtp://") &&
      !options.smtp_url.starts_with("smtps://")) {
    return fail(ErrorCode::kInvalidArgument,
                "VELOCITY_SMTP_URL: expected smtp://host:port, got " + options.smtp_url);
  }
  auto from = env.string("VELOCITY_SMTP_FROM", options.sender.from);
  if (!from) return std::unexpected(from.error());
  if (!is_valid_address(*from)) {
    return fail(ErrorCode::kInvalidArgument,
                "VELOCITY_SMTP_FROM: " + *from + " is not an email address");
  }
  options.sender.from = *from;
  auto timeout = env.duration("VELOCITY_SMTP_TIMEOUT", options.smtp_timeout);
  if (!timeout) return std::unexpected(timeout.error());
  options.smtp_timeout = *timeout;
  return options;
}

Result<std::unique_ptr<Notifications>> Notifications::install(velocity::Service& service,
                                                              Options options) {
  Result<std::unique_ptr<Mailer>> mailer =
      options.smtp_url.empty() ? make_file_mailer(service.config().service_dir() / "mail")
                               : make_smtp_mailer({options.smtp_url, options.smtp_timeout});
  if (!mailer) return std::unexpected(mailer.error());
  return install(service, std::move(options), std::move(*mailer));
}

Result<std::unique_ptr<Notifications>> Notifications::install(velocity::Service& service,
                                                              Options options,
                                                              std::unique_ptr<Mailer> mailer) {
  if (sodium_init() < 0) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  if (service.db().dialect() != velocity::SqlDialect::kSqlite) {
    return fail(ErrorCode::kInvalidArgument,
                "notifications runs on SQLite only: its email log is ordered by rowid and matched "
                "with COLLATE NOCASE; unset VELOCITY_DATABASE_URL for notifications");
  }
  if (auto migrated = service.migrate(kSchema); !migrated) return std::unexpected(migrated.error());
  std::unique_ptr<Notifications> app(
      new Notifications(service, std::move(mailer), std::move(options.sender)));
  app->register_handlers();
  app->register_routes();
  return app;
}

Notifications::Notifications(velocity::Service& service, std::unique_ptr<Mailer> mailer,
                             SenderOptions options)
    : service_(service), sender_(service, std::move(mailer), std::move(options)) {}

Notifications::~Notifications() {
  stop();
}

Result<void> Notifications::start() {
  auto recovered = sender_.recover();
  if (!recovered) return std::unexpected(recovered.error());
  sender_.start();
  return {};
}

void Notifications::stop() {
  sender_.stop();
}

void Notifications::register_handlers() {
  using shop::topics::kUsers;

  service_.on<shop::UserRegistered>(
      std::string(kUsers),
      [this](Transaction& tx, const shop::UserRegistered& user,
             const Event& event) -> Result<void> {
        if (user.customer_id.empty())
          return velocity::poison("UserRegistered " + event.id + " has no customer_id");
        if (!is_valid_address(user.email)) {
          return velocity::poison("UserRegistered " + event.id + ": email '" + user.email +
                                  "' is not an address");
        }
        if (auto applied = upsert_customer(tx, user.customer_id, user.email, user.name, event);
            !applied) {
          return applied;
        }
        // The newest known address and name: a profile change may have overtaken a retried
        // registration.
        auto customer = find_customer(tx, user.customer_id);
        if (!customer) return std::unexpected(customer.error());
        if (!*customer) return not_known_yet(user.customer_id, event);
        auto recorded = record_email(tx, event, user.customer_id, "", **customer,
                                     welcome_mail((*customer)->name, (*customer)->email));
        if (!recorded) return std::unexpected(recorded.error());
        if (*recorded) sender_.wake();
        return {};
      });

  service_.on<shop::ProfileUpdated>(
      std::string(kUsers),
      [](Transaction& tx, const shop::ProfileUpdated& profile, const Event& event) -> Result<void> {
        if (profile.customer_id.empty())
          return velocity::poison("ProfileUpdated " + event.id + " has no customer_id");
        if (!profile.email.empty() && !is_valid_address(profile.email)) {
          return velocity::poison("ProfileUpdated " + event.id + ": email '" + profile.email +
                                  "' is not an address");
        }
        if (profile.email.empty()) {
          // Without an address the change can only complete a customer we already know.
          auto customer = find_customer(tx, profile.customer_id);
          if (!customer) return std::unexpected(customer.error());
          if (!*customer) return not_known_yet(profile.customer_id, event);
        }
        return upsert_customer(tx, profile.customer_id, profile.email, profile.name, event);
      });

  // Every order email: the customer must be known; until the registration arrives the event
  // is retried. `compose(name, event)` gives the subject and body.
  auto on_order_event = [this]<typename T>(std::string_view topic,
                                           ComposedMail (*compose)(std::string_view, const T&)) {
    service_.on<T>(
        std::string(topic),
        [this, compose](Transaction& tx, const T& value, const Event& event) -> Result<void> {
          if (value.order_id.empty() || value.customer_id.empty()) {
            return velocity::poison(event.type + " " + event.id +
                                    " needs order_id and customer_id");
          }
          auto customer = find_customer(tx, value.customer_id);
          if (!customer) return std::unexpected(customer.error());
          if (!*customer) return not_known_yet(value.customer_id, event);
          auto recorded = record_email(tx, event, value.customer_id, value.order_id, **customer,
                                       compose((*customer)->name, value));
          if (!recorded) return std::unexpected(recorded.error());
          if (*recorded) sender_.wake();
          return {};
        });
  };
  on_order_event(shop::topics::kOrders, &order_confirmed_mail);
  on_order_event(shop::topics::kOrders, &order_cancelled_mail);
  on_order_event(shop::topics::kShipping, &order_dispatched_mail);
  on_order_event(shop::topics::kShipping, &order_delivered_mail);
}

}  // namespace notifications
