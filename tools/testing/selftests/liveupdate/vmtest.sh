#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kexec selftests of live update in QEMU.
#
# Builds a kernel from this directory's config fragments, the selftests
# with their kselftest Makefile, and an initramfs with busybox, vm_init.sh as
# /init, the kernel itself as /boot/bzImage and the kselftest install; then
# boots one VM per test. A test's first stage runs in the booted kernel,
# loads the same kernel and initramfs with kexec_file_load() and reboots
# into its next stage, and so on (lib/include/kexec_stage.h); the test
# passed when its last stage did. The tests, their guest sizes and kernel
# arguments are in vmtest.conf, which the project's own harness runs too.
#
# Exit status: 0 every test passed, 4 skipped (unsupported architecture,
# a missing host tool, a config option the kernel dropped), 1 otherwise.

set -u

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kdir=$(cd "$here/../../../.." && pwd)
arch=x86_64
build=
jobs=$(nproc)
tests=()
keep=0
accel=tcg
workdir=

usage() {
	cat <<EOF
Usage: $0 [-d build_dir] [-j jobs] [-t arch] [-T test] [-a accel] [-w dir] [-k] [-h]

  -d build_dir  where the kernel is built (default: $kdir/.luo_test_build.<arch>)
  -j jobs       parallel build jobs (default: $(nproc))
  -t arch       target architecture: x86_64 (default; the only one supported)
  -T test       run only this test (repeatable; default: every test of vmtest.conf)
  -a accel      QEMU accelerator: tcg (default) or kvm
  -w dir        where logs and the initramfs go (default: <build_dir>/vmtest)
  -k            keep the logs of passed tests too
  -h            this help

Tests: $(awk '!/^#/ && NF { printf "%s ", $1 }' "$here/vmtest.conf")
EOF
}

skip() {
	echo "SKIP: $*"
	exit $KSFT_SKIP
}

fail() {
	echo "FAIL: $*"
	exit $KSFT_FAIL
}

while getopts "d:j:t:T:a:w:kh" opt; do
	case $opt in
	d) build=$OPTARG ;;
	j) jobs=$OPTARG ;;
	t) arch=$OPTARG ;;
	T) tests+=("$OPTARG") ;;
	a) accel=$OPTARG ;;
	w) workdir=$OPTARG ;;
	k) keep=1 ;;
	h) usage; exit $KSFT_PASS ;;
	*) usage; exit $KSFT_FAIL ;;
	esac
done

[ "$arch" = x86_64 ] ||
	skip "arch $arch: Kexec HandOver is built for x86_64 only in this series"
for tool in qemu-system-x86_64 busybox make gcc timeout; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
busybox=$(command -v busybox)
ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is not static (install busybox-static)"

build=${build:-$kdir/.luo_test_build.$arch}
build=$(mkdir -p "$build" && cd "$build" && pwd)
workdir=${workdir:-$build/vmtest}
mkdir -p "$workdir" || fail "cannot create $workdir"

kmake() {
	make -s -C "$kdir" O="$build" ARCH=x86 -j"$jobs" "$@"
}

# allnoconfig with the fragments forced in, then olddefconfig; an option
# that does not survive means this tree cannot run the tests.
echo "# building the kernel in $build"
cat "$here/config" "$here/config.$arch" > "$build/vmtest.config"
kmake KCONFIG_ALLCONFIG="$build/vmtest.config" allnoconfig >/dev/null &&
	kmake olddefconfig >/dev/null || fail "configuring the kernel"
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" "$build/.config" && continue
		echo "# $line did not survive olddefconfig"
		missing=$((missing + 1))
		;;
	esac
done < "$build/vmtest.config"
[ $missing -eq 0 ] || skip "$missing config option(s) missing (above)"
kmake bzImage headers >/dev/null || fail "building the kernel"
image=$build/arch/x86/boot/bzImage

echo "# building the selftests"
ksft=$workdir/kselftest
make -s -C "$kdir/tools/testing/selftests" TARGETS=liveupdate -j"$jobs" \
	O="$build/kselftest" INSTALL_PATH="$ksft" \
	KHDR_INCLUDES="-isystem $build/usr/include" install >/dev/null ||
	fail "building the selftests"

gen=$build/usr/gen_init_cpio
[ -x "$gen" ] || gcc -O2 -o "$workdir/gen_init_cpio" "$kdir/usr/gen_init_cpio.c" ||
	fail "building gen_init_cpio"
