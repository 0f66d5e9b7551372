#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make refresh-patches: write patches/ anew from the commits of build/linux,
# so every patch applies exactly (no offsets, index lines of the current
# base). Used after moving the series to a new base (README, "Moving the
# base") or after fixing a patch in build/linux with `git commit --amend` or
# an interactive rebase. A patch keeps its file name and Date: header; only
# patches whose content changed are rewritten, and they are listed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

step=refresh-patches
[ -d "$src/.git" ] || die $step "no tree in $src; run 'make tree'"

mapfile -t names < <(awk '!/^#/ && NF { print $1 }' "$top/patches/series")
mapfile -t commits < <(git -C "$src" rev-list --reverse base..series)
# The first commit is the overlay (the series' new files), not a patch.
overlay_subject="liveupdate: add the new files of the series"
if [ ${#commits[@]} -gt 0 ] &&
		[ "$(git -C "$src" log -1 --format=%s "${commits[0]}")" = "$overlay_subject" ]; then
	commits=("${commits[@]:1}")
fi
[ ${#commits[@]} -eq ${#names[@]} ] ||
	die $step "build/linux has ${#commits[@]} patch commits, patches/series lists ${#names[@]}"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
git -C "$src" format-patch -q --zero-commit --no-signature -N -o "$out" \
	"${commits[0]}~1..series"
mapfile -t made < <(cd "$out" && ls)
changed=0
for i in "${!names[@]}"; do
	name=${names[$i]}
	new=$out/${made[$i]}
	[ "${made[$i]}" = "$name" ] ||
		die $step "commit $((i + 1)) would be ${made[$i]}, patches/series says $name (subject changed?)"
	old=$top/patches/$name
	if [ -f "$old" ]; then
		date=$(grep -m1 '^Date: ' "$old" || true)
		[ -z "$date" ] || sed -i "0,/^Date: .*/s//$(sed 's/[&/\]/\\&/g' <<< "$date")/" "$new"
	fi
	if ! cmp -s "$new" "$old"; then
		cp "$new" "$old"
		say $step "rewrote patches/$name"
		changed=$((changed + 1))
	fi
done
say $step "OK: $changed of ${#names[@]} patches rewritten"
