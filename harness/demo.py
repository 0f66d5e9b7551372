#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo: a VMM keeps its guest's memory across a live update, timed.

A small VMM (tools/testing/selftests/liveupdate/luo_vmm_demo.c) keeps guest
RAM in a memfd that a workload thread rewrites without pause. It preserves
the memfd in a LUO session while the workload runs, loads the running
kernel again with kexec_file_load() and reboots into it; the workload
writes until the old kernel stops its CPU. In the new kernel the VMM
retrieves the memfd, checks every byte against the last write that
completed, resumes the workload, checks again and finishes the session.
Times are taken on the host, from the moment each serial line arrives, so
they include what the guest cannot see: the jump from the old kernel into
the new one.
"""
import argparse
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402
import vm  # noqa: E402

PROGRAM = 'luo_vmm_demo'
SUITE = 'vmm_demo'

# Console lines that mark the steps of a generation's life.
KERNEL_START = 'Linux version '
INIT_START = 'Run /init as init process'
KEXEC_MARK = 'kexec_stage: '
JUMP = 'Starting new kernel'
# Kernel log lines about the handover itself.
KERNEL_NEWS = ('KHO: found', 'KHO: reserved', 'liveupdate: ', 'memfd')
# What the VMM reports on the test port, after "# ".
VMM = 'vmm: '
MS = re.compile(r' in ([\d.]+) ms')
# Each serial port has its reader thread: one line at a time on the terminal.
PRINT_LOCK = threading.Lock()


def narrate(stamp, port, line):
    """Print the lines that tell the story, as they arrive."""
    text = None
    if port == 'console':
        if line.startswith(KERNEL_START):
            text = 'kernel: ' + ' '.join(line.split()[:3])
        elif INIT_START in line:
            text = 'kernel: boot done, running /init'
        elif KEXEC_MARK in line:
            text = 'kernel: ' + line.split(KEXEC_MARK, 1)[1] + ', reboot()'
        elif JUMP in line:
            text = 'kernel: old kernel shuts down and jumps into the new one'
        elif line.startswith(KERNEL_NEWS):
            text = 'kernel: ' + line
    elif line.startswith('# ' + VMM):
        text = line[2:]
    elif line.startswith(('ok ', 'not ok ', '# FAIL')):
        text = 'test:   ' + line
    elif line.startswith('# ') and 'kexec image loaded' in line:
        text = 'stage:  ' + line[2:].split(': ', 1)[-1]
    if text:
        with PRINT_LOCK:
            print(f'  [{stamp:7.3f} s] {text}', flush=True)


class Timeline:
    """Host times of the lines that mark the phases, and the VMM's numbers."""

    # The VMM's lines that mark a phase; the first of each counts.
    MARKS = {'preserved': 'preserved ', 'retrieved': 'retrieved ',
             'verified': 'verified ',
             'resumed': 'workload resumed', 'blackout': 'blackout '}

    def __init__(self, run):
        self.at = {}
        self.vmm = {}
        inits = 0
        for stamp, line in run.console:
            if INIT_START in line:
                inits += 1
                self.at.setdefault(f'init{inits}', stamp)
            elif KEXEC_MARK in line:
                self.at.setdefault('reboot', stamp)
            elif JUMP in line:
                self.at.setdefault('jump', stamp)
        for stamp, line in run.results:
            if not line.startswith('# ' + VMM):
                continue
            text = line[len('# ' + VMM):]
            for key, prefix in self.MARKS.items():
                if text.startswith(prefix) and key not in self.at:
                    self.at[key] = stamp
                    m = MS.search(text)
                    if m:
                        self.vmm[key] = float(m.group(1))
                    elif key == 'blackout':
                        self.vmm[key] = float(text.split()[1])

    def span(self, start, end):
        """Seconds between two marks, or None if either is missing."""
        if start in self.at and end in self.at:
            return self.at[end] - self.at[start]
        return None


def report(tl):
    """Print the phases; return the blackout seen from the host."""
    rows = [
        ('generation 1: /init until guest RAM is filled and preserved',
         tl.span('init1', 'preserved')),
        ('  of which PRESERVE_FD, as the VMM measured it',
         ms(tl.vmm.get('preserved'))),
        ('generation 1: workload on preserved RAM, kexec_file_load',
         tl.span('preserved', 'reboot')),
        ('reboot() until the old kernel jumps ("Starting new kernel")',
         tl.span('reboot', 'jump')),
        ('new kernel: jump and boot until /init', tl.span('jump', 'init2')),
        ('new kernel: /init until the memfd is retrieved',
         tl.span('init2', 'retrieved')),
        ('  of which open, RETRIEVE_SESSION, RETRIEVE_FD, mmap (VMM)',
         ms(tl.vmm.get('retrieved'))),
        ('new kernel: check of every byte, as the VMM measured it',
         ms(tl.vmm.get('verified'))),
    ]
    print()
    print(f'  {"phase":<64} {"seconds":>8}')
    for what, took in rows:
        shown = f'{took:8.3f}' if took is not None else '       -'
        print(f'  {what:<64} {shown}')
    print()
    boot = tl.span('jump', 'retrieved')
    blackout = tl.span('jump', 'resumed')
    check_s = ms(tl.vmm.get('verified'))
    if 'preserved' in tl.vmm:
        print(f'  {"PRESERVE_FD (VMM clock)":<52} {ms(tl.vmm["preserved"]):8.3f} s')
    if 'reboot' in tl.at and 'jump' in tl.at:
        print(f'  {"reboot() until the old kernel jumps":<52} '
              f'{tl.span("reboot", "jump"):8.3f} s')
    if boot is not None:
        print(f'  {"kernel boot until the memfd is retrieved":<52} {boot:8.3f} s')
    if blackout is not None:
        print(f'  {"blackout: last write until the workload resumes":<52} '
              f'{blackout:8.3f} s')
        if check_s is not None:
            print(f'  {"  without the check of every byte (demo only)":<52} '
                  f'{blackout - check_s:8.3f} s')
    if 'blackout' in tl.vmm:
        print(f'  {"  by the guest TSC, from the very last write":<52} '
              f'{tl.vmm["blackout"] / 1e3:8.3f} s')
    if blackout is not None:
        print('  (host clock from "Starting new kernel": the workload writes '
              'until the old\n   kernel stops its CPU right after that line)')
    return blackout


