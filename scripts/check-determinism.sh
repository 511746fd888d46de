#!/usr/bin/env bash
# Same kernel, same arguments: byte-identical serial output on two runs.
set -euo pipefail
cd "$(dirname "$0")/.."
EMU=${1:-.build/release/swemu}
for k in smc exceptions; do
    a=$("$EMU" -kernel .build-kernels/$k.elf -serial stdio -display none -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot | sha256sum) || true
    b=$("$EMU" -kernel .build-kernels/$k.elf -serial stdio -display none -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot | sha256sum) || true
    [ "$a" = "$b" ] || { echo "determinism: $k serial output differs between runs"; exit 1; }
    echo "determinism: $k identical ($a)"
done
