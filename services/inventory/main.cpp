#include "inventory/inventory.h"

int main() {
  return velocity::run_service("inventory", "127.0.0.1:8085", [](velocity::Service& service) {
    return inventory::install(service);
  });
}
