// SPDX-License-Identifier: GPL-2.0
/*
 * kho_corrupt: a kernel handed corrupted KHO state boots as a cold boot
 * and says why.
 *
 * The in-kernel test's hook (kho/out/test_corrupt) breaks the outgoing
 * state just before each kexec:
 *
 * 1. cold boot; the root FDT gets a foreign compatible string;
 * 2. the next kernel refuses the handover with one error line naming the
 *    compatible, boots normally, can preserve again; a radix node address
 *    beyond the end of RAM is planted in the preserved-memory map;
 * 3. the next kernel refuses that map before reading the bad node, with an
 *    error line, and boots normally.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "kho_util.h"

static int corrupt(const char *what)
{
	int fd = open(KHO_DEBUGFS "/out/test_corrupt", O_WRONLY);
	int ret;

	if (fd < 0)
		return kt_fail("cannot open kho/out/test_corrupt");
	ret = write(fd, what, strlen(what));
	close(fd);
	if (ret != (int)strlen(what))
		return kt_fail("writing \"%s\" to kho/out/test_corrupt failed",
			       what);
	return 0;
}

/*
 * This boot must look like a cold boot (is_kho_boot() false, nothing came
 * in, kho/in absent) that logged @why.
 */
static int refused(const char *why)
{
	if (kho_log_has(why) != 1)
		return kt_fail("no \"%s\" in the kernel log", why);
	kt_diag("kernel log: %s", why);
	return kho_check_results(1, false);
}

static int generation_1(void)
{
	return kho_check_results(1, false) ?: corrupt("compatible");
}

static int generation_2(void)
{
	return refused("KHO: disabling KHO revival: root FDT is not compatible") ?:
	       corrupt("radix-node");
}

static int generation_3(void)
{
	return refused("KHO: disabling KHO revival: radix node outside preservable RAM");
}

static const struct kt_stage stages[] = {
	{ "cold boot hands over a root FDT with a foreign compatible", generation_1 },
	{ "foreign compatible refused, boots cold; plants a bad radix node", generation_2 },
	{ "radix node outside RAM refused, boots cold", generation_3 },
};

int main(void)
{
	return kt_main("kho_corrupt", stages, ARRAY_SIZE(stages));
}
