#include "e2e/store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "supervisor/probe.h"
#include "toolkit/service/test_kit.h"

namespace velocity::e2e {
namespace {

using namespace std::chrono_literals;

std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() % 1'000'000'000);
}

}  // namespace

HttpResult http(uint16_t port, const std::string& method, const std::string& target, const nlohmann::json* body,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  auto all = headers;
  if (body) all.emplace_back("Content-Type", "application/json");
  try {
    auto reply = velocity::testing::http(port, method, target, body ? body->dump() : std::string(), all);
    return HttpResult{reply.status, std::move(reply.body), std::move(reply.raw)};
  } catch (const std::exception& e) {
    return HttpResult{0, nlohmann::json(), e.what()};
  }
}

Store::Store(std::map<std::string, std::string> env) {
  data_dir_ = std::filesystem::temp_directory_path() / ("velocity-e2e-" + random_suffix());
  std::filesystem::create_directories(data_dir_);
  log_path_ = data_dir_ / "processes.log";
  log_file_ = std::fopen(log_path_.c_str(), "w");
  log_ = std::make_unique<supervisor::LogMux>(supervisor::LogMuxOptions{}, log_file_);

  // The SMTP server first, so that notifications can send from its first event.
  mail_path_ = data_dir_ / "mail.jsonl";
  const uint16_t smtp_port = supervisor::free_port();
  const char* node = "/usr/bin/node";
  for (const char* candidate : {"/usr/bin/node", "/usr/local/bin/node"}) {
    if (::access(candidate, X_OK) == 0) {
      node = candidate;
      break;
    }
  }
  supervisor::ProcessSpec smtp_spec;
  smtp_spec.argv = {node, VELOCITY_SMTP_DIR "/smtp_sink.js", std::to_string(smtp_port), mail_path_.string()};
  auto smtp = supervisor::Process::spawn(
      smtp_spec, [log = log_.get()](std::string_view line) { log->child("smtp", "smtp", line); });
  if (!smtp) throw std::runtime_error("cannot start the test SMTP server: " + smtp.error().message());
  smtp_ = std::move(*smtp);
  const auto smtp_deadline = std::chrono::steady_clock::now() + 20s;
  while (!supervisor::tcp_accepts("127.0.0.1", smtp_port, 200ms)) {
    if (smtp_->poll() || std::chrono::steady_clock::now() > smtp_deadline) {
      throw std::runtime_error("the test SMTP server (tests/smtp, run scripts/setup) did not start: " + log_tail());
    }
    std::this_thread::sleep_for(50ms);
  }

  supervisor::UpOptions o;
  o.data_dir = data_dir_;
  o.free_ports = true;
  o.bin_dir = VELOCITY_BIN_DIR;
  o.web_dir = VELOCITY_WEB_DIR;
  o.env = {{"VELOCITY_SMTP_URL", "smtp://127.0.0.1:" + std::to_string(smtp_port)},
           {"VELOCITY_LOG_LEVEL", "info"},
           {"VELOCITY_OUTBOX_POLL", "50ms"},
           {"VELOCITY_TIMER_POLL", "50ms"},
           {"VELOCITY_RETRY_DELAYS", "200ms,1s,2s"},
           {"VELOCITY_TOPIC_PARTITIONS", "2"},
           {"VELOCITY_DB_DURABILITY", "normal"},
           {"VELOCITY_SHIPPING_DISPATCH_AFTER", "2s"},
           {"VELOCITY_SHIPPING_DELIVER_AFTER", "1s"}};
  for (auto& [k, v] : env) o.env[k] = v;
  o.supervisor.first_backoff = 200ms;
  o.supervisor.max_backoff = 2s;
  o.supervisor.stop_grace = 10s;
  o.supervisor.ready_timeout = 120s;
  auto members = supervisor::plan(o);
  if (!members) throw std::runtime_error(members.error().message());
  members_ = *members;
  supervisor_ = std::make_unique<supervisor::Supervisor>(std::move(*members), o.supervisor, *log_);
  if (auto started = supervisor_->start(stop_); !started) {
    throw std::runtime_error("the store did not start: " + started.error().message() + "\n" + log_tail());
  }
  watcher_ = std::thread([this] { supervisor_->supervise(stop_); });
  wait_for_catalogue();
}

