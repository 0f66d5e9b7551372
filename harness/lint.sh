#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: the base tree's checkpatch.pl --strict on every patch of
# build/series. Any ERROR, WARNING or CHECK fails, except the few that
# harness/lint.allow lists with their reasons.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# checkpatch runs helpers (spdxcheck.py) with "env python3"; they need
# Debian's python3 and its python3-ply/python3-git, not another python3
# that happens to come first in PATH.
export PATH=/usr/bin:/bin:$PATH

# Drops the findings harness/lint.allow accepts (by type and file) from
# checkpatch's output, which is one blank-line separated block per finding.
allowed() {
	python3 -c '
import re, sys
allow = set()
for line in open(sys.argv[1]):
    f = line.split()
    if f and not f[0].startswith("#"):
        allow.add((f[0], f[1]))
for block in sys.stdin.read().split("\n\n"):
    t = re.match(r"(?:CHECK|WARNING|ERROR):(\w+):", block)
    f = re.search(r"^#\d+: FILE: ([^:]+):", block, re.M)
    if t and f and (t.group(1), f.group(1)) in allow:
        continue
    if block.strip():
        print(block + "\n")
' "$(dirname "$0")/lint.allow"
}

bad=0
for p in "$build"/series/*.patch; do
	[ -e "$p" ] || continue
	out=$(cd "$src" && ./scripts/checkpatch.pl --strict --quiet --no-summary \
			--show-types --color=never "$p" 2>&1) || true
	out=$(allowed <<< "$out") || die lint "cannot filter checkpatch's output"
	if [ -n "$out" ]; then
		bad=$((bad + 1))
		echo "--- $(basename "$p")"
		echo "$out"
	fi
done
# kernel-doc of every C file the series adds: the comments must parse and
# describe every parameter, return value and member they document.
docs=0
while IFS= read -r f; do
	if ! out=$(cd "$src" && ./scripts/kernel-doc -Wall -none "$f" 2>&1) || [ -n "$out" ]; then
		echo "--- kernel-doc: $f"
		echo "$out"
		bad=$((bad + 1))
	fi
	docs=$((docs + 1))
done < <(git -C "$src" diff --name-only --diff-filter=A base series -- '*.c' '*.h' |
	 grep -v '^tools/')

[ $bad -eq 0 ] || die lint "checkpatch --strict or kernel-doc found problems in $bad file(s) (above)"
say lint "OK: checkpatch --strict is clean on $(find "$build/series" -name '*.patch' | wc -l) patch(es), kernel-doc on $docs file(s)"
