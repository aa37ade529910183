#include "loadgen/load_run.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "loadgen/event_stream.h"
#include "loadgen/http_connection.h"

namespace velocity::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDecliningCard = "4000 0000 0000 0002";
constexpr const char* kGoodCard = "4242 4242 4242 4242";
constexpr const char* kPassword = "load-generator-password";
// Words that occur in the seed catalogue; a search that finds nothing falls back to browsing.
constexpr const char* kSearchWords[] = {"tee",    "crew", "black",   "white",
                                        "cotton", "navy", "classic", "grey"};

struct Customer {
  std::string email;
  std::string token;
  std::mutex checkout;  // one cart + checkout at a time per customer, so carts do not mix
};

// kPoll follows an order on (and schedules the next poll); kCheck asks once.
enum class TaskKind { kSignUp, kPlace, kPoll, kCheck };

struct Task {
  Clock::time_point due;
  TaskKind kind;
  size_t index;
  bool operator>(const Task& other) const { return due > other.due; }
};

// Tasks by due time. pop() blocks until the earliest task is due; returns false once the phase
// is over (finish() was called for every task the phase counted) and nothing is left.
class TaskQueue {
 public:
  void start_phase(size_t outstanding) {
    std::lock_guard lock(mutex_);
    outstanding_ = outstanding;
  }
  void push(Task task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push(task);
    }
    cv_.notify_one();
  }
  // One of the phase's units of work is over (an order terminal or given up, a customer ready).
  void finish() {
    std::lock_guard lock(mutex_);
    if (--outstanding_ == 0) cv_.notify_all();
  }
  bool pop(Task& task) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (outstanding_ == 0) return false;
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const auto due = tasks_.top().due;
      if (due <= Clock::now()) {
        task = tasks_.top();
        tasks_.pop();
        // Another worker may take the next one.
        if (!tasks_.empty()) cv_.notify_one();
        return true;
      }
      cv_.wait_until(lock, due);
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::priority_queue<Task, std::vector<Task>, std::greater<>> tasks_;
  size_t outstanding_ = 0;
};

// How often an order followed by events is polled anyway, in case an event went missing.
constexpr auto kSafetyPoll = std::chrono::seconds(30);

bool confirmed_or_later(const std::string& status) {
  return status == "confirmed" || status == "scheduled" || status == "dispatched" ||
         status == "delivered" || status == "completed";
}

class Run {
 public:
  Run(const LoadOptions& options, Progress& progress) : o_(options), progress_(progress) {
    std::random_device device;
    const uint64_t seed = o_.seed != 0 ? o_.seed : (uint64_t{device()} << 32 | device());
    rng_seed_ = seed;
    std::mt19937_64 rng(seed);
    run_id_ = std::to_string(rng() % 1'000'000'000'000);
    customers_.reserve(o_.customers);
    for (size_t i = 0; i < o_.customers; ++i) customers_.push_back(std::make_unique<Customer>());
    result_.orders.resize(o_.orders);
    std::uniform_real_distribution<double> share(0, 1);
    for (auto& order : result_.orders) {
      const double u = share(rng);
      order.kind = u < o_.decline_share                     ? OrderKind::kDeclined
                   : u < o_.decline_share + o_.cancel_share ? OrderKind::kCancelled
                                                            : OrderKind::kNormal;
    }
    result_.customers_requested = o_.customers;
    result_.target_rate = o_.rate;
  }

