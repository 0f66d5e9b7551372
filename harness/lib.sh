# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts (sourced, not executed).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build
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