// Ready processes are not yet a settled store: cart and orders learn the catalogue from
// catalog's events a moment after start. Wait until both know one SKU of every product.
void Store::wait_for_catalogue() {
  std::vector<std::string> skus;
  auto products = call("GET", "/api/catalog/products?limit=100");
  if (products.status != 200) throw std::runtime_error("the catalogue does not answer: " + products.raw);
  for (const auto& p : products.body["products"]) skus.push_back(p["skus"][0].value("sku", ""));
  auto probe = register_customer("Probe");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  size_t known_to_cart = 0;
  while (known_to_cart < skus.size()) {
    const nlohmann::json item{{"sku", skus[known_to_cart]}, {"quantity", 1}};
    auto added = call("POST", "/api/cart/items", &item, probe.token);
    if (added.status == 200) {
      call("DELETE", "/api/cart/items/" + skus[known_to_cart], nullptr, probe.token);
      ++known_to_cart;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("cart never learnt the catalogue: " + added.raw);
    std::this_thread::sleep_for(100ms);
  }
  // A checkout at a wrong price is refused for the price (409) once orders knows the SKU, and
  // for the SKU itself (400) until then. Nothing is ordered either way.
  nlohmann::json body{{"card", {{"number", "4242 4242 4242 4242"}, {"holder", "Probe"}}},
                      {"ship_to", {{"line1", "1 Probe Street"}, {"line2", ""}, {"city", "Testville"},
                                   {"postcode", "12345"}, {"country", "NL"}}}};
  for (const auto& sku : skus) {
    body["lines"] = nlohmann::json::array({{{"sku", sku}, {"quantity", 1}, {"unit_price_cents", price_of(sku) + 1}}});
    for (;;) {
      auto r = call("POST", "/api/orders/checkout", &body, probe.token, {{"Idempotency-Key", "probe-" + random_suffix()}});
      if (r.status == 409) break;
      if (r.status == 200 || r.status == 201) throw std::runtime_error("the probe checkout was accepted: " + r.raw);
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("orders never learnt " + sku + ": " + r.raw);
      std::this_thread::sleep_for(100ms);
    }
  }
}

Store::~Store() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
  if (supervisor_) supervisor_->stop();
  smtp_.reset();
  log_.reset();
  if (log_file_) std::fclose(log_file_);
  if (::testing::UnitTest::GetInstance()->failed_test_count() == 0 && !::testing::Test::HasFailure()) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  } else {
    std::fprintf(stderr, "store data and logs kept in %s\n", data_dir_.c_str());
  }
}

uint16_t Store::port_of(const std::string& member) const {
  for (const auto& m : members_)
    if (m.name == member) return m.port;
  return 0;
}

std::string Store::edge_key() const {
  std::ifstream in(data_dir_ / "edge.key");
  std::string key;
  in >> key;
  return key;
}

HttpResult Store::call(const std::string& method, const std::string& target, const nlohmann::json* body,
                       const std::string& token, std::vector<std::pair<std::string, std::string>> headers) const {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return http(gateway_port(), method, target, body, headers);
}

HttpResult Store::admin(const std::string& service, const std::string& method, const std::string& target,
                        const nlohmann::json* body) const {
  return http(port_of(service), method, target, body, {{"X-Velocity-Edge-Key", edge_key()}});
}

