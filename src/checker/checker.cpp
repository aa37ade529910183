#include "checker/checker.h"

#include "checker/read_only_db.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

namespace velocity::checker {
namespace {

constexpr size_t kShown = 10;  // violations listed per check; the rest are counted

const char* const kServices[] = {"users", "catalog", "cart", "orders", "inventory", "payments", "shipping", "notifications"};

void violate(Check& check, std::string what) {
  check.ok = false;
  ++check.violation_count;
  if (check.violations.size() < kShown) check.violations.push_back(std::move(what));
}

class Store {
 public:
  explicit Store(const std::filesystem::path& data_dir) {
    for (const char* service : kServices) {
      std::string error;
      auto db = ReadOnlyDb::open(service_db_path(data_dir, service), error);
      if (db) {
        dbs_[service] = std::move(db);
      } else {
        errors_[service] = error;
      }
    }
  }

  // Runs `sql` on `service`'s database; a failure becomes a violation of `check`.
  std::optional<std::vector<ReadOnlyDb::Row>> query(Check& check, const std::string& service, const std::string& sql) {
    auto it = dbs_.find(service);
    if (it == dbs_.end()) {
      violate(check, service + ": " + errors_[service]);
      return std::nullopt;
    }
    std::string error;
    auto rows = it->second->rows(sql, error);
    if (!rows) violate(check, service + ": " + error);
    return rows;
  }

  // Every order's status, read once and shared by the checks that need it; a check that asks
  // when orders cannot be read gets the reason as a violation of its own.
  const std::map<std::string, std::string>& order_statuses(Check& check) {
    if (!orders_) {
      Check reading{"orders"};
      orders_.emplace();
      if (auto rows = query(reading, "orders", "SELECT order_id, status FROM orders")) {
        for (const auto& r : *rows) (*orders_)[r[0]] = r[1];
      }
      orders_error_ = reading.violations;
    }
    for (const auto& v : orders_error_) violate(check, v);
    return *orders_;
  }

