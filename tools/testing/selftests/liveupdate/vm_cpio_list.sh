#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prints the gen_init_cpio list of a test VM's initramfs: busybox,
# vm_init.sh as /init, the kernel image as /boot/bzImage (what the kexec
# tests load again) and a kselftest install under /kselftest, whose
# liveupdate/ is also /tests. Used by vmtest.sh and the project's harness.
#
# Usage: vm_cpio_list.sh BUSYBOX IMAGE KSELFTEST_INSTALL_DIR
set -eu

busybox=$1
image=$2
ksft=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

echo "dir /dev 0755 0 0"
echo "nod /dev/console 0600 0 0 c 5 1"
for d in /bin /boot /proc /sys /kselftest; do
	echo "dir $d 0755 0 0"
done
echo "dir /tmp 1777 0 0"
echo "file /bin/busybox $busybox 0755 0 0"
echo "file /init $here/vm_init.sh 0755 0 0"
echo "file /boot/bzImage $image 0644 0 0"
(cd "$ksft" && find . -mindepth 1 | sort) | while read -r path; do
	path=${path#./}
	if [ -d "$ksft/$path" ]; then
		echo "dir /kselftest/$path 0755 0 0"
	else
		echo "file /kselftest/$path $ksft/$path $(stat -c %a "$ksft/$path") 0 0"
	fi
done
echo "slink /tests /kselftest/liveupdate 0777 0 0"
