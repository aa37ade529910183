// The seam between the network and the broker: the server hands each complete request frame
// to a RequestHandler and writes back whatever the handler answers, in request order per
// connection. The handler never touches a socket, so it is tested without a network.
// Everything here runs on the server's event-loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace velocity::net {

// Bytes that live in a file (a log segment) and are sent with sendfile, never copied into
// user space. `keep_alive` holds the file open until the bytes are on the wire, even if the
// segment is deleted meanwhile. `read` is the fallback for files without a descriptor.
struct FileRange {
  int fd = -1;
  int64_t position = 0;
  size_t length = 0;
  std::shared_ptr<const void> keep_alive;
  std::function<bool(std::byte* out, int64_t position, size_t length)> read;
};

// One response: a sequence of owned byte chunks and file ranges, written back to back.
// The first chunk normally holds the size prefix and the response header.
struct Response {
  std::vector<std::variant<std::vector<std::byte>, FileRange>> chunks;

  size_t size() const;
};

struct ConnectionInfo {
  uint64_t id = 0;
  std::string peer;  // "127.0.0.1:53422"
};

// What a handler does with a request: answer it (possibly later), answer nothing (acks=0
// produce), or close the connection with a reason that the server logs.
struct Reply {
  enum class Kind { kRespond, kNoResponse, kClose };
  Kind kind = Kind::kRespond;
  Response response;
  std::string close_reason;

  static Reply respond(Response r) { return Reply{Kind::kRespond, std::move(r), {}}; }
  static Reply none() { return Reply{Kind::kNoResponse, {}, {}}; }
  static Reply close(std::string why) { return Reply{Kind::kClose, {}, std::move(why)}; }
};

// Called exactly once per request, on the event-loop thread. Calling it after the connection
// closed is harmless: the reply is dropped.
using ReplyFn = std::function<void(Reply)>;

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // `frame` is one request without its 4-byte size prefix; the handler owns it from here on
  // (so record bytes inside it can outlive this call, e.g. while a produce waits for fsync).
  virtual void handle(const ConnectionInfo& connection, std::vector<std::byte> frame,
                      ReplyFn reply) = 0;

  // The connection is gone; pending replies for it will be dropped.
  virtual void connection_closed(const ConnectionInfo& /*connection*/) {}
};

}  // namespace velocity::net
