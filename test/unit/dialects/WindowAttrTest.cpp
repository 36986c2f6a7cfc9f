//===- WindowAttrTest.cpp - #attn.window semantics and syntax -------------===//

#include "dialects/attn/AttnOps.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/MLIRContext.h"
#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::attn;

namespace {

class WindowAttrTest : public ::testing::Test {
protected:
  WindowAttrTest() { context.loadDialect<AttnDialect>(); }

  std::string print(Attribute attr) {
    std::string text;
    llvm::raw_string_ostream os(text);
    attr.print(os);
    return text;
  }

  MLIRContext context;
};

TEST_F(WindowAttrTest, CausalSeesThePastAndItself) {
  WindowAttr causal = WindowAttr::getCausal(&context);
  EXPECT_TRUE(causal.isCausal());
  EXPECT_TRUE(causal.contains(5, 0));
  EXPECT_TRUE(causal.contains(5, 5));
  EXPECT_FALSE(causal.contains(5, 6));
}

TEST_F(WindowAttrTest, FiniteWindowCutsBothSides) {
  WindowAttr window = WindowAttr::get(&context, 2, 1);
  EXPECT_FALSE(window.contains(5, 2));
  EXPECT_TRUE(window.contains(5, 3));
  EXPECT_TRUE(window.contains(5, 6));
  EXPECT_FALSE(window.contains(5, 7));
}

TEST_F(WindowAttrTest, PrintsTheContractSyntax) {
  EXPECT_EQ(print(WindowAttr::getCausal(&context)),
            "#attn.window<left = inf, right = 0>");
  EXPECT_EQ(print(WindowAttr::get(&context, 255, 0)),
            "#attn.window<left = 255, right = 0>");
}

TEST_F(WindowAttrTest, ParsesWhatItPrints) {
  Attribute parsed =
      parseAttribute("#attn.window<left = 3, right = inf>", &context);
  ASSERT_TRUE(parsed);
  auto window = cast<WindowAttr>(parsed);
  EXPECT_EQ(window.getLeft(), 3);
  EXPECT_TRUE(window.isRightUnbounded());
}

} // namespace
