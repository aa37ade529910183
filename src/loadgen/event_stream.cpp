#include "loadgen/event_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace velocity::loadgen {

// --- SseParser -----------------------------------------------------------------------------

bool SseParser::feed(std::string_view bytes, std::vector<SseFrame>& out) {
  if (!error_.empty()) return false;
  if (stage_ != Stage::kHeaders) {
    body(bytes, out);
    return error_.empty();
  }
  head_.append(bytes);
  const auto end = head_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (head_.size() > 16 * 1024) error_ = "response headers larger than 16 KiB";
    return error_.empty();
  }
  // "HTTP/1.1 200 OK"
  const auto space = head_.find(' ');
  if (head_.compare(0, 5, "HTTP/") != 0 || space == std::string::npos || space > end) {
    error_ = "not an HTTP response";
    return false;
  }
  const char* first = head_.data() + space + 1;
  if (std::from_chars(first, head_.data() + end, status_).ec != std::errc{} || status_ < 100) {
    error_ = "no status code in the response";
    return false;
  }
  std::string headers = head_.substr(0, end);
  std::ranges::transform(headers, headers.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool chunked = headers.find("\ntransfer-encoding: chunked") != std::string::npos;
  std::string rest = head_.substr(end + 4);
  head_.clear();
  head_.shrink_to_fit();
  stage_ = chunked ? Stage::kChunkSize : Stage::kRaw;
  if (status_ != 200) {
    error_ = "answered HTTP " + std::to_string(status_);
    return false;
  }
  body(rest, out);
  return error_.empty();
}

void SseParser::body(std::string_view bytes, std::vector<SseFrame>& out) {
  auto events = [&](std::string_view data) {
    pending_.append(data);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view text(pending_.data() + start, nl - start);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      line(text, out);
    }
    pending_.erase(0, start);
    if (pending_.size() > 1024 * 1024) error_ = "an event-stream line longer than 1 MiB";
  };
  while (!bytes.empty() && error_.empty()) {
    switch (stage_) {
      case Stage::kHeaders:
      case Stage::kDone:
        return;
      case Stage::kRaw:
        events(bytes);
        return;
      case Stage::kChunkSize:
      case Stage::kChunkEnd: {
        const auto nl = bytes.find('\n');
        chunk_line_.append(bytes.substr(0, nl));
        if (chunk_line_.size() > 1024) {
          error_ = "a chunk-size line longer than 1 KiB";
          return;
        }
        if (nl == std::string_view::npos) return;
        bytes.remove_prefix(nl + 1);
        std::string size_line = std::move(chunk_line_);
        chunk_line_.clear();
        if (stage_ == Stage::kChunkEnd) {
          stage_ = Stage::kChunkSize;  // the CRLF after a chunk's data
          break;
        }
        size_t size = 0;
        const auto parsed = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
        if (parsed.ec != std::errc{}) {
          error_ = "a malformed chunk size";
          return;
        }
        chunk_left_ = size;
        stage_ = size == 0 ? Stage::kDone : Stage::kChunkData;
        break;
      }
      case Stage::kChunkData: {
        const auto take = std::min(chunk_left_, bytes.size());
        events(bytes.substr(0, take));
        bytes.remove_prefix(take);
        chunk_left_ -= take;
        if (chunk_left_ == 0) stage_ = Stage::kChunkEnd;
        break;
      }
    }
  }
}

void SseParser::line(std::string_view text, std::vector<SseFrame>& out) {
  if (text.empty()) {
    if (frame_has_data_ || !frame_.event.empty()) {
      if (frame_.event.empty()) frame_.event = "message";
      out.push_back(std::move(frame_));
    }
    frame_ = {};
    frame_has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment: the preamble or a heartbeat
  const auto colon = text.find(':');
  const auto field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "id") {
    frame_.id = value;
  } else if (field == "event") {
    frame_.event = value;
  } else if (field == "data") {
    if (frame_has_data_) frame_.data += '\n';
    frame_.data.append(value);
    frame_has_data_ = true;
  }
}

// --- EventStreams --------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

struct Stream {
  size_t customer = 0;
  std::string token;
  int fd = -1;
  SseParser parser;
  std::string last_id;
  int failures = 0;         // failed opens in a row
  bool answered = false;    // this connection answered 200
  bool ever_open = false;
  bool settled = false;     // answered once, or given up
  bool given_up = false;
  Clock::time_point reopen_at{};
};

// A connected socket to host:port within `timeout`, or -1.
int connect_to(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (auto* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

// Writes all of `data` to the non-blocking `fd` within `timeout`.
bool write_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLOUT, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
  }
  return true;
}

}  // namespace

