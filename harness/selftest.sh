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
echo "1..8"

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

# --- make tree stops on a patch that does not apply, naming it ---
if [ -d "$build/linux/.git" ]; then
	fake=$scratch/top
	mkdir -p "$fake/patches"
	cp -r "$top/harness" "$fake/"
	ln -s "$build" "$fake/build"
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
	head_before=$(git -C "$build/linux" rev-parse HEAD)
	out=$("$fake/harness/tree.sh" 2>&1)
	status=$?
	if [ $status -ne 0 ] && grep -q 'patch does not apply: patches/0001-stale.patch' <<< "$out" &&
			grep -q '^--- reject: Makefile.rej' <<< "$out" &&
			[ "$(git -C "$build/linux" rev-parse HEAD)" = "$head_before" ]; then
		ok "make tree fails on a stale patch, names it, shows the reject, keeps the tree"
	else
		not_ok "make tree fails on a stale patch, names it, shows the reject, keeps the tree" \
			"exit status $status" "${out##*$'\n'}"
	fi
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

# --- the result parsers of check.py ---
if out=$(python3 "$top/harness/check.py" --self-test 2>&1); then
	ok "check.py counts a chain that died after its first stage as failed"
	ok "check.py fails a run whose kernel log has a splat"
else
	not_ok "check.py parsers" "$out"
	not_ok "check.py parsers (see above)"
fi

exit $failed
