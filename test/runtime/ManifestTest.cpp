//===- ManifestTest.cpp - Manifest parsing and name encoding ----*- C++ -*-===//

#include "runtime/src/Manifest.h"
#include "runtime/src/PercentEncoding.h"

#include <gtest/gtest.h>

namespace {

using attnc::Manifest;

std::string parseError(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_FALSE(attnc::parseManifest(text, manifest, error)) << text;
  return error;
}

TEST(Manifest, ParsesInputsAndOutputsInOrder) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 1\n"
                                   "input input_ids i64 2 1 8\n"
                                   "input attention_mask i1 2 1 8\n"
                                   "output logits f32 3 1 8 50257\n",
                                   manifest, error))
      << error;
  ASSERT_EQ(manifest.inputs.size(), 2u);
  ASSERT_EQ(manifest.outputs.size(), 1u);
  EXPECT_EQ(manifest.inputs[0].name, "input_ids");
  EXPECT_EQ(manifest.inputs[0].dtype, ATTNC_DTYPE_I64);
  EXPECT_EQ(manifest.inputs[0].dims, (std::vector<int64_t>{1, 8}));
  EXPECT_EQ(manifest.inputs[0].byteSize, 64u);
  EXPECT_EQ(manifest.inputs[1].name, "attention_mask");
  EXPECT_EQ(manifest.inputs[1].dtype, ATTNC_DTYPE_I1);
  EXPECT_EQ(manifest.inputs[1].byteSize, 8u);
  EXPECT_EQ(manifest.outputs[0].name, "logits");
  EXPECT_EQ(manifest.outputs[0].elementCount, 8u * 50257u);
}

TEST(Manifest, AcceptsEveryDtypeScalarsAndEmptyTensors) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 1\r\n"
                                   "input a f32 0\r\n"
                                   "input b f64 1 0\n"
                                   "input c f16 1 3\n"
                                   "input d bf16 1 3\n"
                                   "input e i64 1 3\n\n"
                                   "input f i32 1 3\n"
                                   "input g i16 1 3\n"
                                   "input h i8 1 3\n"
                                   "input i u8 1 3\n"
                                   "output j i1 2  3\t4\n",
                                   manifest, error))
      << error;
  ASSERT_EQ(manifest.inputs.size(), 9u);
  EXPECT_TRUE(manifest.inputs[0].dims.empty());
  EXPECT_EQ(manifest.inputs[0].elementCount, 1u);
  EXPECT_EQ(manifest.inputs[0].byteSize, 4u);
  EXPECT_EQ(manifest.inputs[1].elementCount, 0u);
  EXPECT_EQ(manifest.inputs[1].byteSize, 0u);
  EXPECT_EQ(manifest.inputs[3].byteSize, 6u);
  EXPECT_EQ(manifest.inputs[4].byteSize, 24u);
  EXPECT_EQ(manifest.outputs[0].dims, (std::vector<int64_t>{3, 4}));
}

TEST(Manifest, DecodesPercentEncodedNames) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 1\n"
                                   "input /model/x:0%20%C3%A9 f32 1 1\n"
                                   "output out%25put f32 1 1\n",
                                   manifest, error))
      << error;
  EXPECT_EQ(manifest.inputs[0].name, "/model/x:0 \xC3\xA9");
  EXPECT_EQ(manifest.outputs[0].name, "out%put");
}

TEST(Manifest, AllowsAnInputAndAnOutputToShareAName) {
  Manifest manifest;
  std::string error;
  EXPECT_TRUE(attnc::parseManifest(
      "attnc-model 1\ninput x f32 1 2\noutput x f32 1 2\n", manifest, error))
      << error;
}

TEST(Manifest, RejectsEmptyText) {
  EXPECT_EQ(parseError(""),
            "empty manifest; expected 'attnc-model 6' on line 1");
}

TEST(Manifest, RejectsAMissingHeader) {
  EXPECT_EQ(parseError("input x f32 1 2\noutput y f32 1 2\n"),
            "line 1: expected 'attnc-model 6', got 'input x f32 1 2'");
  EXPECT_EQ(parseError("attnc-model\n"),
            "line 1: expected 'attnc-model 6', got 'attnc-model'");
  EXPECT_EQ(parseError("attnc-model one\n"),
            "line 1: expected 'attnc-model 6', got 'attnc-model one'");
  EXPECT_EQ(parseError("attnc-model 1 extra\n"),
            "line 1: expected 'attnc-model 6', got 'attnc-model 1 extra'");
  EXPECT_EQ(parseError("\nattnc-model 1\n"),
            "line 1: expected 'attnc-model 6', got ''");
}

