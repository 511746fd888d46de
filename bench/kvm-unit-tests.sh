#!/usr/bin/env bash
# kvm-unit-tests (x86) under QEMU TCG and under swemu, side by side.
#
#   bench/kvm-unit-tests.sh /path/to/kvm-unit-tests [swemu-binary]
#
# * Builds the suite in the given checkout if needed (./configure --arch=x86_64; make).
# * Runs the suite's own runner (run_tests.sh -v) twice, with ACCEL=tcg:
#     QEMU=<qemu-system-x86_64>   and   QEMU=<swemu binary>  (default /work/main/.build/release/swemu)
#   The runner applies the per-test timeouts from x86/unittests.cfg itself (timeout(1), default 90s).
# * Parses the runner's result lines ("PASS apic (52 tests)", "FAIL x (timeout; duration=90s)",
#   "SKIP y (reason)") and prints one line per test: name, QEMU result, swemu result, and a note
#   when they differ; then totals.
# * Keeps everything under a results directory:
#     qemu.out / swemu.out       runner stdout (colour codes stripped)
#     qemu-logs/ / swemu-logs/   the runner's per-test logs (<test>.log: full command line, guest
#                                serial output, emulator stderr)
#     probe.txt                  what swemu answers to the runner's binary probes
#     results.tsv                test <TAB> qemu status <TAB> qemu detail <TAB> swemu status <TAB> swemu detail
#     table.txt                  the printed table
#
# Environment knobs (all optional):
#   RESULTS_DIR=dir   where to put results (default: <kut>/swemu-compare/<date-time>)
#   QEMU_BIN=path     reference QEMU (default: qemu-system-x86_64 from PATH)
#   SKIP_QEMU=1       do not run the QEMU pass (its column shows "-")
#   SKIP_SWEMU=1      do not run the swemu pass (its column shows "-")
#   JOBS=N            run_tests.sh -j N (default 1: TCG timing-sensitive tests are less flaky)
#   ALL=1             run_tests.sh -a (also the 'nodefault' tests)
#   GROUP=name        run_tests.sh -g name (only one group)
#   TESTS="a b c"     only these tests (names as in x86/unittests.cfg)
#   TIMEOUT=...       passed through: overrides every per-test timeout of the runner
#   SUITE_TIMEOUT=4h  hard limit for one whole runner pass
#   NO_BUILD=1        do not configure/make
set -u
set -o pipefail

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in -h|--help) usage ;; esac

# ---------- arguments and paths ----------
KUT=$(cd "$1" 2>/dev/null && pwd) || { echo "error: no such directory: $1" >&2; exit 2; }
[ -x "$KUT/run_tests.sh" ] && [ -f "$KUT/x86/unittests.cfg" ] ||
    { echo "error: $KUT does not look like a kvm-unit-tests checkout" >&2; exit 2; }
SWEMU=${2:-/work/main/.build/release/swemu}
# The runner runs "command -v $QEMU" from inside the checkout, so the swemu path must be absolute.
case "$SWEMU" in /*) ;; */*) SWEMU="$PWD/$SWEMU" ;; esac
QEMU_BIN=${QEMU_BIN:-qemu-system-x86_64}
QEMU_BIN_PATH=$(command -v "$QEMU_BIN" 2>/dev/null || true)
SKIP_QEMU=${SKIP_QEMU:-0}
SKIP_SWEMU=${SKIP_SWEMU:-0}
JOBS=${JOBS:-1}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-4h}
RESULTS_DIR=${RESULTS_DIR:-$KUT/swemu-compare/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR" || exit 2
RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd)

