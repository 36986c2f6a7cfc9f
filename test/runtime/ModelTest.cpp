//===- ModelTest.cpp - Loading, querying and running models -----*- C++ -*-===//

#include "attnc/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern "C" int attnc_test_c_api(const char *library_path, char *message,
                                size_t size);

namespace {

// A model "linked" into the test: out = input_ids * scale.
const char kManifest[] = "attnc-model 1\n"
                         "input input_ids i64 2 1 8\n"
                         "input scale f32 0\n"
                         "output out f32 2 1 8\n";

std::atomic<int> runCount{0};
std::atomic<int> inFlight{0};
std::atomic<bool> overlapped{false};

void scaleRun(void **buffers) {
  if (inFlight.fetch_add(1) != 0)
    overlapped = true;
  const auto *ids = static_cast<const int64_t *>(buffers[0]);
  float scale = *static_cast<const float *>(buffers[1]);
  auto *out = static_cast<float *>(buffers[2]);
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<float>(ids[i]) * scale;
  ++runCount;
  inFlight.fetch_sub(1);
}

/// Takes a status, returns its message ("OK" for success) and frees it.
std::string take(attnc_status_t *status) {
  std::string message = attnc_status_message(status);
  attnc_status_free(status);
  return message;
}

struct ModelDeleter {
  void operator()(attnc_model_t *model) const { attnc_model_release(model); }
};
using ModelPtr = std::unique_ptr<attnc_model_t, ModelDeleter>;

ModelPtr wrapScaleModel() {
  attnc_model_t *model = nullptr;
  EXPECT_EQ(take(attnc_model_wrap_linked(kManifest, scaleRun, &model)), "OK");
  return ModelPtr(model);
}

/// Buffers for the scale model, correct unless a test changes them.
struct ScaleBuffers {
  int64_t ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  float scale = 0.5f;
  float out[8] = {};
  int64_t idsDims[2] = {1, 8};
  int64_t outDims[2] = {1, 8};
  attnc_tensor_t inputs[2] = {
      {ids, ATTNC_DTYPE_I64, 2, idsDims, sizeof(ids)},
      {&scale, ATTNC_DTYPE_F32, 0, nullptr, sizeof(scale)},
  };
  attnc_tensor_t outputs[1] = {{out, ATTNC_DTYPE_F32, 2, outDims, sizeof(out)}};

  std::string invoke(attnc_model_t *model, size_t inputCount = 2,
                     size_t outputCount = 1) {
    return take(
        attnc_model_invoke(model, inputs, inputCount, outputs, outputCount));
  }
};

TEST(Status, CarriesACodeAndAMessage) {
  attnc_status_t *status =
      attnc_status_create(ATTNC_STATUS_NOT_FOUND, "no such thing");
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_NOT_FOUND);
  EXPECT_STREQ(attnc_status_message(status), "no such thing");
  EXPECT_STREQ(attnc_status_code_name(attnc_status_code(status)), "NOT_FOUND");
  attnc_status_free(status);
  EXPECT_EQ(attnc_status_create(ATTNC_STATUS_OK, "ignored"), nullptr);
  EXPECT_EQ(attnc_status_code(nullptr), ATTNC_STATUS_OK);
  EXPECT_STREQ(attnc_status_message(nullptr), "OK");
  attnc_status_free(nullptr);
  status = attnc_status_create(ATTNC_STATUS_INTERNAL, nullptr);
  EXPECT_STREQ(attnc_status_message(status), "");
  attnc_status_free(status);
}

