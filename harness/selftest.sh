#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-tests of the harness, run on the host by `make check` (suite
# "harness"). They need build/linux (make tree) but no kernel build and no VM,
# and they leave build/ as they found it. Output is TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# `make check FORCE=1` exports FORCE; the tree.sh calls below must not drop
# anything in build/linux because of it.
unset FORCE

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n $1"
}
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $1"
	shift
	for line in "$@"; do echo "# $line"; done
}

echo "TAP version 13"
echo "1..18"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# --- the "is the kernel build current" decision, on a scratch repository ---
src=$scratch/src
obj=$scratch/obj
mkdir -p "$src" "$obj/arch/x86/boot"
git -C "$src" init -q
echo base > "$src/file.c"
git -C "$src" add file.c
git -C "$src" -c user.name=t -c user.email=t@t commit -q -m base
echo CONFIG_X=y > "$obj/.config"
touch "$obj/arch/x86/boot/bzImage"

record_build "$obj"
if build_is_current "$obj"; then
	ok "a build of a clean tree is reused"
else
	not_ok "a build of a clean tree is reused"
fi

echo edit >> "$src/file.c"
if build_is_current "$obj"; then
	not_ok "an edit in the tree makes the build stale"
else
	ok "an edit in the tree makes the build stale"
fi

# A build of the edited tree, then the edit dropped: the bzImage holds the
# edit, so it must not pass for a build of the clean commit.
record_build "$obj"
git -C "$src" checkout -q file.c
if build_is_current "$obj"; then
	not_ok "a build of edited files is not reused once the edit is gone"
else
	ok "a build of edited files is not reused once the edit is gone"
fi

echo CONFIG_Y=y >> "$obj/.config"
if build_is_current "$obj"; then
	not_ok "a config change makes the build stale"
else
	ok "a config change makes the build stale"
fi

# make_fake_top DIR: a repository top with a copy of the harness, an empty
# series and this build/, for running tree.sh on other inputs.
make_fake_top() {
	mkdir -p "$1/patches"
	cp -r "$top/harness" "$1/"
	: > "$1/patches/series"
	ln -s "$build" "$1/build"
}

# check_tree_fails DESC TOP PATTERN...: TOP's tree.sh fails, prints every
# PATTERN (grep) and leaves build/linux on the commit it was on.
check_tree_fails() {
	local desc=$1 fake=$2 head_before out status pattern ok=1
	shift 2

	head_before=$(git -C "$build/linux" rev-parse HEAD)
	out=$(BASE=pinned "$fake/harness/tree.sh" 2>&1)
	status=$?
	[ $status -ne 0 ] || ok=0
	[ "$(git -C "$build/linux" rev-parse HEAD)" = "$head_before" ] || ok=0
	for pattern; do
		grep -q -- "$pattern" <<< "$out" || ok=0
	done
	if [ $ok = 1 ]; then
		ok "$desc"
	else
		not_ok "$desc" "exit status $status" "${out##*$'\n'}"
	fi
}

# --- make tree stops on a patch that does not apply, naming it ---
if [ -d "$build/linux/.git" ]; then
	fake=$scratch/top
	make_fake_top "$fake"
	cat > "$fake/patches/0001-stale.patch" <<-'EOF'
	From: Harness Selftest <selftest@localhost>
	Subject: [PATCH] selftest: a patch that no longer applies

	Signed-off-by: Harness Selftest <selftest@localhost>
	---
	--- a/Makefile
	+++ b/Makefile
	@@ -1,2 +1,2 @@
	-# this line is not in the base Makefile
	+# neither is this one
	 VERSION = 6
	EOF
	echo 0001-stale.patch > "$fake/patches/series"
	check_tree_fails "make tree fails on a stale patch, names it, shows the reject, keeps the tree" \
		"$fake" 'patch does not apply: patches/0001-stale.patch' '^--- reject: Makefile.rej'
else
	echo "ok $((++n)) make tree fails on a stale patch # SKIP no build/linux"
fi

# --- make tree keeps a commit made in build/linux that patches/ lacks ---
if [ -d "$build/linux/.git" ]; then
	lin=$build/linux
	head_before=$(git -C "$lin" rev-parse HEAD)
	echo "work in progress" > "$lin/harness-selftest.txt"
	git -C "$lin" add -f harness-selftest.txt
	git -C "$lin" -c user.name=t -c user.email=t@t commit -q -m "selftest: unexported work"
	out=$("$top/harness/tree.sh" 2>&1)
	status=$?
	if [ $status -ne 0 ] && grep -q 'patches/ does not reproduce' <<< "$out" &&
			[ -f "$lin/harness-selftest.txt" ]; then
		ok "make tree refuses to drop a commit made in build/linux"
	else
		not_ok "make tree refuses to drop a commit made in build/linux" \
			"exit status $status" "${out##*$'\n'}"
	fi
	git -C "$lin" reset -q --hard "$head_before"
