// The .eml backend of Mailer (mailer.h): one file per message under one folder.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "notifications/mailer.h"

namespace notifications {
namespace {

using velocity::ErrorCode;
using velocity::fail;

class FileMailer final : public Mailer {
 public:
  explicit FileMailer(std::filesystem::path dir) : dir_(std::move(dir)) {}

  DeliveryResult deliver(const OutgoingMail& mail, std::stop_token) override {
    if (!valid_id(mail.email_id)) {
      return {DeliveryStatus::kRejected, "email id " + mail.email_id + " cannot name a file"};
    }
    const auto final_path = dir_ / (mail.email_id + ".eml");
    const auto temp_path = dir_ / ("." + mail.email_id + ".eml.tmp");
    // Nothing is visible under the final name until rename(), so every failure before it
    // leaves the message certainly undelivered.
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return not_delivered("create", temp_path);
    std::string_view rest = mail.message;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        auto result = not_delivered("write", temp_path);
        ::close(fd);
        ::unlink(temp_path.c_str());
        return result;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    if (::fsync(fd) != 0) {
      auto result = not_delivered("fsync", temp_path);
      ::close(fd);
      ::unlink(temp_path.c_str());
      return result;
    }
    ::close(fd);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      auto result = not_delivered("rename", final_path);
      ::unlink(temp_path.c_str());
      return result;
    }
    // The file is in place; syncing the folder makes the rename survive a power cut. Should
    // that sync fail the message is still there, so it counts as delivered.
    sync_dir();
    return {DeliveryStatus::kDelivered, "written to " + final_path.string()};
  }

  // The rename either happened or it did not: the final name answers. A half-written
  // temporary file from the interrupted attempt is removed so the retry starts clean.
  std::optional<bool> was_delivered(const std::string& email_id) override {
    if (!valid_id(email_id)) return false;
    std::error_code ec;
    if (std::filesystem::exists(dir_ / (email_id + ".eml"), ec)) {
      sync_dir();  // the rename may not have been made durable before the stop
      return true;
    }
    if (ec) return std::nullopt;
    std::filesystem::remove(dir_ / ("." + email_id + ".eml.tmp"), ec);
    return false;
  }

  std::string describe() const override { return ".eml files in " + dir_.string(); }

 private:
  static bool valid_id(const std::string& id) {
    return !id.empty() &&
           id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
               std::string::npos;
  }

  void sync_dir() const {
    if (const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
      (void)::fsync(dir_fd);
      ::close(dir_fd);
    }
  }

  static DeliveryResult not_delivered(std::string_view what, const std::filesystem::path& path) {
    return {DeliveryStatus::kNotDelivered,
            std::string(what) + " " + path.string() + ": " + std::strerror(errno)};
  }

  std::filesystem::path dir_;
};

}  // namespace

velocity::Result<std::unique_ptr<Mailer>> make_file_mailer(std::filesystem::path dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, "mail folder " + dir.string() + ": " + ec.message());
  return std::make_unique<FileMailer>(std::move(dir));
}

}  // namespace notifications
