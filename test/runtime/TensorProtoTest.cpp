//===- TensorProtoTest.cpp - ONNX .pb tensor files --------------*- C++ -*-===//
//
// Expected bytes and values come from onnx's own Python helpers
// (onnx.helper.make_tensor, onnx.numpy_helper), not from this reader.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/TensorFile.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace {

using attnc::io::parseTensorProto;
using attnc::io::serializeTensorProto;
using attnc::io::Tensor;
using attnc::test::bytesOf;
using attnc::test::elementsAs;
using Bytes = std::vector<uint8_t>;

attnc::io::Result<Tensor> parse(const Bytes &bytes) {
  return parseTensorProto(bytes.data(), bytes.size(), "x.pb");
}

std::string parseError(const Bytes &bytes) {
  attnc::io::Result<Tensor> tensor = parse(bytes);
  EXPECT_FALSE(tensor.ok());
  return tensor.ok() ? "" : tensor.error();
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes &part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// make_tensor("f", FLOAT, [2, 2], [1.5, -2.0, 0.25, 3.0]): packed float_data.
const Bytes kFloatData = {0x08, 0x02, 0x08, 0x02, 0x10, 0x01, 0x22, 0x10, 0x00,
                          0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00,
                          0x80, 0x3e, 0x00, 0x00, 0x40, 0x40, 0x42, 0x01, 0x66};
// The same tensor with raw=True: what serializeTensorProto must write.
const Bytes kFloatRaw = {0x08, 0x02, 0x08, 0x02, 0x10, 0x01, 0x42, 0x01, 0x66,
                         0x4a, 0x10, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00,
                         0xc0, 0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x40, 0x40};

TEST(TensorProto, ReadsTypedDataAsOnnxWritesIt) {
  attnc::io::Result<Tensor> f32 = parse(kFloatData);
  ASSERT_TRUE(f32.ok()) << f32.error();
  EXPECT_EQ(f32->name, "f");
  EXPECT_EQ(f32->dtype, ATTNC_DTYPE_F32);
  EXPECT_EQ(f32->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(elementsAs<float>(f32->bytes),
            (std::vector<float>{1.5f, -2.0f, 0.25f, 3.0f}));

  // make_tensor("q", INT8, [3], [-5, 0, 127]): int32_data, sign-extended.
  attnc::io::Result<Tensor> i8 =
      parse({0x08, 0x03, 0x10, 0x03, 0x2a, 0x0c, 0xfb, 0xff, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x7f, 0x42, 0x01, 0x71});
  ASSERT_TRUE(i8.ok()) << i8.error();
  EXPECT_EQ(i8->dtype, ATTNC_DTYPE_I8);
  EXPECT_EQ(elementsAs<int8_t>(i8->bytes), (std::vector<int8_t>{-5, 0, 127}));

  // make_tensor("m", BOOL, [2], [True, False]).
  attnc::io::Result<Tensor> flags =
      parse({0x08, 0x02, 0x10, 0x09, 0x2a, 0x02, 0x01, 0x00, 0x42, 0x01, 0x6d});
  ASSERT_TRUE(flags.ok()) << flags.error();
  EXPECT_EQ(flags->dtype, ATTNC_DTYPE_I1);
  EXPECT_EQ(flags->bytes, (Bytes{1, 0}));

  // make_tensor("h", FLOAT16, [2], [1.0, -2.0]): bits 0x3c00, 0xc000.
  attnc::io::Result<Tensor> f16 =
      parse({0x08, 0x02, 0x10, 0x0a, 0x2a, 0x05, 0x80, 0x78, 0x80, 0x80, 0x03,
             0x42, 0x01, 0x68});
  ASSERT_TRUE(f16.ok()) << f16.error();
  EXPECT_EQ(f16->dtype, ATTNC_DTYPE_F16);
  EXPECT_EQ(elementsAs<uint16_t>(f16->bytes),
            (std::vector<uint16_t>{0x3c00, 0xc000}));

  // make_tensor("ids", INT64, [2], [-1, 300]).
  attnc::io::Result<Tensor> i64 = parse(
      {0x08, 0x02, 0x10, 0x07, 0x3a, 0x0c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0x01, 0xac, 0x02, 0x42, 0x03, 0x69, 0x64, 0x73});
  ASSERT_TRUE(i64.ok()) << i64.error();
  EXPECT_EQ(i64->name, "ids");
  EXPECT_EQ(elementsAs<int64_t>(i64->bytes), (std::vector<int64_t>{-1, 300}));

  // make_tensor("d", DOUBLE, [1], [0.5]).
  attnc::io::Result<Tensor> f64 =
      parse({0x08, 0x01, 0x10, 0x0b, 0x42, 0x01, 0x64, 0x52, 0x08, 0x00, 0x00,
             0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f});
  ASSERT_TRUE(f64.ok()) << f64.error();
  EXPECT_EQ(elementsAs<double>(f64->bytes), (std::vector<double>{0.5}));

  // make_tensor("i", INT32, [2], [-7, 70000]).
  attnc::io::Result<Tensor> i32 =
      parse({0x08, 0x02, 0x10, 0x06, 0x2a, 0x0d, 0xf9, 0xff, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0x01, 0xf0, 0xa2, 0x04, 0x42, 0x01, 0x69});
  ASSERT_TRUE(i32.ok()) << i32.error();
  EXPECT_EQ(elementsAs<int32_t>(i32->bytes), (std::vector<int32_t>{-7, 70000}));
}

TEST(TensorProto, ReadsUnsignedIntegersFromTheirFields) {
  // make_tensor("w", UINT16, [2], [65535, 3]): int32_data.
  attnc::io::Result<Tensor> u16 =
      parse({0x08, 0x02, 0x10, 0x04, 0x2a, 0x04, 0xff, 0xff, 0x03, 0x03, 0x42, 0x01, 0x77});
  ASSERT_TRUE(u16.ok()) << u16.error();
  EXPECT_EQ(u16->dtype, ATTNC_DTYPE_U16);
  EXPECT_EQ(elementsAs<uint16_t>(u16->bytes), (std::vector<uint16_t>{65535, 3}));

  // make_tensor("u", UINT32, [2], [4000000000, 1]): uint64_data.
  attnc::io::Result<Tensor> u32 = parse({0x08, 0x02, 0x10, 0x0c, 0x42, 0x01, 0x75, 0x5a, 0x06,
                                         0x80, 0xd0, 0xac, 0xf3, 0x0e, 0x01});
  ASSERT_TRUE(u32.ok()) << u32.error();
  EXPECT_EQ(u32->dtype, ATTNC_DTYPE_U32);
  EXPECT_EQ(elementsAs<uint32_t>(u32->bytes), (std::vector<uint32_t>{4000000000u, 1}));

  // make_tensor("v", UINT64, [2], [2^64 - 1, 7]): uint64_data.
  attnc::io::Result<Tensor> u64 =
      parse({0x08, 0x02, 0x10, 0x0d, 0x42, 0x01, 0x76, 0x5a, 0x0b, 0xff, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x07});
  ASSERT_TRUE(u64.ok()) << u64.error();
  EXPECT_EQ(u64->dtype, ATTNC_DTYPE_U64);
  EXPECT_EQ(elementsAs<uint64_t>(u64->bytes), (std::vector<uint64_t>{UINT64_MAX, 7}));

  // A uint32 value past 32 bits is refused, not truncated.
  EXPECT_EQ(parseError({0x08, 0x01, 0x10, 0x0c, 0x5a, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10}),
            "invalid TensorProto in 'x.pb': uint64_data value 4294967296 at index 0 does "
            "not fit in u32");
}

TEST(TensorProto, ReadsUnpackedRepeatedFieldsAndSkipsUnknownOnes) {
  Bytes bytes = {
      0x0a, 0x02, 0x01, 0x02,             // dims, packed: [1, 2]
      0x10, 0x01,                         // data_type FLOAT
      0x25, 0x00, 0x00, 0x80, 0x3f,       // float_data 1.0, unpacked
      0x25, 0x00, 0x00, 0x00, 0x40,       // float_data 2.0, unpacked
      0x62, 0x03, 'd',  'o',  'c',        // doc_string (12), skipped
      0x1a, 0x02, 0x08, 0x00,             // segment (3), skipped
      0xa5, 0x01, 0x01, 0x02, 0x03, 0x04, // field 20, fixed32, skipped
      0x70, 0x00,                         // data_location DEFAULT
  };
  attnc::io::Result<Tensor> tensor = parse(bytes);
  ASSERT_TRUE(tensor.ok()) << tensor.error();
  EXPECT_EQ(tensor->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(elementsAs<float>(tensor->bytes), (std::vector<float>{1.0f, 2.0f}));
}

TEST(TensorProto, WritesWhatOnnxWritesWithRawData) {
  Tensor tensor;
  tensor.name = "f";
  tensor.dtype = ATTNC_DTYPE_F32;
  tensor.shape = {2, 2};
  tensor.bytes = bytesOf(std::vector<float>{1.5f, -2.0f, 0.25f, 3.0f});
  attnc::io::Result<Bytes> written = serializeTensorProto(tensor);
  ASSERT_TRUE(written.ok()) << written.error();
  EXPECT_EQ(written.value(), kFloatRaw);
  // make_tensor("scalar", INT64, [], [7], raw=True).
  Tensor scalar;
  scalar.name = "scalar";
  scalar.dtype = ATTNC_DTYPE_I64;
  scalar.bytes = bytesOf(std::vector<int64_t>{7});
  EXPECT_EQ(
      serializeTensorProto(scalar).value(),
      (Bytes{0x10, 0x07, 0x42, 0x06, 0x73, 0x63, 0x61, 0x6c, 0x61, 0x72,
             0x4a, 0x08, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(TensorProto, RoundTripsEveryDtype) {
  attnc::test::ScratchDir dir;
  std::mt19937 random(42);
  for (attnc_dtype_t dtype :
       {ATTNC_DTYPE_F32, ATTNC_DTYPE_F64, ATTNC_DTYPE_F16, ATTNC_DTYPE_BF16,
        ATTNC_DTYPE_I64, ATTNC_DTYPE_I32, ATTNC_DTYPE_I16, ATTNC_DTYPE_I8,
        ATTNC_DTYPE_U8, ATTNC_DTYPE_I1, ATTNC_DTYPE_U16, ATTNC_DTYPE_U32, ATTNC_DTYPE_U64}) {
    Tensor tensor;
    tensor.name = std::string("t/") + attnc_dtype_name(dtype);
    tensor.dtype = dtype;
    tensor.shape = {3, 1, 2};
    tensor.bytes.resize(6 * attnc_dtype_size(dtype));
    for (uint8_t &byte : tensor.bytes)
      byte =
          static_cast<uint8_t>(random() % (dtype == ATTNC_DTYPE_I1 ? 2 : 256));
    std::string path = dir.file(std::string(attnc_dtype_name(dtype)) + ".pb");
    attnc::io::Status written = attnc::io::writeTensorFile(path, tensor);
    ASSERT_TRUE(written.ok()) << written.message();
    attnc::io::Result<Tensor> read = attnc::io::readTensorFile(path);
    ASSERT_TRUE(read.ok()) << read.error();
    EXPECT_EQ(read->name, tensor.name);
    EXPECT_EQ(read->dtype, dtype);
    EXPECT_EQ(read->shape, tensor.shape);
    EXPECT_EQ(read->bytes, tensor.bytes);
  }
}

std::string onnxTestFile(const std::string &relative) {
  return std::string(ATTNC_ONNX_TEST_DATA) + "/" + relative;
}

TEST(TensorProto, ReadsOnnxTestData) {
  std::string dir = onnxTestFile("node/test_add/test_data_set_0/");
  if (!std::filesystem::exists(dir + "input_0.pb"))
    GTEST_SKIP() << "ONNX test data not installed at " << dir;
  attnc::io::Result<Tensor> x = attnc::io::readTensorFile(dir + "input_0.pb");
  attnc::io::Result<Tensor> y = attnc::io::readTensorFile(dir + "input_1.pb");
  attnc::io::Result<Tensor> sum =
      attnc::io::readTensorFile(dir + "output_0.pb");
  ASSERT_TRUE(x.ok()) << x.error();
  ASSERT_TRUE(y.ok()) << y.error();
  ASSERT_TRUE(sum.ok()) << sum.error();
  EXPECT_EQ(x->name, "x");
  EXPECT_EQ(sum->name, "sum");
  EXPECT_EQ(x->dtype, ATTNC_DTYPE_F32);
  EXPECT_EQ(x->shape, (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(sum->shape, (std::vector<int64_t>{3, 4, 5}));
  std::vector<float> xs = elementsAs<float>(x->bytes);
  std::vector<float> ys = elementsAs<float>(y->bytes);
  std::vector<float> sums = elementsAs<float>(sum->bytes);
  ASSERT_EQ(xs.size(), 60u);
  // Values printed by onnx.numpy_helper.to_array.
  EXPECT_EQ(xs[0], static_cast<float>(1.764052391052246));
  EXPECT_EQ(xs[1], static_cast<float>(0.40015721321105957));
  EXPECT_EQ(xs[17], static_cast<float>(-0.2051582634449005));
  EXPECT_EQ(xs[59], static_cast<float>(-0.3627411723136902));
  EXPECT_EQ(ys[0], static_cast<float>(-0.6724604368209839));
  EXPECT_EQ(sums[0], static_cast<float>(1.0915919542312622));
  EXPECT_EQ(sums[17], static_cast<float>(-0.7840079069137573));
  EXPECT_EQ(sums[59], static_cast<float>(0.5594655275344849));
  for (size_t i = 0; i < sums.size(); ++i)
    EXPECT_EQ(sums[i], xs[i] + ys[i]) << i;
}

TEST(TensorProto, ReportsTruncation) {
  Bytes cut(kFloatRaw.begin(), kFloatRaw.end() - 3);
  EXPECT_EQ(parseError(cut), "truncated TensorProto in 'x.pb': field 9 runs "
                             "past the end of the file");
  EXPECT_EQ(parseError({0x08}), "truncated TensorProto in 'x.pb': field 1 runs "
                                "past the end of the file");
  EXPECT_EQ(parseError({0x08, 0x02, 0x80}),
            "truncated TensorProto in 'x.pb': a field tag at byte 2 runs past "
            "the end of the file");
  EXPECT_EQ(parseError({0x10, 0x01, 0x0a, 0x02, 0x80}),
            "truncated TensorProto in 'x.pb': field 1 runs past the end of "
            "the file");
  EXPECT_EQ(parseError({0x10, 0x01, 0x0a, 0x01, 0x80}),
            "invalid TensorProto in 'x.pb': a varint runs past the end of "
            "packed field 1");
  EXPECT_EQ(parseError({0x10, 0x01, 0x25, 0x00}),
            "truncated TensorProto in 'x.pb': field 4 runs past the end of "
            "the file");
  // Every prefix of both encodings fails cleanly or parses.
  for (const Bytes &good : {kFloatRaw, kFloatData})
    for (size_t size = 0; size < good.size(); ++size)
      (void)parseTensorProto(good.data(), size, "x.pb");
}

TEST(TensorProto, RejectsWhatItCannotRepresent) {
  EXPECT_EQ(parseError({0x10, 0x08, 0x32, 0x01, 'a'}),
            "unsupported TensorProto in 'x.pb': string tensors (field 6, "
            "string_data) are not supported");
  EXPECT_EQ(parseError({0x10, 0x01, 0x6a, 0x00}),
            "unsupported TensorProto in 'x.pb': external data (field 13, "
            "external_data) is not supported; save the tensor with its data "
            "inline");
  EXPECT_EQ(parseError({0x10, 0x01, 0x70, 0x01}),
            "unsupported TensorProto in 'x.pb': external data (field 14, "
            "data_location = EXTERNAL) is not supported; save the tensor with "
            "its data inline");
  EXPECT_EQ(parseError({0x10, 0x0e}),
            "unsupported TensorProto in 'x.pb': data_type 14 (COMPLEX64) has no "
            "attnc dtype");
  EXPECT_EQ(parseError({0x10, 0x63}),
            "unsupported TensorProto in 'x.pb': unknown data_type 99");
  EXPECT_EQ(parseError({0x08, 0x01}),
            "invalid TensorProto in 'x.pb': data_type is missing");
}

TEST(TensorProto, RejectsInconsistentData) {
  Bytes f32Header = {0x08, 0x02, 0x10, 0x01}; // dims [2], FLOAT
  EXPECT_EQ(parseError(concat({f32Header, {0x4a, 0x04, 0, 0, 0, 0}})),
            "invalid TensorProto in 'x.pb': raw_data has 4 bytes, expected 8 "
            "for shape [2] (f32)");
  EXPECT_EQ(parseError(concat({f32Header, {0x22, 0x04, 0, 0, 0, 0}})),
            "invalid TensorProto in 'x.pb': float_data has 1 values, expected "
            "2 for shape [2] (f32)");
  EXPECT_EQ(parseError(f32Header), "invalid TensorProto in 'x.pb': float_data "
                                   "has 0 values, expected 2 for shape [2] "
                                   "(f32)");
  EXPECT_EQ(parseError(concat({f32Header, {0x22, 0x03, 0, 0, 0}})),
            "invalid TensorProto in 'x.pb': field 4 (float_data) has 3 bytes, "
            "not a multiple of 4");
  EXPECT_EQ(parseError(concat({f32Header, {0x3a, 0x02, 0x01, 0x02}})),
            "invalid TensorProto in 'x.pb': int64_data does not apply to "
            "data_type FLOAT (expected float_data)");
  EXPECT_EQ(
      parseError(concat({f32Header, {0x22, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0x4a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}})),
      "invalid TensorProto in 'x.pb': both raw_data and float_data hold "
      "data");
  // INT8 [1] holding 200 in int32_data.
  EXPECT_EQ(parseError({0x08, 0x01, 0x10, 0x03, 0x28, 0xc8, 0x01}),
            "invalid TensorProto in 'x.pb': int32_data value 200 at index 0 "
            "does not fit in i8");
  // BOOL [1] with raw byte 2.
  EXPECT_EQ(parseError({0x08, 0x01, 0x10, 0x09, 0x4a, 0x01, 0x02}),
            "invalid TensorProto in 'x.pb': bool element 0 is 2, expected 0 "
            "or 1");
  // dims [-1].
  EXPECT_EQ(parseError({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0xff, 0x01, 0x10, 0x01}),
            "invalid TensorProto in 'x.pb': dim 0 is negative (-1)");
}

TEST(TensorProto, RejectsMalformedWireFormat) {
  EXPECT_EQ(parseError({0x12, 0x00}),
            "invalid TensorProto in 'x.pb': field 2 (data_type) has wire type "
            "length-delimited, expected varint");
  EXPECT_EQ(parseError({0x45, 0, 0, 0, 0}),
            "invalid TensorProto in 'x.pb': field 8 (name) has wire type "
            "fixed32, expected length-delimited");
  EXPECT_EQ(parseError({0x0b}), "invalid TensorProto in 'x.pb': field 1 uses "
                                "the deprecated group encoding");
  EXPECT_EQ(parseError({0x0f}), "invalid TensorProto in 'x.pb': field 1 has "
                                "invalid wire type 7");
  EXPECT_EQ(parseError({0x00}), "invalid TensorProto in 'x.pb': invalid field "
                                "number 0 at byte 0");
  EXPECT_EQ(parseError({0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0xff, 0x7f}),
            "invalid TensorProto in 'x.pb': varint at byte 10 overflows 64 "
            "bits");
}

TEST(TensorProto, SurvivesRandomCorruption) {
  std::mt19937 random(99);
  for (int trial = 0; trial < 5000; ++trial) {
    Bytes bytes = trial % 2 ? kFloatRaw : kFloatData;
    for (int flips = 1 + trial % 3; flips > 0; --flips)
      bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
    (void)parse(bytes);
  }
}

TEST(TensorProto, RefusesToWriteAnInconsistentTensor) {
  Tensor tensor;
  tensor.dtype = ATTNC_DTYPE_I16;
  tensor.shape = {3};
  tensor.bytes = {1, 2};
  EXPECT_EQ(serializeTensorProto(tensor).error(),
            "shape [3] (i16) needs 6 bytes of data, got 2");
  tensor.dtype = ATTNC_DTYPE_INVALID;
  EXPECT_EQ(serializeTensorProto(tensor).error(), "invalid dtype");
}

} // namespace
