#include "toolkit/store/postgres_sql.h"

#include <gtest/gtest.h>

namespace velocity::store {
namespace {

TEST(PostgresSql, PlaceholdersAreNumberedInOrder) {
  auto n = number_placeholders("INSERT INTO t (a, b) VALUES (?, ?) RETURNING id");
  EXPECT_EQ(n.text, "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id");
  EXPECT_EQ(n.placeholders, 2);
}

TEST(PostgresSql, QuestionMarksInLiteralsIdentifiersAndCommentsAreText) {
  auto n = number_placeholders(
      "SELECT '?', 'it''s ?', E'\\'?', \"col?\", $$?$$, $tag$ ? $tag$ FROM t -- where ?\n"
      "WHERE a = ? /* ? */ AND b = ?");
  EXPECT_EQ(n.text,
            "SELECT '?', 'it''s ?', E'\\'?', \"col?\", $$?$$, $tag$ ? $tag$ FROM t -- where ?\n"
            "WHERE a = $1 /* ? */ AND b = $2");
  EXPECT_EQ(n.placeholders, 2);
}

TEST(PostgresSql, NumberedParametersAndCastsAreLeftAlone) {
  auto n = number_placeholders("SELECT $1, ?::bigint[]");
  EXPECT_EQ(n.text, "SELECT $1, $1::bigint[]");
  EXPECT_EQ(n.placeholders, 1);
}

TEST(PostgresSql, UnterminatedQuoteSwallowsTheRest) {
  auto n = number_placeholders("SELECT 'open ?");
  EXPECT_EQ(n.text, "SELECT 'open ?");
  EXPECT_EQ(n.placeholders, 0);
}

TEST(PostgresSql, ASqliteSchemaGetsSixtyFourBitIntegersAndIdentityColumns) {
  EXPECT_EQ(schema_from_sqlite("CREATE TABLE a (\n  id integer PRIMARY KEY AUTOINCREMENT,\n  n INTEGER NOT NULL,\n"
                               "  k TEXT PRIMARY KEY\n) WITHOUT ROWID;\nCREATE TABLE b (k TEXT, big_integer TEXT, v blob);"),
            "CREATE TABLE a (\n  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  n BIGINT NOT NULL,\n"
            "  k TEXT PRIMARY KEY\n);\nCREATE TABLE b (k TEXT, big_integer TEXT, v BYTEA);");
}

TEST(PostgresSql, ASchemaLeavesLiteralsQuotedNamesAndCommentsAlone) {
  const std::string sql =
      "CREATE TABLE t (\"INTEGER\" TEXT DEFAULT 'INTEGER WITHOUT ROWID', -- INTEGER here\n"
      "  n INTEGER /* INTEGER */);";
  EXPECT_EQ(schema_from_sqlite(sql),
            "CREATE TABLE t (\"INTEGER\" TEXT DEFAULT 'INTEGER WITHOUT ROWID', -- INTEGER here\n"
            "  n BIGINT /* INTEGER */);");
}

}  // namespace
}  // namespace velocity::store
