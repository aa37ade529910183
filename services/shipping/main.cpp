#include "shipping/shipping.h"

int main() {
  return velocity::run_service("shipping", "127.0.0.1:8087",
                               [](velocity::Service& service) -> velocity::Result<void> {
                                 auto options = shipping::ShippingOptions::from_env();
                                 if (!options) return std::unexpected(options.error());
                                 return shipping::install(service, *options);
                               });
}
