// SPDX-License-Identifier: GPL-2.0
/*
 * kho_kexec: memory preserved with Kexec HandOver survives two kexecs.
 *
 * The in-kernel test (CONFIG_TEST_KEXEC_HANDOVER, test_kho.enable=1) does
 * the preserving and checking at boot; this program checks its results and
 * the KHO debugfs view in each generation, and kexecs:
 *
 * 1. cold boot: a fresh set is preserved, nothing came in;
 * 2. every folio, page run, vmalloc area (6 MiB of single pages, 4 MiB
 *    mapped with 2 MiB pages) and the subtree blob of generation 1 came
 *    back byte for byte with the right order; the 100,000 records of the
 *    block set came back in order; unpreserved memory is ordinary memory;
 *    the kexec-metadata says one kexec; a fresh set is preserved, with the
 *    records carried over and 50,000 more;
 * 3. the same for generation 2's set (150,000 records), two kexecs.
 */
#include "kexec_stage.h"
#include "kho_util.h"

static int generation_1(void)
{
	return kho_check_results(1, false);
}

static int generation_2(void)
{
	return kho_check_results(2, true);
}

static int generation_3(void)
{
	return kho_check_results(3, true);
}

static const struct kt_stage stages[] = {
	{ "cold boot preserves folios, runs, vmalloc areas, records and a subtree", generation_1 },
	{ "second kernel restores all of it and preserves more", generation_2 },
	{ "third kernel restores the second kernel's set", generation_3 },
};

int main(void)
{
	return kt_main("kho_kexec", stages, ARRAY_SIZE(stages));
}
