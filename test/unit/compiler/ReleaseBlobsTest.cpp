//===- ReleaseBlobsTest.cpp - Freeing the bytes of unreferenced weights ---===//

#include "compiler/ReleaseBlobs.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include <gtest/gtest.h>

using namespace attnc;

namespace {

// Two 8-byte blobs (the first 4 bytes of each hex string are its
// alignment), each referred to by one attribute of the module.
constexpr const char *kModule = R"mlir(
module attributes {t.a = dense_resource<a> : tensor<2xf32>,
                   t.b = dense_resource<b> : tensor<2xf32>} {}
{-#
  dialect_resources: {
    builtin: {
      a: "0x040000000000803F00000040",
      b: "0x040000000000404000008040"
    }
  }
#-}
)mlir";

size_t blobBytes(mlir::MLIRContext &context, llvm::StringRef key) {
  auto &manager = mlir::DenseResourceElementsHandle::getManagerInterface(&context);
  const auto *entry = manager.getBlobManager().lookup(key);
  return entry && entry->getBlob() ? entry->getBlob()->getData().size() : 0;
}

TEST(ReleaseBlobsTest, FreesOnlyWhatNothingRefersTo) {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModule, &context);
  ASSERT_TRUE(module);
  EXPECT_EQ(releaseUnreferencedBlobs(*module), 0u);
  EXPECT_EQ(blobBytes(context, "a"), 8u);

  (*module)->removeAttr("t.a");
  EXPECT_EQ(releaseUnreferencedBlobs(*module), 8u);
  EXPECT_EQ(blobBytes(context, "a"), 0u);
  EXPECT_EQ(blobBytes(context, "b"), 8u);
  auto b = llvm::cast<mlir::DenseResourceElementsAttr>((*module)->getAttr("t.b"));
  EXPECT_EQ(b.getRawHandle().getBlob()->getDataAs<float>()[1], 4.0f);
  EXPECT_EQ(releaseUnreferencedBlobs(*module), 0u);
}

} // namespace
