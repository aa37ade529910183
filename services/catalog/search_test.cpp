#include "catalog/search.h"

#include <gtest/gtest.h>

namespace catalog {
namespace {

velocity::ops::HttpRequest request(std::string target) {
  velocity::ops::HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

TEST(MatchExpression, EachWordBecomesARequiredQuotedPrefix) {
  EXPECT_EQ(match_expression("crew bl"), R"("crew"* AND "bl"*)");
  EXPECT_EQ(match_expression("  Kids'  Dino!  "), R"("Kids"* AND "Dino"*)");
  EXPECT_EQ(match_expression("piqué"), "\"piqué\"*");
}

TEST(MatchExpression, QuerySyntaxCannotGetThrough) {
  EXPECT_EQ(match_expression(R"("a" OR b* NEAR(c))"),
            R"("a"* AND "OR"* AND "b"* AND "NEAR"* AND "c"*)");
  EXPECT_EQ(match_expression("*\"^:-"), "");
  EXPECT_EQ(match_expression(""), "");
}

TEST(ParseSearch, DefaultsWhenNothingIsGiven) {
  auto query = parse_search(request("/api/catalog/products"));
  ASSERT_TRUE(query);
  EXPECT_EQ(query->limit, kDefaultPageSize);
  EXPECT_EQ(query->offset, 0);
  EXPECT_FALSE(query->in_stock);
  EXPECT_FALSE(query->min_price);
  EXPECT_TRUE(query->text.empty());
}

TEST(ParseSearch, ReadsEveryParameter) {
  auto query =
      parse_search(request("/api/catalog/"
                           "products?q=%20crew%20&size=M&colour=Black&min_price=100&max_price=5000&"
                           "in_stock=1&limit=5&offset=10"));
  ASSERT_TRUE(query);
  EXPECT_EQ(query->text, "crew");
  EXPECT_EQ(query->size, "M");
  EXPECT_EQ(query->colour, "Black");
  EXPECT_EQ(query->min_price, 100);
  EXPECT_EQ(query->max_price, 5000);
  EXPECT_TRUE(query->in_stock);
  EXPECT_EQ(query->limit, 5);
  EXPECT_EQ(query->offset, 10);
}

TEST(ParseSearch, NamesTheBadParameter) {
  EXPECT_EQ(parse_search(request("/p?limit=101")).error().field, "limit");
  EXPECT_EQ(parse_search(request("/p?offset=1e3")).error().field, "offset");
  EXPECT_EQ(parse_search(request("/p?min_price=-5")).error().field, "min_price");
  EXPECT_EQ(parse_search(request("/p?in_stock=yes")).error().field, "in_stock");
  EXPECT_EQ(parse_search(request("/p?colour=" + std::string(51, 'x'))).error().field, "colour");
}

}  // namespace
}  // namespace catalog
