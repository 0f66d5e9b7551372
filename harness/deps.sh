#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deps: install the Debian packages the harness uses, and the 6.12 base
# at exactly the version harness/base-version pins (harness/base.sh says when
# an installed version of it is replaced and when it is refused).
# Idempotent and non-interactive; with everything in place it only asks dpkg.
#
#   deps.sh [--switch]   --switch: replace any other installed base version
#                        (make deps by name); without it, only the archive's
#                        default version is replaced (make check, make tree)
#   BASE=installed       keep whatever base version is installed
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$top/harness/base.sh"

packages=(
	build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils
	ccache rsync perl python3 git patch openssl
	python3-ply python3-git	# checkpatch's SPDX check (make lint)
	qemu-system-x86		# the test VMs
	ovmf			# UEFI firmware for the suites that boot through it
	sbsigntool		# signs the image that kexecs under lockdown
	busybox-static		# the guest's userspace
	python3-matplotlib	# the plots of make bench
)

mode=pinned
[ "${1:-}" = --switch ] && mode=switch
[ "${BASE:-pinned}" = installed ] && mode=installed
case "${BASE:-pinned}" in
pinned|installed) ;;
*) die deps "BASE=${BASE} is not known: BASE=installed builds on the installed base, the default is the pinned one" ;;
esac

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
	[ $updated = 1 ] && return 0
	$sudo apt-get update -qq
	updated=1
}

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

pinned=$(base_pinned)
[ -n "$pinned" ] || die deps "harness/base-version names no $base_pkg version"
installed=$(base_installed)
candidate=
if [ -n "$installed" ] && [ "$installed" != "$pinned" ] && [ $mode = pinned ]; then
	# Is the installed version simply what the archive serves by default?
	# Only fresh package lists can tell.
	base_served "$installed" || apt_update
	candidate=$(base_candidate)
fi
action=$(base_decide "$installed" "$pinned" "$candidate" $mode)
case $action in
ok)
	;;
refuse)
	die deps "$(base_refusal "$installed" "$pinned")"
	;;
install|switch)
	base_served "$pinned" || apt_update
	base_served "$pinned" || die deps "$(base_vanished "$pinned")"
	if [ $action = switch ]; then
		say deps "$base_pkg: replacing $installed with the pinned $pinned"
	fi
	missing+=("$base_pkg=$pinned")
	;;
esac

# Debian's configuration of the same version (make check CONFIG=debian).
config_want=$pinned
[ $mode = installed ] && [ -n "$installed" ] && config_want=$installed
if [ "$(base_installed "$base_config_pkg")" != "$config_want" ]; then
	missing+=("$base_config_pkg=$config_want")
fi

if [ ${#missing[@]} -eq 0 ]; then
	say deps "OK: all $((${#packages[@]} + 2)) packages present, $base_pkg $(base_installed)"
	exit 0
fi

say deps "installing: ${missing[*]}"
apt_update
$sudo apt-get install -y -qq --no-install-recommends --allow-downgrades "${missing[@]}" \
	> /dev/null 2> >(grep -v "^debconf: delaying package configuration" >&2)
installed=$(base_installed)
if [ $mode != installed ] && [ "$installed" != "$pinned" ]; then
	die deps "$base_pkg is at ${installed:-nothing} after the install, not the pinned $pinned"
fi
say deps "OK: installed ${#missing[@]} package(s), $base_pkg $installed"
