// The whole store as real processes for end-to-end tests: velocity-broker, the eight services
// and the gateway on free ports, supervised exactly as `velocity up` does, plus an SMTP server
// we did not write (tests/smtp) receiving the mail. Tests talk to it over HTTP like a browser.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/checker.h"
#include "supervisor/supervisor.h"
#include "supervisor/up.h"

namespace velocity::e2e {

struct HttpResult {
  int status = 0;
  nlohmann::json body;  // discarded (is_discarded()) when the body is not JSON
  std::string raw;
};

// One HTTP/1.1 request on a fresh connection; status 0 when nothing answered.
HttpResult http(uint16_t port, const std::string& method, const std::string& target,
                const nlohmann::json* body = nullptr,
                const std::vector<std::pair<std::string, std::string>>& headers = {});

struct Customer {
  std::string id;
  std::string email;
  std::string token;
};

class Store {
 public:
  // Extra environment for every process (e.g. shipping delays).
  explicit Store(std::map<std::string, std::string> env = {});
  ~Store();

  uint16_t gateway_port() const { return port_of("gateway"); }
  uint16_t port_of(const std::string& member) const;
  pid_t pid_of(const std::string& member) const { return supervisor_->pid(member); }
  int restarts_of(const std::string& member) const { return supervisor_->restarts(member); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::string edge_key() const;

  // Through the gateway, as the given customer (empty token: anonymous).
  HttpResult call(const std::string& method, const std::string& target, const nlohmann::json* body = nullptr,
                  const std::string& token = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) const;
  // Straight to a service with the edge key (admin routes).
  HttpResult admin(const std::string& service, const std::string& method, const std::string& target,
                   const nlohmann::json* body = nullptr) const;

  Customer register_customer(const std::string& name);
  // Checks out `lines` ([{sku, quantity}]) at the catalogue's prices; returns the order JSON.
  nlohmann::json checkout(const Customer& customer, const std::vector<std::pair<std::string, int>>& lines,
                          const std::string& card = "4242 4242 4242 4242", std::string idempotency_key = {});
  // Polls the order until its status is one of `statuses` (or the bound passes); returns it.
  nlohmann::json wait_for_status(const Customer& customer, const std::string& order_id,
                                 const std::vector<std::string>& statuses,
                                 std::chrono::seconds bound = std::chrono::seconds(60)) const;
  // Units of the SKU inventory has to sell; -1 when unknown.
  int64_t available(const std::string& sku) const;
  // Sets the SKU's available units to exactly `units` with an admin adjustment.
  void set_available(const std::string& sku, int64_t units);
  int64_t price_of(const std::string& sku) const;

  // Waits until the store is quiet (every invariant holds, or the bound passes) and returns
  // the invariant checker's verdict.
  checker::Verdict check_when_quiet(std::chrono::seconds bound = std::chrono::seconds(60)) const;
  // Mail the SMTP server received so far: one JSON object per message.
  std::vector<nlohmann::json> mail() const;
  // The processes' interleaved log, for failure messages.
  std::string log_tail(size_t bytes = 8000) const;

 private:
  void wait_for_catalogue();

  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<supervisor::LogMux> log_;
  std::vector<supervisor::Member> members_;
  std::unique_ptr<supervisor::Supervisor> supervisor_;
  std::atomic<bool> stop_{false};
  std::thread watcher_;
  std::unique_ptr<supervisor::Process> smtp_;
  std::filesystem::path mail_path_;
  mutable std::map<std::string, int64_t> prices_;
};

}  // namespace velocity::e2e
