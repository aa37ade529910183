// MailSender: delivers the emails the event handlers recorded as `pending`, each at most once,
// on one background thread, and publishes EmailSent for each one delivered.
//
// An email moves pending → sending → sent | pending (retry later) | failed | unknown. The
// claim (→ sending) commits before the delivery starts and the outcome commits after it, with
// EmailSent in the same transaction as `sent`. A crash between the two leaves `sending`,
// which recover() settles at the next start by asking the mailer: delivered (the .eml file is
// in place) → `sent`; certainly not → `pending` again; no way to tell (SMTP) → `unknown`,
// never sent again: a second copy is the one thing we promise not to send.
// Thread-safe: wake() may be called from any thread, including inside a transaction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "notifications/mailer.h"
#include "velocity/result.h"
#include "velocity/service.h"

namespace notifications {

struct SenderOptions {
  std::string from = "shop@velocity.local";
  std::string from_name = "Velocity Shop";
  // How often due mail is looked for when nobody wakes the sender (retries come due this way).
  std::chrono::milliseconds poll{std::chrono::seconds(1)};
  // Waits before another try of an email that was certainly not delivered: doubling from
  // `retry_initial` up to `retry_max`; after `max_attempts` tries it is `failed`.
  std::chrono::milliseconds retry_initial{std::chrono::seconds(5)};
  std::chrono::milliseconds retry_max{std::chrono::minutes(10)};
  int max_attempts = 8;
};

class MailSender {
 public:
  MailSender(velocity::Service& service, std::unique_ptr<Mailer> mailer, SenderOptions options);
  ~MailSender();
  MailSender(const MailSender&) = delete;
  MailSender& operator=(const MailSender&) = delete;

  // Settles every email a previous run left `sending` (see above); returns how many there
  // were. Call before start().
  [[nodiscard]] velocity::Result<int64_t> recover();
  void start();
  // Finishes the delivery in progress (or aborts it, see Mailer::deliver) and joins.
  void stop();
  // Something may be due: look now rather than at the next poll.
  void wake();

  // Claims and delivers due pending emails one by one until none is due or `stop` is
  // requested; returns how many deliveries it attempted. The thread runs this in a loop.
  [[nodiscard]] velocity::Result<size_t> send_due(std::stop_token stop);

  const Mailer& mailer() const { return *mailer_; }

 private:
  struct Claimed;
  velocity::Result<std::optional<Claimed>> claim_next();
  velocity::Result<void> record(const Claimed& email, const DeliveryResult& result);
  velocity::Result<void> requeue(const Claimed& email, const std::string& why);
  static Claimed read_claimed(const velocity::Statement& row);
  void run(std::stop_token stop);

  velocity::Service& service_;
  std::unique_ptr<Mailer> mailer_;
  SenderOptions options_;
  std::mutex mutex_;
  std::condition_variable_any woken_cv_;
  bool woken_ = false;
  std::jthread thread_;
};

}  // namespace notifications
