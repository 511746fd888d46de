#!/usr/bin/env bash
# Usage: scripts/run-kernels.sh EMULATOR [kernel names...]
# Runs each test kernel (.build-kernels/NAME.elf, built by build-kernels.sh)
# under EMULATOR with the QEMU-style command line
#   EMULATOR -kernel K.elf -serial stdio -display none -nodefaults \
#            -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot [extra]
# where [extra] comes from a "; swemu-args: ..." line in the kernel's .asm.
# Exit status 1 from the emulator (guest wrote 0 to port 0xf4) is a pass.
# Serial output is saved in .build-kernels/NAME.log.
# STRICT=1 passes "-append strict": checks of SDM behaviour that QEMU TCG does
# not implement (segment limit/rights on data accesses, #AC) then FAIL
# instead of SKIP when the exception is not raised.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
    echo "usage: $0 EMULATOR [kernel names...]" >&2
    exit 2
fi
EMU=$1
shift

SRC=Tests/kernels
OUT=.build-kernels
TIMEOUT=${KERNEL_TIMEOUT:-60}

scripts/build-kernels.sh || exit 2

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for asm in "$SRC"/*.asm; do names+=("$(basename "$asm" .asm)"); done
fi

passed=0
failed=0
for name in "${names[@]}"; do
    name=${name%.asm}
    name=${name%.elf}
    elf="$OUT/$name.elf"
    log="$OUT/$name.log"
    if [ ! -f "$elf" ]; then
        echo "FAIL $name (no kernel $elf)"
        failed=$((failed + 1))
        continue
    fi
    extra=$(sed -n 's/^;[[:space:]]*swemu-args:[[:space:]]*//p' "$SRC/$name.asm" | head -n 1)
    append=()
    [ "${STRICT:-0}" = 1 ] && append=(-append strict)
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "$EMU" -kernel "$elf" -serial stdio -display none -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot "${append[@]}" $extra \
        </dev/null >"$log" 2>"$OUT/$name.stderr"
    st=$?
    if [ $st -eq 1 ] && grep -q '^SUMMARY: .* 0 unexpected failures' "$log"; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (status $st)"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
