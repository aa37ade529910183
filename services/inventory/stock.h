// Stock per SKU and its adjustments ledger, as operations inside the caller's transaction.
// Every operation keeps, per SKU, sum(adjustments) = available + reserved + shipped with no
// column below zero (the schema's CHECK constraints refuse a negative count outright).
// Free functions over a Transaction: thread-safe as the Database is.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shop/events.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace inventory {

// Reasons of the ledger; the first is only written when the service first starts.
inline constexpr std::string_view kReasonInitial = "initial";
inline constexpr std::string_view kReasonRestock = "restock";
inline constexpr std::string_view kReasonWriteOff = "write-off";

struct StockRow {
  std::string sku;
  int64_t available = 0;
  int64_t reserved = 0;
  int64_t shipped = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockRow, sku, available, reserved, shipped)

// Creates the stock and ledger tables.
[[nodiscard]] velocity::Result<void> migrate_stock(velocity::Database& db);

[[nodiscard]] velocity::Result<std::optional<StockRow>> find_stock(velocity::Transaction& tx,
                                                                   std::string_view sku);
// Every SKU, ordered by SKU.
[[nodiscard]] velocity::Result<std::vector<StockRow>> list_stock(velocity::Transaction& tx);
[[nodiscard]] velocity::Result<int64_t> count_adjustments(velocity::Transaction& tx);

// Adds `delta` units to `sku`'s available stock (creating the SKU at zero first) and records it
// in the ledger. kOutOfRange, changing nothing, when available would go below zero.
[[nodiscard]] velocity::Result<StockRow> adjust_stock(velocity::Transaction& tx,
                                                      std::string_view sku, int64_t delta,
                                                      std::string_view reason);

// A requested line that stock cannot cover (an unknown SKU has 0 available).
struct Shortfall {
  std::string sku;
  int64_t asked = 0;
  int64_t available = 0;
};
// Lines with one entry per SKU, quantities of repeated SKUs added up, in first-seen order.
std::vector<shop::StockLine> merge_lines(const std::vector<shop::StockLine>& lines);
// The lines (merged) that available stock cannot cover right now; empty when all of them can.
[[nodiscard]] velocity::Result<std::vector<Shortfall>> shortfalls(
    velocity::Transaction& tx, const std::vector<shop::StockLine>& lines);

// Moves units between the columns of each line's SKU. Each fails (kOutOfRange) without a
// partial effect on that line when the source column holds fewer units; callers check first
// and run them inside one transaction, so a failure rolls every line back.
[[nodiscard]] velocity::Result<void> hold(velocity::Transaction& tx,
                                          const std::vector<shop::StockLine>& lines);
[[nodiscard]] velocity::Result<void> release(velocity::Transaction& tx,
                                             const std::vector<shop::StockLine>& lines);
[[nodiscard]] velocity::Result<void> ship_reserved(velocity::Transaction& tx,
                                                   const std::vector<shop::StockLine>& lines);
// Ships up to `quantity` units of `sku` straight from available stock; returns how many it took
// (fewer when fewer are available, never making available negative).
[[nodiscard]] velocity::Result<int64_t> ship_available(velocity::Transaction& tx,
                                                       std::string_view sku, int64_t quantity);

// Available units after the change, one entry per SKU of `lines`, for the events' `levels`.
[[nodiscard]] velocity::Result<std::vector<shop::StockLevel>> levels(
    velocity::Transaction& tx, const std::vector<shop::StockLine>& lines);

}  // namespace inventory