 private:
  std::map<std::string, std::unique_ptr<ReadOnlyDb>> dbs_;
  std::map<std::string, std::string> errors_;
  std::optional<std::map<std::string, std::string>> orders_;
  std::vector<std::string> orders_error_;
};

int64_t to_int(const std::string& text) {
  try {
    return std::stoll(text);
  } catch (...) {
    return 0;
  }
}

Check stock_conserved(Store& store) {
  Check c{"stock conserved"};
  auto rows = store.query(c, "inventory",
                          "SELECT s.sku, s.available, s.reserved, s.shipped, COALESCE(SUM(a.delta), 0) "
                          "FROM stock s LEFT JOIN stock_adjustment a ON a.sku = s.sku GROUP BY s.sku ORDER BY s.sku");
  if (!rows) return c;
  for (const auto& r : *rows) {
    const int64_t available = to_int(r[1]), reserved = to_int(r[2]), shipped = to_int(r[3]), in = to_int(r[4]);
    if (available < 0 || reserved < 0 || shipped < 0) violate(c, r[0] + ": a negative count");
    if (in != available + reserved + shipped) {
      violate(c, r[0] + ": stocked " + std::to_string(in) + " but available " + std::to_string(available) +
                     " + reserved " + std::to_string(reserved) + " + shipped " + std::to_string(shipped));
    }
  }
  // Reserved units are exactly the held reservations' lines.
  auto held = store.query(c, "inventory",
                          "SELECT s.sku, s.reserved, COALESCE((SELECT SUM(l.quantity) FROM reservation_line l "
                          "JOIN reservation r ON r.order_id = l.order_id WHERE r.status = 'held' AND l.sku = s.sku), 0) "
                          "FROM stock s");
  if (held) {
    for (const auto& r : *held) {
      if (to_int(r[1]) != to_int(r[2]))
        violate(c, r[0] + ": reserved " + r[1] + " but held reservations add up to " + r[2]);
    }
  }
  c.detail = std::to_string(rows->size()) + " SKUs";
  return c;
}


Check orders_terminal(Store& store) {
  Check c{"every order terminal"};
  const auto& orders = store.order_statuses(c);
  for (const auto& [id, status] : orders) {
    if (status != "completed" && status != "cancelled") violate(c, id + " is still " + status);
  }
  c.detail = std::to_string(orders.size()) + " orders";
  return c;
}

Check payments_consistent(Store& store) {
  Check c{"payments match orders"};
  const auto& orders = store.order_statuses(c);
  auto rows = store.query(c, "payments", "SELECT order_id, status FROM payment");
  if (!rows) return c;
  std::map<std::string, std::string> payments;
  for (const auto& r : *rows) {
    if (payments.contains(r[0])) violate(c, r[0] + ": more than one payment");
    payments[r[0]] = r[1];
  }
  for (const auto& [id, status] : orders) {
    const auto it = payments.find(id);
    const std::string payment = it == payments.end() ? "" : it->second;
    if (status == "completed" && payment != "authorized")
      violate(c, id + " is completed but its payment is " + (payment.empty() ? "missing" : payment));
    if (status == "cancelled" && payment == "authorized") violate(c, id + " is cancelled but was not refunded");
  }
  for (const auto& [id, payment] : payments) {
    if (!orders.contains(id)) violate(c, "payment for unknown order " + id);
  }
  c.detail = std::to_string(payments.size()) + " payments";
  return c;
}

Check reservations_consistent(Store& store) {
  Check c{"reservations match orders"};
  const auto& orders = store.order_statuses(c);
  auto rows = store.query(c, "inventory", "SELECT order_id, status FROM reservation");
  if (!rows) return c;
  for (const auto& r : *rows) {
    const auto it = orders.find(r[0]);
    if (it == orders.end()) {
      violate(c, "reservation for unknown order " + r[0]);
      continue;
    }
    if (r[1] == "held" && (it->second == "completed" || it->second == "cancelled"))
      violate(c, r[0] + " is " + it->second + " but its stock is still held");
    if (it->second == "completed" && r[1] != "shipped") violate(c, r[0] + " is completed but its stock is " + r[1]);
  }
  c.detail = std::to_string(rows->size()) + " reservations";
  return c;
}

Check one_email_per_trigger(Store& store) {
  Check c{"one email per triggering event"};
  const auto& orders = store.order_statuses(c);
  auto rows = store.query(c, "notifications", "SELECT order_id, trigger_type, status, trigger_event_id FROM emails");
  if (!rows) return c;
  std::map<std::string, std::map<std::string, int>> by_order;  // order → kind → count
  std::set<std::string> triggers;
  size_t unconfirmed = 0;
  for (const auto& r : *rows) {
    if (!triggers.insert(r[3]).second) violate(c, "two emails for event " + r[3]);
    if (r[2] == "unknown") {
      ++unconfirmed;
      if (c.notes.size() < kShown)
        c.notes.push_back("email for " + r[3] + " was interrupted by a crash mid-delivery; " +
                          "whether it arrived is unknown and it is not sent twice");
    } else if (r[2] != "sent") {
      violate(c, "email for " + r[3] + " is " + r[2]);
    }
    if (r[0].empty()) continue;
    for (const char* kind : {"confirmed", "cancelled", "dispatched", "delivered"}) {
      if (r[1].find(kind) != std::string::npos) ++by_order[r[0]][kind];
    }
  }
  for (const auto& [id, status] : orders) {
    auto& kinds = by_order[id];
    const auto expect = [&](const char* kind, int n) {
      if (kinds[kind] != n)
        violate(c, id + " (" + status + "): " + std::to_string(kinds[kind]) + " '" + kind + "' emails, expected " +
                       std::to_string(n));
    };
    if (status == "completed") {
      expect("confirmed", 1);
      expect("dispatched", 1);
      expect("delivered", 1);
      expect("cancelled", 0);
    } else if (status == "cancelled") {
      expect("cancelled", 1);
      expect("delivered", 0);
    }
  }
  c.detail = std::to_string(rows->size()) + " emails";
  if (unconfirmed > 0) c.detail += ", " + std::to_string(unconfirmed) + " unconfirmed";
  return c;
}

Check outboxes_empty(Store& store) {
  Check c{"outboxes drained"};
  int64_t total = 0;
  for (const char* service : kServices) {
    auto rows = store.query(c, service, "SELECT COUNT(*) FROM velocity_outbox_queue");
    if (!rows || rows->empty()) continue;
    const int64_t pending = to_int((*rows)[0][0]);
    total += pending;
    if (pending > 0) violate(c, std::string(service) + ": " + std::to_string(pending) + " events not yet published");
  }
  c.detail = std::to_string(total) + " pending";
  return c;
}

}  // namespace

bool Verdict::ok() const {
  for (const auto& c : checks)
    if (!c.ok) return false;
  return true;
}

nlohmann::json Verdict::to_json() const {
  nlohmann::json out{{"ok", ok()}, {"checks", nlohmann::json::array()}};
  for (const auto& c : checks) {
    out["checks"].push_back({{"name", c.name},
                             {"ok", c.ok},
                             {"detail", c.detail},
                             {"violation_count", c.violation_count},
                             {"violations", c.violations},
                             {"notes", c.notes}});
  }
  return out;
}

std::string Verdict::to_text() const {
  std::ostringstream out;
  for (const auto& c : checks) {
    out << (c.ok ? "ok    " : "FAIL  ") << c.name;
    if (!c.detail.empty()) out << " (" << c.detail << ")";
    out << '\n';
    for (const auto& v : c.violations) out << "        " << v << '\n';
    for (const auto& n : c.notes) out << "        note: " << n << '\n';
    if (c.violation_count > c.violations.size())
      out << "        … and " << c.violation_count - c.violations.size() << " more\n";
  }
  out << (ok() ? "verdict: every invariant holds\n" : "verdict: INVARIANTS VIOLATED\n");
  return out.str();
}

Verdict check_store(const std::filesystem::path& data_dir) {
  Store store(data_dir);
  Verdict v;
  v.checks.push_back(stock_conserved(store));
  v.checks.push_back(orders_terminal(store));
  v.checks.push_back(payments_consistent(store));
  v.checks.push_back(reservations_consistent(store));
  v.checks.push_back(one_email_per_trigger(store));
  v.checks.push_back(outboxes_empty(store));
  return v;
}

}  // namespace velocity::checker
