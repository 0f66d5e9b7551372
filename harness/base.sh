# SPDX-License-Identifier: GPL-2.0
# The 6.12 base of the series (sourced, not executed): which version of
# Debian's linux-source-6.12 the series is pinned to, which one is installed,
# and what the harness does when they differ.
#
# The series is developed and tested on exactly one base, named in
# harness/base-version. `make deps` installs that version. A machine that only
# has the package the archive serves by default (a fresh machine, or one that
# upgrades as usual) is moved to the pin by `make check` too. Any other
# installed version was chosen by someone, so the harness does not replace it
# behind their back: it refuses, says what to run, and builds on it only when
# asked to with BASE=installed.

base_pkg=linux-source-6.12
# Debian's kernel configurations, always of the same version as the base.
base_config_pkg=linux-config-6.12
base_tarball=/usr/src/linux-source-6.12.tar.xz

# base_pinned: the version harness/base-version names.
base_pinned() {
	awk -v p="$base_pkg" '!/^#/ && $1 == p { print $2 }' "$top/harness/base-version"
}

# base_installed [PACKAGE]: the installed version of the base package (or of
# PACKAGE), or nothing.
base_installed() {
	dpkg-query -W -f='${Status} ${Version}\n' "${1:-$base_pkg}" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

# base_candidate: the version `apt-get install linux-source-6.12` would
# install (the archive's newest), or nothing when apt does not know.
base_candidate() {
	apt-cache policy "$base_pkg" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# base_served VERSION: true if the archive serves VERSION of the package.
base_served() {
	apt-cache madison "$base_pkg" 2>/dev/null |
		awk -F'|' -v v="$1" '{ gsub(/ /, "", $2) } $2 == v { f = 1 } END { exit !f }'
}

# base_decide INSTALLED PINNED CANDIDATE MODE: what to do about the package.
# MODE is "pinned" (make check, make tree: the default), "switch" (make deps
# asked for by name) or "installed" (BASE=installed). Prints one word:
#   ok       the package is usable as it is
#   install  nothing is installed: install PINNED
#   switch   replace INSTALLED with PINNED
#   refuse   INSTALLED was chosen by hand; leave it and stop
base_decide() {
	local installed=$1 pinned=$2 candidate=$3 mode=$4

	if [ -z "$installed" ]; then
		echo install
	elif [ "$installed" = "$pinned" ] || [ "$mode" = installed ]; then
		echo ok
	elif [ "$mode" = switch ] ||
			{ [ -n "$candidate" ] && [ "$installed" = "$candidate" ]; }; then
		echo switch
	else
		echo refuse
	fi
}

# base_refusal INSTALLED PINNED: the message that stops a build on a base
# nobody asked for.
base_refusal() {
	printf '%s %s is installed, but the series is pinned to %s (harness/base-version).\n' \
		"$base_pkg" "$1" "$2"
	printf '  run "make deps" to install %s (it replaces %s), or\n' "$2" "$1"
	printf '  run "make check BASE=installed" to try the series on %s.' "$1"
}

# base_vanished PINNED: the message for a pin the archive no longer serves.
base_vanished() {
	local served

	served=$(apt-cache madison "$base_pkg" 2>/dev/null |
		awk -F'|' '{ gsub(/ /, "", $2); printf "%s%s", sep, $2; sep = " " }')
	printf '%s %s, the pinned base, is no longer in the archive (it serves: %s).\n' \
		"$base_pkg" "$1" "${served:-nothing}"
	printf '  The series has to move to a served 6.12.y: run "make rebase-check",\n'
	printf '  fix what it reports, then bump harness/base-version (README: "Moving the base").'
}