TEST(Dtype, NamesSizesAndParsing) {
  struct Row {
    attnc_dtype_t dtype;
    const char *name;
    size_t size;
  } rows[] = {{ATTNC_DTYPE_F32, "f32", 4}, {ATTNC_DTYPE_F64, "f64", 8},
              {ATTNC_DTYPE_F16, "f16", 2}, {ATTNC_DTYPE_BF16, "bf16", 2},
              {ATTNC_DTYPE_I64, "i64", 8}, {ATTNC_DTYPE_I32, "i32", 4},
              {ATTNC_DTYPE_I16, "i16", 2}, {ATTNC_DTYPE_I8, "i8", 1},
              {ATTNC_DTYPE_U8, "u8", 1},   {ATTNC_DTYPE_I1, "i1", 1}};
  for (const Row &row : rows) {
    EXPECT_STREQ(attnc_dtype_name(row.dtype), row.name);
    EXPECT_EQ(attnc_dtype_size(row.dtype), row.size) << row.name;
    EXPECT_EQ(attnc_dtype_from_name(row.name), row.dtype) << row.name;
  }
  EXPECT_STREQ(attnc_dtype_name(ATTNC_DTYPE_INVALID), "invalid");
  EXPECT_STREQ(attnc_dtype_name(static_cast<attnc_dtype_t>(99)), "invalid");
  EXPECT_EQ(attnc_dtype_size(static_cast<attnc_dtype_t>(99)), 0u);
  EXPECT_EQ(attnc_dtype_from_name("bool"), ATTNC_DTYPE_INVALID);
  EXPECT_EQ(attnc_dtype_from_name(nullptr), ATTNC_DTYPE_INVALID);
}

TEST(LinkedModel, DescribesItsInputsAndOutputs) {
  ModelPtr model = wrapScaleModel();
  ASSERT_TRUE(model);
  ASSERT_EQ(attnc_model_input_count(model.get()), 2u);
  ASSERT_EQ(attnc_model_output_count(model.get()), 1u);
  attnc_tensor_info_t info;
  ASSERT_EQ(take(attnc_model_input_info(model.get(), 0, &info)), "OK");
  EXPECT_STREQ(info.name, "input_ids");
  EXPECT_EQ(info.dtype, ATTNC_DTYPE_I64);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.dims[0], 1);
  EXPECT_EQ(info.dims[1], 8);
  EXPECT_EQ(info.element_count, 8u);
  EXPECT_EQ(info.byte_size, 64u);
  ASSERT_EQ(take(attnc_model_input_info(model.get(), 1, &info)), "OK");
  EXPECT_STREQ(info.name, "scale");
  EXPECT_EQ(info.rank, 0u);
  EXPECT_EQ(info.element_count, 1u);
  ASSERT_EQ(take(attnc_model_output_info(model.get(), 0, &info)), "OK");
  EXPECT_STREQ(info.name, "out");
  EXPECT_EQ(info.byte_size, 32u);
  EXPECT_EQ(take(attnc_model_input_info(model.get(), 2, &info)),
            "input index 2 is out of range (model has 2 inputs)");
  EXPECT_EQ(take(attnc_model_output_info(model.get(), 1, &info)),
            "output index 1 is out of range (model has 1 outputs)");
}

TEST(LinkedModel, FindsInputsAndOutputsByName) {
  ModelPtr model = wrapScaleModel();
  size_t index = 99;
  EXPECT_EQ(take(attnc_model_find_input(model.get(), "scale", &index)), "OK");
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(take(attnc_model_find_output(model.get(), "out", &index)), "OK");
  EXPECT_EQ(index, 0u);
  attnc_status_t *status = attnc_model_find_input(model.get(), "ids", &index);
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_NOT_FOUND);
  EXPECT_EQ(take(status),
            "model has no input named 'ids'; its inputs are 'input_ids' (i64 "
            "[1, 8]), 'scale' (f32 [])");
  EXPECT_EQ(take(attnc_model_find_output(model.get(), "scale", &index)),
            "model has no output named 'scale'; its outputs are 'out' (f32 "
            "[1, 8])");
}

TEST(LinkedModel, RejectsNullArguments) {
  attnc_model_t *model = nullptr;
  EXPECT_EQ(take(attnc_model_wrap_linked(nullptr, scaleRun, &model)),
            "manifest is NULL");
  EXPECT_EQ(take(attnc_model_wrap_linked(kManifest, nullptr, &model)),
            "run function is NULL");
  EXPECT_EQ(take(attnc_model_wrap_linked(kManifest, scaleRun, nullptr)),
            "out_model is NULL");
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(take(attnc_model_invoke(nullptr, nullptr, 0, nullptr, 0)),
            "model is NULL");
  EXPECT_EQ(attnc_model_input_count(nullptr), 0u);
  attnc_model_release(nullptr);
  attnc_model_retain(nullptr);
}

