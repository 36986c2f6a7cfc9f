#!/usr/bin/env bash
# The sanitizer suite (issue 17): builds attnc, its runtime and its tests
# with AddressSanitizer (LeakSanitizer included) and UndefinedBehaviorSanitizer
# into build-sanitize/, then runs the README's test command there. Model
# executables that attnc links in those tests get the sanitized runtime and
# the same -fsanitize flags. Any report fails its test.
#   test/sanitize.sh            configure, build, run every test
#   test/sanitize.sh -R unit    pass ctest options (here: the unit tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
cmake -G Ninja -S . -B build-sanitize -DATTNC_SANITIZE=address,undefined \
  -DATTNC_CROSS_TARGETS="" >/dev/null
ninja -C build-sanitize
ctest --test-dir build-sanitize --output-on-failure "$@"
