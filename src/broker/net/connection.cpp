#include "broker/net/connection.h"

#include <sys/sendfile.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/big_endian.h"
#include "common/log.h"

namespace velocity::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Replies gathered into one write: bounded so a slow reader cannot make us build huge lists.
constexpr size_t kMaxGatherReplies = 64;
constexpr size_t kMaxGatherBytes = 1 << 20;
// File ranges up to this size are read into memory and gathered with the bytes around them:
// one read and one write cost fewer system calls than flushing what is gathered, then
// sendfile. Only larger ranges are worth the kernel's file-to-socket copy.
constexpr size_t kMaxInlineFileBytes = 16 << 10;

bool inlined(const FileRange& range) { return range.fd < 0 || range.length <= kMaxInlineFileBytes; }

// Whether a reply is bytes and inlined file ranges only, so the next reply can join its write.
bool gatherable(const Reply& reply) {
  for (const auto& chunk : reply.response.chunks) {
    if (const auto* range = std::get_if<FileRange>(&chunk); range && !inlined(*range)) return false;
  }
  return true;
}

// Reads a file range into `out` (range.length bytes). False if the file is shorter or a read
// failed.
bool read_range(const FileRange& range, std::byte* out) {
  if (range.fd < 0) return range.read && range.read(out, range.position, range.length);
  size_t done = 0;
  while (done < range.length) {
    const ssize_t n = ::pread(range.fd, out + done, range.length - done,
                              static_cast<off_t>(range.position + static_cast<int64_t>(done)));
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

void RequestBudget::release(size_t bytes) {
  used_ -= std::min(bytes, used_);
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& wake : waiters) wake();
}

size_t Response::size() const {
  size_t total = 0;
  for (const auto& chunk : chunks) {
    if (const auto* bytes = std::get_if<std::vector<std::byte>>(&chunk)) {
      total += bytes->size();
    } else {
      total += std::get<FileRange>(chunk).length;
    }
  }
  return total;
}

Connection::Connection(tcp::socket socket, const ServerConfig& config, RequestHandler& handler,
                       uint64_t id, std::function<void(uint64_t)> on_closed,
                       std::shared_ptr<RequestBudget> budget)
    : socket_(std::move(socket)),
      config_(config),
      handler_(handler),
      on_closed_(std::move(on_closed)),
      budget_(std::move(budget)),
      write_wakeup_(socket_.get_executor()),
      read_wakeup_(socket_.get_executor()) {
  info_.id = id;
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  info_.peer = ec ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  socket_.set_option(tcp::no_delay(true), ec);
}

void Connection::start() {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), [self]() { return self->read_loop(); }, asio::detached);
  asio::co_spawn(socket_.get_executor(), [self]() { return self->write_loop(); }, asio::detached);
}

void Connection::drain() {
  draining_ = true;
  // The reader may be blocked in a read of a request that will never come: stop it.
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_receive, ec);
  wake(write_wakeup_);
  wake(read_wakeup_);
}

void Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) log::info("connection {} from {} closed: {}", info_.id, info_.peer, reason);
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  write_wakeup_.cancel();
  read_wakeup_.cancel();
  handler_.connection_closed(info_);
  size_t held = 0;
  for (const auto& slot : slots_) held += slot.request_bytes;
  slots_.clear();
  if (held > 0) budget_->release(held);
  if (on_closed_) on_closed_(info_.id);
}

void Connection::wake(asio::steady_timer& timer) { timer.cancel(); }

