#!/bin/sh
# End-to-end check of the model runner with nothing but POSIX tools: the
# fake model (sum = a + b on f32 [2, 3]) linked with attnc_runner, fed .npy
# files written byte by byte here.
#
# usage: runner_test.sh MODEL_EXECUTABLE WORK_DIR
set -u
model=$1
work=$2
case $model in
/*) ;;
*) model=$PWD/$model ;;
esac
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# npy_f32_2x3 FILE DATA: a v1.0 .npy header for f32 [2, 3] (118 header
# bytes, so the data starts at byte 128) followed by DATA (printf escapes).
npy_f32_2x3() {
  {
    printf '\223NUMPY\001\000\166\000'
    printf "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    printf '%58s\n' ''
    printf "$2"
  } >"$1"
}

# 1, 2, 3, 4, 5, 6 and six times 0.5, as little-endian f32.
npy_f32_2x3 a.npy '\0\0\200\77\0\0\0\100\0\0\100\100\0\0\200\100\0\0\240\100\0\0\300\100'
npy_f32_2x3 b.npy '\0\0\0\77\0\0\0\77\0\0\0\77\0\0\0\77\0\0\0\77\0\0\0\77'
# Their sum: 1.5, 2.5, 3.5, 4.5, 5.5, 6.5.
printf '\0\0\300\77\0\0\40\100\0\0\140\100\0\0\220\100\0\0\260\100\0\0\320\100' >expected_sum.bin

"$model" --input a=a.npy --input b=b.npy --output-dir out >stdout.txt 2>stderr.txt
status=$?
[ "$status" -eq 0 ] || fail "good run exited $status: $(cat stderr.txt)"
[ ! -s stderr.txt ] || fail "good run wrote to stderr: $(cat stderr.txt)"
grep -qx 'sum: shape \[2, 3\] f32' stdout.txt || fail "no shape line for sum"
grep -qx 'is positive: shape \[2, 3\] i1' stdout.txt ||
  fail "no shape line for 'is positive'"
grep -q '^median run time: .* ms over 1 runs$' stdout.txt ||
  fail "no median line"
[ -f out/sum.npy ] || fail "out/sum.npy was not written"
[ -f 'out/is%20positive.npy' ] || fail "out/is%20positive.npy was not written"
[ "$(ls out | wc -l)" -eq 2 ] || fail "unexpected files in out: $(ls out)"
tail -c 24 out/sum.npy >actual_sum.bin
cmp -s actual_sum.bin expected_sum.bin || fail "out/sum.npy holds the wrong sum"

# expect_error DESCRIPTION ARGS...: exit code 1 and one "error: " line.
expect_error() {
  what=$1
  shift
  "$model" "$@" >stdout.txt 2>stderr.txt
  status=$?
  [ "$status" -eq 1 ] || fail "$what: exited $status, expected 1"
  [ "$(wc -l <stderr.txt)" -eq 1 ] || fail "$what: stderr is not one line"
  grep -q '^error: ' stderr.txt || fail "$what: stderr lacks 'error: '"
}

expect_error "unknown input name" --input a=a.npy --input c=b.npy
grep -q "unknown input 'c'" stderr.txt || fail "unknown name not named"
expect_error "missing input" --input a=a.npy
grep -q "missing input 'b'" stderr.txt || fail "missing name not named"

# A [3, 2] file of the same bytes: the shape must be rejected.
sed 's/(2, 3)/(3, 2)/' a.npy >a_3x2.npy
expect_error "wrong shape" --input a=a_3x2.npy --input b=b.npy
grep -q "expected shape \[2, 3\] (f32), got \[3, 2\] (f32)" stderr.txt ||
  fail "shape mismatch message: $(cat stderr.txt)"

head -c 100 a.npy >truncated.npy
expect_error "truncated input" --input a=truncated.npy --input b=b.npy
expect_error "bad --repeat" --input a=a.npy --input b=b.npy --repeat 0
echo "PASS"
