#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make tree: assemble build/linux from the 6.12 base, patches/ and the overlay.
#
# build/linux is a git repository. Its first commit (tag "base") is the
# pristine tarball. On top of it sits one commit with the overlay files and
# the merged MAINTAINERS, then one commit per patch in patches/series
# (message and author taken from the patch header). New files go first: they
# are inert until a patch hooks them into the build, so every commit of the
# series builds. The commits are made with a
# private index, and the work tree is then moved from the old commit to the
# new one with a two-tree read-tree, so only files whose content changed are
# rewritten and an incremental kernel build stays incremental.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

. "$top/harness/base.sh"
tarball=${HARNESS_BASE_TARBALL:-$base_tarball}
step=tree
t0=$(now_ms)

pinned=$(base_pinned)
if [ -n "${HARNESS_BASE_TARBALL:-}" ]; then
	# make rebase-check: a downloaded base, not the installed package.
	pkg_version=${HARNESS_BASE_VERSION:?HARNESS_BASE_VERSION names the downloaded base}
	base_note="downloaded; pinned: $pinned"
else
	[ -r "$tarball" ] || die $step "$tarball missing; run 'make deps'"
	pkg_version=$(base_installed)
	if [ "$pkg_version" = "$pinned" ]; then
		base_note=pinned
	elif [ "${BASE:-pinned}" = installed ]; then
		base_note="installed, NOT the pinned $pinned: BASE=installed"
	else
		die $step "$(base_refusal "${pkg_version:-nothing}" "$pinned")"
	fi
fi
say $step "base: $base_pkg $pkg_version ($base_note)"

export GIT_AUTHOR_NAME="Live Update harness" GIT_AUTHOR_EMAIL="harness@localhost"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
g() { git -C "$src" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }

recorded=""
if [ -d "$src/.git" ]; then
	recorded=$(g config --get harness.baseversion || true)
fi

if [ "$recorded" != "$pkg_version" ]; then
	[ -z "$recorded" ] || say $step "base changed ($recorded -> $pkg_version): unpacking again"
	say $step "unpacking $tarball (once; about 30 s)"
	rm -rf "$src" "$build/linux-source-6.12"
	mkdir -p "$build"
	tar -C "$build" -xJf "$tarball"
	mv "$build/linux-source-6.12" "$src"
	kver=$(make -s -C "$src" kernelversion)
	g init -q -b base-branch
	g config gc.auto 0
	g add -A -f .
	g commit -q -m "Linux $kver (Debian linux-source-6.12 $pkg_version)" \
		-m "Pristine base: $tarball, unpacked by make tree."
	g tag -f base >/dev/null
	g config harness.baseversion "$pkg_version"
	g checkout -q -b series
fi

# Edits made directly in build/linux are kept (the two-tree read-tree below
# refuses only when the series changes a file that has such an edit), but
# they are not part of the series until they are in patches/: say so.
g update-index -q --refresh >/dev/null || true
if [ "${FORCE:-0}" = 1 ]; then
	g reset -q --hard HEAD
	g clean -q -f -d
fi
edits=$(g diff-index --name-only HEAD -- | head -5 | tr '\n' ' ')
if [ -n "$edits" ]; then
	say $step "note: uncommitted edits in build/linux are built but not in the series: $edits(FORCE=1 drops them)"
fi

index=$src/.git/harness-index
rm -f "$index"
gi() { GIT_INDEX_FILE=$index g "$@"; }
gi read-tree base
parent=$(g rev-parse base)

# show_reject PATCH: show the reject of PATCH against the files it touches.
show_reject() {
	local patch=$1 scratch
	scratch=$(mktemp -d)
	grep -E '^\+\+\+ b/' "$patch" | sed 's|^+++ b/||' | while read -r f; do
		mkdir -p "$scratch/$(dirname "$f")"
		gi cat-file blob ":$f" > "$scratch/$f" 2>/dev/null || true
	done
	(cd "$scratch" && git apply --reject --verbose "$patch" >&2) || true
	find "$scratch" -name '*.rej' | while read -r rej; do
		echo "--- reject: ${rej#"$scratch"/}" >&2
		cat "$rej" >&2
	done
	rm -rf "$scratch"
}

# apply_patch PATCH: apply PATCH to the index. Normally it must apply as it
# is (git apply allows only moved lines) or the make stops with its reject.
# With HARNESS_TREE_REPORT=FILE (make rebase-check), a patch that does not
# apply as it is gets fuzz 1, then 2 (git apply -C2, -C1: as patch(1) does),
# one that still fails is skipped after its reject is shown, and FILE gets a
# line per patch: its name, then clean, offset, fuzz N or FAILED.
apply_patch() {
	local patch=$1 name out how

	name=$(basename "$patch")
	if out=$(gi apply --cached --verbose "$patch" 2>&1); then
		how=clean
		grep -q '(offset [-0-9]* lines\?)' <<< "$out" && how=offset
	elif [ -z "${HARNESS_TREE_REPORT:-}" ]; then
		show_reject "$patch"
		die $step "patch does not apply: patches/$name (on $base_pkg $pkg_version, $base_note)"
	elif gi apply --cached -C2 "$patch" 2>/dev/null; then
		how="fuzz 1"
	elif gi apply --cached -C1 "$patch" 2>/dev/null; then
		how="fuzz 2"
	else
		show_reject "$patch"
		how=FAILED
	fi
	[ -z "${HARNESS_TREE_REPORT:-}" ] || printf '%s %s\n' "$name" "$how" >> "$HARNESS_TREE_REPORT"
	[ "$how" != FAILED ]
}