TEST(LinkedModel, ReportsAMalformedManifest) {
  attnc_model_t *model = nullptr;
  attnc_status_t *status = attnc_model_wrap_linked(
      "attnc-model 1\ninput x f32 1\noutput y f32 0\n", scaleRun, &model);
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_DATA_LOSS);
  EXPECT_EQ(take(status), "invalid manifest in linked model: line 2: input "
                          "'x': rank 1 needs 1 dims, got 0");
  EXPECT_EQ(model, nullptr);
}

TEST(LinkedModel, RunsOnCallerBuffers) {
  ModelPtr model = wrapScaleModel();
  ScaleBuffers buffers;
  int before = runCount;
  ASSERT_EQ(buffers.invoke(model.get()), "OK");
  EXPECT_EQ(runCount, before + 1);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(buffers.out[i], 0.5f * static_cast<float>(i));
}

TEST(LinkedModel, NamesTheInputAndBothShapesOnAMismatch) {
  ModelPtr model = wrapScaleModel();
  int before = runCount;
  ScaleBuffers buffers;
  buffers.idsDims[1] = 9;
  attnc_status_t *status =
      attnc_model_invoke(model.get(), buffers.inputs, 2, buffers.outputs, 1);
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(take(status),
            "input 'input_ids': expected shape [1, 8] (i64), got [1, 9] (i64)");
  EXPECT_EQ(runCount, before) << "the model ran on a bad buffer";
}

TEST(LinkedModel, RejectsAWrongDtype) {
  ModelPtr model = wrapScaleModel();
  ScaleBuffers buffers;
  buffers.inputs[0].dtype = ATTNC_DTYPE_I32;
  EXPECT_EQ(buffers.invoke(model.get()),
            "input 'input_ids': expected shape [1, 8] (i64), got [1, 8] (i32)");
  buffers.inputs[0].dtype = static_cast<attnc_dtype_t>(42);
  EXPECT_EQ(
      buffers.invoke(model.get()),
      "input 'input_ids': expected shape [1, 8] (i64), got [1, 8] (invalid)");
}

TEST(LinkedModel, RejectsAWrongRank) {
  ModelPtr model = wrapScaleModel();
  ScaleBuffers buffers;
  buffers.inputs[1].rank = 1;
  buffers.inputs[1].dims = buffers.idsDims;
  EXPECT_EQ(buffers.invoke(model.get()),
            "input 'scale': expected shape [] (f32), got [1] (f32)");
  buffers.inputs[1].rank = 1000000;
  EXPECT_EQ(buffers.invoke(model.get()),
            "input 'scale': expected shape [] (f32), got a rank-1000000 "
            "tensor (f32)");
  buffers.inputs[1].dims = nullptr;
  EXPECT_EQ(buffers.invoke(model.get()),
            "input 'scale': dims is NULL for a rank-1000000 tensor");
}

TEST(LinkedModel, RejectsAWrongByteSizeOrNullData) {
  ModelPtr model = wrapScaleModel();
  ScaleBuffers buffers;
  buffers.outputs[0].byte_size = 28;
  EXPECT_EQ(buffers.invoke(model.get()),
            "output 'out': expected a 32-byte buffer for shape [1, 8] (f32), "
            "got 28 bytes");
  buffers.outputs[0].byte_size = 32;
  buffers.outputs[0].data = nullptr;
  EXPECT_EQ(buffers.invoke(model.get()), "output 'out': data is NULL");
}

TEST(LinkedModel, RejectsWrongCounts) {
  ModelPtr model = wrapScaleModel();
  ScaleBuffers buffers;
  EXPECT_EQ(buffers.invoke(model.get(), 1, 1),
            "expected 2 inputs ('input_ids' (i64 [1, 8]), 'scale' (f32 [])), "
            "got 1");
  EXPECT_EQ(buffers.invoke(model.get(), 2, 2),
            "expected 1 outputs ('out' (f32 [1, 8])), got 2");
  EXPECT_EQ(
      take(attnc_model_invoke(model.get(), nullptr, 2, buffers.outputs, 1)),
      "inputs is NULL");
}

