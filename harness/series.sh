#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make series: the work as a git format-patch series against the pristine
# base, one file per patch of patches/series plus the overlay commit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$build/series
rm -rf "$out"
git -C "$src" format-patch -q --no-signature -o "$out" base..series
n=$(find "$out" -name '*.patch' | wc -l)
say series "OK: $n patch(es) in $out"
