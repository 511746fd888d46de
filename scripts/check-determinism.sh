#!/usr/bin/env bash
# Same kernel, same arguments: byte-identical serial output and the same number of retired
# guest instructions and cycles on two runs (virtual time comes from retired instructions,
# so timer interrupts, SMP interleaving and device timing must replay exactly).
set -euo pipefail
cd "$(dirname "$0")/.."
EMU=${1:-.build/release/swemu}
run() {   # run KERNEL -> "sha256-of-serial instructions cycles"
    local k=$1 extra
    extra=$(sed -n 's/^;[[:space:]]*swemu-args:[[:space:]]*//p' "Tests/kernels/$k.asm" | head -n 1)
    # shellcheck disable=SC2086
    SWEMU_STATS=1 "$EMU" -kernel ".build-kernels/$k.elf" -serial stdio -display none -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot $extra \
        </dev/null >"/tmp/swemu-det-$$.out" 2>"/tmp/swemu-det-$$.err" || true
    local sum stats
    sum=$(sha256sum <"/tmp/swemu-det-$$.out" | cut -c1-16)
    stats=$(sed -n 's/^swemu: stats: \([0-9]*\) guest instructions, \([0-9]*\) cycles.*/\1 instructions \2 cycles/p' "/tmp/swemu-det-$$.err")
    rm -f "/tmp/swemu-det-$$.out" "/tmp/swemu-det-$$.err"
    [ -n "$stats" ] || { echo "determinism: $k printed no stats line" >&2; return 1; }
    echo "$sum $stats"
}
status=0
for k in smc exceptions pic_pit rtc apic smp; do
    [ -f "Tests/kernels/$k.asm" ] || continue
    a=$(run "$k") || { status=1; continue; }
    b=$(run "$k") || { status=1; continue; }
    if [ "$a" = "$b" ]; then echo "determinism: $k identical ($a)"
    else echo "determinism: $k differs between runs: '$a' vs '$b'"; status=1; fi
done
exit $status