struct EventStreams::Impl {
  EventStreamOptions options;
  OnEvent on_event;
  OnFailed on_failed;
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<Stream*> by_customer;  // nullptr: no stream
  std::thread reader;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;  // stats, given_up, settled
  std::condition_variable settled_cv;
  size_t settled = 0;
  EventStreamStats stats;

  void settle(Stream& s) {
    if (s.settled) return;
    s.settled = true;
    ++settled;
    settled_cv.notify_all();
  }

  void close(Stream& s) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
  }

  void open_failed(Stream& s) {
    close(s);
    ++s.failures;
    if (s.failures < options.max_attempts) {
      s.reopen_at = Clock::now() + options.first_backoff * (1 << std::min(s.failures - 1, 6));
      return;
    }
    {
      std::lock_guard lock(mutex);
      s.given_up = true;
      ++stats.failed;
      settle(s);
    }
    on_failed(s.customer);
  }

  // The connection ended: open it again at once if it had been answered, else count a failure.
  void ended(Stream& s) {
    if (!s.answered) return open_failed(s);
    close(s);
    s.reopen_at = Clock::now();
  }

  void open(Stream& s) {
    s.parser = SseParser{};
    s.answered = false;
    s.fd = connect_to(options.host, options.port, options.connect_timeout);
    if (s.fd < 0) return open_failed(s);
    std::string request = "GET /api/events HTTP/1.1\r\nHost: " + options.host + ":" + std::to_string(options.port) +
                          "\r\nAuthorization: Bearer " + s.token + "\r\nAccept: text/event-stream\r\n";
    if (!s.last_id.empty()) request += "Last-Event-ID: " + s.last_id + "\r\n";
    request += "\r\n";
    if (!write_all(s.fd, request, options.connect_timeout)) open_failed(s);
  }

  void read(Stream& s) {
    char buffer[64 * 1024];
    for (;;) {
      const auto n = ::recv(s.fd, buffer, sizeof buffer, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ended(s);
      std::vector<SseFrame> frames;
      const bool ok = s.parser.feed(std::string_view(buffer, static_cast<size_t>(n)), frames);
      if (!s.answered && s.parser.status() == 200) {
        s.answered = true;
        s.failures = 0;
        std::lock_guard lock(mutex);
        ++stats.opened;
        if (s.ever_open) ++stats.reconnects;
        s.ever_open = true;
        settle(s);
      }
      if (!frames.empty()) {
        {
          std::lock_guard lock(mutex);
          stats.frames += frames.size();
        }
        for (const auto& frame : frames) {
          if (!frame.id.empty()) s.last_id = frame.id;
          on_event(s.customer, frame);
        }
      }
      if (!ok) {
        // Not 200 (401 for an expired token, 503 while the gateway starts): try again later.
        s.answered = false;
        return open_failed(s);
      }
    }
  }

  void run() {
    std::vector<pollfd> fds;
    std::vector<Stream*> polled;
    while (!stopping.load()) {
      const auto now = Clock::now();
      fds.clear();
      polled.clear();
      for (auto& s : streams) {
        if (s->given_up) continue;
        if (s->fd < 0 && now >= s->reopen_at) open(*s);
        if (s->fd >= 0) {
          fds.push_back({s->fd, POLLIN, 0});
          polled.push_back(s.get());
        }
      }
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0 && polled[i]->fd == fds[i].fd) read(*polled[i]);
      }
    }
    for (auto& s : streams) close(*s);
  }
};

EventStreams::EventStreams(EventStreamOptions options, OnEvent on_event, OnFailed on_failed)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->on_event = std::move(on_event);
  impl_->on_failed = std::move(on_failed);
}

EventStreams::~EventStreams() { stop(); }

size_t EventStreams::open(const std::vector<std::string>& tokens, std::chrono::milliseconds wait) {
  impl_->by_customer.assign(tokens.size(), nullptr);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) continue;
    auto s = std::make_unique<Stream>();
    s->customer = i;
    s->token = tokens[i];
    impl_->by_customer[i] = s.get();
    impl_->streams.push_back(std::move(s));
  }
  impl_->reader = std::thread([impl = impl_.get()] { impl->run(); });
  std::unique_lock lock(impl_->mutex);
  impl_->settled_cv.wait_for(lock, wait, [&] { return impl_->settled == impl_->streams.size(); });
  size_t open = 0;
  for (const auto& s : impl_->streams) open += s->ever_open && !s->given_up ? 1 : 0;
  return open;
}

bool EventStreams::following(size_t customer) const {
  std::lock_guard lock(impl_->mutex);
  const Stream* s = customer < impl_->by_customer.size() ? impl_->by_customer[customer] : nullptr;
  return s != nullptr && s->ever_open && !s->given_up;
}

void EventStreams::stop() {
  impl_->stopping = true;
  if (impl_->reader.joinable()) impl_->reader.join();
}

EventStreamStats EventStreams::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace velocity::loadgen
