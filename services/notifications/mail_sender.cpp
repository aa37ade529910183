#include "notifications/mail_sender.h"

#include <algorithm>

#include "common/log.h"
#include "notifications/mail_message.h"
#include "shop/events.h"
#include "velocity/trace.h"

namespace notifications {
namespace {

using namespace std::chrono_literals;
using velocity::Result;

int64_t to_millis(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

int64_t now_millis() {
  return to_millis(std::chrono::system_clock::now());
}

}  // namespace

struct MailSender::Claimed {
  std::string email_id;
  std::string trigger_event_id;
  std::string trigger_type;
  std::string trigger_subject;
  std::string customer_id;
  std::string recipient;
  std::string recipient_name;
  std::string subject;
  std::string body;
  int64_t created_at = 0;
  int64_t attempts = 0;  // including this one
  std::string traceparent;
};

MailSender::MailSender(velocity::Service& service, std::unique_ptr<Mailer> mailer,
                       SenderOptions options)
    : service_(service), mailer_(std::move(mailer)), options_(std::move(options)) {}

MailSender::~MailSender() {
  stop();
}

// The columns a Claimed is read from, in its order.
constexpr std::string_view kClaimedColumns =
    "email_id, trigger_event_id, trigger_type, trigger_subject, customer_id, recipient, "
    "recipient_name, subject, body, created_at, attempts, traceparent";

MailSender::Claimed MailSender::read_claimed(const velocity::Statement& row) {
  return Claimed{row.text(0), row.text(1), row.text(2),  row.text(3),  row.text(4), row.text(5),
                 row.text(6), row.text(7), row.text(8),  row.int64(9), row.int64(10),
                 row.text(11)};
}

Result<int64_t> MailSender::recover() {
  std::vector<Claimed> interrupted;
  {
    auto tx = service_.db().begin();
    if (!tx) return std::unexpected(tx.error());
    auto row = tx->query(std::string("SELECT ") + std::string(kClaimedColumns) +
                         " FROM emails WHERE status = 'sending' ORDER BY created_at");
    if (!row) return std::unexpected(row.error());
    while (true) {
      auto found = row->next();
      if (!found) return std::unexpected(found.error());
      if (!*found) break;
      interrupted.push_back(read_claimed(*row));
    }
  }
  // Ask the mailer what became of each one. Only a delivery it can vouch for is recorded as
  // sent, only one it can rule out is tried again; any doubt leaves the email `unknown`.
  for (const auto& email : interrupted) {
    const auto delivered = mailer_->was_delivered(email.email_id);
    Result<void> recorded;
    if (!delivered) {
      recorded = record(email, {DeliveryStatus::kUncertain,
                                "the sender stopped during delivery: it may or may not have "
                                "been sent"});
    } else if (*delivered) {
      recorded = record(email, {DeliveryStatus::kDelivered, "found delivered after a restart"});
    } else {
      recorded = requeue(email, "the sender stopped before delivery; sent again");
    }
    if (!recorded) return std::unexpected(recorded.error());
  }
  return static_cast<int64_t>(interrupted.size());
}

Result<void> MailSender::requeue(const Claimed& email, const std::string& why) {
  auto tx = service_.db().begin();
  if (!tx) return std::unexpected(tx.error());
  auto updated = tx->execute(
      "UPDATE emails SET status = 'pending', next_attempt_at = ?, last_error = ? "
      "WHERE email_id = ? AND status = 'sending'",
      now_millis(), why, email.email_id);
  if (!updated) return std::unexpected(updated.error());
  velocity::log::warn("email {} to {}: {}", email.email_id, email.recipient, why);
  return tx->commit();
}

void MailSender::start() {
  if (thread_.joinable()) return;
  velocity::log::info("delivering mail to {}", mailer_->describe());
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void MailSender::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  woken_cv_.notify_all();
  thread_.join();
}

void MailSender::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  woken_cv_.notify_all();
}

void MailSender::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (auto sent = send_due(stop); !sent) {
      velocity::log::error("sending mail: {}", sent.error().message());
    }
    std::unique_lock lock(mutex_);
    woken_cv_.wait_for(lock, stop, options_.poll, [&] { return woken_; });
    woken_ = false;
  }
}

