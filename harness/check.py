#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make check: run the suites of harness/tests.conf in QEMU and count.

Each suite is one VM run. Results:
  - kunit: every KUnit case in the KTAP of the kernel log, parsed by the base
    tree's tools/testing/kunit/kunit.py, is one result;
  - prog:  every TAP line the program prints is one result; a planned line
    that never came (the chain died) is a failed one;
  - kselftest: run_kselftest.sh of the kselftest install in the guest, for
    the collection named as the program; each test program is one result
    (TAP like prog);
  - host:  a harness self-test run on the host, TAP like prog, no VM;
  - and every run adds "<suite>: VM run", which fails on a timeout, on a
    guest that never reported its result, on a non-zero exit of the
    program, and on a kernel log with a BUG, WARNING, KASAN, lockdep, RCU stall or
    kmemleak report.
The last line is "N passed, N failed[, N skipped]"; the exit status is
non-zero if anything failed.

T=GLOB selects suites by name; T=GLOB:FILTER also passes FILTER to KUnit
as kunit.filter_glob (T=kunit:list-kernel-test).
"""
import argparse
import contextlib
import fnmatch
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

TAP_LINE = re.compile(r'^(not )?ok (\d+)\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(.*))?$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)')
SPLAT = re.compile(
    r'^(?:\[[\s\d.]+\]\s*)?('
    r'BUG: .*|WARNING: .*|Oops: .*|Kernel panic .*|UBSAN: .*|'
    r'general protection fault.*|Unable to handle .*|'
    r'kmemleak: \d+ new suspected memory leaks.*|'
    r'INFO: task .* blocked for more than .*|'
    r'rcu: INFO: .*detected stalls? .*)')


class Suite:
    """One line of tests.conf."""

    def __init__(self, fields):
        self.name, self.kind, self.program, self.mem = fields[:4]
        self.cpus = int(fields[4]) if fields[4].isdigit() else 0
        self.timeout = int(fields[5])
        # "vm:numa=N", "vm:uefi", "vm:cpu=MODEL" shape the guest, not
        # the command line.
        self.vm = {}
        self.args = []
        for word in fields[6:]:
            key, _, value = word.partition('=')
            if key == 'vm:numa':
                self.vm['numa'] = int(value)
            elif key == 'vm:uefi':
                self.vm['uefi'] = True
            elif key == 'vm:cpu':
                self.vm['cpu'] = value
            elif key == 'vm:tcg-single':
                self.vm['tcg_single'] = True
            elif key.startswith('vm:'):
                sys.exit(f'[check] ERROR: {self.name}: unknown {word}')
            else:
                self.args.append(word)
        self.kunit_filter = None if self.program == '*' else self.program


def load_suites(path):
    """Parse harness/tests.conf."""
    suites = []
    with open(path) as f:
        for line in f:
            fields = line.split('#', 1)[0].split()
            if fields[:1] == ['include'] and len(fields) == 2:
                # Another table, relative to the top of the repository.
                suites += load_suites(os.path.join(vm.TOP, fields[1]))
                continue
            if fields:
                if len(fields) < 6 or \
                        fields[1] not in ('kunit', 'prog', 'kselftest', 'host'):
                    sys.exit(f'[check] ERROR: bad line in {path}: {line.strip()}')
                suites.append(Suite(fields))
    return suites


class Results:
    """Collected results, printed as they come."""

    def __init__(self):
        self.counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
        self.failed = []

    def add(self, status, name, detail=''):
        self.counts[status] += 1
        if status == 'FAIL':
            self.failed.append(name)
        tail = f'  ({detail})' if detail else ''
        print(f'{status}  {name}{tail}', flush=True)


def kunit_results(suite, run, results, src):
    """Leaf cases of the KTAP in the kernel log, via kunit.py parse."""
    out = os.path.join(run.logdir, 'kunit.json')
    parsed = subprocess.run(
        [sys.executable, os.path.join(src, 'tools/testing/kunit/kunit.py'),
         'parse', f'--json={out}', os.path.join(run.logdir, 'console.log')],
        capture_output=True, text=True)
    with open(os.path.join(run.logdir, 'kunit.txt'), 'w') as f:
        f.write(parsed.stdout + parsed.stderr)
    try:
        with open(out) as f:
            tree = json.load(f)
    except (OSError, ValueError):
        tree = {}

    def leaves(group, prefix):
        for case in group.get('test_cases', []):
            yield f'{prefix}{case["name"]}', case['status']
        for sub in group.get('sub_groups', []):
            yield from leaves(sub, f'{prefix}{sub["name"]}.')

    found = 0
    for name, status in leaves(tree, ''):
        found += 1
        status = {'PASS': 'PASS', 'SKIP': 'SKIP'}.get(status, 'FAIL')
        results.add(status, f'{suite.name}/{name}',
                    '' if status == 'PASS' else f'kunit status {status}')
    if not found:
        results.add('FAIL', f'{suite.name}/ktap',
                    f'no KUnit results in the kernel log; see {run.logdir}/kunit.txt')


def tap_results(suite, run, results):
    """TAP lines of a program's output, with missing planned lines failed."""
    plan = None
    seen = set()
    diag = []
    for _, line in run.results:
        m = TAP_PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = TAP_LINE.match(line)
        if not m:
            if line.startswith('#'):
                diag.append(line)
            continue
        failed, number, desc, directive = m.groups()
        seen.add(int(number))
        name = f'{suite.name}/{int(number)} {desc}'.rstrip()
        directive = directive or ''
        if directive.upper().startswith('SKIP'):
            results.add('SKIP', name, directive)
        elif failed:
            results.add('FAIL', name, directive)
            for d in diag[-5:]:
                print(f'      {d}')
        else:
            results.add('PASS', name, directive)
        diag = []
    if plan is None and not seen:
        results.add('FAIL', f'{suite.name}/tap', 'the program printed no TAP')
    for number in range(1, (plan or 0) + 1):
        if number not in seen:
            results.add('FAIL', f'{suite.name}/{number}',
                        'planned but never reported: the VM died or hung')