def ms(value):
    """Milliseconds to seconds, keeping None."""
    return None if value is None else value / 1e3


def suite_args(debug):
    """Kernel arguments of the vmm_demo suite of tests.conf."""
    for suite in check.load_suites(os.path.join(vm.TOP, 'harness', 'tests.conf')):
        if suite.name == SUITE:
            args = [a.split(':', 1)[1] if a.startswith('debug:') else a
                    for a in suite.args
                    if debug or not a.startswith('debug:')]
            # The demo sets the size of guest RAM itself.
            return [a for a in args if not a.startswith('kt.vmm_demo.mib=')]
    sys.exit(f'[demo] ERROR: no suite {SUITE} in harness/tests.conf')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--variant', default='release')
    ap.add_argument('--mib', type=int, default=256,
                    help='guest RAM in MiB (make demo MIB=N)')
    ap.add_argument('--hugetlb', choices=('2M', '1G'),
                    help='guest RAM in a hugetlb memfd of pages of this '
                    'size (make demo HUGETLB=2M)')
    args = ap.parse_args()
    debug = args.variant == 'debug'
    if args.mib < 1:
        sys.exit('[demo] ERROR: MIB must be at least 1')
    cpu = None
    if args.hugetlb:
        # Guest RAM is a whole number of huge pages; 1 GiB pages need a
        # CPU that has them.
        page = 1024 if args.hugetlb == '1G' else 2
        args.mib = -(-args.mib // page) * page
        cpu = 'max' if args.hugetlb == '1G' else None

    # Guest RAM must fit outside KHO scratch: scratch is CMA, and
    # PRESERVE_FD pins the memfd's pages, moving those in CMA out first
    # (the OOM killer ends the VMM if they do not fit; memfd + 384M does
    # not at 1 GiB). Scratch grows with the memory map, 1/8 of the memfd
    # covers that; 448M is the kernel, the initramfs and scratch itself.
    # KASAN's shadow takes another eighth under DEBUG=1. A pool of 1 GiB
    # pages needs free 1 GiB-aligned ranges: twice the room.
    mem = max(512, args.mib + args.mib // 8 + 448)
    if debug:
        mem = max(768, args.mib + args.mib // 4 + 576)
    if args.hugetlb == '1G':
        mem += args.mib
    timeout = (120 + args.mib // 4) * (3 if debug else 1)

    print(__doc__.split('\n\n')[1].replace('\n', ' ').strip())
    print()
    accel, why = vm.choose_accel(args.variant, lambda m: print(f'[demo] {m}'))
    kind = f'{args.hugetlb} hugetlb pages' if args.hugetlb else 'shmem'
    print(f'[demo] accel: {accel} {why}; guest RAM {args.mib} MiB of '
          f'{kind} in a {mem} MiB VM')
    logdir = os.path.join(vm.BUILD, 'logs', args.variant, 'demo')
    append = ['kt.mode=prog', f'kt.test={PROGRAM}',
              f'kt.vmm_demo.mib={args.mib}'] + suite_args(debug)
    if args.hugetlb:
        append.append(f'kt.vmm_demo.hugetlb={args.hugetlb}')
    run = vm.boot(args.variant, ' '.join(append), logdir, accel=accel,
                  timeout=timeout, mem=f'{mem}M', echo=narrate, cpu=cpu)

    blackout = report(Timeline(run))
    print(f'  {"total, QEMU start to result":<52} {run.seconds:8.3f} s')
    print()
    ok = run.guest_result and run.exit_code == 0 and not run.timed_out
    if ok:
        took = f'; blackout {blackout:.2f} s' if blackout is not None else ''
        print(f'[demo] OK: {args.mib} MiB of guest RAM ({kind}) kept across the '
              f'live update, every byte checked{took}; '
              f'logs in {os.path.relpath(logdir, vm.TOP)}/')
    else:
        why = ('timeout' if run.timed_out else
               run.guest_result or 'the guest never reported')
        print(f'[demo] FAILED ({why}); logs in '
              f'{os.path.relpath(logdir, vm.TOP)}/')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
