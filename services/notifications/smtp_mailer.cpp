// The SMTP backend of Mailer (mailer.h), on libcurl's easy interface: one connection per
// message, which keeps the classification of failures simple and exact.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "notifications/mailer.h"

namespace notifications {
namespace {

using velocity::ErrorCode;
using velocity::fail;

struct Upload {
  std::string_view rest;
  bool finished = false;  // libcurl has the whole message, and sends the final "." after it
  std::stop_token stop;
};

size_t read_message(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  if (n == 0) upload->finished = true;
  return n;
}

int abort_on_stop(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Upload*>(user)->stop.stop_requested() ? 1 : 0;
}

// The URL without user:password, for logs.
std::string without_credentials(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto host = scheme + 3;
  const auto at = url.find('@', host);
  const auto slash = url.find('/', host);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpOptions options) : options_(std::move(options)) {}

  DeliveryResult deliver(const OutgoingMail& mail, std::stop_token stop) override {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return {DeliveryStatus::kNotDelivered, "libcurl: cannot create a handle"};
    const std::string from = "<" + mail.from + ">";
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
        curl_slist_append(nullptr, ("<" + mail.to + ">").c_str()), curl_slist_free_all);
    Upload upload{mail.message, false, std::move(stop)};
    char error_buffer[CURL_ERROR_SIZE] = {};
    const long timeout = static_cast<long>(options_.timeout.count());

    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &upload);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout, 10000L));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);

    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) return {DeliveryStatus::kDelivered, "accepted by " + describe()};
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    const std::string detail =
        fmt::format("{}: {} (last reply {})", describe(),
                    error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc), reply);
    return {classify(rc, upload.finished, reply), detail};
  }

  std::string describe() const override { return without_credentials(options_.url); }

 private:
  // A server accepts a message only by its reply to the final "." after the data. Before
  // libcurl has read the whole message that "." cannot have been sent; a failed socket write
  // means it did not leave; a reply to it (4xx, 5xx) is a refusal. Anything else after the
  // data — a lost connection, a timeout — leaves acceptance unknown.
  static DeliveryStatus classify(CURLcode rc, bool finished, long reply) {
    const bool refused_for_good = reply >= 500;
    if (!finished || rc == CURLE_SEND_ERROR) {
      return refused_for_good ? DeliveryStatus::kRejected : DeliveryStatus::kNotDelivered;
    }
    if (refused_for_good) return DeliveryStatus::kRejected;
    if (reply >= 400) return DeliveryStatus::kNotDelivered;
    return DeliveryStatus::kUncertain;
  }

  SmtpOptions options_;
};

}  // namespace

velocity::Result<std::unique_ptr<Mailer>> make_smtp_mailer(SmtpOptions options) {
  if (!options.url.starts_with("smtp://") && !options.url.starts_with("smtps://")) {
    return fail(
        ErrorCode::kInvalidArgument,
        "VELOCITY_SMTP_URL: " + without_credentials(options.url) + " is not smtp://host:port");
  }
  static std::once_flag initialised;
  static CURLcode global = CURLE_OK;
  std::call_once(initialised, [] { global = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global != CURLE_OK) {
    return fail(ErrorCode::kInternal, std::string("libcurl: ") + curl_easy_strerror(global));
  }
  return std::make_unique<SmtpMailer>(std::move(options));
}

}  // namespace notifications