  RunResult execute() {
    // Sign-up: every customer registers and logs in, as fast as the workers go.
    queue_.start_phase(o_.customers);
    for (size_t i = 0; i < o_.customers; ++i) queue_.push({Clock::now(), TaskKind::kSignUp, i});
    run_workers();
    progress_.signing_up = false;
    size_t ready = 0;
    for (const auto& c : customers_) ready += c->token.empty() ? 0 : 1;
    result_.customers_ready = ready;
    finished_.assign(o_.orders, 0);
    if (o_.follow_events && ready > 0) open_event_streams();

    // Orders, open loop: order i is due at start + i / rate.
    start_ = Clock::now() + std::chrono::milliseconds(50);
    queue_.start_phase(o_.orders);
    for (size_t i = 0; i < o_.orders; ++i) {
      const auto offset = std::chrono::duration<double>(static_cast<double>(i) / o_.rate);
      queue_.push(
          {start_ + std::chrono::duration_cast<Clock::duration>(offset), TaskKind::kPlace, i});
    }
    if (o_.orders > 0) run_workers();
    result_.total_seconds = seconds_since_start();
    if (streams_) {
      streams_->stop();
      const auto stats = streams_->stats();
      result_.follow.streams_failed = stats.failed;
      result_.follow.reconnects = stats.reconnects;
      result_.follow.events = stats.frames;
    }
    double last_placed = 0;
    for (const auto& order : result_.orders)
      if (order.placed_at) last_placed = std::max(last_placed, *order.placed_at);
    result_.placing_seconds = last_placed;
    return std::move(result_);
  }

 private:
  void run_workers() {
    std::vector<std::thread> workers;
    const size_t n = std::max<size_t>(1, o_.concurrency);
    for (size_t w = 0; w < n; ++w) {
      workers.emplace_back([this, w] {
        HttpConnection connection(o_.host, o_.port, o_.request_timeout);
        std::mt19937_64 rng(rng_seed_ + w + 1);
        Task task;
        while (queue_.pop(task)) handle(connection, rng, task);
      });
    }
    for (auto& t : workers) t.join();
  }

  // Answers come from the network: one that does not have the shape we expect (a JSON field of
  // another type) counts as an error of that step, and the order goes on where it can.
  void handle(HttpConnection& connection, std::mt19937_64& rng, const Task& task) {
    try {
      switch (task.kind) {
        case TaskKind::kSignUp:
          return sign_up(connection, task.index);
        case TaskKind::kPlace:
          return place(connection, rng, task.index);
        case TaskKind::kPoll:
          return poll(connection, task.index, true);
        case TaskKind::kCheck:
          return poll(connection, task.index, false);
      }
    } catch (const std::exception&) {
      error_kind(std::string(task.kind == TaskKind::kSignUp  ? "sign up"
                             : task.kind == TaskKind::kPlace ? "place"
                                                             : "follow order") +
                 ": unexpected answer");
      if (task.kind == TaskKind::kSignUp) return queue_.finish();
      if (task.kind == TaskKind::kPlace && !result_.orders[task.index].placed_at)
        return not_placed();
      if (task.kind != TaskKind::kCheck) follow_later(task.index);
    }
  }

  double seconds_since_start() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

  void error(const std::string& step, const HttpResponse& response) {
    error_kind(step + ": " +
               (response.status == 0 ? std::string("connection")
                                     : "HTTP " + std::to_string(response.status)));
  }

  void error_kind(const std::string& kind) {
    std::lock_guard lock(errors_mutex_);
    ++result_.errors[kind];
    ++progress_.errors;
  }

