#include "users/users.h"

int main() {
  return velocity::run_service("users", "127.0.0.1:8081",
                               [](velocity::Service& service) { return users::install(service); });
}
