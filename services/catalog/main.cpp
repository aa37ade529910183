#include "catalog/catalog.h"

int main() {
  return velocity::run_service("catalog", "127.0.0.1:8082", [](velocity::Service& service) {
    return catalog::install(service);
  });
}
