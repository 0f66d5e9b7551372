#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make bench [FULL=1]: what live update costs, measured in one VM run.

tools/testing/selftests/liveupdate/luo_bench.c preserves one item per
generation of a kexec chain (nothing; memfds of 1 GiB, sparse, and 4 GiB
with FULL=1; 1,000, 10,000 and with FULL=1 100,000 sessions and files) and
checks it in the next one, every byte. It prints what userspace sees:
populate, the ioctls, the first full read, per item; and the memory the
preservation took, from KHO's debugfs. This script adds what only the host
sees, from the arrival time of each serial line: the reboot, from the
kernel's "kexec into stage" line before reboot() to the first line of the
next generation's program, and the next kernel's own report of how long
it spent reserving preserved memory in early boot.

It prints the figures the live update issue set goals for, each with its
ratio and goal, writes every figure to build/bench/results.json and
results.tsv, and plots per-item costs against the count and times per GiB
into build/bench/per_item.png and per_gib.png. All figures of one table
come from one run: this machine is shared, ratios are what to compare.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

OUT = os.path.join(vm.BUILD, 'bench')
FIGURE = re.compile(r'^# bench: (\S+) (\S+) ([-\d.]+)$')
STAGE = re.compile(r'^# luo_bench: stage (\d+) of (\d+): (\S+)')
KEXEC = re.compile(r'kexec_stage: luo_bench: kexec into stage (\d+)')
RESERVED = re.compile(r'KHO: reserved (\d+) preserved blocks .* in (\d+) us')
GIB = 1 << 30


def parse(run):
    """Figures per item, from both serial ports of @run."""
    figures = {}
    stage_item = {}
    stage_seen = {}
    for stamp, line in run.results:
        m = FIGURE.match(line)
        if m:
            figures.setdefault(m[1], {})[m[2]] = float(m[3])
        m = STAGE.match(line)
        if m:
            stage_item[int(m[1])] = m[3]
            stage_seen.setdefault(int(m[1]), stamp)
    kexec_at = {}
    stage = 1
    for stamp, line in run.console:
        m = KEXEC.search(line)
        if m:
            stage = int(m[1])
            kexec_at[stage] = stamp
        m = RESERVED.search(line)
        if m and stage - 1 in stage_item:
            item = figures.setdefault(stage_item[stage - 1], {})
            item['reserved_blocks'] = int(m[1])
            item['reserve_s'] = int(m[2]) / 1e6
    for stage, at in kexec_at.items():
        if stage in stage_seen and stage - 1 in stage_item:
            figures.setdefault(stage_item[stage - 1], {})['reboot_s'] = \
                stage_seen[stage] - at
    return figures


def counts(figures, kind):
    """The counts N of the items "<kind>-N" that ran, ascending."""
    return sorted(int(k.split('-')[1]) for k in figures
                  if k.startswith(kind + '-'))


def rows(f):
    """(figure, today, ratio, goal) for the table; missing items skipped."""
    out = []

    def get(item, key):
        return f.get(item, {}).get(key)

    pop1, pre1 = get('memfd-1g', 'populate_s'), get('memfd-1g', 'preserve_s')
    if pop1 and pre1 is not None:
        out.append(('PRESERVE_FD 1 GiB / writing it through mmap',
                    f'{pre1:.3f} s / {pop1:.3f} s', pre1 / pop1, '<= 0.02'))
    pre4, pop4 = get('memfd-4g', 'preserve_s'), get('memfd-4g', 'populate_s')
    if pre4 is not None and pop4:
        moved = get('memfd-4g', 'moved_pages')
        note = f', {moved * 4096 / (1 << 20):.0f} MiB moved out of scratch' \
            if moved is not None else ''
        out.append((f'PRESERVE_FD 4 GiB / writing it{note}',
                    f'{pre4:.3f} s / {pop4:.3f} s', pre4 / pop4, '<= 0.02'))
        if pre1:
            out.append(('PRESERVE_FD 4 GiB / PRESERVE_FD 1 GiB',
                        f'{pre4:.3f} s / {pre1:.3f} s', pre4 / pre1,
                        '4 (linear)'))
    ret1 = get('memfd-1g', 'retrieve_s')
    if pop1 and ret1 is not None:
        out.append(('RETRIEVE_FD 1 GiB / writing it',
                    f'{ret1:.3f} s / {pop1:.3f} s', ret1 / pop1, '<= 0.05'))
    empty = get('empty', 'reboot_s')
    big = 'memfd-4g' if get('memfd-4g', 'reboot_s') else 'memfd-1g'
    if empty and get(big, 'reboot_s'):
        r = get(big, 'reboot_s')
        out.append((f'reboot() to userspace, {big} / nothing preserved',
                    f'{r:.3f} s / {empty:.3f} s', r / empty, '<= 1.05'))
    meta, data = get('memfd-1g', 'metadata_bytes'), get('memfd-1g', 'data_bytes')
    if meta is not None and data:
        per_gib = meta / (data / GIB) / (1 << 20)
        out.append(('memory besides the data per preserved GiB (4 KiB pages)',
                    f'{per_gib:.2f} MiB', per_gib / 2, '<= 2 MiB'))
    for kind in ('sessions', 'files'):
        ns = counts(f, kind)
        if len(ns) < 2:
            continue
        lo, hi = f'{kind}-{ns[0]}', f'{kind}-{ns[-1]}'

        def per_item(item, keys):
            return sum(get(item, k) or 0 for k in keys) * 1e6

        for what, keys in (('CREATE_SESSION + PRESERVE_FD', ('create_s', 'preserve_s'))
                           if kind == 'sessions' else
                           ('PRESERVE_FD', ('preserve_s',)),
                           ('RETRIEVE (+ FINISH)', ('retrieve_s', 'finish_s'))):
            a, b = per_item(lo, keys), per_item(hi, keys)
            if a:
                out.append((f'{what} per item, {kind} {ns[0]} -> {ns[-1]}',
                            f'{a:.0f} -> {b:.0f} us', b / a, '<= 2'))
        fo = get(hi, 'first_open_s')
        if fo is not None:
            out.append((f'first open after the kexec, {hi}', f'{fo:.3f} s',
                        fo, '<= 1 s'))
        if empty and get(hi, 'reboot_s'):
            r = get(hi, 'reboot_s')
            out.append((f'reboot() to userspace, {hi} / nothing preserved',
                        f'{r:.3f} s / {empty:.3f} s', r / empty, '<= 1.05'))
    return out


