// `velocity load`: real orders through the gateway at a fixed rate, followed until terminal;
// then the summary, the HTML report, the store's peak memory and the invariant checker's
// verdict (src/loadgen).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "checker/checker.h"
#include "cli/commands.h"
#include "loadgen/http_connection.h"
#include "loadgen/load_run.h"
#include "loadgen/report.h"
#include "loadgen/store_memory.h"
#include "loadgen/summary.h"

namespace velocity::cli {
namespace {

using namespace std::chrono_literals;

struct LoadArgs {
  std::string target = "http://127.0.0.1:8080";
  size_t customers = 200;
  size_t orders = 10000;
  double rate = 500;
  double decline_share = 0.05;
  double cancel_share = 0.05;
  size_t concurrency = 64;
  std::string data_dir = "var";
  std::string report = "load-report.html";
  int follow_timeout_s = 300;
  int quiet_timeout_s = 120;
  bool poll = false;
};

// Redraws one line with \r on a terminal, prints a line every 5 s otherwise, until stopped.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(const loadgen::Progress& progress)
      : progress_(progress), tty_(::isatty(2) == 1) {
    thread_ = std::thread([this] { loop(); });
  }
  ~ProgressPrinter() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    thread_.join();
    print();
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  void loop() {
    const auto period = tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, period, [this] { return stopped_; })) print();
  }
  void print() {
    const auto now = std::chrono::steady_clock::now();
    const size_t placed = progress_.placed, completed = progress_.completed,
                 cancelled = progress_.cancelled;
    const size_t ended = completed + cancelled + progress_.given_up;
    const double dt = std::chrono::duration<double>(now - last_at_).count();
    const double rate = dt > 0 ? static_cast<double>(placed - last_placed_) / dt : 0;
    last_at_ = now;
    last_placed_ = placed;
    char line[256];
    if (progress_.signing_up) {
      std::snprintf(line, sizeof line, "signing up: %zu customers ready, %zu errors",
                    progress_.customers_ready.load(), progress_.errors.load());
    } else {
      std::snprintf(line, sizeof line,
                    "placed %zu  confirmed %zu  completed %zu  cancelled %zu  in flight %zu  "
                    "errors %zu  %.0f orders/s",
                    placed, progress_.confirmed.load(), completed, cancelled,
                    placed > ended ? placed - ended : 0, progress_.errors.load(), rate);
    }
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line);
    } else {
      std::fprintf(stderr, "%s\n", line);
    }
    std::fflush(stderr);
  }

  const loadgen::Progress& progress_;
  const bool tty_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_at_ = std::chrono::steady_clock::now();
  size_t last_placed_ = 0;
  std::thread thread_;
};

// Once the store is quiet every invariant holds: retry the checker until it does or `bound` passes.
checker::Verdict check_when_quiet(const std::filesystem::path& data_dir,
                                  std::chrono::seconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  auto verdict = checker::check_store(data_dir);
  while (!verdict.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1s);
    verdict = checker::check_store(data_dir);
  }
  return verdict;
}

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace

