#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "shop/events.h"
#include "shop/seed.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"

namespace catalog {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

std::vector<std::string> ids_of(const json& page) {
  std::vector<std::string> ids;
  for (const auto& product : page["products"]) ids.push_back(product["product_id"]);
  return ids;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-catalog-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    ASSERT_TRUE(bus_->create_topic(std::string(shop::topics::kCatalog), 4));
    const std::string inventory(shop::topics::kInventory);
    ASSERT_TRUE(bus_->create_topic(inventory, 4));
    for (int tier = 1; tier <= 3; ++tier)
      ASSERT_TRUE(bus_->create_topic(inventory + ".retry." + std::to_string(tier), 4));
    ASSERT_TRUE(bus_->create_topic(inventory + ".dlq", 4));
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    service_.reset();
    velocity::ServiceConfig config;
    config.name = "catalog";
    config.data_dir = dir_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    auto installed = install(*service_);
    ASSERT_TRUE(installed) << installed.error().message();
    ASSERT_TRUE(service_->start());
    port_ = service_->http_port();
  }

  Http get(const std::string& target,
           const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return http(port_, "GET", target, {}, headers);
  }
  Http admin_post(const json& product) {
    return http(port_, "POST", "/api/catalog/admin/products", product.dump(),
                {{"X-Velocity-Edge-Key", service_->edge_key()}});
  }

  template <typename T>
  void publish_stock(
      const std::string& subject, const T& value,
      std::chrono::system_clock::time_point time = std::chrono::system_clock::now()) {
    auto event = velocity::make_event("/services/inventory", subject, value);
    event.time = time;
    auto message = velocity::to_message(event, std::string(shop::topics::kInventory));
    ASSERT_TRUE(message);
    ASSERT_TRUE(bus_->publish(*message));
  }

  int64_t available(const std::string& product_id, const std::string& sku) {
    auto product = get("/api/catalog/products/" + product_id);
    for (const auto& line : product.body["skus"])
      if (line["sku"] == sku) return line["available"];
    return -1;
  }

  std::vector<velocity::Event> catalog_events(std::string_view type) const {
    std::vector<velocity::Event> out;
    for (const auto& message : bus_->messages(std::string(shop::topics::kCatalog))) {
      auto event = velocity::from_message(message);
      if (event && event->type == type) out.push_back(*event);
    }
    return out;
  }

  // Searches for a marker word and waits for its ItemsSearched: the outbox publishes in commit
  // order, so every event committed before it is on the bus by then, and a check that nothing
  // more was published can fail.
  void flush_outbox() {
    const auto marker = "marker" + std::to_string(++markers_);
    ASSERT_EQ(get("/api/catalog/products?q=" + marker).status, 200);
    ASSERT_TRUE(eventually([&] {
      for (const auto& event : catalog_events(shop::ItemsSearched::kType)) {
        auto searched = velocity::decode<shop::ItemsSearched>(event);
        if (searched && searched->query == marker) return true;
      }
      return false;
    }));
  }

  std::filesystem::path dir_;
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  uint16_t port_ = 0;
  int markers_ = 0;
};

TEST_F(CatalogTest, TheFirstStartListsTheSeedCatalogueAndAnnouncesEachProductOnce) {
  start();
  const auto seed = shop::seed_products();
  auto page = get("/api/catalog/products");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body["total"], seed.size());
  ASSERT_EQ(page.body["products"].size(), seed.size());
  const auto& first = page.body["products"][0];
  EXPECT_EQ(first["product_id"], seed[0].product_id);
  EXPECT_EQ(first["name"], seed[0].name);
  EXPECT_EQ(first["price_cents"], seed[0].price_cents);
  EXPECT_EQ(first["currency"], "EUR");
  EXPECT_EQ(first["image"], seed[0].image);
  EXPECT_EQ(first["skus"].size(), seed[0].skus.size());

  ASSERT_TRUE(
      eventually([&] { return catalog_events(shop::ProductAdded::kType).size() == seed.size(); }));
  std::set<std::string> announced;
  for (const auto& event : catalog_events(shop::ProductAdded::kType)) {
    auto added = velocity::decode<shop::ProductAdded>(event);
    ASSERT_TRUE(added);
    EXPECT_EQ(event.subject, added->product.product_id);
    announced.insert(added->product.product_id);
  }
  EXPECT_EQ(announced.size(), seed.size());

  // A restart finds its products and announces nothing again.
  start();
  EXPECT_EQ(get("/api/catalog/products").body["total"], seed.size());
  flush_outbox();
  EXPECT_EQ(catalog_events(shop::ProductAdded::kType).size(), seed.size());
}