TEST(Manifest, RejectsAnotherVersion) {
  EXPECT_EQ(parseError("attnc-model 7\noutput y f32 0\n"),
            "line 1: unsupported manifest version 7 (this runtime reads "
            "versions 1 to 6)");
  EXPECT_EQ(parseError("attnc-model 0\noutput y f32 0\n"),
            "line 1: unsupported manifest version 0 (this runtime reads "
            "versions 1 to 6)");
}

TEST(Manifest, ReadsTheWorkspaceSize) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 2\nworkspace 4096\n"
                                   "input x f32 1 2\noutput y f32 1 2\n",
                                   manifest, error))
      << error;
  EXPECT_EQ(manifest.workspaceBytes, 4096u);
  ASSERT_TRUE(attnc::parseManifest("attnc-model 1\noutput y f32 0\n",
                                   manifest, error))
      << error;
  EXPECT_EQ(manifest.workspaceBytes, 0u);
}

TEST(Manifest, RejectsABadWorkspaceLine) {
  EXPECT_EQ(parseError("attnc-model 1\nworkspace 64\noutput y f32 0\n"),
            "line 2: 'workspace' needs manifest version 2, got version 1");
  EXPECT_EQ(parseError("attnc-model 2\nworkspace 64\nworkspace 64\n"),
            "line 3: duplicate 'workspace' line (first on line 2)");
  EXPECT_EQ(parseError("attnc-model 2\nworkspace -1\n"),
            "line 2: expected 'workspace <bytes>', got 'workspace -1'");
  EXPECT_EQ(parseError("attnc-model 2\nworkspace\n"),
            "line 2: expected 'workspace <bytes>', got 'workspace'");
}

TEST(Manifest, RejectsAManifestWithoutOutputs) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 0\n"),
            "manifest declares no outputs");
}

TEST(Manifest, RejectsAnUnknownLineKind) {
  EXPECT_EQ(parseError("attnc-model 1\nweight w f32 0\n"),
            "line 2: expected 'input', 'output' or 'workspace', got 'weight'");
}

TEST(Manifest, RejectsMissingFields) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32\n"),
            "line 2: expected 'input <name> <dtype> <rank> <dims...>', got "
            "'input x f32'");
  EXPECT_EQ(parseError("attnc-model 1\noutput\n"),
            "line 2: expected 'output <name> <dtype> <rank> <dims...>', got "
            "'output'");
}

TEST(Manifest, RejectsAnUnknownDtype) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f8 1 2\n"),
            "line 2: input 'x': unknown dtype 'f8'");
  EXPECT_EQ(parseError("attnc-model 1\ninput x F32 1 2\n"),
            "line 2: input 'x': unknown dtype 'F32'");
}

TEST(Manifest, RejectsABadRank) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 -1\n"),
            "line 2: input 'x': rank '-1' is not a non-negative integer");
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 two 1 2\n"),
            "line 2: input 'x': rank 'two' is not a non-negative integer");
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 99999999999999999999\n"),
            "line 2: input 'x': rank '99999999999999999999' is not a "
            "non-negative integer");
}

TEST(Manifest, RejectsARankThatDisagreesWithTheDims) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 2 1\n"),
            "line 2: input 'x': rank 2 needs 2 dims, got 1");
  EXPECT_EQ(parseError("attnc-model 1\noutput y f32 1 1 2\n"),
            "line 2: output 'y': rank 1 needs 1 dims, got 2");
}

TEST(Manifest, RejectsBadDims) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 2 1 -8\n"),
            "line 2: input 'x': dim 1 '-8' is not a non-negative integer "
            "that fits in 64 bits");
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 1 ?\n"),
            "line 2: input 'x': dim 0 '?' is not a non-negative integer that "
            "fits in 64 bits");
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 1 9223372036854775808\n"),
            "line 2: input 'x': dim 0 '9223372036854775808' is not a "
            "non-negative integer that fits in 64 bits");
}

TEST(Manifest, RejectsAShapeTooLargeForMemory) {
  EXPECT_EQ(parseError("attnc-model 1\n"
                       "input x f64 2 4294967296 4294967296\n"),
            "line 2: input 'x': shape [4294967296, 4294967296] (f64) has "
            "more bytes than fit in memory");
  // A zero dim makes any shape empty.
  Manifest manifest;
  std::string error;
  EXPECT_TRUE(attnc::parseManifest("attnc-model 1\n"
                                   "output x f64 3 4294967296 0 4294967296\n",
                                   manifest, error))
      << error;
}