void register_load_command(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<LoadArgs>();
  auto* load = app.add_subcommand(
      "load", "Place real orders through the gateway at a fixed rate and report");
  load->add_option("--target", args->target, "The gateway's address")->capture_default_str();
  load->add_option("--customers", args->customers, "Customers to sign up")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  load->add_option("--orders", args->orders, "Orders to place")->capture_default_str();
  load->add_option("--rate", args->rate, "Orders per second (open loop)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  load->add_option("--decline-share", args->decline_share,
                   "Share of orders paid with a declining card")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  load->add_option("--cancel-share", args->cancel_share,
                   "Share of orders cancelled right after being placed")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  load->add_option("--concurrency", args->concurrency,
                   "Worker threads, one keep-alive connection each")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  load->add_option("--data-dir", args->data_dir,
                   "The store's data directory (memory and invariant check)")
      ->capture_default_str();
  load->add_option("--report", args->report, "Where to write the HTML report")
      ->capture_default_str();
  load->add_option("--follow-timeout", args->follow_timeout_s,
                   "Seconds to follow an order before giving up on it")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  load->add_option("--quiet-timeout", args->quiet_timeout_s,
                   "Seconds to wait for the store to be quiet before checking")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  load->add_flag("--poll", args->poll,
                 "Follow orders by polling GET /api/orders/{id} instead of the event stream /api/events");
  load->footer(R"(Orders are followed through each customer's event stream (GET /api/events), so the
latencies are those of the events; --poll follows them by polling instead, as does a customer
whose stream cannot be opened. The summary says which.

Progress goes to stderr, the summary to stdout (--format json for a script).
Exit code 0 when every order reached a terminal state and the invariant check passed, 1 otherwise.

Examples:
  velocity load --customers 200 --orders 10000 --rate 500
  velocity load --orders 300 --rate 50 --decline-share 0.1 --report /tmp/load.html --format json)");
  load->callback([args, &globals] {
    loadgen::LoadOptions o;
    if (!loadgen::parse_http_url(args->target, o.host, o.port))
      throw UsageError("--target must look like http://HOST:PORT, not " + args->target);
    if (args->decline_share + args->cancel_share > 1.0)
      throw UsageError("--decline-share and --cancel-share add up to more than 1");
    o.customers = args->customers;
    o.orders = args->orders;
    o.rate = args->rate;
    o.decline_share = args->decline_share;
    o.cancel_share = args->cancel_share;
    o.concurrency = args->concurrency;
    o.follow_timeout = std::chrono::seconds(args->follow_timeout_s);
    o.follow_events = !args->poll;

    loadgen::Progress progress;
    ProgressPrinter printer(progress);
    const auto result = loadgen::run_load(o, progress);
    printer.stop();

    auto summary = loadgen::summarize(result);
    const std::filesystem::path data_dir = args->data_dir;
    nlohmann::json extra = nlohmann::json::object();
    // Peak memory is read before waiting, while every process is surely still there.
    if (auto memory = loadgen::store_memory(data_dir)) {
      summary["memory"] = memory->to_json();
    } else {
      summary["memory"] = nullptr;
    }
    extra["memory"] = summary["memory"];

    bool check_ok = true;
    std::error_code ec;
    if (std::filesystem::is_directory(data_dir, ec)) {
      std::fprintf(stderr,
                   "waiting for the store to be quiet, then checking its invariants in %s\n",
                   data_dir.c_str());
      const auto verdict = check_when_quiet(data_dir, std::chrono::seconds(args->quiet_timeout_s));
      check_ok = verdict.ok();
      summary["check"] = verdict.to_json();
      summary["check_ok"] = check_ok;
      extra["check"] = summary["check"];
      extra["check_ok"] = check_ok;
      extra["check_text"] = verdict.to_text();
    } else {
      std::fprintf(stderr, "no data directory %s: invariants not checked\n", data_dir.c_str());
      summary["check"] = nullptr;
      summary["check_ok"] = nullptr;
    }

    std::string report_error;
    const auto html = loadgen::render_report(result, summary, extra);
    if (loadgen::write_report(args->report, html, report_error)) {
      summary["report"] = args->report;
    } else {
      summary["report"] = nullptr;
      std::fprintf(stderr, "%s\n", report_error.c_str());
    }

    if (globals.format == OutputFormat::kJson) {
      print_json(summary);
    } else {
      std::cout << loadgen::summary_text(summary);
      if (!summary["memory"].is_null()) {
        const auto& m = summary["memory"];
        std::cout << "memory     peak resident " << mib(m["total_bytes"].get<int64_t>())
                  << " of the " << mib(loadgen::kMemoryGoalBytes) << " goal ("
                  << (m["within_goal"].get<bool>() ? "within" : "OVER") << ")\n";
        for (const auto& p : m["processes"]) {
          const auto bytes = p["peak_bytes"].get<int64_t>();
          std::cout << "  " << p["name"].get<std::string>() << " (pid " << p["pid"]
                    << "): " << (bytes < 0 ? std::string("gone") : mib(bytes)) << '\n';
        }
      }
      if (!summary["check"].is_null())
        std::cout << "invariants\n" << extra["check_text"].get<std::string>();
      if (!summary["report"].is_null()) std::cout << "report     " << args->report << '\n';
    }
    const bool all_terminal = summary["orders"]["not_terminal"].get<size_t>() == 0 &&
                              summary["orders"]["not_placed"].get<size_t>() == 0;
    if (!all_terminal || !check_ok)
      throw OperationError(!all_terminal ? "some orders did not reach a terminal state"
                                         : "the invariant check failed");
  });
}

}  // namespace velocity::cli
