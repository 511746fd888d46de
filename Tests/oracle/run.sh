#!/bin/sh
# Builds and runs the standalone COracle self-test (host CPU + unicorn oracles).
# Needs gcc and the unicorn python package (pip install unicorn) or SWEMU_UNICORN_LIB.
set -e
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../Sources/COracle"
out=${TMPDIR:-/tmp}/swemu_oracle_test.$$
for f in "$src"/*.c; do
    gcc -std=c11 -Wall -Wextra -Werror -O2 -c "$f" -I"$src/include" -o "$out.$(basename "$f").o"
done
gcc -std=c11 -Wall -Wextra -O2 "$here/oracle_test.c" -I"$src/include" "$out".*.o -o "$out" -ldl
rc=0
"$out" || rc=$?
rm -f "$out" "$out".*.o
exit $rc
