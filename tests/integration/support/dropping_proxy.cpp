#include "support/dropping_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

namespace velocity::testing {
namespace {

constexpr std::uint32_t kMaxFrame = 64u << 20;
constexpr std::int16_t kProduceApiKey = 0;

bool read_exact(int fd, char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd, data + done, size - done, 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool write_all(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

std::uint32_t big_endian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}

std::int16_t big_endian16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::int16_t>((u[0] << 8) | u[1]);
}

// One whole frame (size prefix included) or nothing.
bool read_frame(int fd, std::string& frame) {
  char prefix[4];
  if (!read_exact(fd, prefix, sizeof prefix)) return false;
  const std::uint32_t size = big_endian32(prefix);
  if (size > kMaxFrame) return false;
  frame.assign(prefix, sizeof prefix);
  frame.resize(sizeof prefix + size);
  return read_exact(fd, frame.data() + sizeof prefix, size);
}

}  // namespace

struct DroppingProxy::Link {
  int client = -1;
  int broker = -1;
  std::mutex mutex;                       // guards produce_ids
  std::set<std::int32_t> produce_ids;     // correlation ids of Produce requests in flight
  std::thread requests;
  std::thread responses;

  void cut() {
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(broker, SHUT_RDWR);
  }
};

DroppingProxy::DroppingProxy(int listen_fd, std::uint16_t port, int drops)
    : listen_fd_(listen_fd), port_(port), drops_(drops) {}

Result<std::unique_ptr<DroppingProxy>> DroppingProxy::listen(int drops) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("proxy listen: {}", reason));
  }
  return std::unique_ptr<DroppingProxy>(new DroppingProxy(fd, ntohs(address.sin_port), drops));
}

void DroppingProxy::forward_to(const std::string& host, std::uint16_t port) {
  upstream_host_ = host;
  upstream_port_ = port;
  acceptor_ = std::thread([this] { accept_loop(); });
}

DroppingProxy::~DroppingProxy() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(mutex_);
  for (auto& link : links_) {
    link->cut();
    link->requests.join();
    link->responses.join();
    ::close(link->client);
    ::close(link->broker);
  }
  ::close(listen_fd_);
}

void DroppingProxy::accept_loop() {
  while (!stop_) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int broker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(upstream_port_);
    ::inet_pton(AF_INET, upstream_host_.c_str(), &address.sin_addr);
    if (broker < 0 || ::connect(broker, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (broker >= 0) ::close(broker);
      ::close(client);
      continue;
    }
    const int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(broker, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto link = std::make_unique<Link>();
    link->client = client;
    link->broker = broker;
    Link& ref = *link;
    std::lock_guard lock(mutex_);
    link->requests = std::thread([this, &ref] { pump_requests(ref); });
    link->responses = std::thread([this, &ref] { pump_responses(ref); });
    links_.push_back(std::move(link));
  }
}

void DroppingProxy::pump_requests(Link& link) {
  std::string frame;
  while (read_frame(link.client, frame)) {
    // Request header: size, api_key int16, api_version int16, correlation_id int32.
    if (frame.size() >= 12) {
      if (big_endian16(frame.data() + 4) == kProduceApiKey) {
        std::lock_guard lock(link.mutex);
        link.produce_ids.insert(static_cast<std::int32_t>(big_endian32(frame.data() + 8)));
      }
    }
    if (!write_all(link.broker, frame.data(), frame.size())) break;
  }
  link.cut();
}

void DroppingProxy::pump_responses(Link& link) {
  std::string frame;
  while (read_frame(link.broker, frame)) {
    // Response header: size, correlation_id int32.
    if (frame.size() >= 8) {
      const auto id = static_cast<std::int32_t>(big_endian32(frame.data() + 4));
      bool produce = false;
      {
        std::lock_guard lock(link.mutex);
        produce = link.produce_ids.erase(id) > 0;
      }
      if (produce && drop_next_produce_response()) break;
    }
    if (!write_all(link.client, frame.data(), frame.size())) break;
  }
  link.cut();
}

bool DroppingProxy::drop_next_produce_response() {
  const int seen = ++produce_responses_;
  if (seen % 2 == 0 || dropped_ >= drops_) return false;
  ++dropped_;
  return true;
}

}  // namespace velocity::testing
