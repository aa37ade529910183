// Partition log throughput against the raw file system, measured in the same run: appends of
// 1 KiB records in 16 KiB and 256 KiB batches without sync and with group-commit sync (1, 4,
// 16 appenders), and a sequential read. Prints medians of the repetitions and the ratio
// log / raw for each; appends are compared with a raw writer into fresh blocks and with one
// that reserves blocks ahead as the log does (fallocate KEEP_SIZE).
// Usage: velocity_storage_bench --dir DIR [--reps N] [--mib N] [--preallocate-mib N]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "broker/storage/batch_builder.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir = "velocity-bench-data";
  int reps = 3;
  uint64_t mib = 128;  // bytes written per no-sync and read run
  uint64_t preallocate_bytes = LogConfig{}.preallocate_bytes;  // the log's setting
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// User + system CPU seconds of this process so far (every thread).
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// One run's MiB per wall-clock second and per CPU second of this process. On a shared machine
// the wall figure also measures how much CPU the run was given; the CPU figure does not.
struct Rate {
  double wall = 0;
  double cpu = 0;
};

Rate rate(uint64_t bytes, Clock::time_point start, double cpu_start) {
  const double mib = static_cast<double>(bytes) / (1 << 20);
  return {mib / seconds_since(start), mib / std::max(cpu_seconds() - cpu_start, 1e-6)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Rate median(const std::vector<Rate>& v) {
  std::vector<double> wall, cpu;
  for (const auto& r : v) {
    wall.push_back(r.wall);
    cpu.push_back(r.cpu);
  }
  return {median(wall), median(cpu)};
}

std::vector<std::byte> make_batch(size_t batch_bytes) {
  BatchSpec spec;
  spec.record_count = static_cast<int32_t>(batch_bytes / 1024);
  spec.value_size = 1024 - 12;  // ~1 KiB per record with its framing
  return build_batch(spec);
}

void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// A new empty directory; the previous run's files are removed and every dirty page in the
// system is flushed first, so no run pays for the write-back of the one before.
std::string fresh_dir(const Options& o, const std::string& name) {
  auto path = std::filesystem::path(o.dir) / name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  ::sync();
  return path.string();
}

// Raw baseline: `threads` writers each pwrite a batch at the end of one shared file, with
// fdatasync after every write when `sync`. With `reserve` (one writer only), blocks are
// reserved ahead in steps of the log's largest step before the writes reach them.
Rate raw_write(const Options& o, size_t batch_bytes, uint64_t total, bool sync, int threads,
               bool reserve = false) {
  auto dir = fresh_dir(o, "raw");
  int fd = ::open((dir + "/raw.log").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open");
  // The very bytes the log appends (a batch of batch_bytes of records plus its framing), so
  // both write the same sizes at the same file positions: page alignment matters to the
  // kernel (a 16 384-byte write into fresh pages is much cheaper than a 16 509-byte one).
  const std::vector<std::byte> buf = make_batch(batch_bytes);
  batch_bytes = buf.size();
  std::atomic<uint64_t> next{0};
  const uint64_t reserve_step =
      o.preallocate_bytes > 0 ? o.preallocate_bytes : LogConfig{}.preallocate_bytes;
  const uint64_t step = reserve ? std::max<uint64_t>(reserve_step, batch_bytes) : 0;
  uint64_t reserved = 0;
  if (reserve) threads = 1;
  const double cpu_start = cpu_seconds();
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (;;) {
        uint64_t at = next.fetch_add(batch_bytes);
        if (at >= total) return;
        if (step > 0 && at + batch_bytes > reserved) {
          if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(reserved),
                          static_cast<off_t>(step)) != 0) {
            die("fallocate");
          }
          reserved += step;
        }
        if (::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(at)) < 0) die("pwrite");
        if (sync && ::fdatasync(fd) != 0) die("fdatasync");
      }
    });
  }
  for (auto& w : workers) w.join();
  // Every position below `total` got one batch.
  auto result = rate((total + batch_bytes - 1) / batch_bytes * batch_bytes, start, cpu_start);
  ::close(fd);
  return result;
}

