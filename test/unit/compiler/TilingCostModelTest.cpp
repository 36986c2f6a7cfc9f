//===- TilingCostModelTest.cpp - The attention tiling cost model ---------===//

#include "compiler/cpu/TilingCostModel.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include <gtest/gtest.h>

using namespace attnc;
using namespace mlir;

namespace {

/// Fixed machines, so the expectations do not depend on where tests run.
TargetDescription avx2(int64_t cores) {
  TargetDescription t;
  t.triple = "x86_64-unknown-linux-gnu";
  t.cpu = "haswell";
  t.simd = "avx2";
  t.vectorBits = 256;
  t.hasFma = true;
  t.vectorRegisters = 16;
  t.fmaUnits = 2;
  t.l1Bytes = 32 * 1024;
  t.l2Bytes = 256 * 1024;
  t.cores = cores;
  return t;
}

TargetDescription avx512(int64_t cores) {
  TargetDescription t = avx2(cores);
  t.simd = "avx512";
  t.vectorBits = 512;
  t.vectorRegisters = 32;
  t.l2Bytes = 1024 * 1024;
  return t;
}

class TilingCostModelTest : public ::testing::Test {
protected:
  TilingCostModelTest() { context.loadDialect<attn::AttnDialect, func::FuncDialect>(); }

  /// One attn.sdpa with q [b, h, s, d], k/v [b, h, t, d] and an optional
  /// mask attribute text.
  attn::SdpaOp sdpa(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d,
                    const std::string &mask = "", const std::string &element = "f32") {
    auto type = [&](int64_t rows) {
      return "tensor<" + std::to_string(b) + "x" + std::to_string(h) + "x" +
             std::to_string(rows) + "x" + std::to_string(d) + "x" + element + ">";
    };
    std::string q = type(s), kv = type(t);
    std::string text = "func.func @main(%q: " + q + ", %k: " + kv + ", %v: " + kv + ") -> " +
                       q + " {\n  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32" +
                       (mask.empty() ? "" : ", mask = " + mask) + "} : (" + q + ", " + kv +
                       ", " + kv + ") -> " + q + "\n  return %o : " + q + "\n}\n";
    modules.push_back(parseSourceString<ModuleOp>(text, &context));
    EXPECT_TRUE(modules.back()) << text;
    attn::SdpaOp op;
    modules.back()->walk([&](attn::SdpaOp found) { op = found; });
    return op;
  }

  /// Checks what every tiled choice must satisfy.
  void expectUsable(attn::SdpaOp op, const TilingChoice &choice, const TargetDescription &t) {
    ASSERT_TRUE(choice.error.empty()) << choice.error;
    EXPECT_EQ(attn::validateSdpaTiling(op, choice.tiling), "");
    const attn::SdpaTiling &tiling = choice.tiling;
    // The cost model's own blocks are whole register tiles (flags may give
    // any size: the kernel pads), except a q-block aligned to the kv-blocks
    // for a window, which the kernel pads too.
    bool fromFlags = choice.reason.find("blocks from --q-block/--kv-block") != std::string::npos;
    bool windowAligned = choice.reason.find("aligned for the") != std::string::npos;
    if (tiling.vectorWidth > 0 && !fromFlags) {
      if (!windowAligned)
        EXPECT_EQ(tiling.qBlock % tiling.registerRows, 0);
      EXPECT_EQ(tiling.kvBlock % (tiling.vectorWidth * tiling.registerColumnVectors), 0);
    }
    if (tiling.vectorWidth > 0) {
      EXPECT_LE(tiling.registerRows * tiling.registerColumnVectors +
                    tiling.registerColumnVectors + 1,
                t.vectorRegisters);
    }
    int64_t d = op.getQuery().getType().getDimSize(3);
    EXPECT_LE(sdpaWorkingSetBytes(tiling.qBlock, tiling.kvBlock, d, d), t.l2Bytes);
  }

