#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel in QEMU once and collect what it says.

The guest has two serial ports: ttyS0 is the kernel console, ttyS1 carries
the test's own output (TAP) and ends with the line that /init prints last,
"HARNESS-RESULT mode=M exit=N". Both are kept under the log directory, raw
(console.log, results.log) and merged with the host time of arrival of each
line (timeline.log), which is how the demo measures a kexec from outside.
Every run has a timeout; the run ends when the guest powers off (QEMU runs
with -no-reboot, so a reboot or a panic ends it too).

Usable on its own:
  harness/vm.py [--variant debug] [--mem 1G] [--cpus 2] [--timeout 60] \\
                [--logdir DIR] [--echo] -- kt.mode=prog kt.test=kexec_chain
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# HARNESS_BUILD: make rebase-check builds and boots a second tree.
BUILD = os.environ.get('HARNESS_BUILD') or os.path.join(TOP, 'build')
BASE_CMDLINE = 'console=ttyS0 panic=-1 oops=panic retain_initrd'
PROBE_TIMEOUT = 15


class Run:
    """Result of one VM run."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.accel = None
        self.seconds = 0.0
        self.timed_out = False
        self.guest_result = None      # the HARNESS-RESULT line, if any
        self.exit_code = None         # exit=N from that line
        self.qemu_status = None
        self.qemu_stderr = ''
        self.console = []             # (host seconds, line)
        self.results = []
        self.result_seen = threading.Event()
        self.result_at = None
        self.files = {}

    def summary(self):
        """Dictionary saved as run.json."""
        return {k: getattr(self, k) for k in
                ('accel', 'seconds', 'timed_out', 'guest_result',
                 'exit_code', 'qemu_status', 'qemu_stderr')}


def paths(variant):
    """Kernel image and initramfs of a build variant."""
    return (os.path.join(BUILD, f'obj-{variant}', 'arch/x86/boot/bzImage'),
            os.path.join(BUILD, f'initramfs-{variant}.cpio'))


def kvm_usable():
    """/dev/kvm exists and can be opened; says nothing about whether it works."""
    try:
        os.close(os.open('/dev/kvm', os.O_RDWR))
        return True
    except OSError:
        return False


def choose_accel(variant, say):
    """KVM only if a guest really boots with it; cached in build/accel."""
    cache = os.path.join(BUILD, 'accel')
    forced = os.environ.get('ACCEL')
    if forced in ('kvm', 'tcg'):
        return forced, 'ACCEL=' + forced
    if os.path.exists(cache):
        with open(cache) as f:
            accel, _, why = f.read().strip().partition(' ')
        return accel, why
    if not kvm_usable():
        accel, why = 'tcg', '(no usable /dev/kvm)'
    else:
        say(f'probing KVM: booting with -accel kvm (up to {PROBE_TIMEOUT} s)')
        logdir = os.path.join(BUILD, 'logs', 'kvm-probe')
        run = boot(variant, 'kt.mode=probe', logdir=logdir, accel='kvm',
                   timeout=PROBE_TIMEOUT, mem='256M', cpus=1)
        if run.guest_result:
            accel, why = 'kvm', f'(KVM probe booted to /init in {run.seconds:.1f} s)'
        else:
            accel, why = 'tcg', (f'(KVM probe: /dev/kvm is there but the guest '
                                 f'did not reach /init in {PROBE_TIMEOUT} s)')
    os.makedirs(BUILD, exist_ok=True)
    with open(cache, 'w') as f:
        f.write(f'{accel} {why}\n')
    return accel, why


def _reader(stream, name, run, sink, lock, t0, echo):
    """Split a byte stream into lines, stamp and store each."""
    buf = b''
    while True:
        try:
            data = stream.read1(65536) if hasattr(stream, 'read1') else stream.recv(65536)
        except OSError:
            # QEMU died before the results port connected: nothing to read.
            data = b''
        if not data:
            break
        buf += data
        while b'\n' in buf:
            raw, buf = buf.split(b'\n', 1)
            line = raw.decode('utf-8', 'replace').rstrip('\r')
            stamp = time.monotonic() - t0
            with lock:
                sink.append((stamp, line))
                run.files[name].write(line + '\n')
                run.files['timeline'].write(f'[{stamp:9.3f}] {name[0]}| {line}\n')
                if name == 'results' and line.startswith('HARNESS-RESULT'):
                    run.guest_result = line
                    run.result_at = time.monotonic()
                    run.result_seen.set()
            if echo:
                echo(stamp, name, line)


OVMF = '/usr/share/ovmf/OVMF.fd'


def mebibytes(size):
    """'512M', '3G' or a number of MiB, as MiB."""
    size = str(size)
    if size[-1:] in 'GgMm' and size[:-1].isdigit():
        return int(size[:-1]) * (1024 if size[-1] in 'Gg' else 1)
    return int(size)


def machine_args(mem, cpus, numa=0, uefi=False, cpu=None):
    """QEMU options for the guest's memory, NUMA nodes, firmware and CPU
    model: NUMA splits the memory and the CPUs evenly, one socket a node;
    UEFI boots the kernel through its EFI stub with Debian's OVMF."""
    if not numa:
        args = ['-m', f'{mebibytes(mem)}M', '-smp', str(cpus)]
    else:
        # A socket per node, so that no cache is shared across nodes.
        if cpus % numa:
            sys.exit(f'[vm] ERROR: {cpus} CPUs do not split over {numa} nodes')
        per_node = mebibytes(mem) // numa
        args = ['-m', f'{per_node * numa}M',
                '-smp', f'{cpus},sockets={numa},cores={cpus // numa},threads=1']
        for node in range(numa):
            args += ['-object',
                     f'memory-backend-ram,id=ram{node},size={per_node}M',
                     '-numa', f'node,nodeid={node},memdev=ram{node}']
            args += ['-numa', f'cpu,node-id={node},socket-id={node}']
    if uefi:
        if not os.path.exists(OVMF):
            sys.exit(f'[vm] ERROR: {OVMF} missing; run make deps (package ovmf)')
        args += ['-bios', OVMF]
    if cpu:
        args += ['-cpu', cpu]
    return args


