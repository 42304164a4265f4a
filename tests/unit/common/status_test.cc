#include "common/status.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

constexpr ErrorType kMine{"MyError", 404};

TEST(Status, CommonCodesAndServiceTypesCompare) {
  const Status common(ErrorCode::kAccessDenied, "no");
  EXPECT_EQ(common.code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(common.type(), nullptr);
  EXPECT_FALSE(common.code() == kMine);
  const Status mine(kMine, "missing");
  EXPECT_EQ(mine.code(), kMine);
  EXPECT_EQ(mine.code().common(), ErrorCode::kService);
  EXPECT_EQ(mine.type(), &kMine);
  EXPECT_FALSE(mine.ok());
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, IgnoredErrorsAreCounted) {
  const std::uint64_t before = IgnoredErrorCount();
  NoteIgnoredError("a test", Status::Ok());
  EXPECT_EQ(IgnoredErrorCount(), before);
  NoteIgnoredError("a test", Status(ErrorCode::kServiceUnavailable, "disk gone"));
  NoteIgnoredError("a test", Status(kMine, "again"));
  EXPECT_EQ(IgnoredErrorCount(), before + 2);
}

}  // namespace
}  // namespace sluice
