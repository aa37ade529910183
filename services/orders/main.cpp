#include "orders/orders.h"

int main() {
  return velocity::run_service("orders", "127.0.0.1:8084",
                               [](velocity::Service& service) -> velocity::Result<void> {
                                 auto options = orders::OrdersOptions::from_env();
                                 if (!options) return std::unexpected(options.error());
                                 return orders::install(service, *options);
                               });
}
