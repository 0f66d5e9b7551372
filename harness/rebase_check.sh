#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make rebase-check [VERSION=...] [T=globs]: try the series on the newest
# linux-source-6.12 that the archive serves (or on VERSION), in a tree of its
# own under build/rebase/. Neither build/linux nor the installed package is
# touched: the base is downloaded with `apt-get download`.
#
# It reports, per patch of patches/series, whether it applies cleanly, with
# an offset, with fuzz, or not at all (with the reject), then builds the
# kernel of the rebased tree and runs the kexec chains on it (T= selects
# suites as for make check). The report is also kept in
# build/rebase/report.txt. Exit status: 0 when every patch applies (however)
# and every chain passes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$top/harness/base.sh"

step=rebase-check
version=
select='kexec_chain,kho_*,luo_*,memfd_*,vmm_demo'
while [ $# -gt 0 ]; do
	case $1 in
	--version) version=$2; shift 2 ;;
	--select) select=$2; shift 2 ;;
	*) die $step "unknown argument $1" ;;
	esac
done

rb=$build/rebase
mkdir -p "$rb/archive"
t0=$(now_ms)
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
say $step "asking the archive which $base_pkg versions it serves"
$sudo apt-get update -qq
mapfile -t served < <(apt-cache madison "$base_pkg" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
[ ${#served[@]} -gt 0 ] || die $step "the archive serves no $base_pkg"
if [ -z "$version" ]; then
	version=${served[0]}
	for v in "${served[@]}"; do
		dpkg --compare-versions "$v" gt "$version" && version=$v
	done
fi
pinned=$(base_pinned)
say $step "served: ${served[*]}"
say $step "trying the series on $base_pkg $version (pinned: $pinned)"

# The base: the package's tarball, out of a downloaded .deb.
tarball=$rb/archive/linux-source-$version.tar.xz
if [ ! -s "$tarball" ]; then
	(cd "$rb/archive" && $sudo apt-get -o APT::Sandbox::User=root download -qq "$base_pkg=$version") ||
		die $step "cannot download $base_pkg $version"
	deb=$(ls "$rb/archive/${base_pkg}_"*"_all.deb" | head -1)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz > "$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
	rm -f "$deb"
fi

report=$rb/report.txt
patches=$rb/patches.txt
: > "$patches"
tree_status=0
HARNESS_BUILD=$rb HARNESS_BASE_TARBALL=$tarball HARNESS_BASE_VERSION=$version \
	HARNESS_TREE_REPORT=$patches FORCE=1 "$top/harness/tree.sh" 2>&1 |
	tee "$rb/tree.log" || tree_status=$?

nfailed=$(grep -c ' FAILED$' "$patches" || true)
build=skipped
chains=skipped
status=1
if [ $tree_status -ne 0 ]; then
	build="not tried: make tree failed (build/rebase/tree.log)"
elif [ "$nfailed" -gt 0 ]; then
	build="not tried: $nfailed patch(es) do not apply"
elif ! HARNESS_BUILD=$rb "$top/harness/kernel.sh" release 2>&1 | tee "$rb/kernel.log"; then
	build="FAILED (build/rebase/kernel.log)"
elif ! HARNESS_BUILD=$rb "$top/harness/initramfs.sh" release 2>&1 | tee "$rb/initramfs.log"; then
	build="FAILED: the test programs (build/rebase/initramfs.log)"
else
	build=OK
	if HARNESS_BUILD=$rb python3 "$top/harness/check.py" --variant release \
			--select "$select" 2>&1 | tee "$rb/check.log"; then
		status=0
	fi
	chains=$(tail -1 "$rb/check.log")
fi

{
	echo "rebase-check of the series on $base_pkg $version (pinned: $pinned), $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "patch                                                              result"
	while read -r name how; do
		printf '%-66s %s\n' "$name" "$how"
	done < "$patches"
	echo
	for how in clean offset "fuzz 1" "fuzz 2" FAILED; do
		printf '%s: %d' "$how" "$(grep -c " $how\$" "$patches" || true)"
		[ "$how" = FAILED ] && echo || printf ', '
	done
	echo "build: $build"
	echo "chains ($select): $chains"
	if [ $status -eq 0 ] && [ "$version" = "$pinned" ]; then
		echo "verdict: the pinned base; nothing to move"
	elif [ $status -eq 0 ]; then
		echo "verdict: the series works on $version; move the base (README, \"Moving the base\")"
	else
		echo "verdict: the series does NOT work on $version as it is; fix what is above before moving"
	fi
} > "$report"
echo
cat "$report"
say $step "report in ${report#"$top"/} ($(elapsed "$t0"))"
exit $status