# ---------- build the suite if needed ----------
if [ "${NO_BUILD:-0}" != 1 ]; then
    (
        cd "$KUT" || exit 2
        if [ ! -f config.mak ]; then
            echo "== configuring kvm-unit-tests (./configure --arch=x86_64)"
            ./configure --arch=x86_64 >"$RESULTS_DIR/configure.log" 2>&1 ||
                { cat "$RESULTS_DIR/configure.log" >&2; exit 2; }
        fi
        # make is incremental; a no-op when everything is built.
        make -j"$(nproc)" >"$RESULTS_DIR/build.log" 2>&1 ||
            { tail -30 "$RESULTS_DIR/build.log" >&2; echo "error: build failed (see $RESULTS_DIR/build.log)" >&2; exit 2; }
    ) || exit 2
fi
KUT_COMMIT=$(git -C "$KUT" rev-parse HEAD 2>/dev/null || cat "$KUT/build-head" 2>/dev/null || echo unknown)

# ---------- which tests, in config order ----------
LIST_ARGS=()
[ -n "${GROUP:-}" ] && LIST_ARGS+=(-g "$GROUP")
mapfile -t ALL_TESTS < <(cd "$KUT" && ./run_tests.sh -l "${LIST_ARGS[@]}" 2>/dev/null)
if [ -n "${TESTS:-}" ]; then
    read -r -a ALL_TESTS <<<"$TESTS"
