// The per-thread pool of response bodies (net/http.h): what it keeps and what it gives back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/http.h"

namespace sluice::net {
namespace {

// Empties this thread's pool (tests share the thread).
void Drain() {
  while (TakeBodyBuffer().capacity() > std::string().capacity()) {
  }
}

TEST(BodyPoolTest, GivesBackAnEmptyBufferWithTheWrittenCapacity) {
  Drain();
  std::string b(3000, 'x');
  const std::size_t capacity = b.capacity();
  RecycleBodyBuffer(std::move(b));
  const std::string again = TakeBodyBuffer();
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.capacity(), capacity);
  EXPECT_EQ(TakeBodyBuffer().capacity(), std::string().capacity());  // the pool is empty again
}

TEST(BodyPoolTest, MostRecentFirst) {
  Drain();
  std::string a(1000, 'a'), b(5000, 'b');
  const std::size_t b_capacity = b.capacity();
  RecycleBodyBuffer(std::move(a));
  RecycleBodyBuffer(std::move(b));
  EXPECT_EQ(TakeBodyBuffer().capacity(), b_capacity);
  Drain();
}

TEST(BodyPoolTest, KeepsNeitherLargeNorSmallBuffersNorTooMany) {
  Drain();
  RecycleBodyBuffer(std::string(100u << 10, 'x'));  // over 64 KiB: freed
  RecycleBodyBuffer(std::string("short"));          // no heap buffer: nothing to keep
  EXPECT_EQ(TakeBodyBuffer().capacity(), std::string().capacity());
  for (int i = 0; i < 40; ++i) RecycleBodyBuffer(std::string(1000, 'x'));
  int kept = 0;
  while (TakeBodyBuffer().capacity() >= 1000) ++kept;
  EXPECT_EQ(kept, 16);
  for (int i = 0; i < 10; ++i) RecycleBodyBuffer(std::string(60u << 10, 'x'));
  kept = 0;
  while (TakeBodyBuffer().capacity() >= (60u << 10)) ++kept;
  EXPECT_EQ(kept, 4);  // 256 KiB a thread at most
}

}  // namespace
}  // namespace sluice::net