  MLIRContext context;
  std::vector<OwningOpRef<ModuleOp>> modules;
};

TEST(RegisterTileTest, MostFmasPerLoadThatFitTheRegisters) {
  RegisterTile haswell = chooseRegisterTile(16, /*valueVectors=*/8, 2, 16);
  EXPECT_EQ(haswell.rows, 6);
  EXPECT_EQ(haswell.columns, 2);
  RegisterTile skylake = chooseRegisterTile(32, 4, 2, 16);
  EXPECT_EQ(skylake.rows, 6);
  EXPECT_EQ(skylake.columns, 4);
  RegisterTile neon = chooseRegisterTile(32, 16, 2, 16);
  EXPECT_EQ(neon.rows, 6);
  EXPECT_EQ(neon.columns, 4);
  // Columns divide Dv's vectors: 3 of them on AVX-512 (Dv = 48).
  RegisterTile odd = chooseRegisterTile(32, 3, 2, 16);
  EXPECT_EQ(odd.columns, 3);
  EXPECT_EQ(odd.rows, 9);
  // One query row: the registers go to columns.
  RegisterTile decode = chooseRegisterTile(16, 8, 2, 1);
  EXPECT_EQ(decode.rows, 1);
  EXPECT_EQ(decode.columns, 4);
}

TEST(MatmulKernelTest, PanelsOfTwoVectorsAndAsManyRowsAsFit) {
  mlir::attn::tiling::MatmulKernelShape skylake = chooseMatmulKernel(avx512(2));
  EXPECT_EQ(skylake.vectorWidth, 16);
  // AVX-512: panels of 3 vectors, 8 rows, unless the product's columns
  // would pad 48-wide panels by over 5 % more than 32-wide ones.
  EXPECT_EQ(skylake.registerRows, 8);
  EXPECT_EQ(skylake.registerColumnVectors, 3);
  mlir::attn::tiling::MatmulKernelShape narrow = chooseMatmulKernel(avx512(2), 256);
  EXPECT_EQ(narrow.registerRows, 12);
  EXPECT_EQ(narrow.registerColumnVectors, 2);
  EXPECT_EQ(chooseMatmulKernel(avx512(2), 2048).registerColumnVectors, 3);
  EXPECT_EQ(chooseMatmulKernel(avx512(2), 50257).registerColumnVectors, 3);
  // K-blocks whose 128 task rows of floats take a quarter of L2: 1 MiB / 4
  // over 512 bytes per step.
  EXPECT_EQ(skylake.kBlock, 512);
  mlir::attn::tiling::MatmulKernelShape haswell = chooseMatmulKernel(avx2(2));
  EXPECT_EQ(haswell.vectorWidth, 8);
  EXPECT_EQ(haswell.registerRows, 6);
  EXPECT_EQ(haswell.registerColumnVectors, 2);
  // 256 KiB / 4 over 512 bytes: the same rows' block whatever the lanes.
  EXPECT_EQ(haswell.kBlock, 128);
  EXPECT_EQ(haswell.tasks, 4);
  EXPECT_EQ(haswell.taskRows, 128);
  // Each task's panels in chunks whose partial sums of 128 rows take half
  // of L2: 128 KiB over 128 rows of 64-byte panel rows here, 512 KiB over
  // 192-byte ones on the 1 MiB AVX-512 L2.
  EXPECT_EQ(haswell.chunkPanels, 16);
  EXPECT_EQ(skylake.chunkPanels, 21);
  // No vector FMA: the matmuls stay linalg loops.
  TargetDescription sse = avx2(2);
  sse.hasFma = false;
  EXPECT_EQ(chooseMatmulKernel(sse).vectorWidth, 0);
}

TEST_F(TilingCostModelTest, CausalPrefillOnAvx2UsesTheVectorKernel) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 12, 4096, 4096, 64, "#attn.window<left = inf, right = 0>");
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_FALSE(choice.decompose);
  EXPECT_EQ(choice.tiling.vectorWidth, 8);
  EXPECT_EQ(choice.tiling.registerRows, 6);
  EXPECT_EQ(choice.tiling.registerColumnVectors, 2);
  EXPECT_EQ(choice.tiling.kvSplits, 1);
  // K tile in 3/4 of L1: 96 keys of 64 floats; then as many rows (in
  // whole register tiles) as keep the working set in half of L2.
  EXPECT_EQ(choice.tiling.kvBlock, 96);
  EXPECT_EQ(choice.tiling.qBlock, 90);
  EXPECT_GE(12 * ((4096 + choice.tiling.qBlock - 1) / choice.tiling.qBlock), 2 * 2);
  EXPECT_NE(choice.reason.find("avx2 8 lanes, 6x2 register tile"), std::string::npos)
      << choice.reason;
}

TEST_F(TilingCostModelTest, HeadSizeNotInWholeVectorsUsesNarrowerVectors) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 12, 1024, 1024, 60);
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.vectorWidth, 4);
}

TEST_F(TilingCostModelTest, HeadSizeNotInWholeVectorsGetsThePortableKernel) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 12, 1024, 1024, 30);
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.vectorWidth, 0);
  EXPECT_NE(choice.reason.find("head sizes 30 and 30 are not multiples of 4 avx2 lanes"),
            std::string::npos)
      << choice.reason;
}

