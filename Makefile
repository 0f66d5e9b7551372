# SPDX-License-Identifier: GPL-2.0
#
# Harness of the live update series for Linux 6.12 (see README.md).
#
#   make check [DEBUG=1] [T=suite[:kunit-filter]]   build what is stale, run the tests
#   make check CONFIG=debian                        only the suites of Debian's config
#   make demo  [DEBUG=1] [MIB=256] [HUGETLB=2M|1G]  the live update, narrated
#   make fuzz  [DEBUG=1] [SECS=300] [SEED=0x...]    the fuzzer, longer (or a replay)
#   make soak  [DEBUG=1] [GENS=100]                 live updates in a row
#   make bench [FULL=1]                             what live update costs, measured
#
# Every target does what its prerequisites need first, so a fresh clone
# needs nothing but `make check`.

DEBUG ?= 0
T ?=
# BASE=installed: build on the installed linux-source-6.12 even when it is
# not the version harness/base-version pins (the results say so).
BASE ?= pinned
export BASE
# CONFIG=debian: the kernel built from Debian's own configuration of the
# base (harness/config/debian/), with the suites of harness/tests-debian.conf.
CONFIG ?= test
ifeq ($(CONFIG),debian)
ifneq ($(filter 1 y yes,$(DEBUG)),)
$(error DEBUG=1 and CONFIG=debian do not go together)
endif
VARIANT := debian
else ifeq ($(CONFIG),test)
VARIANT := $(if $(filter 1 y yes,$(DEBUG)),debug,release)
else
$(error CONFIG=$(CONFIG): use CONFIG=debian, or nothing for the test kernel)
endif
H := harness

.PHONY: help deps tree kernel initramfs check fuzz soak bench demo shell series lint \
	check-series refresh-patches rebase-check clean distclean

help:
	@sed -n 's/^#   //p' Makefile
	@echo "other targets: deps tree kernel initramfs fuzz soak shell series lint check-series refresh-patches rebase-check clean distclean"

# Asked for by name, make deps also replaces a base version installed by hand.
deps:
	@$(H)/deps.sh $(if $(filter deps,$(MAKECMDGOALS)),--switch)

tree: deps
	@$(H)/tree.sh

kernel: tree
	@$(H)/kernel.sh $(VARIANT)

initramfs: kernel
	@$(H)/initramfs.sh $(VARIANT)

# A plain make check also runs the suites of the distribution kernel, which
# check.py builds when the first of them is selected.
check: initramfs
	@$(H)/check.py --variant $(VARIANT) $(if $(filter release,$(VARIANT)),--variant debian) --select '$(T)'

# The fuzzer for longer than make check runs it: SECS a generation (three
# generations), SEED to replay a run (its first line prints the seed).
SECS ?= 300
fuzz: initramfs
	@$(H)/check.py --variant $(VARIANT) --select luo_fuzz --timeout $$(( $(SECS) * 3 + 300 )) \
		--args 'kt.secs=$(SECS) $(if $(SEED),kt.seed=$(SEED))'

# GENS live updates in a row in one VM run (make check runs 10).
GENS ?= 100
soak: initramfs
	@$(H)/check.py --variant $(VARIANT) --select luo_soak --timeout $$(( $(GENS) * 12 + 120 )) \
		--args 'kt.gens=$(GENS)'

# What live update costs, in one VM run: a table with the goals, JSON, TSV
# and plots in build/bench/. FULL=1 adds 4 GiB and 100,000 items.
bench: initramfs
	@/usr/bin/python3 $(H)/bench.py --variant $(VARIANT) $(if $(filter 1 y yes,$(FULL)),--full)

demo: initramfs
	@$(H)/demo.py --variant $(VARIANT) $(if $(MIB),--mib $(MIB)) \
		$(if $(HUGETLB),--hugetlb $(HUGETLB))

# An interactive shell in the test VM (quit with 'poweroff -f').
shell: initramfs
	@$(H)/vm.py --variant $(VARIANT) --interactive kt.mode=shell

series: tree
	@$(H)/series.sh

lint: series
	@$(H)/lint.sh

# Every commit of make series, applied with git am on the pristine base and
# built in turn with the variant's test configuration, in build/series-check/.
# Not part of make check (about 35 min warm).
check-series: series kernel
	@$(H)/check_series.sh $(VARIANT)

# Rewrite patches/ from the commits of build/linux (after a move of the base).
refresh-patches:
	@$(H)/refresh.sh

# The series on the newest linux-source-6.12 of the archive, in build/rebase/:
# a report per patch, a build, the KHO and LUO chains. Not part of make check.
rebase-check: deps
	@$(H)/rebase_check.sh $(if $(VERSION),--version '$(VERSION)') $(if $(T),--select '$(T)')

clean:
	rm -rf build/obj-* build/initramfs-* build/logs build/series build/series-check build/bench

distclean:
	rm -rf build
