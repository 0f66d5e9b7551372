#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test initramfs of a variant: busybox, /init, the kernel itself
# (/boot/bzImage, what kexec tests load) and every test program of
# tools/testing/selftests/liveupdate/ (static, built against the tree's uAPI).
# Uncompressed, so the guest and every kexec generation unpack it fast.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-release}
step="initramfs $variant"
obj=$(variant_dir "$variant")
out=$build/initramfs-$variant
selftests=$src/tools/testing/selftests/liveupdate
t0=$(now_ms)

[ -f "$obj/arch/x86/boot/bzImage" ] || die "$step" "no kernel; run 'make kernel'"
mkdir -p "$out" "$build/tools"

gen=$build/tools/gen_init_cpio
if [ ! -x "$gen" ] || [ "$src/usr/gen_init_cpio.c" -nt "$gen" ]; then
	gcc -O2 -o "$gen" "$src/usr/gen_init_cpio.c"
fi

# The programs are built and installed by the kselftest Makefiles, as
# "make -C tools/testing/selftests TARGETS=liveupdate install" does it, with
# warnings as errors and this variant's uAPI headers: /kselftest holds
# run_kselftest.sh with the API suites, and /tests is its liveupdate/.
ksft=$out/kselftest
make -s -C "$src/tools/testing/selftests" TARGETS=liveupdate -j"$(nproc)" \
	O="$out/kselftest-build" INSTALL_PATH="$ksft" USERCFLAGS=-Werror \
	KHDR_INCLUDES="-isystem $obj/usr/include" install >/dev/null ||
	die "$step" "the test programs do not build (make -C tools/testing/selftests TARGETS=liveupdate)"
programs=()
for c in "$selftests"/*.c; do
	[ -e "$c" ] || continue
	name=$(basename "$c" .c)
	[ -x "$ksft/liveupdate/$name" ] ||
		die "$step" "$name.c is not built: add it to tools/testing/selftests/liveupdate/Makefile"
	programs+=("$name")
done

# A kernel with module signing (Debian's config) trusts the key its build
# generated: /boot/bzImage is signed with it, as kexec_file_load() wants
# under lockdown, and /boot/bzImage.unsigned is the image as built.
image=$obj/arch/x86/boot/bzImage
unsigned=
if [ -f "$obj/certs/signing_key.pem" ]; then
	unsigned=$image
	image=$out/bzImage.signed
	if [ ! -f "$image" ] || [ "$unsigned" -nt "$image" ]; then
		openssl x509 -in "$obj/certs/signing_key.pem" -out "$out/signing_cert.pem"
		sbsign --key "$obj/certs/signing_key.pem" --cert "$out/signing_cert.pem" \
			--output "$image" "$unsigned" 2>/dev/null ||
			die "$step" "sbsign of the kernel image failed"
	fi
fi

{
	"$selftests/vm_cpio_list.sh" /bin/busybox "$image" "$ksft"
	[ -z "$unsigned" ] || echo "file /boot/bzImage.unsigned $unsigned 0644 0 0"
} > "$out/cpio.list"
"$gen" "$out/cpio.list" > "$out.cpio.new"
mv "$out.cpio.new" "$out.cpio"
say "$step" "OK: $out.cpio ($(( $(stat -c %s "$out.cpio") / 1024 )) KiB, ${#programs[@]} test programs, $(elapsed "$t0"))"
