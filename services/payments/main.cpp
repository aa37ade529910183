#include "payments/payments.h"

int main() {
  return velocity::run_service("payments", "127.0.0.1:8086", [](velocity::Service& service) {
    return payments::install(service);
  });
}
