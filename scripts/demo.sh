#!/usr/bin/env bash
# The main job: set up, build swemu, and boot a test kernel with its serial console on stdio.
# (Later issues make this boot Debian's Linux.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product swemu 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3
bash scripts/build-kernels.sh >/dev/null
set -x
.build/release/swemu -kernel .build-kernels/hello.elf -serial stdio -display none -nodefaults \
    -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot || status=$?
set +x
echo "swemu exited with status ${status:-0} (1 = the kernel reported success through port 0xf4)"