Customer Store::register_customer(const std::string& name) {
  Customer c;
  std::string local = name;
  for (auto& ch : local) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  c.email = local + "." + random_suffix() + "@example.com";  // users stores addresses in lower case
  const nlohmann::json body{{"email", c.email}, {"password", "correct horse battery"}, {"name", name}};
  auto r = call("POST", "/api/users/register", &body);
  EXPECT_EQ(r.status, 201) << r.raw;
  if (r.status != 201) return c;
  c.id = r.body.value("customer_id", "");
  c.token = r.body.value("token", "");
  return c;
}

int64_t Store::price_of(const std::string& sku) const {
  if (auto it = prices_.find(sku); it != prices_.end()) return it->second;
  // "<product id>-<size>-<colour code>", and product ids contain dashes themselves.
  const auto colour = sku.rfind('-');
  const auto size = colour == std::string::npos || colour == 0 ? std::string::npos : sku.rfind('-', colour - 1);
  const std::string product = size == std::string::npos ? sku : sku.substr(0, size);
  auto r = call("GET", "/api/catalog/products/" + product);
  EXPECT_EQ(r.status, 200) << "product " << product << ": " << r.raw;
  if (r.status != 200) return 0;
  for (const auto& s : r.body["skus"]) prices_[s.value("sku", "")] = r.body.value("price_cents", int64_t{0});
  return prices_[sku];
}

nlohmann::json Store::checkout(const Customer& customer, const std::vector<std::pair<std::string, int>>& lines,
                               const std::string& card, std::string idempotency_key) {
  if (idempotency_key.empty()) idempotency_key = "checkout-" + random_suffix();
  nlohmann::json body{{"card", {{"number", card}, {"holder", "Test Customer"}}},
                      {"ship_to",
                       {{"line1", "1 Test Street"},
                        {"line2", ""},
                        {"city", "Testville"},
                        {"postcode", "12345"},
                        {"country", "NL"}}}};
  body["lines"] = nlohmann::json::array();
  for (const auto& [sku, quantity] : lines)
    body["lines"].push_back({{"sku", sku}, {"quantity", quantity}, {"unit_price_cents", price_of(sku)}});
  auto r = call("POST", "/api/orders/checkout", &body, customer.token, {{"Idempotency-Key", idempotency_key}});
  EXPECT_TRUE(r.status == 201 || r.status == 200) << r.raw;
  return r.body;
}

nlohmann::json Store::wait_for_status(const Customer& customer, const std::string& order_id,
                                      const std::vector<std::string>& statuses, std::chrono::seconds bound) const {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = call("GET", "/api/orders/" + order_id, nullptr, customer.token);
    if (r.status == 200) {
      last = r.body;
      const std::string status = last.value("status", "");
      for (const auto& s : statuses)
        if (status == s) return last;
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "order " << order_id << " did not reach the expected status; last seen: " << last.dump()
                << "\n" << log_tail();
  return last;
}

int64_t Store::available(const std::string& sku) const {
  auto r = call("GET", "/api/inventory/stock/" + sku);
  if (r.status != 200) return -1;
  return r.body.value("available", int64_t{-1});
}

void Store::set_available(const std::string& sku, int64_t units) {
  const int64_t now = available(sku);
  ASSERT_GE(now, 0) << "no stock line for " << sku;
  if (now == units) return;
  const nlohmann::json body{{"sku", sku}, {"delta", units - now}, {"reason", units > now ? "restock" : "write-off"}};
  auto r = admin("inventory", "POST", "/api/inventory/admin/adjust", &body);
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(available(sku), units);
}

checker::Verdict Store::check_when_quiet(std::chrono::seconds bound) const {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  auto verdict = checker::check_store(data_dir_);
  while (!verdict.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    verdict = checker::check_store(data_dir_);
  }
  return verdict;
}

std::vector<nlohmann::json> Store::mail() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(mail_path_);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

std::string Store::log_tail(size_t bytes) const {
  if (log_file_) std::fflush(log_file_);
  std::ifstream in(log_path_);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace velocity::e2e