TEST_F(CatalogTest, SearchMatchesWordPrefixesAcrossNameDescriptionAndColours) {
  start();
  auto crew_black = get("/api/catalog/products?q=crew%20bl");
  ASSERT_EQ(crew_black.status, 200);
  EXPECT_EQ(ids_of(crew_black.body), std::vector<std::string>{"tee-classic"});
  EXPECT_EQ(crew_black.body["total"], 1);

  auto navy = get("/api/catalog/products?q=NAVY");
  const auto navy_ids = ids_of(navy.body);
  EXPECT_EQ((std::set<std::string>{"tee-classic", "tee-stripe"}),
            std::set<std::string>(navy_ids.begin(), navy_ids.end()));
  EXPECT_EQ(ids_of(get("/api/catalog/products?q=dino").body), std::vector<std::string>{"tee-kids"});
  EXPECT_EQ(ids_of(get("/api/catalog/products?q=quick-dry").body),
            std::vector<std::string>{"tee-performance"});
  EXPECT_EQ(get("/api/catalog/products?q=tuxedo").body["total"], 0);
  // Words only: FTS5 syntax in the query is taken as plain text.
  EXPECT_EQ(get("/api/catalog/products?q=%22crew%22%20OR%20NEAR(").status, 200);
  EXPECT_EQ(get("/api/catalog/products?q=*").body["total"], 0);
}

TEST_F(CatalogTest, ANonEmptySearchPublishesItemsSearchedNamingTheVerifiedCustomer) {
  start();
  ASSERT_EQ(get("/api/catalog/products").status, 200);
  ASSERT_EQ(get("/api/catalog/products?q=%20%20").status, 200);
  ASSERT_EQ(get("/api/catalog/products?q=stripe").status, 200);
  auto tee = get("/api/catalog/products?q=tee",
                 {{"X-Velocity-Customer", "cus_1"}, {"X-Velocity-Edge-Key", service_->edge_key()}});
  ASSERT_EQ(tee.status, 200);
  EXPECT_EQ(tee.body["total"], 7);  // every seed product but the V-neck says "tee"
  ASSERT_EQ(get("/api/catalog/products?q=wave", {{"X-Velocity-Customer", "cus_forged"}}).status,
            200);
  ASSERT_TRUE(eventually([&] { return catalog_events(shop::ItemsSearched::kType).size() == 3; }));
  std::this_thread::sleep_for(100ms);
  std::map<std::string, shop::ItemsSearched> by_query;
  for (const auto& event : catalog_events(shop::ItemsSearched::kType)) {
    auto searched = velocity::decode<shop::ItemsSearched>(event);
    ASSERT_TRUE(searched);
    by_query[searched->query] = *searched;
  }
  ASSERT_EQ(by_query.size(), 3u);
  EXPECT_EQ(by_query["stripe"].customer_id, "");
  EXPECT_EQ(by_query["stripe"].results, 1);
  EXPECT_EQ(by_query["tee"].customer_id, "cus_1");
  EXPECT_EQ(by_query["tee"].results, 7);
  EXPECT_EQ(by_query["wave"].customer_id, "");
}

TEST_F(CatalogTest, FiltersAndPagesNarrowTheList) {
  start();
  auto black = get("/api/catalog/products?colour=black");
  EXPECT_EQ(ids_of(black.body),
            (std::vector<std::string>{"tee-classic", "tee-longsleeve", "tee-performance"}));
  auto priced = get("/api/catalog/products?min_price=3000&max_price=3400");
  EXPECT_EQ(ids_of(priced.body),
            (std::vector<std::string>{"tee-stripe", "tee-graphic-wave", "tee-performance"}));
  EXPECT_EQ(get("/api/catalog/products?size=xl").body["total"], shop::seed_products().size());
  EXPECT_EQ(get("/api/catalog/products?size=XXL").body["total"], 0);
  EXPECT_EQ(ids_of(get("/api/catalog/products?q=tee&colour=olive").body),
            std::vector<std::string>{"tee-pocket"});

  auto page = get("/api/catalog/products?limit=3&offset=6");
  EXPECT_EQ(page.body["total"], shop::seed_products().size());
  EXPECT_EQ(ids_of(page.body), (std::vector<std::string>{"tee-performance", "tee-kids"}));
  EXPECT_EQ(get("/api/catalog/products?limit=100").body["products"].size(),
            shop::seed_products().size());
}

