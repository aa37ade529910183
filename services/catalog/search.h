// Product search: the query string of GET /api/catalog/products checked field by field, and the
// SQL that answers it (FTS5 prefix matching on name, description and colours, plus filters on
// size, colour, price and availability, one page at a time). Pure functions over a transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "velocity/ops_server.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace catalog {

inline constexpr int64_t kDefaultPageSize = 24;
inline constexpr int64_t kMaxPageSize = 100;
inline constexpr size_t kMaxQueryCharacters = 200;

struct SearchQuery {
  std::string text;                  // `q`, trimmed; empty: no text search
  std::string size;                  // empty: any (compared without regard to case)
  std::string colour;                // empty: any
  std::optional<int64_t> min_price;  // cents, inclusive
  std::optional<int64_t> max_price;
  bool in_stock = false;  // only products with a matching SKU that has units
  int64_t limit = kDefaultPageSize;
  int64_t offset = 0;
};

struct QueryError {
  std::string field;
  std::string message;
};

// Reads and checks q, size, colour, min_price, max_price, in_stock, limit and offset.
std::expected<SearchQuery, QueryError> parse_search(const velocity::ops::HttpRequest& request);

// The FTS5 expression for `text`: each word a quoted prefix term, all of them required
// ("crew bl" → `"crew"* AND "bl"*`). Words are runs of letters and digits, so no input can
// reach FTS5's query syntax. Empty when `text` holds no word.
std::string match_expression(std::string_view text);

struct SearchPage {
  std::vector<std::string> product_ids;  // best match first with text, else in listing order
  int64_t total = 0;                     // matches across all pages
};

// Size, colour and in_stock apply to one SKU together: "M, Black, in stock" needs a SKU that is
// all three. A text without words matches nothing.
[[nodiscard]] velocity::Result<SearchPage> search(velocity::Transaction& tx,
                                                  const SearchQuery& query);

}  // namespace catalog