void Connection::complete(uint64_t seq, Reply reply) {
  if (closed_ || seq < seq_base_) return;
  size_t index = seq - seq_base_;
  if (index >= slots_.size()) return;
  slots_[index].ready = true;
  slots_[index].reply = std::move(reply);
  if (index == 0) wake(write_wakeup_);
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  boost::system::error_code ec;
  while (!closed_ && !draining_) {
    while (slots_.size() >= config_.max_in_flight_per_connection && !closed_) {
      boost::system::error_code woken;  // cancellation is how the timer wakes us
      read_wakeup_.expires_at(asio::steady_timer::time_point::max());
      co_await read_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
    if (closed_ || draining_) break;

    // Requests are read through a buffer: one receive usually brings a whole request (or
    // several), where reading the size prefix and then the body took two.
    while (in_end_ - in_begin_ < 4 && !ec) {
      if (in_begin_ > 0) {
        std::memmove(inbuf_.data(), inbuf_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
      }
      in_end_ += co_await socket_.async_read_some(
          asio::buffer(inbuf_.data() + in_end_, inbuf_.size() - in_end_),
          asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) break;
    const auto size = load_be<int32_t>(inbuf_.data() + in_begin_);
    in_begin_ += 4;
    // A length we cannot trust ends this connection only; other clients are unaffected.
    if (size < 0 || static_cast<size_t>(size) > config_.max_request_bytes) {
      close_after_flush_ = true;
      close_reason_ = "request size " + std::to_string(size) + " outside [0, " +
                      std::to_string(config_.max_request_bytes) + "]";
      break;
    }
    while (!budget_->admits(static_cast<size_t>(size)) && !closed_) {
      budget_->wait([weak = weak_from_this()] {
        if (auto connection = weak.lock()) connection->wake(connection->read_wakeup_);
      });
      boost::system::error_code woken;  // cancellation is how the timer wakes us
      read_wakeup_.expires_at(asio::steady_timer::time_point::max());
      co_await read_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
    if (closed_) break;
    budget_->take(static_cast<size_t>(size));
    std::vector<std::byte> frame(static_cast<size_t>(size));
    const size_t buffered = std::min(frame.size(), in_end_ - in_begin_);
    if (buffered > 0) std::memcpy(frame.data(), inbuf_.data() + in_begin_, buffered);
    in_begin_ += buffered;
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    if (buffered < frame.size()) {
      // The rest of a large request goes straight into its frame.
      co_await asio::async_read(socket_, asio::buffer(frame.data() + buffered, frame.size() - buffered),
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      budget_->release(static_cast<size_t>(size));
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        close_reason_ = "truncated request: " + ec.message();
      } else if (ec == asio::error::eof) {
        close_reason_ = "peer closed in the middle of a request";
      }
      close_after_flush_ = !close_reason_.empty();
      break;
    }
    uint64_t seq = next_seq_++;
    slots_.emplace_back();
    slots_.back().request_bytes = static_cast<size_t>(size);
    try {
      handler_.handle(info_, std::move(frame),
                      [weak = weak_from_this(), seq](Reply reply) {
                        if (auto conn = weak.lock()) conn->complete(seq, std::move(reply));
                      });
    } catch (const std::exception& e) {
      complete(seq, Reply::close(std::string("handler failed: ") + e.what()));
    }
  }
  // No more requests will be read: once the replies already owed are written, close.
  draining_ = true;
  wake(write_wakeup_);
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  boost::system::error_code ec;
  std::vector<asio::const_buffer> gather;
  std::vector<std::vector<std::byte>> copies;  // inlined file ranges, kept until written
  std::vector<Reply> batch;
  // sendfile below is called directly, so the socket must not block; set once.
  socket_.native_non_blocking(true, ec);
  if (ec) {
    close("write: " + ec.message());
    co_return;
  }
  while (!closed_) {
    if (slots_.empty() || !slots_.front().ready) {
      if (draining_ && slots_.empty()) {
        close(close_after_flush_ ? close_reason_ : std::string());
        co_return;
      }
      boost::system::error_code woken;  // cancellation is how the timer wakes us
      write_wakeup_.expires_at(asio::steady_timer::time_point::max());
      co_await write_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
      continue;
    }

    // Take every ready reply at the head, in order.
    batch.clear();
    size_t gathered_bytes = 0;
    size_t released = 0;
    while (!slots_.empty() && slots_.front().ready && batch.size() < kMaxGatherReplies &&
           gathered_bytes < kMaxGatherBytes) {
      released += slots_.front().request_bytes;
      batch.push_back(std::move(slots_.front().reply));
      gathered_bytes += batch.back().response.size();
      slots_.pop_front();
      ++seq_base_;
      if (batch.back().kind == Reply::Kind::kClose || !gatherable(batch.back())) break;
    }
    wake(read_wakeup_);
    if (released > 0) budget_->release(released);

    for (auto& reply : batch) {
      if (reply.kind == Reply::Kind::kNoResponse) continue;
      if (reply.kind == Reply::Kind::kClose) {
        if (!gather.empty()) co_await asio::async_write(socket_, gather, asio::redirect_error(asio::use_awaitable, ec));
        close(reply.close_reason);
        co_return;
      }
      for (auto& chunk : reply.response.chunks) {
        if (auto* bytes = std::get_if<std::vector<std::byte>>(&chunk)) {
          gather.push_back(asio::buffer(*bytes));
          continue;
        }
        auto& range = std::get<FileRange>(chunk);
        if (inlined(range)) {
          auto& copy = copies.emplace_back(range.length);
          if (!read_range(range, copy.data())) {
            close("could not read " + std::to_string(range.length) + " bytes of a log segment");
            co_return;
          }
          gather.push_back(asio::buffer(copy));
          continue;
        }
        // A large file range: flush what is gathered, then let the kernel copy file → socket.
        if (!gather.empty()) {
          co_await asio::async_write(socket_, gather, asio::redirect_error(asio::use_awaitable, ec));
          gather.clear();
          copies.clear();
          if (ec) break;
        }
        off_t position = range.position;
        size_t left = range.length;
        while (left > 0 && !ec) {
          ssize_t sent = ::sendfile(socket_.native_handle(), range.fd, &position, left);
          if (sent > 0) {
            left -= static_cast<size_t>(sent);
          } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
            co_await socket_.async_wait(tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, ec));
          } else {
            // The file is shorter than the range promised or the socket failed: the client
            // would see a torn response, so the connection must end here.
            close(sent == 0 ? "log segment shorter than the range being sent"
                            : std::string("sendfile: ") + std::strerror(errno));
            co_return;
          }
        }
        if (ec) break;
      }
      if (ec) break;
    }
    if (!ec && !gather.empty()) {
      co_await asio::async_write(socket_, gather, asio::redirect_error(asio::use_awaitable, ec));
    }
    gather.clear();
    copies.clear();
    if (ec) {
      close(ec == asio::error::broken_pipe || ec == asio::error::connection_reset ? std::string()
                                                                                 : "write: " + ec.message());
      co_return;
    }
  }
}

}  // namespace velocity::net
