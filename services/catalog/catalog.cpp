#include "catalog/catalog.h"

#include <memory>

#include "catalog/product_input.h"
#include "catalog/product_store.h"
#include "catalog/search.h"
#include "common/log.h"
#include "shop/events.h"
#include "shop/seed.h"

namespace catalog {
namespace {

using velocity::json_error;
using velocity::json_response;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;

HttpResponse internal_error(std::string_view what, const velocity::Error& error) {
  velocity::log::error("catalog: {}: {}", what, error.message());
  return json_error(500, "the catalog failed; try again");
}

// The route handlers and event handlers, sharing the service.
class Catalog {
 public:
  explicit Catalog(velocity::Service& service) : service_(service) {}

  velocity::Result<void> seed_if_empty();
  HttpResponse list_products(const HttpRequest& request);
  HttpResponse get_product(const HttpRequest& request);
  HttpResponse put_product(const HttpRequest& request);
  velocity::Result<void> record_levels(velocity::Transaction& tx,
                                       const std::vector<shop::StockLevel>& levels,
                                       const velocity::Event& event);

 private:
  velocity::Service& service_;
};

velocity::Result<void> Catalog::seed_if_empty() {
  auto tx = service_.db().begin();
  if (!tx) return std::unexpected(tx.error());
  auto count = count_products(*tx);
  if (!count) return std::unexpected(count.error());
  if (*count > 0) return {};
  for (const auto& product : shop::seed_products()) {
    auto saved = save_product(*tx, product);
    if (!saved) return std::unexpected(saved.error());
    auto emitted =
        service_.emit(*tx, shop::topics::kCatalog, product.product_id, shop::ProductAdded{product});
    if (!emitted) return std::unexpected(emitted.error());
  }
  return service_.commit(*tx);
}

HttpResponse Catalog::list_products(const HttpRequest& request) {
  auto query = parse_search(request);
  if (!query) return json_error(400, query.error().message, query.error().field);
  auto tx = service_.db().begin();
  if (!tx) return internal_error("search", tx.error());
  auto page = search(*tx, *query);
  if (!page) return internal_error("search", page.error());
  nlohmann::json products = nlohmann::json::array();
  for (const auto& id : page->product_ids) {
    auto view = product_view(*tx, id);
    if (!view) return internal_error("search", view.error());
    if (*view) products.push_back(std::move(**view));
  }
  if (!query->text.empty()) {
    // Anonymous visitors search too; a customer is named only when the gateway vouches for one.
    auto customer = service_.customer(request);
    shop::ItemsSearched searched{customer ? *customer : std::string(), query->text, page->total};
    // Keyed by customer, so one customer's searches stay in order; anonymous ones by their text.
    auto key = searched.customer_id.empty() ? searched.query : searched.customer_id;
    auto emitted = service_.emit(*tx, shop::topics::kCatalog, std::move(key), searched);
    if (!emitted) return internal_error("search", emitted.error());
    if (auto committed = service_.commit(*tx); !committed)
      return internal_error("search", committed.error());
  }
  return json_response(200, {{"products", std::move(products)}, {"total", page->total}});
}

HttpResponse Catalog::get_product(const HttpRequest& request) {
  auto tx = service_.db().begin();
  if (!tx) return internal_error("read product", tx.error());
  auto view = product_view(*tx, request.param("product_id"));
  if (!view) return internal_error("read product", view.error());
  if (!*view) return json_error(404, "no such product");
  return json_response(200, **view);
}

HttpResponse Catalog::put_product(const HttpRequest& request) {
  if (!service_.from_edge(request)) return json_error(401, "this admin route needs the edge key");
  auto body = velocity::json_body(request);
  if (!body) return body.error();
  auto product = read_product(*body);
  if (!product) return json_error(400, product.error().message, product.error().field);

  auto tx = service_.db().begin();
  if (!tx) return internal_error("save product", tx.error());
  for (size_t i = 0; i < product->skus.size(); ++i) {
    auto owner = sku_owner(*tx, product->skus[i].sku);
    if (!owner) return internal_error("save product", owner.error());
    if (*owner && **owner != product->product_id) {
      return json_error(409, "this SKU belongs to product " + **owner,
                        "skus[" + std::to_string(i) + "].sku");
    }
  }
  auto before = load_product(*tx, product->product_id);
  if (!before) return internal_error("save product", before.error());
  const bool added = !*before;
  if (added || nlohmann::json(**before) != nlohmann::json(*product)) {
    auto saved = save_product(*tx, *product);
    if (!saved) return internal_error("save product", saved.error());
    auto emitted = added ? service_.emit(*tx, shop::topics::kCatalog, product->product_id,
                                         shop::ProductAdded{*product})
                         : service_.emit(*tx, shop::topics::kCatalog, product->product_id,
                                         shop::ProductUpdated{*product});
    if (!emitted) return internal_error("save product", emitted.error());
  }
  auto view = product_view(*tx, product->product_id);
  if (!view) return internal_error("save product", view.error());
  if (auto committed = service_.commit(*tx); !committed)
    return internal_error("save product", committed.error());
  return json_response(added ? 201 : 200, view->value_or(nlohmann::json::object()));
}

velocity::Result<void> Catalog::record_levels(velocity::Transaction& tx,
                                              const std::vector<shop::StockLevel>& levels,
                                              const velocity::Event& event) {
  for (const auto& level : levels) {
    if (level.sku.empty() || level.available < 0) {
      return velocity::poison("event " + event.id +
                              ": a stock level needs a sku and a non-negative count");
    }
  }
  return apply_levels(tx, levels, event.time);
}

}  // namespace

velocity::Result<void> install(velocity::Service& service) {
  if (service.db().dialect() != velocity::SqlDialect::kSqlite) {
    return velocity::fail(velocity::ErrorCode::kInvalidArgument,
                          "catalog runs on SQLite only: its search is an FTS5 full-text index, which "
                          "PostgreSQL does not have; unset VELOCITY_DATABASE_URL for catalog");
  }
  if (auto migrated = service.migrate(kSchema); !migrated) return migrated;
  auto catalog = std::make_shared<Catalog>(service);
  if (auto seeded = catalog->seed_if_empty(); !seeded) return seeded;

  service.route("GET", "/api/catalog/products",
                [catalog](const HttpRequest& r) { return catalog->list_products(r); });
  service.route("GET", "/api/catalog/products/{product_id}",
                [catalog](const HttpRequest& r) { return catalog->get_product(r); });
  service.route("POST", "/api/catalog/admin/products",
                [catalog](const HttpRequest& r) { return catalog->put_product(r); });

  const std::string inventory(shop::topics::kInventory);
  service.on<shop::StockReserved>(inventory,
                                  [catalog](velocity::Transaction& tx, const shop::StockReserved& e,
                                            const velocity::Event& event) {
                                    return catalog->record_levels(tx, e.levels, event);
                                  });
  service.on<shop::StockReleased>(inventory,
                                  [catalog](velocity::Transaction& tx, const shop::StockReleased& e,
                                            const velocity::Event& event) {
                                    return catalog->record_levels(tx, e.levels, event);
                                  });
  service.on<shop::StockAdjusted>(inventory,
                                  [catalog](velocity::Transaction& tx, const shop::StockAdjusted& e,
                                            const velocity::Event& event) {
                                    return catalog->record_levels(tx, e.levels, event);
                                  });
  return {};
}

}  // namespace catalog