  static HttpHeaders auth(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  void sign_up(HttpConnection& http, size_t i) {
    auto& c = *customers_[i];
    c.email = "load-" + run_id_ + "-" + std::to_string(i) + "@example.com";
    const nlohmann::json body{{"email", c.email},
                              {"password", kPassword},
                              {"name", "Load Customer " + std::to_string(i)}};
    auto r = http.request("POST", "/api/users/register", body.dump());
    // 409: our own request went through before a lost answer; logging in settles it.
    if (r.status != 201 && r.status != 409) {
      error("register", r);
    } else {
      const nlohmann::json login{{"email", c.email}, {"password", kPassword}};
      auto l = http.request("POST", "/api/users/login", login.dump());
      const auto answer = nlohmann::json::parse(l.body, nullptr, false);
      if (l.status == 200 && answer.is_object() && answer.contains("token") &&
          answer["token"].is_string()) {
        c.token = answer["token"].get<std::string>();
        ++progress_.customers_ready;
      } else {
        error("login", l);
      }
    }
    queue_.finish();
  }

  // Search → pick an in-stock SKU → add it to the cart → checkout.
  void place(HttpConnection& http, std::mt19937_64& rng, size_t i) {
    auto& order = result_.orders[i];
    auto& customer = *customers_[i % customers_.size()];
    if (customer.token.empty()) return not_placed();
    const auto headers = auth(customer.token);

    std::string word = kSearchWords[rng() % std::size(kSearchWords)];
    auto search = http.request("GET", "/api/catalog/products?q=" + word + "&in_stock=1&limit=24",
                               {}, headers);
    auto found = nlohmann::json::parse(search.body, nullptr, false);
    if (search.status == 200 && found.is_object() &&
        (!found.contains("products") || found["products"].empty())) {
      search = http.request("GET", "/api/catalog/products?in_stock=1&limit=100", {}, headers);
      found = nlohmann::json::parse(search.body, nullptr, false);
    }
    if (search.status != 200 || !found.is_object() || !found.contains("products") ||
        !found["products"].is_array() || found["products"].empty()) {
      if (search.status != 200) {
        error("search", search);
      } else {
        error_kind("search: nothing in stock");
      }
      return not_placed();
    }
    const auto& products = found["products"];
    const auto& product = products[rng() % products.size()];
    const auto& skus = product.value("skus", nlohmann::json::array());
    std::vector<std::string> in_stock, any;
    for (const auto& s : skus) {
      if (!s.is_object() || !s.contains("sku")) continue;
      any.push_back(s.value("sku", ""));
      if (s.value("available", int64_t{0}) > 0) in_stock.push_back(any.back());
    }
    const auto& pick_from = in_stock.empty() ? any : in_stock;
    if (pick_from.empty()) {
      error_kind("search: product without SKUs");
      return not_placed();
    }
    const std::string sku = pick_from[rng() % pick_from.size()];
    const int64_t price = product.value("price_cents", int64_t{0});

    std::lock_guard cart_lock(customer.checkout);
    const nlohmann::json item{{"sku", sku}, {"quantity", 1}};
    auto added = http.request("POST", "/api/cart/items", item.dump(), headers);
    if (added.status != 200) {
      error("add to cart", added);
      return not_placed();
    }
    nlohmann::json checkout{
        {"lines", {{{"sku", sku}, {"quantity", 1}, {"unit_price_cents", price}}}},
        {"card",
         {{"number", order.kind == OrderKind::kDeclined ? kDecliningCard : kGoodCard},
          {"holder", "Load Customer"}}},
        {"ship_to",
         {{"line1", "1 Load Street"},
          {"line2", ""},
          {"city", "Benchmark"},
          {"postcode", "1000 AA"},
          {"country", "NL"}}}};
    auto checkout_headers = headers;
    checkout_headers.emplace_back("Idempotency-Key", "load-" + run_id_ + "-" + std::to_string(i));
    auto placed = http.request("POST", "/api/orders/checkout", checkout.dump(), checkout_headers);
    const auto answer = nlohmann::json::parse(placed.body, nullptr, false);
    if ((placed.status != 201 && placed.status != 200) || !answer.is_object() ||
        !answer.contains("order_id") || !answer["order_id"].is_string()) {
      error("checkout", placed);
      return not_placed();
    }
    {
      std::lock_guard lock(follow_mutex_);
      order.order_id = answer["order_id"].get<std::string>();
      order.placed_at = seconds_since_start();
      ++progress_.placed;
      observe(order, answer, *order.placed_at, false);
      order_index_[order.order_id] = i;
      // Events that came before the checkout's answer did.
      if (auto early = early_.find(order.order_id); early != early_.end()) {
        for (const auto& [event, at] : early->second) observe(order, event, std::max(at, *order.placed_at), true);
        early_.erase(early);
      }
    }

    if (order.kind == OrderKind::kCancelled && !terminal(i)) {
      auto cancelled =
          http.request("POST", "/api/orders/" + order.order_id + "/cancel", {}, headers);
      // 409: already dispatched or finished, the order goes its way.
      if (cancelled.status == 202) {
        std::lock_guard lock(follow_mutex_);
        observe(order, nlohmann::json::parse(cancelled.body, nullptr, false), seconds_since_start(), false);
      } else if (cancelled.status != 409) {
        error("cancel", cancelled);
      }
    }
    follow_later(i);
  }

  // `follow`: a poll that schedules the next one (kPoll), else a single look (kCheck).
  void poll(HttpConnection& http, size_t i, bool follow) {
    if (finished(i)) return;
    auto& order = result_.orders[i];
    const auto& customer = *customers_[i % customers_.size()];
    auto r = http.request("GET", "/api/orders/" + order.order_id, {}, auth(customer.token));
    if (r.status == 200) {
      std::lock_guard lock(follow_mutex_);
      observe(order, nlohmann::json::parse(r.body, nullptr, false), seconds_since_start(), false);
      if (order.terminal()) finish_order(i);
    } else {
      error("follow order", r);
    }
    if (follow) follow_later(i);
  }

  bool finished(size_t i) {
    std::lock_guard lock(follow_mutex_);
    return finished_[i] != 0;
  }

  bool terminal(size_t i) {
    std::lock_guard lock(follow_mutex_);
    return result_.orders[i].terminal();
  }

  // The order's unit of work is over, once (an event and a poll may both see it end).
  // Needs follow_mutex_.
  void finish_order(size_t i) {
    if (finished_[i] != 0) return;
    finished_[i] = 1;
    queue_.finish();
  }

  // Polls again after the interval, unless the order has ended or was followed long enough.
  // An order whose customer's event stream is open is followed by its events; it is polled only
  // every kSafetyPoll, in case an event went missing.
  void follow_later(size_t i) {
    const auto& order = result_.orders[i];
    {
      std::lock_guard lock(follow_mutex_);
      if (order.terminal()) return finish_order(i);
      if (finished_[i] != 0) return;
      if (seconds_since_start() - *order.placed_at > static_cast<double>(o_.follow_timeout.count())) {
        ++progress_.given_up;
        return finish_order(i);
      }
    }
    if (streams_ && streams_->following(i % customers_.size())) {
      return queue_.push({Clock::now() + kSafetyPoll, TaskKind::kPoll, i});
    }
    // Young orders are polled every poll_interval, older ones every fifth of their age (at most
    // every 2 s): latencies stay within ~20% while thousands of orders in flight do not turn
    // into tens of thousands of polls per second.
    const auto age = std::chrono::duration<double>(seconds_since_start() - *order.placed_at);
    const auto interval =
        std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(age / 5), o_.poll_interval,
                   std::max(o_.poll_interval, std::chrono::milliseconds(2000)));
    queue_.push({Clock::now() + interval, TaskKind::kPoll, i});
  }

