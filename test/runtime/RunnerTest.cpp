//===- RunnerTest.cpp - The model runner, end to end ------------*- C++ -*-===//
//
// Runs the fake model executable (sum = a + b on f32 [2, 3], built from
// fake_model.c with attnc_runner) on files written here.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/TensorFile.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using attnc::io::Tensor;
using attnc::test::bytesOf;
using attnc::test::elementsAs;

struct RunResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

std::string shellQuote(const std::string &text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class Runner : public ::testing::Test {
protected:
  void SetUp() override {
    a = tensor({1, -2, 3, -4, 5, -6});
    b = tensor({0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f});
    write("a.npy", a);
    write("b.npy", b);
  }

  static Tensor tensor(std::vector<float> values,
                       std::vector<int64_t> shape = {2, 3}) {
    Tensor t;
    t.dtype = ATTNC_DTYPE_F32;
    t.shape = std::move(shape);
    t.bytes = bytesOf(values);
    return t;
  }

  void write(const std::string &name, const Tensor &t) {
    attnc::io::Status status = attnc::io::writeTensorFile(dir.file(name), t);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  RunResult run(const std::vector<std::string> &args) {
    std::string command = shellQuote(ATTNC_FAKE_MODEL_EXE);
    for (const std::string &arg : args)
      command += " " + shellQuote(arg);
    command += " >" + shellQuote(dir.file("stdout.txt")) + " 2>" +
               shellQuote(dir.file("stderr.txt"));
    RunResult result;
    int status = std::system(command.c_str());
    if (status != -1 && WIFEXITED(status))
      result.exitCode = WEXITSTATUS(status);
    result.out = slurp(dir.file("stdout.txt"));
    result.err = slurp(dir.file("stderr.txt"));
    return result;
  }

  /// Expects exit code 1 and one "error: " line; returns that line without
  /// the prefix and the newline.
  std::string runError(const std::vector<std::string> &args) {
    RunResult result = run(args);
    EXPECT_EQ(result.exitCode, 1) << result.out << result.err;
    EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
        << result.err;
    if (result.err.size() < 8)
      return result.err;
    return result.err.substr(7, result.err.size() - 8);
  }

  std::string in(const std::string &name, const std::string &file) {
    return name + "=" + dir.file(file);
  }

  attnc::test::ScratchDir dir;
  Tensor a, b;
};

TEST_F(Runner, RunsAndWritesNpyOutputs) {
  RunResult result = run({"--input", in("a", "a.npy"), "--input",
                          in("b", "b.npy"), "--output-dir", dir.file("out")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out.rfind("sum: shape [2, 3] f32\n"
                             "is positive: shape [2, 3] i1\n"
                             "median run time: ",
                             0),
            0u)
      << result.out;
  EXPECT_NE(result.out.find(" ms over 1 runs\n"), std::string::npos)
      << result.out;

  attnc::io::Result<Tensor> sum =
      attnc::io::readTensorFile(dir.file("out/sum.npy"));
  ASSERT_TRUE(sum.ok()) << sum.error();
  EXPECT_EQ(sum->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(elementsAs<float>(sum->bytes),
            (std::vector<float>{1.5f, -1.5f, 3.5f, -3.5f, 5.5f, -5.5f}));
  attnc::io::Result<Tensor> positive =
      attnc::io::readTensorFile(dir.file("out/is%20positive.npy"));
  ASSERT_TRUE(positive.ok()) << positive.error();
  EXPECT_EQ(positive->dtype, ATTNC_DTYPE_I1);
  EXPECT_EQ(positive->bytes, (std::vector<uint8_t>{1, 0, 1, 0, 1, 0}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("out")),
                          std::filesystem::directory_iterator()),
            2);
}

TEST_F(Runner, WritesPbOutputsForPbInputs) {
  Tensor pbA = a;
  pbA.name = "a";
  write("a.pb", pbA);
  // The output extension follows the first input file, not the others.
  RunResult result =
      run({"--input=" + in("a", "a.pb"), "--input", in("b", "b.npy"),
           "--output-dir=" + dir.file("o"), "--repeat=3"});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.out.find(" ms over 3 runs\n"), std::string::npos);
  attnc::io::Result<Tensor> sum =
      attnc::io::readTensorFile(dir.file("o/sum.pb"));
  ASSERT_TRUE(sum.ok()) << sum.error();
  EXPECT_EQ(sum->name, "sum");
  EXPECT_EQ(elementsAs<float>(sum->bytes)[2], 3.5f);
  EXPECT_TRUE(std::filesystem::exists(dir.file("o/is%20positive.pb")));
}

TEST_F(Runner, PrintsHelpWithTheModelSignature) {
  RunResult result = run({"--help"});
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_NE(result.out.find("usage: "), std::string::npos);
  EXPECT_NE(result.out.find("inputs:\n  'a' (f32 [2, 3])\n  'b' (f32 [2, 3])"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("outputs:\n  'sum' (f32 [2, 3])\n  'is positive' "
                            "(i1 [2, 3])"),
            std::string::npos)
      << result.out;
}

TEST_F(Runner, RejectsAnUnknownInputName) {
  EXPECT_EQ(
      runError({"--input", in("a", "a.npy"), "--input", in("c", "b.npy")}),
      "unknown input 'c'; the model's inputs are 'a' (f32 [2, 3]), 'b' "
      "(f32 [2, 3])");
}

TEST_F(Runner, RejectsAMissingOrRepeatedInput) {
  EXPECT_EQ(runError({"--input", in("a", "a.npy")}),
            "missing input 'b'; the model's inputs are 'a' (f32 [2, 3]), 'b' "
            "(f32 [2, 3])");
  EXPECT_EQ(
      runError({"--input", in("a", "a.npy"), "--input", in("a", "b.npy")}),
      "input 'a' is given twice");
  EXPECT_EQ(runError({"--input", "a.npy"}),
            "--input expects NAME=FILE, got 'a.npy'");
  EXPECT_EQ(runError({"--input", "a="}), "--input a= needs a file name");
}

TEST_F(Runner, RejectsAWrongShapeOrDtype) {
  write("b32.npy", tensor({1, 2, 3, 4, 5, 6}, {3, 2}));
  EXPECT_EQ(
      runError({"--input", in("a", "a.npy"), "--input", in("b", "b32.npy")}),
      "input 'b': expected shape [2, 3] (f32), got [3, 2] (f32) (read "
      "from '" +
          dir.file("b32.npy") + "')");
  Tensor f64;
  f64.dtype = ATTNC_DTYPE_F64;
  f64.shape = {2, 3};
  f64.bytes = bytesOf(std::vector<double>(6, 1.0));
  write("b64.npy", f64);
  EXPECT_EQ(
      runError({"--input", in("a", "a.npy"), "--input", in("b", "b64.npy")}),
      "input 'b': expected shape [2, 3] (f32), got [2, 3] (f64) (read "
      "from '" +
          dir.file("b64.npy") + "')");
}

TEST_F(Runner, RejectsBadFiles) {
  std::vector<uint8_t> good = attnc::test::readBytes(dir.file("b.npy"));
  good.resize(good.size() - 5);
  attnc::test::writeBytes(dir.file("cut.npy"), good);
  EXPECT_EQ(
      runError({"--input", in("a", "a.npy"), "--input", in("b", "cut.npy")}),
      "truncated .npy file '" + dir.file("cut.npy") +
          "': shape [2, 3] (f32) needs 24 bytes of data, the file has "
          "19");
  EXPECT_EQ(
      runError({"--input", in("a", "a.npy"), "--input", in("b", "nope.pb")}),
      "cannot open '" + dir.file("nope.pb") + "': No such file or directory");
  attnc::test::writeBytes(dir.file("junk.pb"), {0x4a, 0x7f, 0x01});
  std::string error =
      runError({"--input", in("a", "a.npy"), "--input", in("b", "junk.pb")});
  EXPECT_EQ(error, "truncated TensorProto in '" + dir.file("junk.pb") +
                       "': field 9 runs past the end of the file");
}

TEST_F(Runner, RejectsBadOptions) {
  EXPECT_EQ(runError({"--frobnicate"}),
            "unknown argument '--frobnicate'; run with --help for usage");
  EXPECT_EQ(runError({"--input"}), "--input needs a value");
  for (const char *repeat : {"0", "-1", "x", "", "99999999999999999999"})
    EXPECT_EQ(runError({"--input", in("a", "a.npy"), "--input",
                        in("b", "b.npy"), "--repeat", repeat}),
              std::string("--repeat expects an integer from 1 to 10000000, "
                          "got '") +
                  repeat + "'");
}

TEST_F(Runner, ReportsAnUnwritableOutputDirectory) {
  attnc::test::writeBytes(dir.file("plain-file"), {1});
  std::string error =
      runError({"--input", in("a", "a.npy"), "--input", in("b", "b.npy"),
                "--output-dir", dir.file("plain-file/out")});
  EXPECT_EQ(error.rfind("cannot create output directory '" +
                            dir.file("plain-file/out") + "': ",
                        0),
            0u)
      << error;
}

} // namespace
