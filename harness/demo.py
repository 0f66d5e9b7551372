#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo: a kexec chain, narrated, with the time each step took.

The VM boots generation 1 cold; its test program loads the running kernel
again with kexec_file_load() and reboots into it with
reboot(LINUX_REBOOT_CMD_KEXEC); generation 2 does the same; generation 3
checks that it is the third kernel in a row and reports. Times are taken on
the host, from the moment each serial line arrives, so they include what the
guest cannot see: the jump from the old kernel into the new one.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

# Console lines that mark the steps of a generation's life.
KERNEL_START = 'Linux version '
INIT_START = 'Run /init as init process'
KEXEC_MARK = 'kexec_stage: '
JUMP = 'Starting new kernel'


def narrate(stamp, port, line):
    """Print the lines that tell the story, as they arrive."""
    text = None
    if port == 'console':
        if line.startswith(KERNEL_START):
            text = 'kernel: ' + ' '.join(line.split()[:3])
        elif INIT_START in line:
            text = 'kernel: boot done, running /init'
        elif KEXEC_MARK in line:
            text = 'kernel: ' + line.split(KEXEC_MARK, 1)[1]
        elif JUMP in line:
            text = 'kernel: old kernel jumps into the new one'
    elif not line.startswith('TAP version'):
        text = 'test:   ' + line
    if text:
        print(f'  [{stamp:7.3f} s] {text}', flush=True)


def phases(run):
    """(what, seconds) for each step, from the host timeline."""
    events = []
    for stamp, line in run.console:
        if line.startswith(KERNEL_START):
            events.append(('kernel', stamp))
        elif INIT_START in line:
            events.append(('init', stamp))
        elif KEXEC_MARK in line:
            events.append(('kexec', stamp))
    for stamp, line in run.results:
        if line.startswith('HARNESS-RESULT'):
            events.append(('done', stamp))
    events.sort(key=lambda e: e[1])

    out = []
    gen = 0
    last = ('qemu', 0.0)
    for kind, stamp in events:
        took = stamp - last[1]
        if kind == 'kernel':
            gen += 1
            what = ('firmware and decompression' if gen == 1 else
                    f'kexec: reboot() in generation {gen - 1} until generation {gen} prints')
        elif kind == 'init':
            what = f'generation {gen}: kernel boot until /init'
        elif kind == 'kexec':
            what = f'generation {gen}: /init, test stage, kexec_file_load'
        else:
            what = f'generation {gen}: /init and last test stage until the result'
        out.append((what, took))
        last = (kind, stamp)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--variant', default='release')
    args = ap.parse_args()

    print(__doc__.split('\n\n')[1].replace('\n', ' '))
    print()
    accel, why = vm.choose_accel(args.variant, lambda m: print(f'[demo] {m}'))
    print(f'[demo] accel: {accel} {why}')
    logdir = os.path.join(vm.BUILD, 'logs', args.variant, 'demo')
    run = vm.boot(args.variant, 'kt.mode=prog kt.test=kexec_chain', logdir,
                  accel=accel, timeout=300 if args.variant == 'debug' else 120,
                  echo=narrate)

    print()
    print(f'  {"step":<72} {"seconds":>8}')
    for what, took in phases(run):
        print(f'  {what:<72} {took:8.3f}')
    print(f'  {"total, QEMU start to result":<72} {run.seconds:8.3f}')
    print()
    ok = run.guest_result and run.exit_code == 0 and not run.timed_out
    print(f'[demo] {"OK" if ok else "FAILED"}: three generations, '
          f'{run.seconds:.1f} s; logs in {os.path.relpath(logdir, vm.TOP)}/')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