def run_result(suite, run, results):
    """The run as a whole: finished, exit 0, and a clean kernel log."""
    problems = []
    if run.timed_out:
        problems.append(f'timeout after {run.seconds:.0f} s')
    elif not run.guest_result:
        problems.append('the guest never reported a result (crash or panic?)')
    elif run.exit_code:
        problems.append(f'program exit status {run.exit_code}')
    splats = [m.group(1) for _, line in run.console
              if (m := SPLAT.match(line))]
    if splats:
        problems.append(f'kernel log: {splats[0]}' +
                        (f' (+{len(splats) - 1} more)' if len(splats) > 1 else ''))
    qemu_errors = [line for line in run.qemu_stderr.splitlines()
                   if 'info: QEMU waiting for connection' not in line]
    if qemu_errors and not run.guest_result:
        problems.append(f'qemu: {qemu_errors[-1]}')
    results.add('FAIL' if problems else 'PASS', f'{suite.name}: VM run',
                '; '.join(problems) if problems else
                f'{run.accel}, {run.seconds:.1f} s')


class FakeRun:
    """Just what the parsers read of a vm.Run."""

    def __init__(self, results=(), console=(), guest_result='HARNESS-RESULT exit=0'):
        self.results = [(0.0, line) for line in results]
        self.console = [(0.0, line) for line in console]
        self.guest_result = guest_result
        self.exit_code = 0
        self.timed_out = False
        self.seconds = 1.0
        self.accel = 'tcg'
        self.qemu_stderr = ''
        self.logdir = '/nonexistent'


def self_test():
    """Check the parsers on canned output; exit status 1 on a mismatch."""
    suite = Suite(['t', 'prog', 't', '64M', '1', '1'])
    with contextlib.redirect_stdout(io.StringIO()):
        died = Results()
        tap_results(suite, FakeRun(['TAP version 13', '1..3',
                                    'ok 1 stage one # 0.1 s']), died)
        splat = Results()
        run_result(suite, FakeRun(console=['[    1.0] BUG: KASAN: slab-out-of-bounds in f+0x1/0x2']),
                   splat)
        stall = Results()
        run_result(suite, FakeRun(console=[
            '[  30.1] rcu: INFO: rcu_sched self-detected stall on CPU']), stall)
        clean = Results()
        run_result(suite, FakeRun(console=['Run /init as init process']), clean)
    checks = [(died.counts, {'PASS': 1, 'FAIL': 2, 'SKIP': 0}),
              (splat.counts, {'PASS': 0, 'FAIL': 1, 'SKIP': 0}),
              (stall.counts, {'PASS': 0, 'FAIL': 1, 'SKIP': 0}),
              (clean.counts, {'PASS': 1, 'FAIL': 0, 'SKIP': 0})]
    bad = [f'got {got}, expected {want}' for got, want in checks if got != want]
    for b in bad:
        print(b)
    return 1 if bad else 0


def host_results(suite, results):
    """Run a host-side TAP program (harness self-tests)."""
    logdir = os.path.join(vm.BUILD, 'logs', 'host', suite.name)
    os.makedirs(logdir, exist_ok=True)
    try:
        proc = subprocess.run([os.path.join(vm.TOP, suite.program)],
                              capture_output=True, text=True,
                              timeout=suite.timeout)
        out, status = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        out, status = '', 'timeout'
    with open(os.path.join(logdir, 'results.log'), 'w') as f:
        f.write(out)
    run = FakeRun(out.splitlines())
    run.logdir = logdir
    failed_before = results.counts['FAIL']
    tap_results(suite, run, results)
    if status != 0 and results.counts['FAIL'] == failed_before:
        results.add('FAIL', f'{suite.name}: exit status', str(status))


def base_line(src):
    """Which 6.12 base the tested tree is built on, and whether it is the
    pinned one: a result on another base must say so."""
    pinned = None
    with open(os.path.join(vm.TOP, 'harness', 'base-version')) as f:
        for line in f:
            words = line.split()
            if len(words) == 2 and not line.startswith('#'):
                pinned = words[1]
    built = subprocess.run(['git', '-C', src, 'config', 'harness.baseversion'],
                           capture_output=True, text=True).stdout.strip()
    if built == pinned:
        return f'base: linux-source-6.12 {built} (pinned)'
    return (f'base: linux-source-6.12 {built or "unknown"}, NOT the pinned '
            f'{pinned}: these results are not the series\' own')


