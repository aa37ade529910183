// SQL text for PostgreSQL written the way every store statement is written: `?` placeholders,
// and schemas in SQLite's words.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace velocity::store {

struct NumberedSql {
  std::string text;  // the statement with $1, $2, … in place of each `?`
  int placeholders = 0;
};

// Replaces each `?` placeholder with $1, $2, … in order. A `?` inside a string literal ('…',
// E'…'), a quoted identifier ("…"), a dollar-quoted string ($tag$…$tag$) or a comment is text,
// not a placeholder, and is left alone.
NumberedSql number_placeholders(std::string_view sql);

// Schema text written for SQLite, as PostgreSQL needs it: INTEGER columns become BIGINT (SQLite
// integers are 64-bit, PostgreSQL's INTEGER is 32), BLOB becomes BYTEA, `INTEGER PRIMARY KEY
// AUTOINCREMENT` an identity column, and `WITHOUT ROWID` is dropped. Literals, quoted names and comments are
// left alone; everything else passes through unchanged.
std::string schema_from_sqlite(std::string_view sql);

}  // namespace velocity::store
