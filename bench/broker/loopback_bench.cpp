#include "loopback_bench.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace velocity::bench {
namespace {

// Owns one file descriptor.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

Result<sockaddr_in> bound_listener(const Socket& socket) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return fail(ErrorCode::kIo, fmt::format("bind 127.0.0.1:0: {}", std::strerror(errno)));
  }
  socklen_t length = sizeof address;
  if (getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return fail(ErrorCode::kIo, fmt::format("getsockname: {}", std::strerror(errno)));
  }
  return address;
}

// Pins the calling thread to `cpu` when the machine has more than one; a failure only costs
// fairness, so it is ignored.
void pin_to(int cpu) {
  if (std::thread::hardware_concurrency() < 2) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// Writes `chunk_bytes` chunks to `address` for `seconds`, then closes; returns the writes made.
Result<int64_t> send_for(const LoopbackOptions& options, const sockaddr_in& address) {
  pin_to(0);
  Socket sender(::socket(AF_INET, SOCK_STREAM, 0));
  if (sender.fd() < 0) return fail(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  setsockopt(sender.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(sender.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return fail(ErrorCode::kIo, fmt::format("connect: {}", std::strerror(errno)));
  }
  const std::vector<char> chunk(static_cast<size_t>(options.chunk_bytes), 'v');
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.seconds));
  int64_t writes = 0;
  // The clock is read once every 64 writes; a syscall per write dominates anyway.
  while ((writes & 63) != 0 || Clock::now() < deadline) {
    size_t sent = 0;
    while (sent < chunk.size()) {
      ssize_t n = write(sender.fd(), chunk.data() + sent, chunk.size() - sent);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(ErrorCode::kIo, fmt::format("write: {}", std::strerror(errno)));
      sent += static_cast<size_t>(n);
    }
    ++writes;
  }
  return writes;
}

}  // namespace

Result<uint16_t> free_port() {
  Socket socket(::socket(AF_INET, SOCK_STREAM, 0));
  if (socket.fd() < 0) return fail(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  auto address = bound_listener(socket);
  if (!address) return std::unexpected(address.error());
  return ntohs(address->sin_port);
}

Result<Figures> run_loopback(const LoopbackOptions& options) {
  Socket listener(::socket(AF_INET, SOCK_STREAM, 0));
  if (listener.fd() < 0)
    return fail(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  auto address = bound_listener(listener);
  if (!address) return std::unexpected(address.error());
  if (listen(listener.fd(), 1) != 0)
    return fail(ErrorCode::kIo, fmt::format("listen: {}", std::strerror(errno)));

  std::atomic<int64_t> received{0};
  std::atomic<double> receive_seconds{0};
  std::jthread receiver([&listener, &received, &receive_seconds] {
    pin_to(1);
    Socket peer(accept(listener.fd(), nullptr, nullptr));
    if (peer.fd() < 0) return;
    std::vector<char> buffer(1 << 20);
    int64_t total = 0;
    Clock::time_point first{};
    while (true) {
      ssize_t n = read(peer.fd(), buffer.data(), buffer.size());
      if (n <= 0) break;
      // The clock starts at the first byte, so connection setup is not counted.
      if (total == 0) first = Clock::now();
      total += n;
    }
    received = total;
    receive_seconds = seconds_between(first, Clock::now());
  });

  // The sender runs on this thread; if it fails before connecting, closing the listener for
  // reading wakes the receiver's accept so the join below cannot hang.
  auto writes = send_for(options, *address);
  if (!writes) shutdown(listener.fd(), SHUT_RDWR);
  receiver.join();
  if (!writes) return std::unexpected(writes.error());
  const double elapsed = receive_seconds.load();
  if (elapsed <= 0) return fail(ErrorCode::kIo, "loopback receiver saw no data");
  Figures figures = {
      {"mb_per_s", static_cast<double>(received.load()) / elapsed / 1e6},
      {"writes_per_s", static_cast<double>(*writes) / elapsed},
  };
  return figures;
}

}  // namespace velocity::bench
