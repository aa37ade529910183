#include "toolkit/store/postgres_sql.h"

#include <cctype>

namespace velocity::store {
namespace {

// The index just past a quoted run that opens at `start` with `quote` ('' and "" double the
// quote inside; E'…' strings also escape it with a backslash).
size_t skip_quoted(std::string_view sql, size_t start, char quote, bool backslash_escapes) {
  size_t i = start + 1;
  while (i < sql.size()) {
    if (backslash_escapes && sql[i] == '\\') {
      i += 2;
      continue;
    }
    if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

// A dollar quote's tag ($$ or $name$) opening at `start`, or empty when `$` does not open one
// (as in $1).
std::string_view dollar_tag(std::string_view sql, size_t start) {
  size_t i = start + 1;
  if (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) return {};
  while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) ++i;
  if (i < sql.size() && sql[i] == '$') return sql.substr(start, i + 1 - start);
  return {};
}

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

NumberedSql number_placeholders(std::string_view sql) {
  NumberedSql out;
  out.text.reserve(sql.size() + 8);
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    size_t end = i + 1;
    if (c == '\'') {
      const bool escaped = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !identifier_char(sql[i - 2]));
      end = skip_quoted(sql, i, '\'', escaped);
    } else if (c == '"') {
      end = skip_quoted(sql, i, '"', false);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '$' && !(i > 0 && identifier_char(sql[i - 1]))) {
      if (auto tag = dollar_tag(sql, i); !tag.empty()) {
        end = sql.find(tag, i + tag.size());
        end = end == std::string_view::npos ? sql.size() : end + tag.size();
      }
    } else if (c == '?') {
      out.text += '$';
      out.text += std::to_string(++out.placeholders);
      i = end;
      continue;
    }
    out.text.append(sql.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace velocity::store