TEST_F(CatalogTest, ABadQueryParameterIsA400NamingIt) {
  start();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=101", "limit"},         {"limit=0", "limit"},
      {"limit=ten", "limit"},         {"offset=-1", "offset"},
      {"min_price=1.5", "min_price"}, {"max_price=x", "max_price"},
      {"in_stock=maybe", "in_stock"}, {"q=" + std::string(201, 'a'), "q"},
  };
  for (const auto& [query, field] : cases) {
    auto response = get("/api/catalog/products?" + query);
    EXPECT_EQ(response.status, 400) << query;
    EXPECT_EQ(response.body["field"], field) << query;
  }
}

TEST_F(CatalogTest, AnUnknownProductIsA404) {
  start();
  EXPECT_EQ(get("/api/catalog/products/tee-nonexistent").status, 404);
  auto known = get("/api/catalog/products/tee-vneck");
  ASSERT_EQ(known.status, 200);
  EXPECT_EQ(known.body["name"], "Everyday V-Neck");
}

TEST_F(CatalogTest, AvailabilityFollowsInventorysStockLevels) {
  start();
  // Before any stock event nothing is known to be in stock.
  auto classic = get("/api/catalog/products/tee-classic");
  EXPECT_EQ(classic.body["in_stock"], false);
  EXPECT_EQ(classic.body["skus"][0]["available"], 0);
  EXPECT_EQ(get("/api/catalog/products?in_stock=1").body["total"], 0);

  publish_stock(
      "tee-classic-M-blk",
      shop::StockAdjusted{"tee-classic-M-blk", 100, "initial", {{"tee-classic-M-blk", 100}}});
  ASSERT_TRUE(eventually([&] { return available("tee-classic", "tee-classic-M-blk") == 100; }));
  EXPECT_EQ(get("/api/catalog/products/tee-classic").body["in_stock"], true);
  EXPECT_EQ(ids_of(get("/api/catalog/products?in_stock=1").body),
            std::vector<std::string>{"tee-classic"});
  // The SKU filters apply together: M in black is in stock, M in white is not.
  EXPECT_EQ(get("/api/catalog/products?in_stock=1&size=M&colour=Black").body["total"], 1);
  EXPECT_EQ(get("/api/catalog/products?in_stock=1&size=M&colour=White").body["total"], 0);

  shop::StockReserved reserved;
  reserved.order_id = "ord_1";
  reserved.lines = {{"tee-classic-M-blk", 2}};
  reserved.levels = {{"tee-classic-M-blk", 98}};
  publish_stock("ord_1", reserved);
  ASSERT_TRUE(eventually([&] { return available("tee-classic", "tee-classic-M-blk") == 98; }));

  shop::StockReleased released;
  released.order_id = "ord_1";
  released.lines = {{"tee-classic-M-blk", 2}};
  released.levels = {{"tee-classic-M-blk", 0}};
  publish_stock("ord_1", released);
  ASSERT_TRUE(eventually([&] { return available("tee-classic", "tee-classic-M-blk") == 0; }));
  EXPECT_EQ(get("/api/catalog/products?in_stock=1").body["total"], 0);
}

TEST_F(CatalogTest, AnOlderStockLevelArrivingLateDoesNotOverwriteANewerOne) {
  start();
  const auto now = std::chrono::system_clock::now();
  shop::StockReserved newer;
  newer.order_id = "ord_2";
  newer.levels = {{"tee-kids-S-grn", 40}};
  publish_stock("ord_2", newer, now);
  shop::StockReserved older;
  older.order_id = "ord_2";
  older.levels = {{"tee-kids-S-grn", 70}, {"tee-kids-M-grn", 5}};
  publish_stock("ord_2", older, now - 1min);
  // Same key, so handled in order: once the second event's other SKU shows, both are applied.
  ASSERT_TRUE(eventually([&] { return available("tee-kids", "tee-kids-M-grn") == 5; }));
  EXPECT_EQ(available("tee-kids", "tee-kids-S-grn"), 40);
}

TEST_F(CatalogTest, AStockEventWithoutASkuIsDeadLettered) {
  start();
  publish_stock("x", shop::StockAdjusted{"", 1, "restock", {{"", 1}}});
  ASSERT_TRUE(eventually(
      [&] { return bus_->messages(std::string(shop::topics::kInventory) + ".dlq").size() == 1; }));
}

