//===- BroadcastTest.cpp - numpy broadcasting of static shapes ------------===//

#include "dialects/attn/Broadcast.h"
#include "mlir/IR/BuiltinTypeInterfaces.h"
#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::attn;

namespace {

SmallVector<int64_t> broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  std::optional<SmallVector<int64_t>> result = broadcastShapes({a, b});
  EXPECT_TRUE(result.has_value());
  return result ? *result : SmallVector<int64_t>{};
}

TEST(Broadcast, StretchesUnitDimsAndAlignsFromTheRight) {
  EXPECT_EQ(broadcast({2, 1, 8}, {4, 1}), (SmallVector<int64_t>{2, 4, 8}));
  EXPECT_EQ(broadcast({}, {3, 5}), (SmallVector<int64_t>{3, 5}));
  EXPECT_EQ(broadcast({1, 1, 8, 8}, {2, 4, 8, 8}),
            (SmallVector<int64_t>{2, 4, 8, 8}));
}

TEST(Broadcast, RejectsMismatchedStaticDims) {
  EXPECT_FALSE(broadcastShapes({{2, 3}, {4, 3}}).has_value());
  EXPECT_FALSE(broadcastShapes({{3}, {4}}).has_value());
}

TEST(Broadcast, DynamicDimsTakeTheStaticSize) {
  int64_t dyn = ShapedType::kDynamic;
  EXPECT_EQ(broadcast({dyn, 4}, {3, 1}), (SmallVector<int64_t>{3, 4}));
  EXPECT_EQ(broadcast({dyn}, {1}), (SmallVector<int64_t>{dyn}));
}

TEST(Broadcast, IsBroadcastableToNeverChangesTheTarget) {
  EXPECT_TRUE(isBroadcastableTo({64}, {1, 8, 64}));
  EXPECT_TRUE(isBroadcastableTo({1, 64}, {8, 64}));
  EXPECT_FALSE(isBroadcastableTo({8, 64}, {1, 64}));
  EXPECT_FALSE(isBroadcastableTo({1, 8, 64}, {8, 64}));
}

} // namespace