# The overlay: every file of the repository under a top-level directory that
# the base tree also has (kernel/, include/, tools/, ...). Untracked files
# count too, so a new file works before it is committed.
base_dirs=$(g ls-tree -d --name-only base | tr '\n' '|')
noverlay=0
while IFS= read -r f; do
	first=${f%%/*}
	[ "$first" != "$f" ] || continue
	case "|$base_dirs" in *"|$first|"*) ;; *) continue ;; esac
	[ -f "$top/$f" ] || continue
	if g cat-file -e "base:$f" 2>/dev/null; then
		die $step "overlay file $f exists in the base tree; a change to a base file belongs in patches/"
	fi
	mode=100644
	[ -x "$top/$f" ] && mode=100755
	blob=$(g hash-object -w --path="$f" "$top/$f")
	gi update-index --add --cacheinfo "$mode,$blob,$f"
	noverlay=$((noverlay + 1))
done < <(git -C "$top" ls-files --cached --others --exclude-standard)

if [ -s "$top/MAINTAINERS" ]; then
	merged=$(mktemp)
	gi cat-file blob :MAINTAINERS > "$merged.base"
	python3 "$top/harness/merge_maintainers.py" "$merged.base" "$top/MAINTAINERS" > "$merged"
	gi update-index --cacheinfo "100644,$(g hash-object -w "$merged"),MAINTAINERS"
	rm -f "$merged" "$merged.base"
fi

tree=$(gi write-tree)
if [ "$tree" != "$(g rev-parse "$parent^{tree}")" ]; then
	parent=$(printf '%s\n\n%s\n%s\n\nSigned-off-by: %s <%s>\n' \
		"liveupdate: add the new files of the series" \
		"Files the live update series adds to the tree, copied from the" \
		"overlay of the repository, and their MAINTAINERS entries." \
		"$series_author_name" "$series_author_email" |
		GIT_AUTHOR_NAME="$series_author_name" GIT_AUTHOR_EMAIL="$series_author_email" \
		gi commit-tree "$tree" -p "$parent")
fi

npatches=0
while read -r name _; do
	case "$name" in ''|'#'*) continue ;; esac
	patch=$top/patches/$name
	[ -f "$patch" ] || die $step "patches/series names $name, which does not exist"
	apply_patch "$patch" || continue
	info=$(mktemp)
	msg=$(mktemp)
	git mailinfo "$msg" /dev/null < "$patch" > "$info"
	subject=$(sed -n 's/^Subject: //p' "$info")
	[ -n "$subject" ] || die $step "patches/$name has no Subject: header"
	author=$(sed -n 's/^Author: //p' "$info")
	email=$(sed -n 's/^Email: //p' "$info")
	parent=$(printf '%s\n\n%s\n' "$subject" "$(cat "$msg")" |
		GIT_AUTHOR_NAME="${author:-$GIT_AUTHOR_NAME}" \
		GIT_AUTHOR_EMAIL="${email:-$GIT_AUTHOR_EMAIL}" \
		gi commit-tree "$(gi write-tree)" -p "$parent")
	rm -f "$info" "$msg"
	npatches=$((npatches + 1))
done < "$top/patches/series"

rm -f "$index"

old=$(g rev-parse HEAD)
# Commits made in build/linux since the last make tree are work that only
# lives there until it is exported to patches/: never drop it silently.
last=$(g config --get harness.lastseries || echo "$old")
# They are reproduced when every file they touch comes out the same.
if [ "$old" != "$last" ] && [ "${FORCE:-0}" != 1 ] &&
		! g diff --quiet "$old" "$parent" -- $(g diff --name-only "$last" "$old"); then
	g log --oneline "$last..$old" >&2 || true
	die $step "build/linux has commits (above) that patches/ does not reproduce; export them (git format-patch -o ../../patches/, add them to patches/series) or run 'make tree FORCE=1' to drop them"
fi
if [ "$(g rev-parse "$old^{tree}")" = "$(g rev-parse "$parent^{tree}")" ]; then
	g update-ref refs/heads/series "$parent"
	g config harness.lastseries "$parent"
	say $step "up to date: $npatches patches, $noverlay overlay files ($(elapsed "$t0"))"
	exit 0
fi
changed=$(g diff --name-only "$old" "$parent" | wc -l)
g read-tree -m -u "$old" "$parent" ||
	die $step "the series changes files edited in build/linux; move the edits into patches/ or the overlay, or run 'make tree FORCE=1' to drop them"
g update-ref refs/heads/series "$parent"
g config harness.lastseries "$parent"
say $step "refreshed: $npatches patches, $noverlay overlay files, $changed files changed ($(elapsed "$t0"))"