TEST(Manifest, RejectsDuplicateNames) {
  EXPECT_EQ(parseError("attnc-model 1\ninput x f32 0\ninput x f32 0\n"),
            "line 3: duplicate input name 'x' (first on line 2)");
  EXPECT_EQ(parseError("attnc-model 1\noutput y f32 0\n\noutput %79 f32 0\n"),
            "line 4: duplicate output name 'y' (first on line 2)");
}

TEST(Manifest, RejectsBadNameEncodings) {
  EXPECT_EQ(parseError("attnc-model 1\ninput a%G1 f32 0\n"),
            "line 2: bad input name 'a%G1': bad escape '%G1' at byte 1");
  EXPECT_EQ(parseError("attnc-model 1\ninput a%4 f32 0\n"),
            "line 2: bad input name 'a%4': bad escape '%4' at byte 1");
  EXPECT_EQ(parseError("attnc-model 1\noutput a%00 f32 0\n"),
            "line 2: bad output name 'a%00': escape '%00' at byte 1 would put "
            "a NUL byte in the name");
  EXPECT_EQ(parseError("attnc-model 1\ninput a\"b f32 0\n"),
            "line 2: bad input name 'a\"b': unencoded byte '\"' at byte 1");
  EXPECT_EQ(parseError("attnc-model 1\ninput \xC3\xA9 f32 0\n"),
            "line 2: bad input name '\\xC3\\xA9': unencoded byte '\\xC3' at "
            "byte 0");
}

TEST(PercentEncoding, EncodesBytesOutsideTheSafeSet) {
  EXPECT_EQ(attnc::percentEncode("a b/c:d%e\n\xff", attnc::kManifestNameSafe),
            "a%20b/c:d%25e%0A%FF");
  EXPECT_EQ(attnc::percentEncode("a b/c:d", attnc::kFileNameSafe),
            "a%20b%2Fc%3Ad");
  EXPECT_EQ(attnc::percentEncode("Az09_.-", attnc::kFileNameSafe), "Az09_.-");
}

TEST(PercentEncoding, DecodesBothHexCasesAndRoundTrips) {
  std::string out, error;
  ASSERT_TRUE(
      attnc::percentDecode("%2f%2F%41", attnc::kManifestNameSafe, out, error));
  EXPECT_EQ(out, "//A");
  std::string all;
  for (int c = 1; c < 256; ++c)
    all += static_cast<char>(c);
  for (std::string_view safe :
       {attnc::kManifestNameSafe, attnc::kFileNameSafe}) {
    ASSERT_TRUE(
        attnc::percentDecode(attnc::percentEncode(all, safe), safe, out, error))
        << error;
    EXPECT_EQ(out, all);
  }
}

TEST(PercentEncoding, RejectsMalformedText) {
  std::string out, error;
  EXPECT_FALSE(attnc::percentDecode("%", attnc::kManifestNameSafe, out, error));
  EXPECT_EQ(error, "bad escape '%' at byte 0");
  EXPECT_FALSE(
      attnc::percentDecode("x%zz", attnc::kManifestNameSafe, out, error));
  EXPECT_EQ(error, "bad escape '%zz' at byte 1");
  EXPECT_FALSE(attnc::percentDecode("a/b", attnc::kFileNameSafe, out, error));
  EXPECT_EQ(error, "unencoded byte '/' at byte 1");
  EXPECT_FALSE(
      attnc::percentDecode("a b", attnc::kManifestNameSafe, out, error));
  EXPECT_EQ(error, "unencoded byte ' ' at byte 1");
}

} // namespace

namespace {

TEST(Manifest, ReadsRunTimeDims) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 3\n"
                                   "dim batch 4\n"
                                   "dim seq%20len 1024\n"
                                   "input ids i64 2 $0 $1\n"
                                   "output logits f32 3 $0 $1 96\n",
                                   manifest, error))
      << error;
  ASSERT_EQ(manifest.dims.size(), 2u);
  EXPECT_EQ(manifest.dims[1].name, "seq len");
  EXPECT_EQ(manifest.dims[1].bound, 1024);
  EXPECT_EQ(manifest.inputs[0].dims, (std::vector<int64_t>{-1, -1}));
  EXPECT_EQ(manifest.inputs[0].symbols, (std::vector<int>{0, 1}));
  EXPECT_EQ(manifest.outputs[0].maxDims, (std::vector<int64_t>{4, 1024, 96}));
  // Sizes at the bounds: the largest buffer a run can need.
  EXPECT_EQ(manifest.outputs[0].byteSize, 4u * 1024u * 96u * 4u);
  EXPECT_EQ(attnc::formatDecl(manifest.outputs[0], manifest), "[batch, seq len, 96] (f32)");
}

