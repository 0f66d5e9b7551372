#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-series [DEBUG=1 | CONFIG=debian]: prove the series bisectable.
#
# The output of make series (the overlay commit and one mail per patch) is
# applied with git am on the pristine base, in a tree of its own under
# build/series-check/, and every commit is built in turn with the test
# configuration of the variant (build/obj-<variant>/.config, which make
# kernel made from the final tree): bzImage, incrementally, with ccache.
# An option the series adds does not exist before the last patch sources
# its Kconfig, so olddefconfig drops it there; the report says how many of
# the configuration's options each commit lacks, and the last commit must
# build exactly the test configuration. Neither build/linux nor its objects
# are touched. The first failing commit stops it, with its log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-release}
step=check-series
t0=$(now_ms)
dir=$build/series-check
tree=$dir/linux
obj=$dir/obj-$variant
logs=$dir/logs-$variant
config=$(variant_dir "$variant")/.config
report=$dir/report-$variant.txt

[ -r "$config" ] || die $step "$config missing; run 'make kernel'"
mapfile -t mails < <(find "$build/series" -name '*.patch' | sort)
[ ${#mails[@]} -gt 0 ] || die $step "no mails in build/series; run 'make series'"

g() {
	git -C "$tree" -c core.autocrlf=false -c commit.gpgsign=false \
		-c user.name="$series_author_name" -c user.email="$series_author_email" "$@"
}

# The pristine base, from build/linux's tag; a tree kept from an earlier
# run is reset to it, so only the files the series touches get new mtimes
# and the builds below stay incremental.
if [ ! -d "$tree/.git" ]; then
	say $step "cloning the pristine base from build/linux (once)"
	rm -rf "$tree"
	mkdir -p "$dir"
	git clone -q --no-checkout "$src" "$tree"
else
	g fetch -q --tags "$src"
fi
g am --abort >/dev/null 2>&1 || true
g checkout -q -f --detach base
g clean -q -fdx
say $step "applying ${#mails[@]} mails of build/series with git am on the base"
g am -q --whitespace=error-all "${mails[@]}" > "$dir/am.log" 2>&1 ||
	{ cat "$dir/am.log" >&2; die $step "git am failed (above)"; }
mapfile -t commits < <(g rev-list --reverse base..HEAD)
[ ${#commits[@]} -eq ${#mails[@]} ] ||
	die $step "git am made ${#commits[@]} commits of ${#mails[@]} mails"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export CCACHE_COMPILERCHECK=content
export CCACHE_BASEDIR=$build
jobs=$(nproc)
kmake() {
	make -s -C "$tree" O="$obj" -j"$jobs" \
		KBUILD_BUILD_USER=harness KBUILD_BUILD_HOST=liveupdate \
		KBUILD_BUILD_TIMESTAMP="2000-01-01" "$@"
}

mkdir -p "$obj" "$logs"
noptions=$(grep -c '^CONFIG_' "$config")
{
	echo "check-series: every commit of the series built, $variant configuration, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "base: $(g describe --always base) ($(git -C "$src" config harness.baseversion || echo unknown))"
	echo
	printf '%-4s %-64s %-8s %9s %s\n' '#' commit result time "options lacking (of $noptions)"
} > "$report"

i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subject=$(g log -1 --format=%s "$c")
	log=$logs/$(printf '%04d' "$i").log
	tc=$(now_ms)
	g checkout -q --detach "$c"
	cp "$config" "$obj/.config"
	result=OK
	if ! { kmake olddefconfig && kmake CC="ccache gcc" bzImage; } > "$log" 2>&1; then
		result=FAILED
	fi
	lacking=$(comm -23 <(grep '^CONFIG_' "$config" | sort) \
			   <(grep '^CONFIG_' "$obj/.config" | sort) | wc -l)
	line=$(printf '%-4s %-64.64s %-8s %9s %s' "$i" "$subject" "$result" "$(elapsed "$tc")" "$lacking")
	echo "$line" >> "$report"
	say $step "$line"
	if [ $result = FAILED ]; then
		tail -30 "$log" >&2
		die $step "commit $i ($subject) does not build; log in ${log#"$top"/}"
	fi
done

# The last commit is the series as make check tests it: the same options.
if ! cmp -s "$config" "$obj/.config"; then
	diff "$config" "$obj/.config" >&2 || true
	die $step "the last commit's configuration differs from $config (above)"
fi
echo "all ${#commits[@]} commits build; the last one with exactly the test configuration ($(elapsed "$t0"))" >> "$report"
say $step "OK: all ${#commits[@]} commits build; report in ${report#"$top"/} ($(elapsed "$t0"))"
