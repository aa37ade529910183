// GET /api/notifications/admin/emails?to= — the email log, for operators, the CLI and tests.
#include <nlohmann/json.hpp>

#include "notifications/notifications.h"
#include "velocity/event.h"

namespace notifications {
namespace {

constexpr int kListLimit = 1000;

nlohmann::json time_or_null(const velocity::Statement& row, int column) {
  const auto millis = row.optional_int64(column);
  if (!millis) return nullptr;
  return velocity::format_rfc3339(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(*millis)));
}

}  // namespace

void Notifications::register_routes() {
  service_.route(
      "GET", "/api/notifications/admin/emails", [this](const velocity::ops::HttpRequest& request) {
        if (!service_.from_edge(request))
          return velocity::json_error(401, "this admin route needs the edge key");
        const auto to = request.query("to");
        if (to && to->empty())
          return velocity::json_error(400, "to must be an email address", "to");

        auto tx = service_.db().begin();
        if (!tx) return velocity::json_error(500, "reading the email log failed");
        const std::string columns =
            "SELECT email_id, recipient, subject, trigger_type, trigger_event_id, status, "
            "created_at, sent_at "
            "FROM emails ";
        const std::string order =
            " ORDER BY created_at DESC, rowid DESC LIMIT " + std::to_string(kListLimit);
        auto rows = to ? tx->query(columns + "WHERE recipient = ? COLLATE NOCASE" + order, *to)
                       : tx->query(columns + order);
        if (!rows) return velocity::json_error(500, "reading the email log failed");

        nlohmann::json emails = nlohmann::json::array();
        while (true) {
          auto more = rows->next();
          if (!more) return velocity::json_error(500, "reading the email log failed");
          if (!*more) break;
          emails.push_back({{"email_id", rows->text(0)},
                            {"to", rows->text(1)},
                            {"subject", rows->text(2)},
                            {"trigger_type", rows->text(3)},
                            {"trigger_event_id", rows->text(4)},
                            {"status", rows->text(5)},
                            {"created_at", time_or_null(*rows, 6)},
                            {"sent_at", time_or_null(*rows, 7)}});
        }
        return velocity::json_response(200, {{"emails", emails}});
      });
}

}  // namespace notifications