TEST(Manifest, RejectsBadRunTimeDims) {
  EXPECT_EQ(parseError("attnc-model 2\ndim seq 8\noutput y f32 0\n"),
            "line 2: 'dim' needs manifest version 3, got version 2");
  EXPECT_EQ(parseError("attnc-model 3\ndim seq 0\noutput y f32 0\n"),
            "line 2: expected 'dim <name> <bound>' with a bound of at least 1, got 'dim seq 0'");
  EXPECT_EQ(parseError("attnc-model 3\ndim seq 8\ndim seq 9\noutput y f32 0\n"),
            "line 3: duplicate dim name 'seq'");
  EXPECT_EQ(parseError("attnc-model 3\ninput x f32 1 2\ndim seq 8\noutput y f32 0\n"),
            "line 3: 'dim' lines must come before the inputs and outputs");
  EXPECT_EQ(parseError("attnc-model 3\ndim seq 8\ninput x f32 1 $1\noutput y f32 0\n"),
            "line 3: input 'x': dim 0 '$1' names no 'dim' line (the manifest declares 1)");
  EXPECT_EQ(parseError("attnc-model 3\ndim seq 8\ninput x f32 0\noutput y f32 1 $0\n"),
            "dim 'seq' is carried by no input");
}


TEST(Manifest, ReadsOutputExtentsThatAreSums) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 4\n"
                                   "dim past 31\n"
                                   "dim seq 8\n"
                                   "input ids i64 2 1 $1\n"
                                   "input past_key f32 4 1 4 $0 12\n"
                                   "output present_key f32 4 1 4 $0+$1 12\n"
                                   "output doubled f32 1 2*$0+-1\n",
                                   manifest, error))
      << error;
  const attnc::TensorDecl &present = manifest.outputs[0];
  EXPECT_EQ(present.dims, (std::vector<int64_t>{1, 4, -1, 12}));
  EXPECT_EQ(present.symbols[2], attnc::kSumDim);
  EXPECT_EQ(present.maxDims, (std::vector<int64_t>{1, 4, 39, 12}));
  EXPECT_EQ(attnc::formatDecl(present, manifest), "[1, 4, past+seq, 12] (f32)");
  EXPECT_EQ(attnc::evaluateSum(present.sums[2], {7, 1}), 8);
  EXPECT_EQ(attnc::evaluateSum(present.sums[2], {7, -1}), -1);
  const attnc::TensorDecl &doubled = manifest.outputs[1];
  EXPECT_EQ(attnc::formatDecl(doubled, manifest), "[2*past+-1] (f32)");
  EXPECT_EQ(doubled.maxDims, (std::vector<int64_t>{61}));
  EXPECT_EQ(attnc::evaluateSum(doubled.sums[0], {3, 1}), 5);
}

TEST(Manifest, RejectsBadSums) {
  EXPECT_EQ(parseError("attnc-model 3\ndim s 8\ninput x f32 1 $0\noutput y f32 1 $0+1\n"),
            "line 4: output 'y': dim 0 '$0+1' is a sum, which needs manifest version 4");
  EXPECT_EQ(parseError("attnc-model 4\ndim s 8\ninput x f32 1 $0+1\noutput y f32 0\n"),
            "line 3: input 'x': dim 0 '$0+1' is a sum, which only an output may have");
  EXPECT_EQ(parseError("attnc-model 4\ndim s 8\ninput x f32 1 $0\noutput y f32 1 $0+x\n"),
            "line 4: output 'y': dim 0 '$0+x': bad term 'x' (expected an integer, $k or C*$k)");
  EXPECT_EQ(parseError("attnc-model 4\ndim s 8\ninput x f32 1 $0\noutput y f32 1 1+2\n"),
            "line 4: output 'y': dim 0 '1+2' is a sum of no dims");
  EXPECT_EQ(parseError("attnc-model 4\ndim s 8\ninput x f32 1 $0\noutput y f32 1 $0+$3\n"),
            "line 4: output 'y': dim 0 '$0+$3' names no 'dim' line (the manifest declares 1)");
}