TEST_F(TilingCostModelTest, NonF32GetsThePortableKernel) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 4, 512, 512, 64, "", "f16");
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.vectorWidth, 0);
  EXPECT_NE(choice.reason.find("f32 only"), std::string::npos) << choice.reason;
}

TEST_F(TilingCostModelTest, DecodeSplitsTheKvRangeAcrossManyCores) {
  TargetDescription t = avx512(16);
  attn::SdpaOp op = sdpa(1, 12, 1, 4096, 64);
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.qBlock, 1);
  EXPECT_EQ(choice.tiling.registerRows, 1);
  // 12 tasks for 16 cores: ceil(32 / 12) = 3 splits of >= 256 keys.
  EXPECT_EQ(choice.tiling.kvSplits, 3);
  EXPECT_NE(choice.reason.find("kv range split 3 ways"), std::string::npos) << choice.reason;
}

TEST_F(TilingCostModelTest, NoSplitWhenCoresAreUnknownOrKeysAreFew) {
  TargetDescription t = avx512(0);
  attn::SdpaOp op = sdpa(1, 12, 1, 4096, 64);
  EXPECT_EQ(chooseSdpaTiling(op, t).tiling.kvSplits, 1);
  // 300 keys make one split of at least 256.
  TargetDescription many = avx512(64);
  attn::SdpaOp shortCache = sdpa(1, 12, 1, 300, 64);
  EXPECT_EQ(chooseSdpaTiling(shortCache, many).tiling.kvSplits, 1);
}

TEST_F(TilingCostModelTest, ManyTasksShrinkTheQBlockForParallelism) {
  TargetDescription t = avx2(16);
  attn::SdpaOp op = sdpa(1, 1, 512, 512, 64);
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  // 32 tasks wanted from one head of 512 queries: 16-row blocks at most.
  EXPECT_LE(choice.tiling.qBlock, 18);
  EXPECT_GE(choice.tiling.qBlock, choice.tiling.registerRows);
}

TEST_F(TilingCostModelTest, SlidingWindowKeepsBlocksSmallerThanIt) {
  TargetDescription t = avx512(2);
  attn::SdpaOp op = sdpa(1, 12, 4096, 4096, 64, "#attn.window<left = 255, right = 0>");
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_LE(choice.tiling.qBlock + choice.tiling.kvBlock, 128);
  // q-blocks start on kv-block boundaries.
  EXPECT_EQ(choice.tiling.qBlock, choice.tiling.kvBlock);
}

TEST_F(TilingCostModelTest, BlocksNeverExceedTheProblem) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 2, 40, 70, 64);
  TilingChoice choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_LE(choice.tiling.qBlock, 42);
  EXPECT_LE(choice.tiling.kvBlock, 80);
}

TEST_F(TilingCostModelTest, MissingKernelsAreRecordedOffButReported) {
  TargetDescription t = avx512(16);
  attn::SdpaOp op = sdpa(1, 12, 1, 4096, 64);
  TilingRequest request;
  request.vectorKernelAvailable = false;
  request.kvSplitsAvailable = false;
  TilingChoice choice = chooseSdpaTiling(op, t, request);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.vectorWidth, 0);
  EXPECT_EQ(choice.tiling.kvSplits, 1);
  // The portable kernel's blocks: whole 16-key lines.
  EXPECT_EQ(choice.tiling.kvBlock, 64);
  EXPECT_NE(choice.reason.find("vector kernel unavailable"), std::string::npos) << choice.reason;
  EXPECT_NE(choice.reason.find("would split the kv range 3 ways"), std::string::npos)
      << choice.reason;
}

TEST_F(TilingCostModelTest, PortableKernelKeepsKvBlocksOf64Keys) {
  // D = 128: half of a 32 KiB L1 holds 32 keys, but the portable kernel
  // measured 2.5x slower with 32-key blocks than with 64.
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 8, 2048, 2048, 128, "#attn.window<left = inf, right = 0>");
  TilingRequest portable;
  portable.vectorKernelAvailable = false;
  TilingChoice choice = chooseSdpaTiling(op, t, portable);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.kvBlock, 64);
  // The vector kernel keeps its K tile in 3/4 of L1: 48 keys.
  choice = chooseSdpaTiling(op, t);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.kvBlock, 48);
}

