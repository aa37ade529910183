// Loopback networking for the integration tests: a free port to hand to a broker, a readiness
// probe, and RawConnection, a blocking TCP client that sends arbitrary bytes and reads what
// comes back under a deadline (for the bad-input tests). RawConnection owns its socket;
// one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace velocity::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
[[nodiscard]] Result<std::uint16_t> free_tcp_port();

// True when a TCP connection to host:port succeeds now.
bool accepts_connections(const std::string& host, std::uint16_t port);

// Splits "host:port" (the first entry of a comma-separated bootstrap list).
[[nodiscard]] Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view address);

class RawConnection {
 public:
  enum class ReadEnd { kComplete, kClosed, kDeadline };

  struct ReadResult {
    std::string bytes;  // everything received before the end
    ReadEnd end;
  };

  [[nodiscard]] static Result<RawConnection> connect(const std::string& host, std::uint16_t port);

  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  // Sends all bytes. A peer that already closed yields kClosed, which callers may accept.
  [[nodiscard]] Result<void> send_all(std::string_view bytes);
  // Half-close: the peer sees end of stream after what was sent.
  void shutdown_write();
  // Reads until `want` bytes arrived (kComplete), the peer closed or reset the connection
  // (kClosed), or the deadline passed (kDeadline).
  ReadResult read_until(std::size_t want, std::chrono::milliseconds deadline);

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace velocity::testing