TEST(LinkedModel, ChecksOneBufferWithoutRunning) {
  ModelPtr model = wrapScaleModel();
  ScaleBuffers buffers;
  EXPECT_EQ(take(attnc_model_check_input(model.get(), 0, &buffers.inputs[0])),
            "OK");
  EXPECT_EQ(take(attnc_model_check_input(model.get(), 1, &buffers.inputs[0])),
            "input 'scale': expected shape [] (f32), got [1, 8] (i64)");
  EXPECT_EQ(take(attnc_model_check_output(model.get(), 0, nullptr)),
            "output 'out': tensor is NULL");
  EXPECT_EQ(take(attnc_model_check_output(model.get(), 5, nullptr)),
            "output index 5 is out of range (model has 1 outputs)");
}

TEST(LinkedModel, RetainKeepsTheModelAlive) {
  ModelPtr model = wrapScaleModel();
  attnc_model_t *raw = model.get();
  attnc_model_retain(raw);
  model.reset();
  EXPECT_EQ(attnc_model_input_count(raw), 2u);
  attnc_model_release(raw);
}

TEST(LinkedModel, NeverOverlapsRunsOfTheSameCode) {
  ModelPtr first = wrapScaleModel();
  ModelPtr second = wrapScaleModel();
  overlapped = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ScaleBuffers buffers;
      for (int i = 0; i < 200; ++i)
        EXPECT_EQ(buffers.invoke((t % 2 ? first : second).get()), "OK");
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_FALSE(overlapped);
}

TEST(LoadedModel, LoadsAndRunsASharedLibrary) {
  attnc_model_t *raw = nullptr;
  ASSERT_EQ(take(attnc_model_load(ATTNC_FAKE_MODEL_LIBRARY, &raw)), "OK");
  ModelPtr model(raw);
  ASSERT_EQ(attnc_model_input_count(raw), 2u);
  ASSERT_EQ(attnc_model_output_count(raw), 2u);
  attnc_tensor_info_t info;
  ASSERT_EQ(take(attnc_model_output_info(raw, 1, &info)), "OK");
  EXPECT_STREQ(info.name, "is positive");
  EXPECT_EQ(info.dtype, ATTNC_DTYPE_I1);

  float a[6] = {1, -2, 3, -4, 5, -6},
        b[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  float sum[6] = {};
  uint8_t positive[6] = {};
  const int64_t dims[2] = {2, 3};
  attnc_tensor_t inputs[2] = {{a, ATTNC_DTYPE_F32, 2, dims, sizeof(a)},
                              {b, ATTNC_DTYPE_F32, 2, dims, sizeof(b)}};
  attnc_tensor_t outputs[2] = {
      {sum, ATTNC_DTYPE_F32, 2, dims, sizeof(sum)},
      {positive, ATTNC_DTYPE_I1, 2, dims, sizeof(positive)}};
  ASSERT_EQ(take(attnc_model_invoke(raw, inputs, 2, outputs, 2)), "OK");
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(sum[i], a[i] + 0.5f);
    EXPECT_EQ(positive[i], a[i] > 0 ? 1 : 0);
  }
  outputs[1].dtype = ATTNC_DTYPE_U8;
  EXPECT_EQ(take(attnc_model_invoke(raw, inputs, 2, outputs, 2)),
            "output 'is positive': expected shape [2, 3] (i1), got [2, 3] "
            "(u8)");
}

TEST(LoadedModel, UsesThePlainCApi) {
  char message[512] = "not run";
  EXPECT_EQ(
      attnc_test_c_api(ATTNC_FAKE_MODEL_LIBRARY, message, sizeof(message)), 0)
      << message;
}

