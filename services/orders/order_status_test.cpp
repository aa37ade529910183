#include "orders/order_status.h"

#include <gtest/gtest.h>

namespace orders {
namespace {

TEST(OrderStatusTest, NamesRoundTrip) {
  for (auto status : {OrderStatus::kPlaced, OrderStatus::kReserved, OrderStatus::kConfirmed,
                      OrderStatus::kScheduled, OrderStatus::kDispatched, OrderStatus::kDelivered,
                      OrderStatus::kCompleted, OrderStatus::kCancelled}) {
    EXPECT_EQ(parse_status(to_string(status)), status);
  }
  EXPECT_FALSE(parse_status("shipped"));
}

TEST(OrderStatusTest, StepsOnlyMoveForwardAndNeverOutOfATerminalStatus) {
  EXPECT_TRUE(advances(OrderStatus::kPlaced, OrderStatus::kReserved));
  EXPECT_TRUE(
      advances(OrderStatus::kPlaced, OrderStatus::kConfirmed));  // payment overtook the reservation
  EXPECT_FALSE(advances(OrderStatus::kConfirmed, OrderStatus::kReserved));
  EXPECT_FALSE(advances(OrderStatus::kReserved, OrderStatus::kReserved));
  EXPECT_TRUE(advances(OrderStatus::kScheduled, OrderStatus::kCancelled));
  EXPECT_FALSE(advances(OrderStatus::kCancelled, OrderStatus::kDispatched));
  EXPECT_FALSE(advances(OrderStatus::kCompleted, OrderStatus::kCancelled));
}

TEST(OrderStatusTest, ACustomerMayCancelUntilDispatch) {
  EXPECT_TRUE(customer_may_cancel(OrderStatus::kPlaced));
  EXPECT_TRUE(customer_may_cancel(OrderStatus::kScheduled));
  EXPECT_FALSE(customer_may_cancel(OrderStatus::kDispatched));
  EXPECT_FALSE(customer_may_cancel(OrderStatus::kDelivered));
  EXPECT_FALSE(customer_may_cancel(OrderStatus::kCompleted));
  EXPECT_FALSE(customer_may_cancel(OrderStatus::kCancelled));
}

}  // namespace
}  // namespace orders
