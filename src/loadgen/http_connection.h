// One keep-alive HTTP/1.1 connection to one host, for one thread at a time (each load worker
// owns its own). Connects lazily, reconnects after the server closes or a request fails, and
// never throws: a request that got no answer has status 0 and says why in `error`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace velocity::loadgen {

struct HttpResponse {
  int status = 0;  // 0: no answer (connect, write or read failed)
  std::string body;
  std::string error;  // why there was no answer
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

class HttpConnection {
 public:
  HttpConnection(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // `body` empty: no body. A request on a reused connection that the server had already
  // closed is sent once more on a fresh one (every caller's request is safe to repeat: checkout
  // carries an Idempotency-Key).
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body = {}, const HttpHeaders& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "http://host:port[/...]" → host and port (80 when absent); nullopt-like false when not http.
bool parse_http_url(const std::string& url, std::string& host, uint16_t& port);

}  // namespace velocity::loadgen