std::shared_ptr<PartitionLog> open_log(const std::string& dir, Durability durability,
                                       uint64_t preallocate_bytes) {
  LogConfig config;
  config.durability = durability;
  config.retention_ms = -1;
  config.preallocate_bytes = preallocate_bytes;
  auto opened = PartitionLog::open(posix_env(), dir, config);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message().c_str());
    std::exit(1);
  }
  return opened->log;
}

// The log: `threads` appenders, each appending and, with `sync`, waiting for durability.
Rate log_write(const Options& o, size_t batch_bytes, uint64_t total, bool sync, int threads) {
  auto log = open_log(fresh_dir(o, "log"), Durability::kFsync, o.preallocate_bytes);
  std::atomic<uint64_t> written{0};
  const double cpu_start = cpu_seconds();
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto bytes = make_batch(batch_bytes);  // reused: append only rewrites the base offset
      for (;;) {
        if (written.fetch_add(bytes.size()) >= total) return;
        auto r = log->append(bytes, 0);
        if (!r) die("append");
        if (sync && !log->wait_durable(r->last_offset)) die("wait_durable");
      }
    });
  }
  for (auto& w : workers) w.join();
  return rate(log->size_bytes(), start, cpu_start);
}

// Sequential read of a log written just before (page cache warm), against pread of the same
// segment file in 1 MiB chunks.
constexpr size_t kWarmChunk = 1 << 20;

std::pair<double, double> sequential_read(const Options& o, uint64_t total) {
  auto dir = fresh_dir(o, "read");
  auto log = open_log(dir, Durability::kNoSync, o.preallocate_bytes);
  auto bytes = make_batch(256 * 1024);
  while (log->size_bytes() < total) {
    if (!log->append(bytes, 0)) die("append");
  }
  ::sync();
  // An untimed pass first, so both timed readers find the same clean, cached pages.
  {
    int fd = ::open((dir + "/00000000000000000000.log").c_str(), O_RDONLY);
    if (fd < 0) die("open");
    for (uint64_t at = 0;; at += kWarmChunk) {
      std::vector<std::byte> warm(kWarmChunk);
      ssize_t n = ::pread(fd, warm.data(), warm.size(), static_cast<off_t>(at));
      if (n <= 0) break;
    }
    ::close(fd);
  }
  std::vector<std::byte> buf(1 << 20);
  double raw_secs = 0;
  {
    int fd = ::open((dir + "/00000000000000000000.log").c_str(), O_RDONLY);
    if (fd < 0) die("open");
    auto start = Clock::now();
    uint64_t at = 0;
    for (;;) {
      ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(at));
      if (n < 0) die("pread");
      if (n == 0) break;
      at += static_cast<uint64_t>(n);
    }
    raw_secs = seconds_since(start);
    ::close(fd);
  }
  double log_secs = 0;
  {
    auto start = Clock::now();
    int64_t next = 0;
    while (next < log->high_watermark()) {
      auto r = log->read(next, buf.size());
      if (!r || r->ranges.empty()) die("read");
      for (const auto& range : r->ranges) {
        if (range.length > buf.size()) buf.resize(range.length);
        if (!range.read_into(std::span(buf).first(range.length))) die("read_into");
        // The next offset comes from the last batch header, as a fetch loop would.
        size_t pos = 0;
        while (pos < range.length) {
          auto h = parse_batch_header(std::span(buf).subspan(pos));
          next = h->last_offset() + 1;
          pos += h->total_size();
        }
      }
    }
    log_secs = seconds_since(start);
  }
  const double mib = static_cast<double>(log->size_bytes()) / (1 << 20);
  return {mib / log_secs, mib / raw_secs};
}

template <typename F>
Rate median_of(const Options& o, F run) {
  std::vector<Rate> v;
  for (int i = 0; i < o.reps; ++i) v.push_back(run());
  return median(v);
}

// Medians of log and raw runs taken in alternating order, so drift on a shared machine
// (other tenants, write-back) does not favour either side.
template <typename L, typename R>
std::pair<Rate, Rate> paired(const Options& o, L log_run, R raw_run) {
  std::vector<Rate> l, r;
  for (int i = 0; i < o.reps; ++i) {
    if (i % 2 == 0) {
      r.push_back(raw_run());
      l.push_back(log_run());
    } else {
      l.push_back(log_run());
      r.push_back(raw_run());
    }
  }
  return {median(l), median(r)};
}

