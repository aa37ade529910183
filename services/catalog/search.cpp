#include "catalog/search.h"

#include <cctype>
#include <charconv>

namespace catalog {
namespace {

constexpr size_t kMaxWords = 16;
constexpr size_t kMaxFilterBytes = 50;

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

size_t count_characters(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Letters and digits of ASCII, and every byte of a non-ASCII character (unicode61 decides).
bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u);
}

std::expected<std::optional<int64_t>, QueryError> read_count(
    const velocity::ops::HttpRequest& request, std::string_view field, int64_t max) {
  auto raw = request.query(field);
  if (!raw || raw->empty()) return std::optional<int64_t>();
  int64_t value = 0;
  const auto* end = raw->data() + raw->size();
  auto [ptr, ec] = std::from_chars(raw->data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0 || value > max) {
    return std::unexpected(QueryError{
        std::string(field),
        std::string(field) + " must be a whole number from 0 to " + std::to_string(max)});
  }
  return std::optional<int64_t>(value);
}

std::expected<std::string, QueryError> read_filter(const velocity::ops::HttpRequest& request,
                                                   std::string_view field) {
  auto value = trim(request.query(field).value_or(""));
  if (value.size() > kMaxFilterBytes) {
    return std::unexpected(QueryError{std::string(field), std::string(field) + " is too long"});
  }
  return value;
}

}  // namespace

std::expected<SearchQuery, QueryError> parse_search(const velocity::ops::HttpRequest& request) {
  SearchQuery query;
  query.text = trim(request.query("q").value_or(""));
  if (count_characters(query.text) > kMaxQueryCharacters) {
    return std::unexpected(QueryError{
        "q", "q must be at most " + std::to_string(kMaxQueryCharacters) + " characters"});
  }
  auto size = read_filter(request, "size");
  if (!size) return std::unexpected(size.error());
  query.size = std::move(*size);
  auto colour = read_filter(request, "colour");
  if (!colour) return std::unexpected(colour.error());
  query.colour = std::move(*colour);

  constexpr int64_t kMaxCents = 1'000'000'000'000;
  auto min_price = read_count(request, "min_price", kMaxCents);
  if (!min_price) return std::unexpected(min_price.error());
  query.min_price = *min_price;
  auto max_price = read_count(request, "max_price", kMaxCents);
  if (!max_price) return std::unexpected(max_price.error());
  query.max_price = *max_price;

  const auto in_stock = request.query("in_stock").value_or("");
  if (in_stock == "1" || in_stock == "true") {
    query.in_stock = true;
  } else if (!in_stock.empty() && in_stock != "0" && in_stock != "false") {
    return std::unexpected(QueryError{"in_stock", "in_stock must be 1 or 0"});
  }

  auto limit = read_count(request, "limit", kMaxPageSize);
  if (!limit) return std::unexpected(limit.error());
  if (*limit) {
    if (**limit < 1)
      return std::unexpected(QueryError{"limit", "limit must be a whole number from 1 to 100"});
    query.limit = **limit;
  }
  auto offset = read_count(request, "offset", 1'000'000);
  if (!offset) return std::unexpected(offset.error());
  query.offset = offset->value_or(0);
  return query;
}

std::string match_expression(std::string_view text) {
  std::string expression;
  size_t words = 0;
  size_t i = 0;
  while (i < text.size() && words < kMaxWords) {
    while (i < text.size() && !is_word_byte(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && is_word_byte(text[i])) ++i;
    if (i == start) break;
    if (!expression.empty()) expression += " AND ";
    expression += '"';
    expression += text.substr(start, i - start);  // only letters and digits: no quote to escape
    expression += "\"*";
    ++words;
  }
  return expression;
}

velocity::Result<SearchPage> search(velocity::Transaction& tx, const SearchQuery& query) {
  SearchPage page;
  const std::string match = match_expression(query.text);
  if (!query.text.empty() && match.empty()) return page;

  // Every bound string lives in `query` or `match` for the whole function.
  std::vector<velocity::SqlParam> params;
  std::string from;
  std::string where;
  auto add = [&where](std::string_view condition) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  };
  if (!match.empty()) {
    from = " FROM product_search JOIN products p ON p.seq = product_search.rowid";
    add("product_search MATCH ?");
    params.emplace_back(match);
  } else {
    from = " FROM products p";
  }
  if (query.min_price) {
    add("p.price_cents >= ?");
    params.emplace_back(*query.min_price);
  }
  if (query.max_price) {
    add("p.price_cents <= ?");
    params.emplace_back(*query.max_price);
  }
  if (!query.size.empty() || !query.colour.empty() || query.in_stock) {
    std::string sku =
        "EXISTS (SELECT 1 FROM skus s LEFT JOIN stock k ON k.sku = s.sku WHERE s.product_id = "
        "p.product_id";
    if (!query.size.empty()) {
      sku += " AND s.size = ? COLLATE NOCASE";
      params.emplace_back(query.size);
    }
    if (!query.colour.empty()) {
      sku += " AND s.colour = ? COLLATE NOCASE";
      params.emplace_back(query.colour);
    }
    if (query.in_stock) sku += " AND COALESCE(k.available, 0) > 0";
    add(sku + ")");
  }

  auto counted = tx.query_bound("SELECT COUNT(*)" + from + where, params);
  if (!counted) return std::unexpected(counted.error());
  auto row = counted->next();
  if (!row) return std::unexpected(row.error());
  page.total = counted->int64(0);

  const std::string order =
      match.empty() ? " ORDER BY p.seq" : " ORDER BY product_search.rank, p.seq";
  params.emplace_back(query.limit);
  params.emplace_back(query.offset);
  auto rows =
      tx.query_bound("SELECT p.product_id" + from + where + order + " LIMIT ? OFFSET ?", params);
  if (!rows) return std::unexpected(rows.error());
  while (true) {
    auto next = rows->next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    page.product_ids.push_back(rows->text(0));
  }
  return page;
}

}  // namespace catalog
