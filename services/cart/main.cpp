#include "cart/cart.h"

int main() {
  return velocity::run_service("cart", "127.0.0.1:8083",
                               [](velocity::Service& service) { return cart::install(service); });
}