TEST(LoadedModel, NamesAMissingFile) {
  attnc_model_t *model = nullptr;
  attnc_status_t *status =
      attnc_model_load("/nonexistent/dir/model.so", &model);
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_UNAVAILABLE);
  std::string message = take(status);
  EXPECT_EQ(message.rfind("cannot load model '/nonexistent/dir/model.so': ", 0),
            0u)
      << message;
  EXPECT_EQ(model, nullptr);
}

TEST(LoadedModel, RejectsALibraryWithoutTheModelSymbols) {
  attnc_model_t *model = nullptr;
  attnc_status_t *status =
      attnc_model_load(ATTNC_FAKE_MODEL_NO_RUN_LIBRARY, &model);
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_UNAVAILABLE);
  EXPECT_EQ(take(status), std::string("'") + ATTNC_FAKE_MODEL_NO_RUN_LIBRARY +
                              "' is not an attnc model: it does not export "
                              "'attnc_model_run'");
  EXPECT_EQ(model, nullptr);
}

TEST(LoadedModel, ReadsABareFileNameFromTheCurrentDirectory) {
  std::filesystem::path library(ATTNC_FAKE_MODEL_LIBRARY);
  std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(library.parent_path());
  attnc_model_t *model = nullptr;
  std::string found =
      take(attnc_model_load(library.filename().c_str(), &model));
  attnc_model_release(model);
  // "libm.so.6" would be found on the library path by dlopen, not here.
  std::string searched = take(attnc_model_load("libm.so.6", &model));
  std::filesystem::current_path(previous);
  EXPECT_EQ(found, "OK");
  EXPECT_EQ(searched.rfind("cannot load model 'libm.so.6': ", 0), 0u)
      << searched;
}

TEST(LoadedModel, NamesTheFileWithAMalformedManifest) {
  attnc_model_t *model = nullptr;
  attnc_status_t *status =
      attnc_model_load(ATTNC_FAKE_MODEL_BAD_LIBRARY, &model);
  EXPECT_EQ(attnc_status_code(status), ATTNC_STATUS_DATA_LOSS);
  EXPECT_EQ(take(status), std::string("invalid manifest in '") +
                              ATTNC_FAKE_MODEL_BAD_LIBRARY +
                              "': line 3: input 'b': unknown dtype 'f99'");
  EXPECT_EQ(model, nullptr);
}

} // namespace

// A model with a workspace: its run gets one more pointer after the
// outputs, to the declared bytes, 64-byte aligned, the same every run.
namespace {

void *seenWorkspace = nullptr;

void scratchRun(void **buffers) {
  seenWorkspace = buffers[2];
  auto *scratch = static_cast<float *>(buffers[2]);
  scratch[0] = *static_cast<const float *>(buffers[0]);
  scratch[1023] = 2.0f;
  *static_cast<float *>(buffers[1]) = scratch[0] * scratch[1023];
}

TEST(LinkedModel, HandsTheWorkspaceToEveryRun) {
  attnc_model_t *raw = nullptr;
  ASSERT_EQ(take(attnc_model_wrap_linked("attnc-model 2\nworkspace 4096\n"
                                         "input x f32 0\noutput y f32 0\n",
                                         scratchRun, &raw)),
            "OK");
  ModelPtr model(raw);
  EXPECT_EQ(attnc_model_workspace_size(model.get()), 4096u);
  float x = 3.0f, y = 0.0f;
  attnc_tensor_t in = {&x, ATTNC_DTYPE_F32, 0, nullptr, sizeof x};
  attnc_tensor_t out = {&y, ATTNC_DTYPE_F32, 0, nullptr, sizeof y};
  ASSERT_EQ(take(attnc_model_invoke(model.get(), &in, 1, &out, 1)), "OK");
  EXPECT_EQ(y, 6.0f);
  void *first = seenWorkspace;
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  ASSERT_EQ(take(attnc_model_invoke(model.get(), &in, 1, &out, 1)), "OK");
  EXPECT_EQ(seenWorkspace, first);
}

TEST(LinkedModel, HasNoWorkspaceWithoutTheLine) {
  ModelPtr model = wrapScaleModel();
  EXPECT_EQ(attnc_model_workspace_size(model.get()), 0u);
  EXPECT_EQ(attnc_model_workspace_size(nullptr), 0u);
}

} // namespace

