#!/usr/bin/env bash
# Assemble every Tests/kernels/*.asm into .build-kernels/NAME.elf
# (Multiboot v1 ELF32 i386 kernels, linked at 1 MiB). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nasm >/dev/null 2>&1 || ! command -v ld >/dev/null 2>&1; then
    echo "build-kernels: installing nasm and binutils" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y nasm binutils >/dev/null || {
        $SUDO apt-get update && $SUDO apt-get install -y nasm binutils
    }
fi

SRC=Tests/kernels
OUT=.build-kernels
mkdir -p "$OUT"

LDFLAGS=(-m elf_i386 -T "$SRC/kernel.ld" -nostdlib)
if ld --help 2>/dev/null | grep -- --no-warn-rwx-segments >/dev/null; then
    LDFLAGS+=(--no-warn-rwx-segments)
fi

status=0
for asm in "$SRC"/*.asm; do
    name=$(basename "$asm" .asm)
    obj="$OUT/$name.o"
    elf="$OUT/$name.elf"
    fresh=1
    for dep in "$asm" "$SRC"/*.inc "$SRC/kernel.ld"; do [ "$elf" -nt "$dep" ] || fresh=0; done
    if [ -f "$elf" ] && [ $fresh = 1 ]; then
        continue
    fi
    echo "build-kernels: $name"
    if nasm -f elf32 -w-zext-reloc -I "$SRC/" -o "$obj" "$asm" && ld "${LDFLAGS[@]}" -o "$elf" "$obj"; then
        :
    else
        echo "build-kernels: FAILED to build $name" >&2
        rm -f "$elf"
        status=1
    fi
done
exit $status
