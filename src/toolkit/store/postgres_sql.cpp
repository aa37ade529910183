#include "toolkit/store/postgres_sql.h"

#include <cctype>
#include <regex>

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

// Splits `sql` into runs of code and of text that is not code (string literals, quoted
// identifiers, dollar-quoted strings, comments), in order, and hands each to `code` or `text`.
template <typename Code, typename Text>
void split_code(std::string_view sql, Code&& code, Text&& text) {
  size_t run = 0;  // start of the current code run
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    size_t end = 0;  // past a run that is not code, when one opens at i
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
    }
    if (end == 0) {
      ++i;
      continue;
    }
    if (i > run) code(sql.substr(run, i - run));
    text(sql.substr(i, end - i));
    i = run = end;
  }
  if (run < sql.size()) code(sql.substr(run));
}

}  // namespace

NumberedSql number_placeholders(std::string_view sql) {
  NumberedSql out;
  out.text.reserve(sql.size() + 8);
  split_code(
      sql,
      [&](std::string_view code) {
        for (const char c : code) {
          if (c == '?') {
            out.text += '$';
            out.text += std::to_string(++out.placeholders);
          } else {
            out.text += c;
          }
        }
      },
      [&](std::string_view text) { out.text.append(text); });
  return out;
}

std::string schema_from_sqlite(std::string_view sql) {
  static const std::regex kAutoincrement(R"(\bINTEGER(\s+PRIMARY\s+KEY)\s+AUTOINCREMENT\b)",
                                         std::regex::icase);
  static const std::regex kWithoutRowid(R"(\s*\bWITHOUT\s+ROWID\b)", std::regex::icase);
  static const std::regex kInteger(R"(\bINTEGER\b)", std::regex::icase);
  static const std::regex kBlob(R"(\bBLOB\b)", std::regex::icase);
  std::string out;
  out.reserve(sql.size() + 64);
  split_code(
      sql,
      [&](std::string_view code) {
        std::string run(code);
        run = std::regex_replace(run, kAutoincrement, "BIGINT GENERATED ALWAYS AS IDENTITY$1");
        run = std::regex_replace(run, kWithoutRowid, "");
        run = std::regex_replace(run, kBlob, "BYTEA");
        out += std::regex_replace(run, kInteger, "BIGINT");
      },
      [&](std::string_view text) { out.append(text); });
  return out;
}

}  // namespace velocity::store
