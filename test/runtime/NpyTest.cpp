//===- NpyTest.cpp - Reading and writing .npy files -------------*- C++ -*-===//

#include "runtime/io/TensorFile.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace {

using attnc::io::parseNpy;
using attnc::io::serializeNpy;
using attnc::io::Tensor;
using attnc::test::bytesOf;
using attnc::test::elementsAs;

std::vector<uint8_t> bytesOfString(const std::string &text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

/// A .npy file as numpy 1.x/2.x writes it: `dict` padded so the data starts
/// at a multiple of 64, then `data`.
std::vector<uint8_t> npyFile(const std::string &dict,
                             const std::vector<uint8_t> &data,
                             uint8_t major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  std::string header =
      dict + std::string(total - prefix - dict.size() - 1, ' ') + "\n";
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  for (size_t i = 0; i < prefix - 8; ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string parseError(const std::vector<uint8_t> &file) {
  attnc::io::Result<Tensor> tensor =
      parseNpy(file.data(), file.size(), "x.npy");
  EXPECT_FALSE(tensor.ok());
  return tensor.ok() ? "" : tensor.error();
}

Tensor makeTensor(attnc_dtype_t dtype, std::vector<int64_t> shape) {
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  size_t count = 1;
  for (int64_t dim : tensor.shape)
    count *= static_cast<size_t>(dim);
  tensor.bytes.resize(count * attnc_dtype_size(dtype));
  std::mt19937 random(static_cast<unsigned>(dtype) * 7919u + count);
  for (uint8_t &byte : tensor.bytes)
    byte = static_cast<uint8_t>(random());
  if (dtype == ATTNC_DTYPE_I1)
    for (uint8_t &byte : tensor.bytes)
      byte &= 1;
  return tensor;
}

TEST(Npy, MatchesWhatNumpyWrites) {
  // np.save(f, np.array([[1, 2, 3], [4, 5, 6]], dtype='<f4'))
  std::string header = std::string("\x93NUMPY\x01\x00v\x00", 10) +
                       "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(2, 3), }" +
                       std::string(58, ' ') + "\n";
  std::vector<uint8_t> file = bytesOfString(header);
  std::vector<uint8_t> data = bytesOf(std::vector<float>{1, 2, 3, 4, 5, 6});
  file.insert(file.end(), data.begin(), data.end());
  ASSERT_EQ(file.size(), 152u);

  attnc::io::Result<Tensor> tensor = parseNpy(file.data(), file.size(), "m");
  ASSERT_TRUE(tensor.ok()) << tensor.error();
  EXPECT_EQ(tensor->dtype, ATTNC_DTYPE_F32);
  EXPECT_EQ(tensor->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(elementsAs<float>(tensor->bytes),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(tensor->name.empty());

  attnc::io::Result<std::vector<uint8_t>> written = serializeNpy(*tensor);
  ASSERT_TRUE(written.ok()) << written.error();
  EXPECT_EQ(written.value(), file);
}

TEST(Npy, WritesScalarsAndVectorsLikeNumpy) {
  Tensor scalar;
  scalar.dtype = ATTNC_DTYPE_F64;
  scalar.bytes = bytesOf(std::vector<double>{2.5});
  // np.save(f, np.float64(2.5))
  EXPECT_EQ(serializeNpy(scalar).value(),
            npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                    scalar.bytes));
  Tensor flags;
  flags.dtype = ATTNC_DTYPE_I1;
  flags.shape = {3};
  flags.bytes = {1, 0, 1};
  // np.save(f, np.array([True, False, True]))
  EXPECT_EQ(serializeNpy(flags).value(),
            npyFile("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                    flags.bytes));
}

TEST(Npy, RoundTripsEveryDtype) {
  attnc::test::ScratchDir dir;
  for (attnc_dtype_t dtype : {ATTNC_DTYPE_F32, ATTNC_DTYPE_F64, ATTNC_DTYPE_F16,
                              ATTNC_DTYPE_I64, ATTNC_DTYPE_I32, ATTNC_DTYPE_I16,
                              ATTNC_DTYPE_I8, ATTNC_DTYPE_U8, ATTNC_DTYPE_I1,
                              ATTNC_DTYPE_U16, ATTNC_DTYPE_U32, ATTNC_DTYPE_U64}) {
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{},
          std::vector<int64_t>{0, 5}, std::vector<int64_t>{7}}) {
      Tensor tensor = makeTensor(dtype, shape);
      std::string path =
          dir.file(std::string(attnc_dtype_name(dtype)) + ".npy");
      attnc::io::Status written = attnc::io::writeTensorFile(path, tensor);
      ASSERT_TRUE(written.ok()) << written.message();
      attnc::io::Result<Tensor> read = attnc::io::readTensorFile(path);
      ASSERT_TRUE(read.ok()) << read.error();
      EXPECT_EQ(read->dtype, dtype) << attnc_dtype_name(dtype);
      EXPECT_EQ(read->shape, shape) << attnc_dtype_name(dtype);
      EXPECT_EQ(read->bytes, tensor.bytes) << attnc_dtype_name(dtype);
      EXPECT_EQ(attnc::test::readBytes(path).size() % 64,
                tensor.bytes.size() % 64)
          << "data is not 64-byte aligned";
    }
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            12)
      << "temporary files were left behind";
}

TEST(Npy, WritesBf16AsItsBits) {
  // numpy has no bfloat16: the bits go out as "<u2" and come back as u16,
  // which a bf16 input of a model accepts.
  attnc::test::ScratchDir dir;
  Tensor tensor = makeTensor(ATTNC_DTYPE_BF16, {2});
  std::string path = dir.file("bf16.npy");
  attnc::io::Status written = attnc::io::writeTensorFile(path, tensor);
  ASSERT_TRUE(written.ok()) << written.message();
  attnc::io::Result<Tensor> read = attnc::io::readTensorFile(path);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read->dtype, ATTNC_DTYPE_U16);
  EXPECT_EQ(read->bytes, tensor.bytes);
}

TEST(Npy, RefusesToWriteAnInconsistentTensor) {
  Tensor tensor = makeTensor(ATTNC_DTYPE_F32, {2, 3});
  tensor.bytes.pop_back();
  EXPECT_EQ(serializeNpy(tensor).error(),
            "shape [2, 3] (f32) needs 24 bytes of data, got 23");
  tensor = makeTensor(ATTNC_DTYPE_I1, {2});
  tensor.bytes[1] = 7;
  EXPECT_EQ(serializeNpy(tensor).error(),
            "bool element 1 is 7, expected 0 or 1");
}

TEST(Npy, ReadsOtherVersionsAndHeaderSpellings) {
  std::vector<uint8_t> data = bytesOf(std::vector<int32_t>{-1, 2});
  for (uint8_t major : {1, 2, 3}) {
    for (const char *dict :
         {"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
          "{\"shape\": (2L,), \"descr\": \"<i4\", \"fortran_order\": True}",
          "{'descr':'=i4','fortran_order':False,'shape':(2,)}"}) {
      std::vector<uint8_t> file = npyFile(dict, data, major);
      attnc::io::Result<Tensor> tensor =
          parseNpy(file.data(), file.size(), "v.npy");
      ASSERT_TRUE(tensor.ok()) << tensor.error() << " for " << dict;
      EXPECT_EQ(tensor->dtype, ATTNC_DTYPE_I32);
      EXPECT_EQ(elementsAs<int32_t>(tensor->bytes),
                (std::vector<int32_t>{-1, 2}));
    }
  }
  std::vector<uint8_t> file = npyFile(
      "{'descr': '>i1', 'fortran_order': False, 'shape': (2,), }", {1, 2});
  attnc::io::Result<Tensor> bytesTensor =
      parseNpy(file.data(), file.size(), "b.npy");
  ASSERT_TRUE(bytesTensor.ok()) << bytesTensor.error();
  EXPECT_EQ(bytesTensor->dtype, ATTNC_DTYPE_I8);
}

TEST(Npy, ReportsTruncatedFiles) {
  EXPECT_EQ(parseError({}), "truncated .npy file 'x.npy': the file has 0 "
                            "bytes, a .npy header needs at least 10");
  std::vector<uint8_t> good =
      npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              bytesOf(std::vector<float>(6, 1.0f)));
  std::vector<uint8_t> file(good.begin(), good.begin() + 60);
  EXPECT_EQ(parseError(file), "truncated .npy file 'x.npy': the header needs "
                              "128 bytes, the file has 60");
  file.assign(good.begin(), good.end() - 1);
  EXPECT_EQ(parseError(file), "truncated .npy file 'x.npy': shape [2, 3] "
                              "(f32) needs 24 bytes of data, the file has 23");
  // Every prefix fails cleanly.
  for (size_t size = 0; size < good.size(); ++size)
    EXPECT_FALSE(parseNpy(good.data(), size, "x.npy").ok()) << size;
}

TEST(Npy, ReportsCorruptHeaders) {
  std::vector<uint8_t> data = bytesOf(std::vector<float>{1, 2});
  auto withDict = [&](const std::string &dict) {
    return parseError(npyFile(dict, data));
  };
  EXPECT_EQ(parseError(bytesOfString("PK\x03\x04 this is a zip file")),
            "invalid .npy file 'x.npy': no .npy magic string at the start");
  std::vector<uint8_t> file = npyFile("{}", {});
  file[6] = 4;
  EXPECT_EQ(parseError(file), "unsupported .npy file 'x.npy': format version "
                              "4.0 (this reader handles 1.0, 2.0 and 3.0)");
  EXPECT_EQ(withDict("{'descr': '>f4', 'fortran_order': False, "
                     "'shape': (2,), }"),
            "unsupported .npy file 'x.npy': big-endian dtype '>f4' is not "
            "supported");
  EXPECT_EQ(withDict("{'descr': '<c8', 'fortran_order': False, "
                     "'shape': (1,), }"),
            "unsupported .npy file 'x.npy': unsupported dtype '<c8'");
  EXPECT_EQ(withDict("{'descr': [('a', '<f4')], 'fortran_order': False, "
                     "'shape': (2,), }"),
            "invalid .npy file 'x.npy': 'descr' is not a string (structured "
            "dtypes are not supported)");
  EXPECT_EQ(withDict("{'descr': '<f4', 'fortran_order': True, "
                     "'shape': (1, 2), }"),
            "unsupported .npy file 'x.npy': Fortran-order arrays are not "
            "supported");
  EXPECT_EQ(withDict("{'descr': '<f4', 'shape': (2,), }"),
            "invalid .npy file 'x.npy': the header lacks 'fortran_order'");
  EXPECT_EQ(withDict("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"),
            "invalid .npy file 'x.npy': 'fortran_order' is not True or False");
  EXPECT_EQ(withDict("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (-2,), }"),
            "invalid .npy file 'x.npy': 'shape' is not a tuple of "
            "non-negative integers");
  EXPECT_EQ(withDict("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2,), 'extra': 1}"),
            "invalid .npy file 'x.npy': unexpected key 'extra' in the header");
  EXPECT_EQ(withDict("('descr', '<f4')"),
            "invalid .npy file 'x.npy': the header is not a dict");
  EXPECT_EQ(withDict("{'descr': '<f4' 'fortran_order': False}"),
            "invalid .npy file 'x.npy': expected ',' or '}' in the header");
  EXPECT_EQ(withDict("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (99999999999, 99999999999), }"),
            "invalid .npy file 'x.npy': shape [99999999999, 99999999999] "
            "(f32) has more bytes than fit in memory");
}

TEST(Npy, ReportsBadData) {
  std::vector<uint8_t> data = bytesOf(std::vector<float>{1, 2, 3});
  EXPECT_EQ(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (2,), }",
                               data)),
            "invalid .npy file 'x.npy': 4 unexpected bytes after the data of "
            "shape [2] (f32)");
  EXPECT_EQ(parseError(npyFile("{'descr': '|b1', 'fortran_order': False, "
                               "'shape': (3,), }",
                               {1, 0, 2})),
            "invalid .npy file 'x.npy': bool element 2 is 2, expected 0 or 1");
}