fi
[ ${#ALL_TESTS[@]} -gt 0 ] || { echo "error: no tests listed by run_tests.sh -l" >&2; exit 2; }

# ---------- probe swemu the way the runner probes its QEMU binary ----------
# (scripts/arch-run.bash search_qemu_binary/env_params, x86/run, scripts/vmm.bash)
probe_binary() {
    local bin=$1 out line maj min mic _ rest
    echo "binary: $bin"
    if [ ! -x "$bin" ]; then echo "  NOT EXECUTABLE / MISSING"; return 1; fi
    # 1. search_qemu_binary: "$QEMU --help" output must contain "QEMU".
    out=$(timeout 10 "$bin" --help 2>/dev/null)
    if grep -q 'QEMU' <<<"$out"; then echo "  ok   --help mentions QEMU"
    else echo "  FAIL --help output does not contain 'QEMU' (runner: 'A QEMU binary was not found.')"; fi
    # 2. env_params: first line of "-h" split on ' ' and '.', fields 4-6 = major minor micro.
    line=$(timeout 10 "$bin" -h 2>/dev/null | head -1)
    IFS='[ .]' read -r _ _ _ maj min mic rest <<<"$line"
    echo "  info -h first line: '$line' -> QEMU_MAJOR=$maj QEMU_MINOR=$min QEMU_MICRO=$mic"
    # 3. x86/run: "-device '?'" (stdout+stderr) must contain "pc-testdev" in double quotes,
    #    and "pci-testdev" for -device pci-testdev to be added.
    out=$(timeout 10 "$bin" -device '?' 2>&1)
    if grep -qF '"pc-testdev"' <<<"$out"; then echo "  ok   -device '?' lists \"pc-testdev\""
    else echo "  FAIL -device '?' lacks \"pc-testdev\" (runner: 'No Qemu test device support found', exit 2)"; fi
    if grep -qF 'pci-testdev' <<<"$out"; then echo "  ok   -device '?' lists pci-testdev"
    else echo "  warn -device '?' lacks pci-testdev (runner then omits -device pci-testdev)"; fi
    # 4. premature_failure: the full command line with kernel _NO_FILE_4Uhere_ must fail with a
    #    message containing that name and "could not load|could not open|error loading|failed to
    #    load" (case of the first C free); anything else => the test is SKIPped with the last line.
    out=$(timeout 10 "$bin" --no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard \
        -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio \
        -device pci-testdev -machine accel=tcg -kernel _NO_FILE_4Uhere_ -smp 1 </dev/null 2>&1)
    if grep "_NO_FILE_4Uhere_" <<<"$out" | grep -q -e "[Cc]ould not \(load\|open\) kernel" -e "error loading" -e "failed to load"; then
        echo "  ok   missing kernel reported as 'could not load/open kernel ... _NO_FILE_4Uhere_'"
    else
        echo "  FAIL missing-kernel probe; every test would be SKIPped with: $(tail -1 <<<"$out")"
    fi
    return 0
}

# ---------- one runner pass ----------
# run_pass <label> <binary>: runs run_tests.sh, writes <label>.out and <label>-logs/.
run_pass() {
    local label=$1 bin=$2 args=(-v)
    [ "$JOBS" != 1 ] && args+=(-j "$JOBS")
    [ "${ALL:-0}" = 1 ] && args+=(-a)
    [ -n "${GROUP:-}" ] && args+=(-g "$GROUP")
    [ -n "${TESTS:-}" ] && args+=("${ALL_TESTS[@]}")
    echo "== $label pass: QEMU=$bin ACCEL=tcg ./run_tests.sh ${args[*]}"
    local t0=$SECONDS
    (
        cd "$KUT" || exit 2
        # unittest_log_dir is honoured by run_tests.sh (default "logs"); it renames an
        # existing directory to <dir>.old, so give each pass its own.
        QEMU="$bin" ACCEL=tcg unittest_log_dir="$RESULTS_DIR/$label-logs" \
            timeout -k 30s "$SUITE_TIMEOUT" ./run_tests.sh "${args[@]}" </dev/null
    ) 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' | tee "$RESULTS_DIR/$label.out" | grep --line-buffered -E '^(PASS|FAIL|SKIP) '
    echo "== $label pass took $((SECONDS - t0)) s"
}

# parse <file> <assoc-array-name>: result lines -> name => "STATUS<TAB>detail"
parse() {
    local file=$1 line st name rest
    local -n map=$2
    [ -f "$file" ] || return 0
    while IFS= read -r line; do
        line=${line%$'\r'}
        [[ "$line" =~ ^(PASS|FAIL|SKIP)\ ([^ ]+)\ ?(.*)$ ]] || continue
        st=${BASH_REMATCH[1]}; name=${BASH_REMATCH[2]}; rest=${BASH_REMATCH[3]}
        rest=${rest#(}; rest=${rest%)}; rest=${rest% }
        map[$name]="$st"$'\t'"$rest"
    done <"$file"
}

echo "kvm-unit-tests: $KUT  commit $KUT_COMMIT"
echo "results:        $RESULTS_DIR"

if [ "$SKIP_QEMU" != 1 ]; then
    if [ -z "$QEMU_BIN_PATH" ]; then
        echo "warning: $QEMU_BIN not found; skipping the QEMU pass" >&2; SKIP_QEMU=1
    else
        echo "QEMU:           $QEMU_BIN_PATH ($("$QEMU_BIN_PATH" --version | head -1))"
        run_pass qemu "$QEMU_BIN_PATH"
    fi
fi

SWEMU_NOTE=""
if [ "$SKIP_SWEMU" != 1 ]; then
    echo "swemu:          $SWEMU"
    probe_binary "$SWEMU" | tee "$RESULTS_DIR/probe.txt"
    if [ -x "$SWEMU" ]; then
        run_pass swemu "$SWEMU"
    else
        echo "warning: swemu binary $SWEMU missing; swemu column is 'n/a'" >&2
        SWEMU_NOTE="n/a"
    fi
fi

# ---------- table ----------
declare -A Q=() S=()
parse "$RESULTS_DIR/qemu.out" Q
parse "$RESULTS_DIR/swemu.out" S

# a result cell: status plus (shortened) detail
cell() {
    local v=$1 st det
    st=${v%%$'\t'*}; det=${v#*$'\t'}
    [ "$det" = "$v" ] && det=""
    det=${det#qemu-system-x86_64: }
    det=${det/ tests/t}; det=${det/unexpected failures/fail}; det=${det/unexpected failure/fail}
    det=${det/known failures/kfail}; det=${det/expected failures/xfail}; det=${det/skipped/skip}
    [ ${#det} -gt 26 ] && det="${det:0:25}~"
    if [ -n "$det" ]; then echo "$st $det"; else echo "$st"; fi
}
# always two TSV fields: status <TAB> detail
tsv2() { if [[ $1 == *$'\t'* ]]; then printf '%s' "$1"; else printf '%s\t' "$1"; fi; }
rank() { case $1 in PASS) echo 2 ;; SKIP) echo 1 ;; FAIL) echo 0 ;; *) echo -1 ;; esac; }

{
    echo "kvm-unit-tests $KUT_COMMIT (x86_64, ACCEL=tcg)"
    printf '%-42s %-33s %-33s %s\n' TEST "QEMU ($QEMU_BIN)" "swemu" NOTE
    declare -A TOT=()
    same=0; better=0; worse=0; differ=0
    : >"$RESULTS_DIR/results.tsv"
    for t in "${ALL_TESTS[@]}"; do
        qv=${Q[$t]:-}; sv=${S[$t]:-}
        if [ "$SKIP_QEMU" = 1 ]; then qv="-"; elif [ -z "$qv" ]; then qv="NORESULT"; fi
        if [ "$SKIP_SWEMU" = 1 ]; then sv="-"; elif [ -n "$SWEMU_NOTE" ]; then sv="$SWEMU_NOTE"; elif [ -z "$sv" ]; then sv="NORESULT"; fi
        qs=${qv%%$'\t'*}; ss=${sv%%$'\t'*}
        TOT[q$qs]=$(( ${TOT[q$qs]:-0} + 1 )); TOT[s$ss]=$(( ${TOT[s$ss]:-0} + 1 ))
        note=""
        if [ "$qs" != - ] && [ "$ss" != - ] && [ "$ss" != n/a ]; then
            if [ "$qs" = "$ss" ]; then
                same=$((same + 1))
                # same status but different subtest summary (e.g. other failure count)
                [ "$qv" != "$sv" ] && { note="detail differs"; differ=$((differ + 1)); }
            elif [ "$(rank "$ss")" -gt "$(rank "$qs")" ]; then note="<< swemu better"; better=$((better + 1))
            else note=">> swemu worse"; worse=$((worse + 1)); fi
        fi
        printf '%-42s %-33s %-33s %s\n' "$t" "$(cell "$qv")" "$(cell "$sv")" "$note"
        printf '%s\t%s\t%s\n' "$t" "$(tsv2 "$qv")" "$(tsv2 "$sv")" >>"$RESULTS_DIR/results.tsv"
    done
    echo
    for side in q s; do
        [ $side = q ] && name="QEMU " || name="swemu"
        printf '%s totals: PASS %d  FAIL %d  SKIP %d' "$name" "${TOT[${side}PASS]:-0}" "${TOT[${side}FAIL]:-0}" "${TOT[${side}SKIP]:-0}"
        [ -n "${TOT[${side}NORESULT]:-}" ] && printf '  NORESULT %d' "${TOT[${side}NORESULT]}"
        [ -n "${TOT[${side}n/a]:-}" ] && printf '  n/a %d' "${TOT[${side}n/a]}"
        [ -n "${TOT[${side}-]:-}" ] && printf '  not run'
        echo " of ${#ALL_TESTS[@]}"
    done
    if [ "$SKIP_QEMU" != 1 ] && [ "$SKIP_SWEMU" != 1 ] && [ -z "$SWEMU_NOTE" ]; then
        echo "same status $same (of which $differ with different subtest counts), swemu better $better, swemu worse $worse"
    fi
    echo "kvm-unit-tests commit: $KUT_COMMIT"
    echo "logs: $RESULTS_DIR/{qemu,swemu}-logs/<test>.log, runner output $RESULTS_DIR/{qemu,swemu}.out"
} | tee "$RESULTS_DIR/table.txt"
