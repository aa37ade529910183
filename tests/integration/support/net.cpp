#include "support/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

Result<sockaddr_in> loopback_address(const std::string& host, std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  // Brokers are started on 127.0.0.1; the mock reports "localhost".
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, numeric.c_str(), &addr.sin_addr) != 1) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("not an IPv4 address: {}", host));
  }
  return addr;
}

}  // namespace

Result<std::uint16_t> free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int saved = errno;
    ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("bind 127.0.0.1:0: {}", std::strerror(saved)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(const std::string& host, std::uint16_t port) {
  auto connection = RawConnection::connect(host, port);
  return connection.has_value();
}

Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view address) {
  address = address.substr(0, address.find(','));
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("no port in '{}'", address));
  }
  unsigned port = 0;
  const auto digits = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("bad port in '{}'", address));
  }
  return std::pair{std::string(address.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

Result<RawConnection> RawConnection::connect(const std::string& host, std::uint16_t port) {
  auto addr = loopback_address(host, port);
  if (!addr) return std::unexpected(addr.error());
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    const int saved = errno;
    ::close(fd);
    return fail(ErrorCode::kIo,
                fmt::format("connect {}:{}: {}", host, port, std::strerror(saved)));
  }
  return RawConnection(fd);
}

RawConnection::RawConnection(RawConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> RawConnection::send_all(std::string_view bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      return fail(ErrorCode::kClosed, "peer closed the connection while we were sending");
    }
    if (n < 0) return fail(ErrorCode::kIo, fmt::format("send: {}", std::strerror(errno)));
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

void RawConnection::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

RawConnection::ReadResult RawConnection::read_until(std::size_t want,
                                                    std::chrono::milliseconds deadline) {
  ReadResult result{{}, ReadEnd::kDeadline};
  const auto until = Clock::now() + deadline;
  std::array<char, 4096> buffer{};
  while (result.bytes.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return result;
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return result;
    // Never read past `want`: the rest belongs to the caller's next read.
    const std::size_t room = std::min(buffer.size(), want - result.bytes.size());
    const ssize_t n = ::recv(fd_, buffer.data(), room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result.end = ReadEnd::kClosed;
      return result;
    }
    result.bytes.append(buffer.data(), static_cast<std::size_t>(n));
  }
  result.end = ReadEnd::kComplete;
  return result;
}

}  // namespace velocity::testing