namespace {

// A model with run-time dims: out[b, s] = x[b, s] + bias[s]... over
// `batch` x `seq` elements, both given at run time.
const char kRunTimeManifest[] = "attnc-model 3\n"
                                "dim batch 2\n"
                                "dim seq 8\n"
                                "input x f32 2 $0 $1\n"
                                "input bias f32 1 $1\n"
                                "output out f32 2 $0 $1\n";

void addRowsRun(void **buffers) {
  const auto *x = static_cast<const float *>(buffers[0]);
  const auto *bias = static_cast<const float *>(buffers[1]);
  auto *out = static_cast<float *>(buffers[2]);
  // No workspace: the dims' values follow the outputs.
  const auto *dims = static_cast<const int64_t *>(buffers[3]);
  for (int64_t b = 0; b < dims[0]; ++b)
    for (int64_t s = 0; s < dims[1]; ++s)
      out[b * dims[1] + s] = x[b * dims[1] + s] + bias[s];
}

TEST(Model, RunsWithRunTimeDims) {
  attnc_model_t *raw = nullptr;
  ASSERT_EQ(take(attnc_model_wrap_linked(kRunTimeManifest, addRowsRun, &raw)), "OK");
  ModelPtr model(raw);
  attnc_tensor_info_t info;
  ASSERT_EQ(take(attnc_model_output_info(model.get(), 0, &info)), "OK");
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.max_dims[1], 8);
  EXPECT_EQ(info.byte_size, 2u * 8u * 4u);

  float x[6] = {1, 2, 3, 4, 5, 6}, bias[3] = {10, 20, 30}, out[6] = {};
  int64_t xDims[2] = {2, 3}, biasDims[1] = {3}, outDims[2] = {0, 0};
  attnc_tensor_t inputs[2] = {{x, ATTNC_DTYPE_F32, 2, xDims, sizeof x},
                              {bias, ATTNC_DTYPE_F32, 1, biasDims, sizeof bias}};
  ASSERT_EQ(take(attnc_model_output_shape(model.get(), inputs, 2, 0, outDims)), "OK");
  EXPECT_EQ(outDims[0], 2);
  EXPECT_EQ(outDims[1], 3);
  attnc_tensor_t outputs[1] = {{out, ATTNC_DTYPE_F32, 2, outDims, sizeof out}};
  ASSERT_EQ(take(attnc_model_invoke(model.get(), inputs, 2, outputs, 1)), "OK");
  EXPECT_EQ(out[5], 36.0f);

  // An output of another shape than the inputs give.
  int64_t wrongDims[2] = {3, 2};
  attnc_tensor_t wrong[1] = {{out, ATTNC_DTYPE_F32, 2, wrongDims, sizeof out}};
  EXPECT_EQ(take(attnc_model_invoke(model.get(), inputs, 2, wrong, 1)),
            "output 'out': expected shape [2, 3] (f32) ([batch, seq] (f32)), got [3, 2] (f32)");
  // Inputs that disagree on `seq`, and one above its bound.
  int64_t shortBias[1] = {2};
  attnc_tensor_t disagree[2] = {inputs[0], {bias, ATTNC_DTYPE_F32, 1, shortBias, 8}};
  EXPECT_EQ(take(attnc_model_invoke(model.get(), disagree, 2, outputs, 1)),
            "input 'bias': dim 0 ('seq') is 2, but an earlier input gave 'seq' = 3");
  int64_t tallDims[2] = {3, 2};
  attnc_tensor_t tall[2] = {{x, ATTNC_DTYPE_F32, 2, tallDims, sizeof x}, inputs[1]};
  EXPECT_EQ(take(attnc_model_output_shape(model.get(), tall, 2, 0, outDims)),
            "input 'x': dim 0 ('batch') is 3, outside the model's bounds 0..2 (shape [batch, "
            "seq] (f32), got [3, 2] (f32))");
}