[ -x "$gen" ] || gen=$workdir/gen_init_cpio
"$here/vm_cpio_list.sh" "$busybox" "$image" "$ksft" > "$workdir/cpio.list" ||
	fail "listing the initramfs"
"$gen" "$workdir/cpio.list" > "$workdir/initramfs.cpio" || fail "building the initramfs"

# QEMU options for one line's "vm:" words; the others go on the command line.
qemu_args=()
cmdline=()
vm_words() {
	local mem=$1 cpus=$2 numa=0 word
	shift 2
	qemu_args=()
	cmdline=()
	for word in "$@"; do
		case "$word" in
		debug:*) ;;	# for the project's debug kernel only
		vm:numa=*) numa=${word#vm:numa=} ;;
		vm:uefi) qemu_args+=(-bios /usr/share/ovmf/OVMF.fd) ;;
		vm:cpu=*) qemu_args+=(-cpu "${word#vm:cpu=}") ;;
		vm:tcg-single) [ "$accel" = tcg ] && qemu_args+=(-accel tcg,thread=single) ;;
		*) cmdline+=("$word") ;;
		esac
	done
	[[ " ${qemu_args[*]} " == *" -accel "* ]] || qemu_args+=(-accel "$accel")
	if [ "$numa" -gt 0 ]; then
		local per=$(( ${mem%M} / numa )) node
		qemu_args+=(-m $((per * numa))M
			    -smp "$cpus,sockets=$numa,cores=$((cpus / numa)),threads=1")
		for ((node = 0; node < numa; node++)); do
			qemu_args+=(-object "memory-backend-ram,id=ram$node,size=${per}M"
				    -numa "node,nodeid=$node,memdev=ram$node"
				    -numa "cpu,node-id=$node,socket-id=$node")
		done
	else
		qemu_args+=(-m "$mem" -smp "$cpus")
	fi
}

mebibytes() {
	case $1 in
	*G) echo $(( ${1%G} * 1024 ))M ;;
	*) echo "$1" ;;
	esac
}

base_cmdline="console=ttyS0 panic=-1 oops=panic retain_initrd"
echo "TAP version 13"
n=0
passed=0
failed=0
lines=()
while read -r name kind program mem cpus timeout args; do
	case "$name" in '' | '#'*) continue ;; esac
	[ "$kind" = prog ] || continue
	if [ ${#tests[@]} -gt 0 ] && [[ ! " ${tests[*]} " == *" $name "* ]]; then
		continue
	fi
	lines+=("$name $program $(mebibytes "$mem") $cpus $timeout $args")
done < "$here/vmtest.conf"
[ ${#lines[@]} -gt 0 ] || fail "no test of vmtest.conf is called ${tests[*]}"
echo "1..${#lines[@]}"

for line in "${lines[@]}"; do
	read -r name program mem cpus timeout args <<<"$line"
	n=$((n + 1))
	# shellcheck disable=SC2086 # args are words
	vm_words "$mem" "$cpus" $args
	log=$workdir/$name
	mkdir -p "$log"
	start=$(date +%s)
	timeout "$timeout" qemu-system-x86_64 -machine pc "${qemu_args[@]}" \
		-no-reboot -nodefaults -display none -vga none -monitor none \
		-serial "file:$log/console.log" -serial "file:$log/results.log" \
		-kernel "$image" -initrd "$workdir/initramfs.cpio" \
		-append "$base_cmdline kt.mode=prog kt.test=$program ${cmdline[*]}" \
		</dev/null >"$log/qemu.log" 2>&1
	secs=$(( $(date +%s) - start ))
	if grep -q "^HARNESS-RESULT mode=prog exit=0" "$log/results.log" &&
	   ! grep -qE "BUG:|WARNING:|Oops|Kernel panic" "$log/console.log"; then
		echo "ok $n $name # ${secs} s"
		passed=$((passed + 1))
		[ $keep -eq 1 ] || rm -rf "$log"
	else
		echo "not ok $n $name # ${secs} s, logs in $log"
		grep -E "^(not ok|# FAIL)" "$log/results.log" | sed 's/^/#   /' | head -5
		failed=$((failed + 1))
	fi
done

echo "# $passed passed, $failed failed of $n"
[ $failed -eq 0 ] && exit $KSFT_PASS
exit $KSFT_FAIL
