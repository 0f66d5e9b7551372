#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Merge the series' MAINTAINERS entries into the base MAINTAINERS file.

Usage: merge_maintainers.py BASE OURS > MERGED

Each entry of OURS (a title line followed by "X:\t..." lines, entries
separated by blank lines) is inserted after the last base entry whose title
sorts before it. The base file is not perfectly sorted, so "the first entry
that sorts after it" can be far too early; the last one before it is not. A title
that the base already has is an error: the series adds entries, it does not
edit existing ones (that would be a patch).
"""
import sys


def entries(lines):
    """Split entry lines into lists of lines, one per entry."""
    out, cur = [], []
    for line in lines:
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def main():
    base = open(sys.argv[1], encoding='utf-8').read().split('\n')
    ours = entries(open(sys.argv[2], encoding='utf-8').read().split('\n'))
    # Entries start after the note that follows the "Maintainers List" title.
    start = base.index('Maintainers List')
    while not base[start].startswith('.. note::'):
        start += 1
    while base[start].strip():
        start += 1
    titles = {}
    for i in range(start, len(base)):
        if base[i] and (i == 0 or not base[i - 1].strip()) and \
                not base[i][0].isspace():
            titles[i] = base[i]
    for entry in sorted(ours, key=lambda e: e[0].lower(), reverse=True):
        title = entry[0]
        if title in titles.values():
            sys.exit(f'MAINTAINERS: entry "{title}" already exists in the base')
        before = [i for i, t in titles.items() if t.lower() < title.lower()]
        where = start + 1
        if before:
            where = max(before)
            while base[where].strip():
                where += 1
            where += 1
        base[where:where] = entry + ['']
        titles = {(i + len(entry) + 1 if i >= where else i): t
                  for i, t in titles.items()}
    sys.stdout.write('\n'.join(base))


if __name__ == '__main__':
    main()
