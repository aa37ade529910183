// Following orders through the gateway's event stream (GET /api/events, Server-Sent Events):
// one stream per customer, all read by one thread.
//
// SseParser turns the bytes of one HTTP response into frames: the status line and headers,
// chunked transfer coding when the response uses it, then the event-stream fields (`id:`,
// `event:`, `data:`; comment lines are heartbeats). It takes bytes in pieces of any size.
//
// EventStreams keeps one stream open per customer. A stream that ends or breaks is opened again
// with `Last-Event-ID` (the last id it delivered), so nothing is missed while the gateway still
// buffers it; the gateway answers a resume it cannot serve with an `event: resync` frame, which
// reaches on_event like any other. A customer whose stream cannot be opened `max_attempts`
// times in a row (no answer, or a status other than 200) is given up: on_failed is called once,
// and the caller follows that customer's orders some other way. Callbacks run on the reader
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace velocity::loadgen {

struct SseFrame {
  std::string id;     // empty when the frame had none
  std::string event;  // "message" when the frame named none
  std::string data;   // data: lines joined by '\n'
};

class SseParser {
 public:
  // Appends the frames completed by `bytes` to `out`. False once the response is not an event
  // stream we can read (see error()); the connection should be dropped then.
  bool feed(std::string_view bytes, std::vector<SseFrame>& out);
  // 0 until the status line has arrived.
  int status() const { return status_; }
  bool headers_done() const { return stage_ != Stage::kHeaders; }
  const std::string& error() const { return error_; }

 private:
  enum class Stage { kHeaders, kChunkSize, kChunkData, kChunkEnd, kRaw, kDone };
  void body(std::string_view bytes, std::vector<SseFrame>& out);
  void line(std::string_view text, std::vector<SseFrame>& out);

  Stage stage_ = Stage::kHeaders;
  std::string head_;     // bytes of the status line and headers so far
  std::string pending_;  // chunk-size line or an unfinished event-stream line
  std::string chunk_line_;
  size_t chunk_left_ = 0;
  int status_ = 0;
  std::string error_;
  SseFrame frame_;
  bool frame_has_data_ = false;
};

struct EventStreamOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::chrono::milliseconds connect_timeout{3000};
  int max_attempts = 5;  // consecutive failed opens before a customer is given up
  std::chrono::milliseconds first_backoff{100};
};

struct EventStreamStats {
  size_t opened = 0;      // streams that answered 200, counting reopens
  size_t reconnects = 0;  // reopens after a stream that had been open ended
  size_t failed = 0;      // customers given up
  size_t frames = 0;      // event frames received
};

class EventStreams {
 public:
  using OnEvent = std::function<void(size_t customer, const SseFrame& frame)>;
  using OnFailed = std::function<void(size_t customer)>;

  EventStreams(EventStreamOptions options, OnEvent on_event, OnFailed on_failed);
  ~EventStreams();  // stop()
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // Opens a stream for each non-empty token (index = customer) and starts the reader thread;
  // returns once every stream has answered or been given up, or after `wait` at the most.
  // Returns how many are open.
  size_t open(const std::vector<std::string>& tokens, std::chrono::milliseconds wait);
  // True while `customer`'s stream has not been given up.
  bool following(size_t customer) const;
  void stop();
  EventStreamStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace velocity::loadgen
