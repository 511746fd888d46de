#!/usr/bin/env bash
# CPU-bound benchmark, side by side with QEMU 7.2 TCG in one run: the same Multiboot kernel
# (Tests/kernels/bench.asm, ~1.5 G guest instructions of 64-bit integer work), alternating
# runs, medians, ratio. Then host instructions per guest instruction from callgrind on a
# shorter build of the same loop (instruction counts are repeatable; times are not).
#   bash bench/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
bash scripts/setup.sh
export PATH=/opt/swift/usr/bin:$PATH
command -v qemu-system-x86_64 >/dev/null || { apt-get install -y qemu-system-x86 >/dev/null 2>&1 || { apt-get update >/dev/null; apt-get install -y qemu-system-x86 >/dev/null; }; }
swift build -c release --product swemu 2>&1 | grep -E "error" || true
bash scripts/build-kernels.sh >/dev/null
ARGS=(-kernel .build-kernels/bench.elf -serial null -display none -nodefaults -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot)
now() { date +%s.%N; }
sw=(); qe=()
for r in $(seq "$RUNS"); do
    t=$(now); .build/release/swemu "${ARGS[@]}" || true; sw+=("$(echo "$(now) - $t" | bc)")
    t=$(now); qemu-system-x86_64 -accel tcg "${ARGS[@]}" || true; qe+=("$(echo "$(now) - $t" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(median "${sw[@]}"); mq=$(median "${qe[@]}")
echo "bench.elf (1.54 G guest instructions), median of $RUNS alternating runs:"
printf '  swemu      %8.2f s   (%s)\n' "$ms" "${sw[*]}"
printf '  QEMU TCG   %8.2f s   (%s)\n' "$mq" "${qe[*]}"
printf '  swemu / QEMU wall time: %.2fx\n' "$(echo "$ms / $mq" | bc -l)"
printf '  swemu guest instructions per second: %.0f M\n' "$(echo "1543213018 / $ms / 1000000" | bc -l)"
if command -v valgrind >/dev/null; then
    mkdir -p .build-kernels/small
    nasm -f elf32 -DBENCH_ITERS=2000000 -I Tests/kernels/ -o .build-kernels/small/bench.o Tests/kernels/bench.asm
    ld -m elf_i386 -T Tests/kernels/kernel.ld -nostdlib -o .build-kernels/small/bench.elf .build-kernels/small/bench.o 2>/dev/null
    out=$(SWEMU_STATS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null .build/release/swemu \
        -kernel .build-kernels/small/bench.elf -serial null -display none -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot 2>&1 || true)
    ir=$(echo "$out" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    gi=$(echo "$out" | sed -n 's/.*stats: \([0-9]*\) guest instructions.*/\1/p')
    printf '  host instructions per guest instruction (callgrind, whole run of %s guest instructions): %.1f\n' "$gi" "$(echo "$ir / $gi" | bc -l)"
fi
