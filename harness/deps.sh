#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deps: install the Debian packages the harness uses, if any is missing.
# Idempotent and non-interactive; with everything present it only asks dpkg.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	linux-source-6.12	# the base tree
	build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils
	ccache rsync perl python3 git patch
	python3-ply python3-git	# checkpatch's SPDX check (make lint)
	qemu-system-x86		# the test VMs
	busybox-static		# the guest's userspace
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say deps "OK: all ${#packages[@]} packages present"
	exit 0
fi

say deps "installing: ${missing[*]}"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say deps "OK: installed ${#missing[@]} package(s)"