TEST(Npy, SurvivesRandomCorruption) {
  std::vector<uint8_t> good =
      npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 1), }",
              bytesOf(std::vector<int64_t>{1, 2, 3}));
  std::mt19937 random(1234);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> file = good;
    for (int flips = 1 + trial % 4; flips > 0; --flips)
      file[random() % file.size()] = static_cast<uint8_t>(random());
    (void)parseNpy(file.data(), file.size(), "fuzz.npy");
  }
}

TEST(TensorFile, NamesAMissingFile) {
  attnc::io::Result<Tensor> tensor =
      attnc::io::readTensorFile("/nonexistent/input.npy");
  ASSERT_FALSE(tensor.ok());
  EXPECT_EQ(tensor.error(), "cannot open '/nonexistent/input.npy': No such "
                            "file or directory");
}

TEST(TensorFile, LeavesNoFileWhenWritingFails) {
  attnc::test::ScratchDir dir;
  Tensor tensor = makeTensor(ATTNC_DTYPE_F32, {2, 3});
  tensor.bytes.pop_back();
  attnc::io::Status status =
      attnc::io::writeTensorFile(dir.file("out.npy"), tensor);
  EXPECT_EQ(status.message(), "cannot write '" + dir.file("out.npy") +
                                  "': shape [2, 3] (f32) needs 24 bytes of data, got 23");
  tensor = makeTensor(ATTNC_DTYPE_F32, {2});
  status = attnc::io::writeTensorFile(dir.file("missing/out.pb"), tensor);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("No such file or directory"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(TensorFile, ChoosesTheFormatByExtension) {
  using attnc::io::formatForPath;
  using attnc::io::TensorFileFormat;
  EXPECT_EQ(formatForPath("a/b.npy"), TensorFileFormat::Npy);
  EXPECT_EQ(formatForPath("B.NPY"), TensorFileFormat::Npy);
  EXPECT_EQ(formatForPath("input_0.pb"), TensorFileFormat::TensorProto);
  EXPECT_EQ(formatForPath("tensor"), TensorFileFormat::TensorProto);
  EXPECT_EQ(formatForPath("npy"), TensorFileFormat::TensorProto);
}

} // namespace
