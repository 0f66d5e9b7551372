# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts (sourced, not executed).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# HARNESS_BUILD: make rebase-check builds a second tree in a directory of its own.
build=${HARNESS_BUILD:-$top/build}
src=$build/linux

# say STEP MESSAGE: one progress line, prefixed by the step that prints it.
say() {
	local step=$1
	shift
	printf '[%s] %s\n' "$step" "$*"
}

# die STEP MESSAGE: report the failure on stderr and stop the make.
die() {
	local step=$1
	shift
	printf '[%s] ERROR: %s\n' "$step" "$*" >&2
	exit 1
}

# variant_dir VARIANT: the kernel object directory of a build variant.
variant_dir() {
	echo "$build/obj-$1"
}

# now_ms: wall clock in milliseconds, for the timings the harness prints.
now_ms() {
	date +%s%3N
}

# elapsed START_MS: seconds since START_MS with one decimal.
elapsed() {
	local ms=$(( $(now_ms) - $1 ))
	printf '%d.%01d s' $((ms / 1000)) $(((ms % 1000) / 100))
}

# Author and Signed-off-by of the overlay commit that make tree creates.
series_author_name="Live Update 6.12 maintainers"
series_author_email="liveupdate-6.12@lists.linux.dev"

# The state of the tree in $src that a build of it reflects: the commit and
# the config when the tree has no uncommitted edits, nothing otherwise (a
# build of edited files matches no commit and must never be reused).
build_state() {
	local obj=$1

	git -C "$src" update-index -q --refresh >/dev/null 2>&1 || true
	git -C "$src" diff-index --quiet HEAD -- || return 0
	echo "$(git -C "$src" rev-parse HEAD) $(sha1sum < "$obj/.config" | cut -d' ' -f1)"
}

# build_is_current OBJ: bzImage in OBJ was built from exactly this state, so
# kbuild (20-30 s to find nothing to do) can be skipped.
build_is_current() {
	local obj=$1 state

	state=$(build_state "$obj")
	[ -n "$state" ] && [ -f "$obj/arch/x86/boot/bzImage" ] &&
		[ "$(cat "$obj/.harness-built" 2>/dev/null)" = "$state" ]
}

# record_build OBJ: remember what OBJ's bzImage was built from (if anything).
record_build() {
	local obj=$1 state

	state=$(build_state "$obj")
	if [ -n "$state" ]; then
		echo "$state" > "$obj/.harness-built"
	else
		rm -f "$obj/.harness-built"
	fi
}