def boot(variant, append, logdir, accel=None, timeout=120, mem='512M',
         cpus=2, echo=None, say=print, numa=0, uefi=False, cpu=None,
         tcg_single=False):
    """Run one VM to completion; return a Run. tcg_single: under TCG, run
    all vCPUs in one host thread (see tests-debian.conf)."""
    kernel, initrd = paths(variant)
    for p in (kernel, initrd):
        if not os.path.exists(p):
            sys.exit(f'[vm] ERROR: {p} missing; run make kernel')
    if accel is None:
        accel, _ = choose_accel(variant, say)
    os.makedirs(logdir, exist_ok=True)
    run = Run(logdir)
    run.accel = accel
    run.files = {n: open(os.path.join(logdir, f'{n}.log'), 'w', buffering=1)
                 for n in ('console', 'results', 'timeline')}

    sockdir = tempfile.mkdtemp(prefix='kt-vm-')
    sock_path = os.path.join(sockdir, 'results.sock')
    accel_opt = f'{accel},thread=single' if tcg_single and accel == 'tcg' \
        else accel
    cmd = ['qemu-system-x86_64', '-machine', 'pc', '-accel', accel_opt,
           *machine_args(mem, cpus, numa, uefi, cpu), '-no-reboot',
           '-nodefaults', '-display', 'none', '-vga', 'none',
           '-monitor', 'none',
           '-chardev', 'stdio,id=console,signal=off',
           '-serial', 'chardev:console',
           '-chardev', f'socket,id=results,path={sock_path},server=on,wait=on',
           '-serial', 'chardev:results',
           '-kernel', kernel, '-initrd', initrd,
           '-append', f'{BASE_CMDLINE} {append}']
    with open(os.path.join(logdir, 'qemu.cmd'), 'w') as f:
        f.write(' '.join(cmd) + '\n')

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    res = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            res.connect(sock_path)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() - t0 > 10:
                break
            time.sleep(0.02)

    lock = threading.Lock()
    threads = [threading.Thread(target=_reader, daemon=True,
                                args=(proc.stdout, 'console', run,
                                      run.console, lock, t0, echo)),
               threading.Thread(target=_reader, daemon=True,
                                args=(res, 'results', run,
                                      run.results, lock, t0, echo))]
    for t in threads:
        t.start()

    deadline = t0 + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            run.timed_out = True
            break
        # A guest that reported its result but does not power off is done.
        if run.result_seen.is_set() and time.monotonic() > run.result_at + 10:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for t in threads:
        t.join(timeout=5)
    res.close()
    run.seconds = round(time.monotonic() - t0, 3)
    run.qemu_status = proc.returncode
    run.qemu_stderr = proc.stderr.read().decode('utf-8', 'replace').strip()
    for f in run.files.values():
        f.close()
    del run.files
    shutil.rmtree(sockdir, ignore_errors=True)
    if run.guest_result:
        for word in run.guest_result.split():
            if word.startswith('exit='):
                run.exit_code = int(word[5:])
    with open(os.path.join(logdir, 'run.json'), 'w') as f:
        json.dump(run.summary(), f, indent=1)
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--variant', default='release')
    ap.add_argument('--mem', default='512M')
    ap.add_argument('--cpus', type=int, default=2)
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('--logdir', default=os.path.join(BUILD, 'logs', 'vm'))
    ap.add_argument('--echo', action='store_true', help='print both ports live')
    ap.add_argument('--interactive', action='store_true',
                    help='console on this terminal (make shell), no timeout')
    ap.add_argument('append', nargs='*', help='extra kernel command line')
    args = ap.parse_args()
    accel, why = choose_accel(args.variant, lambda m: print(f'[vm] {m}'))
    print(f'[vm] accel: {accel} {why}')
    if args.interactive:
        kernel, initrd = paths(args.variant)
        os.makedirs(args.logdir, exist_ok=True)
        os.execvp('qemu-system-x86_64', [
            'qemu-system-x86_64', '-machine', 'pc', '-accel', accel,
            '-m', args.mem, '-smp', str(args.cpus), '-no-reboot',
            '-nodefaults', '-display', 'none', '-vga', 'none',
            '-serial', 'mon:stdio',
            '-serial', f'file:{os.path.join(args.logdir, "results.log")}',
            '-kernel', kernel, '-initrd', initrd,
            '-append', f'{BASE_CMDLINE} {" ".join(args.append)}'])
    echo = None
    if args.echo:
        def echo(stamp, name, line):
            print(f'[{stamp:8.3f}] {name[0]}| {line}', flush=True)
    run = boot(args.variant, ' '.join(args.append), args.logdir, accel=accel,
               timeout=args.timeout, mem=args.mem, cpus=args.cpus, echo=echo)
    end = 'timeout' if run.timed_out else (run.guest_result or 'no result')
    print(f'[vm] {end} after {run.seconds:.1f} s; logs in {args.logdir}')
    return 0 if run.guest_result and not run.timed_out else 1


if __name__ == '__main__':
    sys.exit(main())