def build_variant(variant):
    """Build the kernel and initramfs of a variant that make did not build
    (the distribution kernel, for its suites in a plain make check)."""
    for step in ('kernel.sh', 'initramfs.sh'):
        if subprocess.run([os.path.join(vm.TOP, 'harness', step),
                           variant]).returncode:
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--variant', action='append',
                    help='release, debug or debian; the first is built '
                    'already, later ones are built when a suite needs them')
    ap.add_argument('--select', default='')
    ap.add_argument('--args', default='',
                    help='kernel command-line words added to every suite '
                    '(make fuzz: kt.secs=, kt.seed=)')
    ap.add_argument('--timeout', type=int, default=0,
                    help='at least this many seconds a suite (before the '
                    'DEBUG=1 factor)')
    ap.add_argument('--self-test', action='store_true',
                    help='check the result parsers and exit')
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    variants = args.variant or ['release']

    suites = []
    for variant in variants:
        conf = 'tests-debian.conf' if variant == 'debian' else 'tests.conf'
        for suite in load_suites(os.path.join(vm.TOP, 'harness', conf)):
            suite.variant = variant
            suites.append(suite)
    pattern, _, kfilter = args.select.partition(':')
    if pattern:
        globs = pattern.split(',')
        suites = [s for s in suites
                  if any(fnmatch.fnmatch(s.name, g) for g in globs)]
        if not suites:
            sys.exit(f'[check] ERROR: T={args.select} selects no suite '
                     f'(see harness/tests*.conf)')
    src = os.path.join(vm.BUILD, 'linux')
    base = base_line(src)
    print(f'[check] {base}', flush=True)
    built = {variants[0]: True}
    accels = {}

    results = Results()
    for suite in suites:
        if suite.kind != 'host' and suite.variant not in built:
            print(f'[check] {suite.variant} kernel: building it for '
                  f'{suite.name} and what follows', flush=True)
            built[suite.variant] = build_variant(suite.variant)
            if not built[suite.variant]:
                results.add('FAIL', f'{suite.variant} kernel: build')
        if suite.kind != 'host' and not built[suite.variant]:
            results.add('FAIL', suite.name,
                        f'not run: the {suite.variant} kernel did not build')
            continue
        if suite.kind != 'host' and suite.variant not in accels:
            accels[suite.variant] = vm.choose_accel(
                suite.variant, lambda m: print(f'[check] {m}'))
            print(f'[check] accel ({suite.variant}): '
                  f'{" ".join(accels[suite.variant])}', flush=True)
        debug = suite.variant == 'debug'
        if suite.kind == 'host':
            print(f'[check] {suite.name}: on the host', flush=True)
            host_results(suite, results)
            continue
        append = []
        if suite.kind == 'kunit':
            append += ['kt.mode=kunit', 'kunit.enable=1']
            flt = kfilter or suite.kunit_filter
            if flt:
                append.append(f'kunit.filter_glob={flt}')
        elif suite.kind == 'kselftest':
            append += ['kt.mode=kselftest', f'kt.test={suite.program}']
        else:
            append += ['kt.mode=prog', f'kt.test={suite.program}']
        # "debug:word" is passed only to the debug kernel.
        append += [a.split(':', 1)[1] if a.startswith('debug:') else a
                   for a in suite.args
                   if debug or not a.startswith('debug:')]
        if debug:
            append.append('kt.kmemleak=1')
        append += args.args.split()
        logdir = os.path.join(vm.BUILD, 'logs', suite.variant, suite.name)
        timeout = max(suite.timeout, args.timeout) * (3 if debug else 1)
        mem = suite.mem
        shape = ''.join(f', {k}' + (f' {v}' if v is not True else '')
                        for k, v in suite.vm.items())
        print(f'[check] {suite.name}: booting ({suite.kind}, {mem}, '
              f'{suite.cpus} cpus{shape}, timeout {timeout} s)', flush=True)
        run = vm.boot(suite.variant, ' '.join(append), logdir,
                      accel=accels[suite.variant][0], timeout=timeout,
                      mem=mem, cpus=suite.cpus, **suite.vm)
        if suite.kind == 'kunit':
            kunit_results(suite, run, results, src)
        else:
            tap_results(suite, run, results)
        run_result(suite, run, results)
        print(f'[check] {suite.name}: {run.seconds:.1f} s, logs in '
              f'{os.path.relpath(logdir, vm.TOP)}/', flush=True)

    c = results.counts
    if results.failed:
        print('[check] failed: ' + ', '.join(results.failed))
    line = f'{c["PASS"]} passed, {c["FAIL"]} failed'
    if c['SKIP']:
        line += f', {c["SKIP"]} skipped'
    print(f'[check] {base}')
    print(line)
    return 1 if c['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
