#include "broker/group/producer_id_allocator.h"

#include <gtest/gtest.h>

#include <set>

#include "broker/group/posix_file.h"
#include "broker/group/scratch_dir.h"

namespace velocity::group {
namespace {

std::unique_ptr<ProducerIdAllocator> open_allocator(const ScratchDir& dir, int64_t block) {
  auto allocator = ProducerIdAllocator::open(dir.path(), block);
  EXPECT_TRUE(allocator.has_value()) << allocator.error().message();
  return allocator ? std::move(*allocator) : nullptr;
}

TEST(ProducerIdAllocator, IdsArePositiveAndDistinct) {
  ScratchDir dir;
  auto allocator = open_allocator(dir, 4);
  std::set<int64_t> seen;
  for (int i = 0; i < 10; ++i) {
    auto id = allocator->allocate();
    ASSERT_TRUE(id);
    EXPECT_GT(*id, 0);
    EXPECT_TRUE(seen.insert(*id).second);
  }
}

TEST(ProducerIdAllocator, AllocatorNeverReusesIdsAcrossRestart) {
  ScratchDir dir;
  std::set<int64_t> seen;
  for (int restart = 0; restart < 3; ++restart) {
    auto allocator = open_allocator(dir, 5);
    for (int i = 0; i < 3; ++i) {  // fewer than a block: the rest of the block is skipped
      int64_t id = *allocator->allocate();
      EXPECT_TRUE(seen.insert(id).second) << "id " << id << " reused after restart " << restart;
    }
  }
  auto allocator = open_allocator(dir, 5);
  EXPECT_GT(*allocator->allocate(), *seen.rbegin());
}

TEST(ProducerIdAllocator, InitProducerIdGivesEpochZeroAndRefusesTransactionalIds) {
  ScratchDir dir;
  auto allocator = open_allocator(dir, 10);
  InitProducerIdResult idempotent = allocator->init_producer_id(std::nullopt);
  EXPECT_EQ(idempotent.error, InitProducerIdError::kNone);
  EXPECT_GT(idempotent.producer_id, 0);
  EXPECT_EQ(idempotent.producer_epoch, 0);
  InitProducerIdResult transactional = allocator->init_producer_id("checkout-tx");
  EXPECT_EQ(transactional.error, InitProducerIdError::kTransactionalIdNotSupported);
  EXPECT_EQ(transactional.producer_id, -1);
}

TEST(ProducerIdAllocator, DamagedHighWaterMarkRefusesToOpen) {
  ScratchDir dir;
  {
    auto allocator = open_allocator(dir, 10);
    ASSERT_TRUE(allocator->allocate());
  }
  std::filesystem::path file = dir.path() / ProducerIdAllocator::kFileName;
  std::string content = *read_whole_file(file);
  content[4] ^= 0x40;
  ASSERT_TRUE(replace_file_atomically(file, content));
  auto reopened = ProducerIdAllocator::open(dir.path(), 10);
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().code, ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace velocity::group