  // Records the first time (`at`) each step was seen in an Order answer or an event turned into
  // one. Needs follow_mutex_.
  void observe(OrderRecord& order, const nlohmann::json& answer, double at, bool from_event) {
    if (!answer.is_object() || !answer.contains("status") || !answer["status"].is_string()) return;
    order.status = answer["status"].get<std::string>();
    size_t steps = 0;
    if (confirmed_or_later(order.status) && !order.confirmed_at) {
      order.confirmed_at = at;
      ++progress_.confirmed;
      ++steps;
    }
    if (order.status == "completed" && !order.completed_at) {
      order.completed_at = at;
      ++progress_.completed;
      ++steps;
    }
    if (order.status == "cancelled" && !order.cancelled_at) {
      order.cancelled_at = at;
      if (answer.contains("cancel_reason_code") && answer["cancel_reason_code"].is_string())
        order.cancel_reason_code = answer["cancel_reason_code"].get<std::string>();
      ++progress_.cancelled;
      ++steps;
    }
    (from_event ? result_.follow.steps_from_events : result_.follow.steps_from_requests) += steps;
  }

  // One stream per ready customer; the run follows by events if any opened.
  void open_event_streams() {
    EventStreamOptions options;
    options.host = o_.host;
    options.port = o_.port;
    streams_ = std::make_unique<EventStreams>(
        options, [this](size_t customer, const SseFrame& frame) { on_event(customer, frame); },
        [this](size_t customer) { check_open_orders(customer); });
    std::vector<std::string> tokens;
    for (const auto& c : customers_) tokens.push_back(c->token);
    result_.follow.streams = streams_->open(tokens, std::chrono::seconds(10));
    if (result_.follow.streams == 0) {
      streams_.reset();
      error_kind("event stream: none opened, polling instead");
      return;
    }
    result_.follow.mode = "events";
  }

