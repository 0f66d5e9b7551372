// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_chain: the kexec test framework tested on itself.
 *
 * Generation 1 kexecs into 2, which kexecs into 3, which reports success.
 * Each generation checks that it is the generation it should be: its stage
 * number (from the command line) must equal one plus the number of boot IDs
 * the earlier generations recorded on the command line, and its own boot ID
 * must be new, which shows that a new kernel really booted. It then appends
 * its boot ID for the next generation.
 */
#include <stdio.h>
#include <string.h>

#include "kexec_stage.h"

#define BOOT_ID_LEN 36

static int check_generation(int expect)
{
	char history[4 * (BOOT_ID_LEN + 1)] = "";
	char boot_id[BOOT_ID_LEN + 8];
	const char *prev = kt_param("chain");
	int stage = kt_stage_nr();
	int generations = 0;
	const char *p;

	if (stage != expect)
		return kt_fail("running stage %d's check in stage %d", expect,
			       stage);
	if (kt_read_file("/proc/sys/kernel/random/boot_id", boot_id,
			 sizeof(boot_id)) || strlen(boot_id) != BOOT_ID_LEN)
		return kt_fail("cannot read this boot's ID");

	if (prev) {
		if (strlen(prev) >= sizeof(history) - BOOT_ID_LEN - 1)
			return kt_fail("kt.chain is too long: %s", prev);
		snprintf(history, sizeof(history), "%s", prev);
		for (p = prev; p && *p; p = strchr(p, ',')) {
			if (*p == ',')
				p++;
			if (!strncmp(p, boot_id, BOOT_ID_LEN))
				return kt_fail("boot ID %s already seen: no new kernel booted",
					       boot_id);
			generations++;
		}
	}
	kt_diag("generation %d (boot ID %s), %d earlier generation(s) recorded",
		stage, boot_id, generations);
	if (generations != expect - 1)
		return kt_fail("stage %d follows %d generation(s), expected %d",
			       stage, generations, expect - 1);

	snprintf(history + strlen(history), sizeof(history) - strlen(history),
		 "%s%s", history[0] ? "," : "", boot_id);
	kt_set_next_param("chain", history);
	return 0;
}

static int generation_1(void)
{
	return check_generation(1);
}

static int generation_2(void)
{
	return check_generation(2);
}

static int generation_3(void)
{
	return check_generation(3);
}

static const struct kt_stage stages[] = {
	{ "generation 1 booted cold, kexecs into 2", generation_1 },
	{ "generation 2 follows 1, kexecs into 3", generation_2 },
	{ "generation 3 follows 2 and 1", generation_3 },
};

int main(void)
{
	return kt_main("kexec_chain", stages, ARRAY_SIZE(stages));
}
