// Mailer: where a rendered message goes — an SMTP server (libcurl) or a folder of .eml files.
// What matters to the caller is not only success but whether a failed delivery may still have
// reached the recipient, because the service sends each email at most once: only a delivery
// that certainly did not happen may be tried again. One Mailer is used by one thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "velocity/result.h"

namespace notifications {

enum class DeliveryStatus {
  kDelivered,     // the server accepted the message (or the file is in place)
  kNotDelivered,  // certainly not delivered, and worth another try later (no connection, 4xx)
  kRejected,      // certainly not delivered, and refused for good (5xx)
  kUncertain,     // the whole message went out but its acceptance was never confirmed
};

struct DeliveryResult {
  DeliveryStatus status = DeliveryStatus::kNotDelivered;
  std::string detail;  // why, in words, for logs and the emails table
};

struct OutgoingMail {
  std::string email_id;  // names the .eml file
  std::string from;      // envelope sender address
  std::string to;        // envelope recipient address
  std::string message;   // RFC 5322 text with CRLF line ends (see mail_message.h)
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers one message; a requested stop aborts a delivery still in progress.
  virtual DeliveryResult deliver(const OutgoingMail& mail, std::stop_token stop) = 0;
  // After a stop in the middle of deliver(): whether the message with this id certainly
  // reached its destination (true), certainly did not (false), or nobody can tell (nullopt,
  // the default: an SMTP server may have accepted it without our hearing so).
  virtual std::optional<bool> was_delivered(const std::string& email_id) {
    (void)email_id;
    return std::nullopt;
  }
  // "smtp://127.0.0.1:2525", "files in <dir>": for the start-up log line.
  virtual std::string describe() const = 0;
};

// Writes each message to <dir>/<email_id>.eml: a temporary file, fsynced, renamed into place,
// the directory fsynced, so a reader never sees half a message. Creates `dir` if needed.
// Because the rename is the delivery, it can always tell afterwards whether one happened.
[[nodiscard]] velocity::Result<std::unique_ptr<Mailer>> make_file_mailer(std::filesystem::path dir);

struct SmtpOptions {
  std::string url;  // smtp://host:port or smtps://host:port, optionally with user:password@
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // for one whole delivery
};
// Sends over SMTP with libcurl. Fails (kInvalidArgument) for a URL of another scheme.
[[nodiscard]] velocity::Result<std::unique_ptr<Mailer>> make_smtp_mailer(SmtpOptions options);

}  // namespace notifications
