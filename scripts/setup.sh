#!/usr/bin/env bash
# Install what swemu needs on a fresh Debian machine (idempotent), then build it.
#   bash scripts/setup.sh [--test]   (--test: also the test oracles: Unicorn, iced-x86)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
need_apt=()
command -v nasm >/dev/null 2>&1 || need_apt+=(nasm)
command -v ld >/dev/null 2>&1 || need_apt+=(binutils)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}" >&2
    $SUDO apt-get install -y "${need_apt[@]}" >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "${need_apt[@]}" >/dev/null
    }
fi
command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] || {
    echo "setup: the Swift toolchain (swift 6.x) is required and was not found" >&2; exit 1; }
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH

if [ "${1:-}" = "--test" ]; then
    PY=python3
    for mod in unicorn:unicorn iced_x86:iced-x86; do
        m=${mod%%:*}; pkg=${mod##*:}
        if ! $PY -c "import $m" >/dev/null 2>&1; then
            echo "setup: pip install $pkg" >&2
            $PY -m pip install -q "$pkg" || $PY -m pip install -q --break-system-packages "$pkg"
        fi
    done
fi
