#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kernel [DEBUG=1 | CONFIG=debian]: configure and build bzImage for one
# variant.
#
# release/debug: allnoconfig with every harness/config/*.config fragment,
# tools/testing/selftests/liveupdate/config and the series' .kunitconfig
# files forced in (KCONFIG_ALLCONFIG), debug.config only for the debug
# variant, then olddefconfig. Every line of the fragments is checked against the
# result, so an option that Kconfig drops (a missing dependency, a renamed
# symbol) fails the build by name instead of silently testing a different
# kernel.
# debian: Debian's own config.amd64_none_amd64 of the pinned base (package
# linux-config-6.12) plus harness/config/debian/liveupdate.config, then
# olddefconfig; its lines are checked the same way, and every "=y" of
# Debian's file must still be "=y" unless harness/config/debian/dropped
# names it with its reason. Only bzImage is built, not the modules.
# The new config replaces the old one only when it differs, so an unchanged
# config never triggers a rebuild.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-release}
step="kernel $variant"
obj=$(variant_dir "$variant")
t0=$(now_ms)
mkdir -p "$obj"

if [ "$variant" = debian ]; then
	. "$top/harness/base.sh"
	debian_xz=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
	[ -r "$debian_xz" ] || die "$step" "$debian_xz missing; run 'make deps'"
	tree_base=$(git -C "$src" config harness.baseversion)
	[ "$(base_installed "$base_config_pkg")" = "$tree_base" ] ||
		die "$step" "$base_config_pkg is $(base_installed "$base_config_pkg"), the tree is $base_pkg $tree_base; run 'make deps'"
	cp "$top/harness/config/debian/liveupdate.config" "$obj/fragments.config"
	xzcat "$debian_xz" > "$obj/debian.config"
	cat "$obj/debian.config" "$obj/fragments.config" > "$obj/.config.new"
else
	# The kselftest configs (the one vmtest.sh builds with) and the KUnit
	# configs of the series are fragments too, so that the tests a kernel developer runs with the
	# conventional tools need nothing this kernel lacks; only the KUnit
	# configs' built-in command line stays out (each suite sets its own).
	frags=("$src/tools/testing/selftests/liveupdate/config"
	       "$src/tools/testing/selftests/liveupdate/config.x86_64")
	for f in "$top"/harness/config/*.config; do
		[ "$(basename "$f")" = debug.config ] && continue
		frags+=("$f")
	done
	[ "$variant" = debug ] && frags+=("$top/harness/config/debug.config")
	{
		cat "${frags[@]}"
		cat "$src/kernel/liveupdate/kho.kunitconfig" \
		    "$src/kernel/liveupdate/luo.kunitconfig" \
		    "$src/mm/memfd_luo.kunitconfig" | grep -v '^CONFIG_CMDLINE'
	} > "$obj/fragments.config"
fi

jobs=$(nproc)
kmake() {
	make -s -C "$src" O="$obj" -j"$jobs" \
		KBUILD_BUILD_USER=harness KBUILD_BUILD_HOST=liveupdate \
		KBUILD_BUILD_TIMESTAMP="2000-01-01" "$@"
}

if [ "$variant" = debian ]; then
	# Later lines of a .config override earlier ones (with a warning each).
	kmake KCONFIG_CONFIG=.config.new olddefconfig > "$obj/olddefconfig.log" 2>&1 ||
		{ cat "$obj/olddefconfig.log" >&2; die "$step" "olddefconfig failed"; }
else
	kmake KCONFIG_CONFIG=.config.new KCONFIG_ALLCONFIG="$obj/fragments.config" allnoconfig >/dev/null
	kmake KCONFIG_CONFIG=.config.new olddefconfig >/dev/null
fi

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
if [ "$variant" = debian ]; then
	# Debian's built-in options stay built in, but for the listed ones.
	ndropped=0
	while IFS= read -r line; do
		sym=${line%%=*}
		if grep -qxF -- "$line" "$obj/.config.new"; then
			continue
		elif awk -v s="${sym#CONFIG_}" '!/^#/ && $1 == s { f = 1 } END { exit !f }' \
				"$top/harness/config/debian/dropped"; then
			ndropped=$((ndropped + 1))
		else
			missing+=("$line, Debian's, is gone (got: $(grep -E "^(# )?$sym[= ]" "$obj/.config.new" || echo absent))")
		fi
	done < <(grep -E '^CONFIG_[A-Za-z0-9_]+=y$' "$obj/debian.config")
fi
if [ ${#missing[@]} -gt 0 ]; then
	printf '  %s\n' "${missing[@]}" >&2
	die "$step" "${#missing[@]} requested config option(s) did not survive olddefconfig (above)"
fi
if ! cmp -s "$obj/.config.new" "$obj/.config"; then
	mv "$obj/.config.new" "$obj/.config"
	if [ "$variant" = debian ]; then
		say "$step" "config updated: Debian's config.amd64_none_amd64 of $(base_pinned); of its $(grep -c '=y$' "$obj/debian.config") built-in options $ndropped dropped as harness/config/debian/dropped says, the rest kept; $(grep -c '^CONFIG_' "$obj/fragments.config") live update lines verified"
	else
		say "$step" "config updated ($(wc -l < "$obj/fragments.config") fragment lines verified)"
	fi
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
# A live update kernel carries the table of what it reads (see
# include/linux/kho/abi/image_table.h); the build's own reader checks it.
table=
if grep -q '^CONFIG_LIVEUPDATE=y' "$obj/.config"; then
	table=$("$obj/scripts/kho_image_table" show "$obj/arch/x86/boot/bzImage" |
		grep -vc '^#') ||
		die "$step" "the image carries no well formed compatibility table (scripts/kho_image_table show)"
	table=", $table compatible strings in its table"
fi
record_build "$obj"
size=$(stat -c %s "$obj/arch/x86/boot/bzImage")
say "$step" "OK: $obj/arch/x86/boot/bzImage ($((size / 1024)) KiB$table, $(elapsed "$t0"))"
