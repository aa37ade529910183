// GET /api/events: a customer's live updates as Server-Sent Events. Checks the session token
// (Authorization header, or ?token= since EventSource cannot set headers), attaches to the
// EventHub (replaying after Last-Event-ID), then writes each batch of frames as one chunk as
// soon as the hub wakes it, a comment every heartbeat while idle, and ends when the client
// leaves, falls too far behind, its session expires or the gateway stops. One coroutine and one
// pending read per stream, no thread: a thousand streams cost a thousand small queues.
#pragma once

#include <memory>
#include <string>

#include "gateway/connection.h"
#include "gateway/http.h"

namespace velocity::gateway {

// Serves the stream on `connection` and returns the status it answered with; the connection
// must be closed afterwards.
asio::awaitable<unsigned> stream_events(std::shared_ptr<Connection> connection, Request request,
                                        std::string request_id);

}  // namespace velocity::gateway
