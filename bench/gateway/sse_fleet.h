// SseFleet: many Server-Sent Events clients of one gateway on one Asio thread, each signed in as
// its own customer, recording for every event frame the delay between the `sent_ns` stamped in
// the event's data (steady clock, by this process) and its arrival. Thread-safe: the fleet's
// thread does all I/O; the public calls lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace velocity::bench {

int64_t now_ns();

class SseFleet {
 public:
  // `token_for(i)` is the session token of client i.
  SseFleet(uint16_t port, size_t clients, std::function<std::string(size_t)> token_for);
  ~SseFleet();
  SseFleet(const SseFleet&) = delete;
  SseFleet& operator=(const SseFleet&) = delete;

  size_t streaming() const { return streaming_; }  // clients that got their 200 header
  size_t failed() const { return failed_; }        // clients whose connection ended
  // Clients that received at least one warm-up event.
  size_t warmed() const;
  // Delays (ns) of measured (non-warm-up) events received so far, and their count.
  std::vector<int64_t> delays() const;
  size_t received() const;
  // Event ids received more than once by one client.
  size_t duplicates() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<size_t> streaming_{0};
  std::atomic<size_t> failed_{0};
  std::thread thread_;
};

}  // namespace velocity::bench