  // An order event (shop.order.<status>.v1) of `customer`, on the stream reader's thread.
  void on_event(size_t customer, const SseFrame& frame) {
    if (frame.event == "resync") {
      // Some events are gone: look at every open order of this customer once.
      {
        std::lock_guard lock(follow_mutex_);
        ++result_.follow.resyncs;
      }
      return check_open_orders(customer);
    }
    constexpr std::string_view kPrefix = "shop.order.", kSuffix = ".v1";
    const std::string_view type = frame.event;
    if (!type.starts_with(kPrefix) || !type.ends_with(kSuffix) || type.size() <= kPrefix.size() + kSuffix.size())
      return;
    const auto event = nlohmann::json::parse(frame.data, nullptr, false);
    if (!event.is_object() || !event.contains("data") || !event["data"].is_object()) return;
    const auto& data = event["data"];
    if (!data.contains("order_id") || !data["order_id"].is_string()) return;
    const std::string order_id = data["order_id"].get<std::string>();
    nlohmann::json answer{
        {"status", std::string(type.substr(kPrefix.size(), type.size() - kPrefix.size() - kSuffix.size()))}};
    if (data.contains("reason_code") && data["reason_code"].is_string())
      answer["cancel_reason_code"] = data["reason_code"];
    const double now = seconds_since_start();
    std::lock_guard lock(follow_mutex_);
    const auto found = order_index_.find(order_id);
    if (found == order_index_.end()) {
      early_[order_id].emplace_back(std::move(answer), now);
      return;
    }
    auto& order = result_.orders[found->second];
    observe(order, answer, now, true);
    if (order.terminal()) finish_order(found->second);
  }

  // One look at each placed, unfinished order of `customer` (after a resync, or when its stream
  // was given up: from then on follow_later polls them at the usual pace).
  void check_open_orders(size_t customer) {
    std::vector<size_t> open;
    {
      std::lock_guard lock(follow_mutex_);
      for (size_t i = customer; i < result_.orders.size(); i += customers_.size()) {
        if (result_.orders[i].placed_at && finished_[i] == 0) open.push_back(i);
      }
    }
    for (const size_t i : open) queue_.push({Clock::now(), TaskKind::kCheck, i});
  }

  void not_placed() {
    ++progress_.not_placed;
    queue_.finish();
  }

  const LoadOptions& o_;
  Progress& progress_;
  uint64_t rng_seed_ = 0;
  std::string run_id_;
  std::vector<std::unique_ptr<Customer>> customers_;
  TaskQueue queue_;
  Clock::time_point start_ = Clock::now();
  std::unique_ptr<EventStreams> streams_;
  // Guards the orders' records once placed, order_index_, early_ and finished_.
  std::mutex follow_mutex_;
  std::unordered_map<std::string, size_t> order_index_;
  // Events about orders whose checkout had not answered yet, with when they came.
  std::unordered_map<std::string, std::vector<std::pair<nlohmann::json, double>>> early_;
  std::vector<char> finished_;
  std::mutex errors_mutex_;
  RunResult result_;
};

}  // namespace

RunResult run_load(const LoadOptions& options, Progress& progress) {
  if (options.customers == 0 || options.rate <= 0) {
    RunResult empty;
    empty.orders.resize(options.orders);
    return empty;
  }
  Run run(options, progress);
  return run.execute();
}

}  // namespace velocity::loadgen