Result<size_t> MailSender::send_due(std::stop_token stop) {
  size_t attempted = 0;
  while (!stop.stop_requested()) {
    auto claimed = claim_next();
    if (!claimed) return std::unexpected(claimed.error());
    if (!*claimed) break;
    const Claimed& email = **claimed;

    MailMessage message;
    message.message_id = email.email_id + "@" + std::string(domain_of(options_.from));
    message.from_address = options_.from;
    message.from_name = options_.from_name;
    message.to_address = email.recipient;
    message.to_name = email.recipient_name;
    message.subject = email.subject;
    message.body = email.body;
    message.date =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(email.created_at));
    const auto result =
        mailer_->deliver({email.email_id, options_.from, email.recipient, render(message)}, stop);
    ++attempted;

    // The outcome must be recorded: until it is, the row says `sending`. Keep trying while
    // the database refuses; if we are stopped first, the next start marks it `unknown`.
    auto backoff = 50ms;
    while (true) {
      auto recorded = record(email, result);
      if (recorded) break;
      velocity::log::error("recording the delivery of {}: {}", email.email_id,
                           recorded.error().message());
      std::unique_lock lock(mutex_);
      woken_cv_.wait_for(lock, stop, backoff, [] { return false; });
      if (stop.stop_requested()) return attempted;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2s));
    }
  }
  return attempted;
}

Result<std::optional<MailSender::Claimed>> MailSender::claim_next() {
  auto tx = service_.db().begin();
  if (!tx) return std::unexpected(tx.error());
  auto row = tx->query(std::string("SELECT ") + std::string(kClaimedColumns) +
                           " FROM emails WHERE status = 'pending' AND next_attempt_at <= ? "
                           "ORDER BY next_attempt_at, created_at LIMIT 1",
                       now_millis());
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  Claimed email = read_claimed(*row);
  ++email.attempts;
  auto claimed =
      tx->execute("UPDATE emails SET status = 'sending', attempts = ? WHERE email_id = ?",
                  email.attempts, email.email_id);
  if (!claimed) return std::unexpected(claimed.error());
  // Durable before the first byte leaves: this is what makes a crash look like `sending`.
  if (auto committed = tx->commit(); !committed) return std::unexpected(committed.error());
  return email;
}

Result<void> MailSender::record(const Claimed& email, const DeliveryResult& result) {
  auto tx = service_.db().begin();
  if (!tx) return std::unexpected(tx.error());
  // `unknown` too: another instance starting on the same database may have marked it so.
  constexpr std::string_view kWhere = " WHERE email_id = ? AND status IN ('sending', 'unknown')";
  Result<int64_t> updated = 0;
  switch (result.status) {
    case DeliveryStatus::kDelivered: {
      updated = tx->execute(
          std::string("UPDATE emails SET status = 'sent', sent_at = ?, last_error = ''") +
              std::string(kWhere),
          now_millis(), email.email_id);
      if (!updated) return std::unexpected(updated.error());
      if (*updated == 0) break;  // no longer ours to report
      std::optional<velocity::trace::Scope> scope;
      if (auto parent = velocity::trace::parse_traceparent(email.traceparent))
        scope.emplace(*parent);
      auto emitted =
          service_.emit(*tx, shop::topics::kNotifications, email.trigger_subject,
                        shop::EmailSent{email.email_id, email.customer_id, email.recipient,
                                        email.subject, email.trigger_event_id, email.trigger_type});
      if (!emitted) return std::unexpected(emitted.error());
      velocity::log::info("email {} to {} sent: {}", email.email_id, email.recipient,
                          email.subject);
      break;
    }
    case DeliveryStatus::kNotDelivered:
      if (email.attempts < options_.max_attempts) {
        auto delay = options_.retry_initial;
        for (int64_t i = 1; i < email.attempts && delay < options_.retry_max; ++i) delay *= 2;
        delay = std::min(delay, options_.retry_max);
        updated =
            tx->execute(std::string("UPDATE emails SET status = 'pending', next_attempt_at = ?, "
                                    "last_error = ?") +
                            std::string(kWhere),
                        now_millis() + delay.count(), result.detail, email.email_id);
        velocity::log::warn("email {} not delivered (try {} of {}), again in {} ms: {}",
                            email.email_id, email.attempts, options_.max_attempts, delay.count(),
                            result.detail);
        break;
      }
      [[fallthrough]];
    case DeliveryStatus::kRejected:
      updated = tx->execute(
          std::string("UPDATE emails SET status = 'failed', last_error = ?") + std::string(kWhere),
          result.detail, email.email_id);
      velocity::log::error("email {} to {} failed: {}", email.email_id, email.recipient,
                           result.detail);
      break;
    case DeliveryStatus::kUncertain:
      updated = tx->execute(
          std::string("UPDATE emails SET status = 'unknown', last_error = ?") + std::string(kWhere),
          result.detail, email.email_id);
      velocity::log::error("email {} to {} may or may not have been delivered; not resent: {}",
                           email.email_id, email.recipient, result.detail);
      break;
  }
  if (!updated) return std::unexpected(updated.error());
  return service_.commit(*tx);
}

}  // namespace notifications
