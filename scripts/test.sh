#!/usr/bin/env bash
# The whole test suite: set up, build, and run every suite. Ends with "N passed, F failed"
# over the suites; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1
export PATH=/opt/swift/usr/bin:$PATH
SCRATCH=.build-test           # tests build with -enable-testing: keep them apart from .build
FLAGS=(-c release --scratch-path "$SCRATCH" -Xswiftc -enable-testing)
passed=0; failed=0; failures=()
suite() {   # suite NAME COMMAND...
    local name=$1; shift
    echo "=== $name: $*"
    local t0=$SECONDS
    if "$@"; then passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
    else failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED ($((SECONDS - t0)) s)"; fi
}
suite build swift build --build-tests "${FLAGS[@]}"
BIN=$SCRATCH/release
suite unit-tests swift test --skip-build "${FLAGS[@]}"
suite kernels-build bash scripts/build-kernels.sh
suite test-kernels env STRICT=1 bash scripts/run-kernels.sh "$BIN/swemu"
suite determinism bash scripts/check-determinism.sh "$BIN/swemu"
suite difftest "$BIN/swemu-difftest"
suite difftest-decoder "$BIN/swemu-difftest" --decoder
suite oracle-selftest bash Tests/oracle/run.sh
echo
[ $failed -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