TEST_F(TilingCostModelTest, TinyProblemsStayTiled) {
  // The unfused path was not measured faster, even at 8x8 scores.
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 2, 8, 8, 16);
  TilingRequest portable;
  portable.vectorKernelAvailable = false;
  TilingChoice choice = chooseSdpaTiling(op, t, portable);
  expectUsable(op, choice, t);
  EXPECT_FALSE(choice.decompose);
  EXPECT_EQ(choice.tiling.qBlock, 8);
  EXPECT_EQ(choice.tiling.kvBlock, 8);
}

TEST_F(TilingCostModelTest, FlagsOverrideTheBlocks) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 2, 1000, 1000, 64);
  TilingRequest request;
  request.flags.qBlock = 100;
  request.flags.kvBlock = 250;
  TilingChoice choice = chooseSdpaTiling(op, t, request);
  EXPECT_EQ(attn::validateSdpaTiling(op, choice.tiling), "");
  // Taken exactly: the vector kernel pads blocks to whole register tiles.
  EXPECT_EQ(choice.tiling.qBlock, 100);
  EXPECT_EQ(choice.tiling.kvBlock, 250);
  ASSERT_EQ(choice.warnings.size(), 1u);
  EXPECT_NE(choice.warnings[0].find("more than the 256 KiB L2 cache; expect it to be slow"),
            std::string::npos)
      << choice.warnings[0];
  EXPECT_NE(choice.reason.find("blocks from --q-block/--kv-block"), std::string::npos);

  // The portable kernel takes them as they are.
  request.flags.kernel = AttentionKernel::Portable;
  choice = chooseSdpaTiling(op, t, request);
  EXPECT_EQ(choice.tiling.qBlock, 100);
  EXPECT_EQ(choice.tiling.kvBlock, 250);
  EXPECT_EQ(choice.tiling.vectorWidth, 0);
  EXPECT_EQ(choice.warnings.size(), 1u);
}

TEST_F(TilingCostModelTest, SmallFlagBlocksShrinkTheRegisterTile) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 2, 16, 16, 64);
  TilingRequest request;
  request.flags.qBlock = 3;
  request.flags.kvBlock = 2;
  TilingChoice choice = chooseSdpaTiling(op, t, request);
  expectUsable(op, choice, t);
  EXPECT_EQ(choice.tiling.qBlock, 3);
  EXPECT_EQ(choice.tiling.registerRows, 3);
  EXPECT_EQ(choice.tiling.registerColumnVectors, 1);
  EXPECT_EQ(choice.tiling.kvBlock, 2);
}

TEST_F(TilingCostModelTest, OversizedFlagBlocksAreClampedOrRefused) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 2, 1000, 1000, 64);
  TilingRequest request;
  request.flags.kernel = AttentionKernel::Portable;
  request.flags.qBlock = 5000;
  TilingChoice choice = chooseSdpaTiling(op, t, request);
  EXPECT_EQ(choice.tiling.qBlock, 1000);
  ASSERT_FALSE(choice.warnings.empty());
  EXPECT_EQ(choice.warnings[0], "--q-block 5000 clamped to 1000: the op has 1000 queries");

  attn::SdpaOp big = sdpa(1, 1, 8192, 8192, 64);
  request.flags.qBlock = 8192;
  request.flags.kvBlock = 8192;
  choice = chooseSdpaTiling(big, t, request);
  EXPECT_EQ(choice.error, "--q-block/--kv-block: 8192x8192 blocks need 264 MiB of tiles per "
                          "thread, more than the 64 MiB allowed");
}

TEST_F(TilingCostModelTest, ForcedVectorKernelExplainsWhyNot) {
  TargetDescription t = avx2(2);
  attn::SdpaOp op = sdpa(1, 2, 64, 64, 30);
  TilingRequest request;
  request.flags.kernel = AttentionKernel::Vector;
  EXPECT_EQ(chooseSdpaTiling(op, t, request).error,
            "--attention-kernel=vector: head sizes 30 and 30 are not multiples of 4 avx2 lanes");
  attn::SdpaOp fits = sdpa(1, 2, 64, 64, 64);
  request.vectorKernelAvailable = false;
  EXPECT_EQ(chooseSdpaTiling(fits, t, request).error,
            "--attention-kernel=vector: attn-tile-sdpa has no vector kernel yet");
  TargetDescription scalar;
  scalar.cpu = "generic";
  request.vectorKernelAvailable = true;
  EXPECT_EQ(chooseSdpaTiling(fits, scalar, request).error,
            "--attention-kernel=vector: no SIMD unit on generic");
}

} // namespace
