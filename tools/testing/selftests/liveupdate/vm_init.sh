#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of every test VM, in every generation of a kexec chain: of
# vmtest.sh's VMs and of those of the project's harness (make check).
#
# The kernel command line says what to do:
#   kt.mode=probe   print the probe result and power off (accelerator probe)
#   kt.mode=kunit   KUnit already ran during boot; just report and power off
#   kt.mode=prog    run /tests/$kt.test; a kexec test kexecs from inside it
#   kt.mode=kselftest  run the kselftest collection $kt.test with
#                   /kselftest/run_kselftest.sh, as a kernel developer would
#   kt.mode=shell   interactive shell on the console (the harness's make shell)
# Test output goes to the second serial port (ttyS1), kept apart from the
# kernel log on ttyS0. The last line there is the machine-readable
# "HARNESS-RESULT exit=N"; then the VM powers off.

/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin
/bin/busybox --install -s /bin
export PATH=/bin:/sbin

mount -t proc none /proc
mount -t sysfs none /sys
mount -t devtmpfs none /dev
# What udev would add; the kselftest runner writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs none /sys/kernel/debug

mode=
test=
kmemleak=0
for word in $(cat /proc/cmdline); do
	case "$word" in
	kt.mode=*) mode=${word#*=} ;;
	kt.test=*) test=${word#*=} ;;
	kt.kmemleak=*) kmemleak=${word#*=} ;;
	esac
done

exec 3>/dev/ttyS1

rc=0
case "$mode" in
probe | kunit)
	;;
prog)
	if [ -x "/tests/$test" ]; then
		"/tests/$test" >&3 2>&1
		rc=$?
	else
		echo "# harness: no test program /tests/$test" >&3
		rc=127
	fi
	;;
kselftest)
	(cd /kselftest && ./run_kselftest.sh -c "$test") >&3 2>&1
	rc=$?
	;;
shell)
	echo "harness shell: 'poweroff -f' ends the VM"
	setsid cttyhack sh
	;;
*)
	echo "# harness: unknown kt.mode '$mode'" >&3
	rc=2
	;;
esac

# Under DEBUG=1, ask kmemleak for a scan once objects are old enough to be
# reported (5 s); a leak shows up in the kernel log, which the harness reads.
if [ "$kmemleak" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo "# harness: kmemleak scan done" >&3
fi

echo "HARNESS-RESULT mode=$mode exit=$rc" >&3
sync
poweroff -f