// A KV cache kept in place: [2, past] positions in a buffer with room for
// 4 along dim 1; a run appends `seq` columns of x after them, in place.
const char kCacheManifest[] = "attnc-model 5\n"
                              "dim past 4\n"
                              "dim seq 4\n"
                              "input x f32 2 2 $1\n"
                              "input cache f32 2 2 $0\n"
                              "cache cache 1 4 $0+$1 grown\n"
                              "output total f32 1 1\n";

void appendRun(void **buffers) {
  const auto *x = static_cast<const float *>(buffers[0]);
  auto *cache = static_cast<float *>(buffers[1]);
  auto *total = static_cast<float *>(buffers[2]);
  const auto *dims = static_cast<const int64_t *>(buffers[3]);
  int64_t past = dims[0], seq = dims[1];
  *total = 0;
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t s = 0; s < seq; ++s)
      cache[r * 4 + past + s] = x[r * seq + s];
    for (int64_t s = 0; s < past + seq; ++s)
      *total += cache[r * 4 + s];
  }
}

TEST(Model, AppendsToACacheKeptInPlace) {
  attnc_model_t *raw = nullptr;
  ASSERT_EQ(take(attnc_model_wrap_linked(kCacheManifest, appendRun, &raw)), "OK");
  ModelPtr model(raw);
  attnc_tensor_info_t info;
  ASSERT_EQ(take(attnc_model_input_info(model.get(), 1, &info)), "OK");
  EXPECT_EQ(info.cache_axis, 1);
  EXPECT_EQ(info.cache_capacity, 4);
  EXPECT_EQ(info.byte_size, 2u * 4u * 4u);
  EXPECT_STREQ(info.cache_present, "grown");
  ASSERT_EQ(take(attnc_model_input_info(model.get(), 0, &info)), "OK");
  EXPECT_EQ(info.cache_axis, -1);
  EXPECT_EQ(info.cache_present, nullptr);

  float cache[8] = {1, 2, 0, 0, 3, 4, 0, 0}, x[2] = {5, 6}, total = 0;
  int64_t cacheDims[2] = {2, 2}, xDims[2] = {2, 1}, totalDims[1] = {1};
  attnc_tensor_t inputs[2] = {{x, ATTNC_DTYPE_F32, 2, xDims, sizeof x},
                              {cache, ATTNC_DTYPE_F32, 2, cacheDims, sizeof cache}};
  attnc_tensor_t outputs[1] = {{&total, ATTNC_DTYPE_F32, 1, totalDims, sizeof total}};
  int64_t length = 0;
  ASSERT_EQ(take(attnc_model_cache_length(model.get(), inputs, 2, 1, &length)), "OK");
  EXPECT_EQ(length, 3);
  EXPECT_EQ(take(attnc_model_cache_length(model.get(), inputs, 2, 0, &length)),
            "input 'x' is not a KV cache kept in place");
  ASSERT_EQ(take(attnc_model_invoke(model.get(), inputs, 2, outputs, 1)), "OK");
  EXPECT_EQ(total, 21.0f);
  EXPECT_EQ(cache[2], 5.0f);
  EXPECT_EQ(cache[6], 6.0f);

  // A buffer of the cached positions only, not the whole cache.
  attnc_tensor_t small[2] = {inputs[0], {cache, ATTNC_DTYPE_F32, 2, cacheDims, 16}};
  EXPECT_EQ(take(attnc_model_invoke(model.get(), small, 2, outputs, 1)),
            "input 'cache': expected a 32-byte buffer for shape [2, 4] (f32) (a KV cache's "
            "whole buffer), got 16 bytes");
  // 3 cached and 2 new positions: one more than the room.
  float wide[4] = {};
  int64_t fullDims[2] = {2, 3}, wideDims[2] = {2, 2};
  attnc_tensor_t over[2] = {{wide, ATTNC_DTYPE_F32, 2, wideDims, sizeof wide},
                            {cache, ATTNC_DTYPE_F32, 2, fullDims, sizeof cache}};
  EXPECT_EQ(take(attnc_model_invoke(model.get(), over, 2, outputs, 1)),
            "input 'cache': this run would leave 5 positions in the KV cache, more than its "
            "capacity of 4");
}

} // namespace