TEST(Manifest, ReadsKvCachesKeptInPlace) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 5\n"
                                   "dim past 31\n"
                                   "dim seq 8\n"
                                   "input ids i64 2 1 $1\n"
                                   "input past_key f32 4 1 4 $0 12\n"
                                   "cache past_key 2 32 $0+$1 present_key\n"
                                   "output logits f32 3 1 $1 5\n",
                                   manifest, error))
      << error;
  const attnc::TensorDecl &cache = manifest.inputs[1];
  EXPECT_EQ(cache.cacheAxis, 2);
  EXPECT_EQ(cache.cachePresent, "present_key");
  EXPECT_EQ(cache.cacheCapacity, 32);
  EXPECT_EQ(attnc::evaluateSum(cache.cacheExtent, {7, 1}), 8);
  // The whole buffer: 32 positions, not the past's bound of 31.
  EXPECT_EQ(cache.byteSize, 4u * 32u * 12u * 4u);
  EXPECT_EQ(cache.maxDims, (std::vector<int64_t>{1, 4, 31, 12}));
  EXPECT_EQ(manifest.inputs[0].cacheAxis, -1);
}

TEST(Manifest, ReadsRingCaches) {
  Manifest manifest;
  std::string error;
  ASSERT_TRUE(attnc::parseManifest("attnc-model 6\n"
                                   "dim past 4095\n"
                                   "dim seq 4\n"
                                   "input ids i64 2 1 $1\n"
                                   "input past_key f32 4 1 4 $0 12\n"
                                   "cache past_key 2 4096 $0+$1 present_key ring 7\n"
                                   "output logits f32 3 1 $1 5\n",
                                   manifest, error))
      << error;
  const attnc::TensorDecl &cache = manifest.inputs[1];
  EXPECT_EQ(cache.cacheCapacity, 4096);
  EXPECT_EQ(cache.cacheRing, 7);
  // The buffer holds the ring twice (14 positions), not the capacity.
  EXPECT_EQ(cache.byteSize, 4u * 14u * 12u * 4u);
}

TEST(Manifest, RejectsBadRingLines) {
  const std::string tail = "output y f32 0\n";
  const std::string body = "dim p 8\ninput x f32 2 4 $0\n";
  EXPECT_EQ(parseError("attnc-model 5\n" + body + "cache x 1 8 $0+1 y ring 3\n" + tail),
            "line 4: a ring cache needs manifest version 6, got version 5");
  EXPECT_EQ(parseError("attnc-model 6\n" + body + "cache x 1 8 $0+1 y ring 0\n" + tail),
            "line 4: expected 'cache <input> <axis> <capacity> <extent> <present> "
            "[ring <slots>]' with a capacity and slots of at least 1, got "
            "'cache x 1 8 $0+1 y ring 0'");
  EXPECT_EQ(parseError("attnc-model 6\n" + body + "cache x 1 8 $0+1 y round 3\n" + tail),
            "line 4: expected 'cache <input> <axis> <capacity> <extent> <present> "
            "[ring <slots>]' with a capacity and slots of at least 1, got "
            "'cache x 1 8 $0+1 y round 3'");
}

TEST(Manifest, RejectsBadCacheLines) {
  const std::string head = "attnc-model 5\ndim p 8\ninput x f32 2 4 $0\n";
  const std::string tail = "output y f32 0\n";
  EXPECT_EQ(parseError("attnc-model 4\ndim p 8\ninput x f32 2 4 $0\ncache x 1 8 $0+1 y\n" +
                       tail),
            "line 4: 'cache' needs manifest version 5, got version 4");
  EXPECT_EQ(parseError(head + "cache x 1 0 $0+1 y\n" + tail),
            "line 4: expected 'cache <input> <axis> <capacity> <extent> <present> "
            "[ring <slots>]' with a capacity and slots of at least 1, got 'cache x 1 0 $0+1 y'");
  EXPECT_EQ(parseError(head + "cache x 1 8 $0+1\n" + tail),
            "line 4: expected 'cache <input> <axis> <capacity> <extent> <present> "
            "[ring <slots>]' with a capacity and slots of at least 1, got 'cache x 1 8 $0+1'");
  EXPECT_EQ(parseError(head + "cache z 1 8 $0+1 y\n" + tail),
            "line 4: cache 'z' names no input declared before it");
  EXPECT_EQ(parseError(head + "cache x 0 8 $0+1 y\n" + tail),
            "line 4: cache 'x': dim 0 is not one of the input's run-time dims");
  EXPECT_EQ(parseError(head + "cache x 1 8 3 y\n" + tail),
            "line 4: cache 'x': extent is a sum of no dims");
  EXPECT_EQ(parseError(head + "cache x 1 8 $0+1 y\ncache x 1 8 $0+1 y\n" + tail),
            "line 5: cache 'x' is declared twice");
}

} // namespace