// Wall-clock rates and ratio; for appends also the rates per CPU second and their ratio.
void row(const char* name, Rate log, Rate raw) {
  std::printf("%-34s %9.1f %9.1f %6.2f", name, log.wall, raw.wall, log.wall / raw.wall);
  if (log.cpu > 0 && raw.cpu > 0) {
    std::printf(" %9.1f %9.1f %6.2f", log.cpu, raw.cpu, log.cpu / raw.cpu);
  }
  std::printf("\n");
  std::fflush(stdout);
}

int run(const Options& o) {
  std::printf("medians of %d runs; ratio = log / raw (same file system, same run)\n", o.reps);
  std::printf("MiB/s of wall-clock time, then MiB per CPU second of the benchmark process\n");
  std::printf(
      "log preallocates in steps up to %llu MiB; \"reserved\" rows: raw writer reserving "
      "in steps of that size\n",
      static_cast<unsigned long long>(o.preallocate_bytes >> 20));
  std::printf("%-34s %9s %9s %6s %9s %9s %6s\n", "workload", "log", "raw", "ratio", "log/cpu",
              "raw/cpu", "ratio");
  const uint64_t total = o.mib << 20;
  // Warm-up: touch the allocator, page cache and disk before measuring.
  (void)log_write(o, 256 * 1024, total / 4, false, 1);
  for (size_t batch : {16 * 1024, 256 * 1024}) {
    char name[64];
    std::snprintf(name, sizeof name, "append %zu KiB batches, no sync", batch / 1024);
    auto [log_rate, raw_rate] = paired(
        o, [&] { return log_write(o, batch, total, false, 1); },
        [&] { return raw_write(o, batch, total, false, 1); });
    row(name, log_rate, raw_rate);
    auto [log2_rate, reserved_rate] = paired(
        o, [&] { return log_write(o, batch, total, false, 1); },
        [&] { return raw_write(o, batch, total, false, 1, true); });
    row("  against raw into reserved blocks", log2_rate, reserved_rate);
  }
  for (size_t batch : {16 * 1024, 256 * 1024}) {
    // Durable runs are bounded by sync count, so write less; the raw baseline is one writer
    // doing write + fdatasync per batch, what an appender without group commit would do.
    const uint64_t durable_total = batch == 16 * 1024 ? (16ull << 20) : (64ull << 20);
    const Rate raw = median_of(o, [&] { return raw_write(o, batch, durable_total, true, 1); });
    const Rate reserved =
        median_of(o, [&] { return raw_write(o, batch, durable_total, true, 1, true); });
    for (int threads : {1, 4, 16}) {
      char name[64];
      std::snprintf(name, sizeof name, "append %zu KiB, sync, %d appender%s", batch / 1024, threads,
                    threads == 1 ? "" : "s");
      const Rate log_rate =
          median_of(o, [&] { return log_write(o, batch, durable_total, true, threads); });
      row(name, log_rate, raw);
      if (threads == 1) row("  against raw into reserved blocks", log_rate, reserved);
    }
  }
  std::vector<double> log_reads, raw_reads;
  for (int i = 0; i < o.reps; ++i) {
    auto [l, r] = sequential_read(o, total);
    log_reads.push_back(l);
    raw_reads.push_back(r);
  }
  row("sequential read, 1 MiB fetches", {median(log_reads), 0}, {median(raw_reads), 0});
  std::filesystem::remove_all(o.dir);
  return 0;
}

}  // namespace
}  // namespace velocity::storage

int main(int argc, char** argv) {
  velocity::storage::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir")
      o.dir = argv[i + 1];
    else if (flag == "--reps")
      o.reps = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--mib")
      o.mib = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--preallocate-mib")
      o.preallocate_bytes = static_cast<uint64_t>(std::max(0, std::atoi(argv[i + 1]))) << 20;
    else {
      std::fprintf(stderr, "usage: %s --dir DIR [--reps N] [--mib N] [--preallocate-mib N]\n",
                   argv[0]);
      return 2;
    }
  }
  return velocity::storage::run(o);
}