else
	echo "ok $((++n)) make tree refuses to drop a commit # SKIP no build/linux"
fi

# --- which base version the harness builds on (harness/base.sh) ---
. "$top/harness/base.sh"
P=6.12.118-1~deb12u1
OLD=6.12.117-1~deb12u1
NEW=6.12.119-1~deb12u1
# INSTALLED PINNED CANDIDATE MODE -> action, and why
while read -r installed candidate mode want why; do
	[ "$installed" = - ] && installed=
	[ "$candidate" = - ] && candidate=
	got=$(base_decide "$installed" "$P" "$candidate" "$mode")
	if [ "$got" = "$want" ]; then
		ok "base: $why"
	else
		not_ok "base: $why" "base_decide '$installed' '$P' '$candidate' $mode: $got, not $want"
	fi
done <<-EOF2
	-	$P	pinned	install	a fresh machine gets the pinned version, not the newest
	$NEW	$NEW	pinned	switch	the archive's newest, installed by default, is moved to the pin
	$OLD	$P	pinned	refuse	a version installed by hand is refused, not replaced
	$OLD	$P	switch	switch	make deps by name replaces a version installed by hand
	$OLD	$P	installed	ok	BASE=installed builds on a version installed by hand
	$P	$NEW	pinned	ok	the pinned version is kept when the archive has a newer one
EOF2

# --- make tree refuses an installed base other than the pinned one ---
if [ -d "$build/linux/.git" ] && [ -n "$(base_installed)" ]; then
	fake=$scratch/top-pin
	make_fake_top "$fake"
	echo "$base_pkg 6.12.1-1" > "$fake/harness/base-version"
	check_tree_fails "make tree refuses an installed base other than the pinned one, says what to run" \
		"$fake" "is installed, but the series is pinned to 6.12.1-1" 'make check BASE=installed'
else
	echo "ok $((++n)) make tree refuses another base # SKIP no build/linux"
fi

# --- the result parsers of check.py ---
if out=$(python3 "$top/harness/check.py" --self-test 2>&1); then
	ok "check.py counts a chain that died after its first stage as failed"
	ok "check.py fails a run whose kernel log has a splat"
else
	not_ok "check.py parsers" "$out"
	not_ok "check.py parsers (see above)"
fi

# --- the offline image tool (tools/liveupdate/kho_image_table) ---
tool=$scratch/kit/kho_image_table
image=$build/obj-release/arch/x86/boot/bzImage
mkdir -p "$scratch/kit"
if ! out=$(make -s -C "$build/linux/tools/liveupdate" OUTPUT="$scratch/kit/" 2>&1); then
	not_ok "tools/liveupdate builds on its own" "$out"
else
	ok "tools/liveupdate builds on its own"
fi
if [ -x "$tool" ] && [ -f "$image" ] && grep -q '^CONFIG_LIVEUPDATE=y' "$build/obj-release/.config"; then
	root=$("$tool" show "$image" | grep '^kho-root-')
	query=$(printf '%s\n' 'image: no image loaded' \
		"root $root: refused" 'verdict: accepted (nothing to hand over)')
	out=$(echo "$query" | "$tool" check "$image")
	if [ $? = 0 ] && [ "$out" = "root $root: ok"$'\n'"verdict: accepted" ]; then
		ok "kho_image_table check accepts what the image reads"
	else
		not_ok "kho_image_table check accepts what the image reads" "$out"
	fi
	out=$(printf '%s\n' "$query" 'session a b token 7 nobody-v1: ok' |
	      "$tool" check "$image" -)
	if [ $? = 4 ] && grep -qx 'session a b token 7 nobody-v1: refused' <<<"$out" &&
	   grep -qx 'verdict: refused (1 items)' <<<"$out"; then
		ok "kho_image_table check refuses what the image does not read"
	else
		not_ok "kho_image_table check refuses what the image does not read" "$out"
	fi
else
	echo "ok $((++n)) kho_image_table check accepts # SKIP no release image"
	echo "ok $((++n)) kho_image_table check refuses # SKIP no release image"
fi

exit $failed