TEST_F(CatalogTest, AnOperatorAddsAndUpdatesProductsWithTheEdgeKey) {
  start();
  json polo = {{"product_id", "polo-pique"},
               {"name", "Piqué Polo"},
               {"description", "Breathable piqué knit with a two-button placket."},
               {"price_cents", 3900},
               {"image", "/images/polo-pique-nvy.svg"},
               {"skus",
                {{{"sku", "polo-pique-M-nvy"}, {"size", "M"}, {"colour", "Navy"}},
                 {{"sku", "polo-pique-L-nvy"}, {"size", "L"}, {"colour", "Navy"}}}}};
  EXPECT_EQ(http(port_, "POST", "/api/catalog/admin/products", polo.dump()).status, 401);

  auto added = admin_post(polo);
  ASSERT_EQ(added.status, 201) << added.body.dump();
  EXPECT_EQ(added.body["category"], "t-shirts");
  EXPECT_EQ(added.body["currency"], "EUR");
  EXPECT_EQ(added.body["in_stock"], false);
  EXPECT_EQ(ids_of(get("/api/catalog/products?q=pique%20pol").body),
            std::vector<std::string>{"polo-pique"});
  ASSERT_TRUE(eventually([&] {
    for (const auto& event : catalog_events(shop::ProductAdded::kType))
      if (event.subject == "polo-pique") return true;
    return false;
  }));

  polo["price_cents"] = 3500;
  polo["skus"].erase(1);
  auto updated = admin_post(polo);
  ASSERT_EQ(updated.status, 200);
  EXPECT_EQ(updated.body["price_cents"], 3500);
  EXPECT_EQ(updated.body["skus"].size(), 1u);
  ASSERT_TRUE(eventually([&] { return catalog_events(shop::ProductUpdated::kType).size() == 1; }));
  auto event =
      velocity::decode<shop::ProductUpdated>(catalog_events(shop::ProductUpdated::kType).front());
  ASSERT_TRUE(event);
  EXPECT_EQ(event->product.price_cents, 3500);
  EXPECT_EQ(event->product.skus.size(), 1u);

  // The same product again changes nothing and announces nothing.
  EXPECT_EQ(admin_post(polo).status, 200);
  flush_outbox();
  EXPECT_EQ(catalog_events(shop::ProductUpdated::kType).size(), 1u);
}

TEST_F(CatalogTest, AnInvalidProductIsRefusedNamingTheFieldAndStoresNothing) {
  start();
  const json good = {{"product_id", "polo-pique"},
                     {"name", "Piqué Polo"},
                     {"price_cents", 3900},
                     {"skus", {{{"sku", "polo-pique-M-nvy"}, {"size", "M"}, {"colour", "Navy"}}}}};
  auto with = [&](const std::string& key, const json& value) {
    json body = good;
    body[key] = value;
    return body;
  };
  const std::vector<std::pair<json, std::string>> cases = {
      {with("product_id", "Polo Pique"), "product_id"},
      {with("name", ""), "name"},
      {with("price_cents", 0), "price_cents"},
      {with("price_cents", 39.5), "price_cents"},
      {with("currency", "eur"), "currency"},
      {with("skus", json::array()), "skus"},
      {with("skus", {{{"sku", "polo-pique-M-nvy"}, {"colour", "Navy"}}}), "skus[0].size"},
      {with("skus", {{{"sku", "a"}, {"size", "M"}, {"colour", "Navy"}},
                     {{"sku", "a"}, {"size", "L"}, {"colour", "Navy"}}}),
       "skus[1].sku"},
  };
  for (const auto& [body, field] : cases) {
    auto response = admin_post(body);
    EXPECT_EQ(response.status, 400) << body.dump();
    EXPECT_EQ(response.body["field"], field) << body.dump();
  }
  auto stolen = admin_post(
      with("skus", {{{"sku", "tee-classic-M-blk"}, {"size", "M"}, {"colour", "Black"}}}));
  EXPECT_EQ(stolen.status, 409);
  EXPECT_EQ(stolen.body["field"], "skus[0].sku");
  EXPECT_EQ(get("/api/catalog/products/polo-pique").status, 404);
}

TEST(CatalogOnPostgres, RefusesToInstallNamingTheReason) {
  auto url = velocity::testing::fresh_postgres_database();
  ASSERT_TRUE(url) << url.error().message();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("velocity-catalog-pg-" + std::to_string(std::random_device{}()));
  velocity::ServiceConfig config;
  config.name = "catalog";
  config.data_dir = dir;
  config.database_url = *url;
  auto bus = std::make_shared<velocity::MemoryBus>();
  auto service = velocity::Service::create(config, bus, bus);
  ASSERT_TRUE(service) << service.error().message();
  auto installed = install(**service);
  service->reset();
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(installed);
  EXPECT_EQ(installed.error().code, velocity::ErrorCode::kInvalidArgument);
  EXPECT_NE(installed.error().message().find("SQLite only"), std::string::npos) << installed.error().message();
  EXPECT_NE(installed.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos);
}

}  // namespace
}  // namespace catalog
