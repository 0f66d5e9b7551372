#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kernel [DEBUG=1]: configure and build bzImage for one variant.
#
# Config = allnoconfig with every harness/config/*.config fragment forced in
# (KCONFIG_ALLCONFIG), debug.config only for the debug variant, then
# olddefconfig. Every line of the fragments is checked against the result, so
# an option that Kconfig drops (a missing dependency, a renamed symbol) fails
# the build by name instead of silently testing a different kernel.
# The new config replaces the old one only when it differs, so an unchanged
# config never triggers a rebuild.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-release}
step="kernel $variant"
obj=$(variant_dir "$variant")
t0=$(now_ms)
mkdir -p "$obj"

frags=()
for f in "$top"/harness/config/*.config; do
	[ "$(basename "$f")" = debug.config ] && continue
	frags+=("$f")
done
[ "$variant" = debug ] && frags+=("$top/harness/config/debug.config")
cat "${frags[@]}" > "$obj/fragments.config"

jobs=$(nproc)
kmake() {
	make -s -C "$src" O="$obj" -j"$jobs" \
		KBUILD_BUILD_USER=harness KBUILD_BUILD_HOST=liveupdate \
		KBUILD_BUILD_TIMESTAMP="2000-01-01" "$@"
}

kmake KCONFIG_CONFIG=.config.new KCONFIG_ALLCONFIG="$obj/fragments.config" allnoconfig >/dev/null
kmake KCONFIG_CONFIG=.config.new olddefconfig >/dev/null

missing=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" "$obj/.config.new" || missing+=("$line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config.new" || echo absent))")
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		grep -q "^$sym=" "$obj/.config.new" && missing+=("$line (got: $(grep "^$sym=" "$obj/.config.new"))")
		;;
	esac
done < "$obj/fragments.config"
if [ ${#missing[@]} -gt 0 ]; then
	printf '  %s\n' "${missing[@]}" >&2
	die "$step" "${#missing[@]} requested config option(s) did not survive olddefconfig (above)"
fi
if ! cmp -s "$obj/.config.new" "$obj/.config"; then
	mv "$obj/.config.new" "$obj/.config"
	say "$step" "config updated ($(wc -l < "$obj/fragments.config") fragment lines verified)"
else
	rm -f "$obj/.config.new"
fi

if build_is_current "$obj"; then
	say "$step" "up to date: $obj/arch/x86/boot/bzImage ($(elapsed "$t0"))"
	exit 0
fi

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# ccache keys on the compiler's mtime by default; content is stabler.
export CCACHE_COMPILERCHECK=content
# Hash paths relative to build/, so a clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR=$build
say "$step" "building bzImage with ccache (-j$jobs)"
kmake CC="ccache gcc" bzImage
kmake headers_install INSTALL_HDR_PATH="$obj/usr" >/dev/null
record_build "$obj"
size=$(stat -c %s "$obj/arch/x86/boot/bzImage")
say "$step" "OK: $obj/arch/x86/boot/bzImage ($((size / 1024)) KiB, $(elapsed "$t0"))"