def plot(f):
    """per_item.png and per_gib.png; says why not if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('[bench] no plots: python3-matplotlib is missing (make deps)')
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for kind in ('sessions', 'files'):
        ns = counts(f, kind)
        # files-N has one session: its create is not a per-item cost.
        keys = ('create_s', 'preserve_s', 'retrieve_s', 'finish_s')
        for key in keys[kind == 'files':]:
            ys = [f[f'{kind}-{n}'].get(key) for n in ns]
            if ns and all(y is not None for y in ys):
                ax.plot(ns, [y * 1e6 for y in ys], marker='o',
                        label=f'{kind}: {key[:-2]}')
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('items')
    ax.set_ylabel('microseconds per item')
    ax.set_title('LUO: cost per item against the count')
    ax.legend(fontsize='small')
    fig.savefig(os.path.join(OUT, 'per_item.png'), dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    items = [i for i in ('memfd-1g', 'memfd-4g') if i in f]
    keys = ('populate_s', 'preserve_s', 'retrieve_s', 'read_s', 'reserve_s')
    width = 0.8 / max(len(items), 1)
    for j, item in enumerate(items):
        gib = f[item]['data_bytes'] / GIB
        ax.bar([k + j * width for k in range(len(keys))],
               [f[item].get(key, 0) / gib for key in keys], width,
               label=item)
    ax.set_xticks([k + width * (len(items) - 1) / 2 for k in range(len(keys))])
    ax.set_xticklabels([k[:-2] for k in keys])
    ax.set_ylabel('seconds per GiB')
    ax.set_title('memfd: time per GiB')
    ax.legend()
    fig.savefig(os.path.join(OUT, 'per_gib.png'), dpi=100)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--full', action='store_true')
    ap.add_argument('--variant', default='release')
    args = ap.parse_args()

    os.makedirs(OUT, exist_ok=True)
    mem, timeout = ('6G', 3600) if args.full else ('3G', 900)
    append = 'kt.mode=prog kt.test=luo_bench liveupdate=on'
    if args.full:
        append += ' kt.bench.full=1'
    print(f'[bench] {"full" if args.full else "quick"} run: {mem} guest, '
          f'2 CPUs, {args.variant} kernel')
    run = vm.boot(args.variant, append, os.path.join(OUT, 'logs'), mem=mem,
                  timeout=timeout)
    ok = run.exit_code == 0 and not run.timed_out
    figures = parse(run)
    table = rows(figures)
    with open(os.path.join(OUT, 'results.json'), 'w') as fh:
        json.dump({'full': args.full, 'accel': run.accel, 'passed': ok,
                   'seconds': run.seconds, 'items': figures,
                   'table': [dict(zip(('figure', 'today', 'ratio', 'goal'), r))
                             for r in table]}, fh, indent=1)
    with open(os.path.join(OUT, 'results.tsv'), 'w') as fh:
        for item, keys in figures.items():
            for key, value in keys.items():
                fh.write(f'{item}\t{key}\t{value}\n')
    print(f'{"figure":<64} {"measured":>26} {"ratio":>8}  goal')
    for what, today, ratio, goal in table:
        print(f'{what:<64} {today:>26} {ratio:8.3f}  {goal}')
    plot(figures)
    print(f'[bench] {run.seconds:.0f} s in the VM ({run.accel}); every byte '
          f'checked: {"yes" if ok else "NO, the run failed"}; results in '
          f'{os.path.relpath(OUT, vm.TOP)}/')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
