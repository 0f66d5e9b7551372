// SPDX-License-Identifier: GPL-2.0
/*
 * kho_off: with "kho=off" nothing is preserved and nothing is handed over.
 *
 * 1. cold boot with kho=off: KHO reports itself disabled, has no debugfs
 *    directory, and refuses to preserve; the kexec still works;
 * 2. the next kernel (also kho=off) is not a KHO boot and received nothing.
 */
#include "kexec_stage.h"
#include "kho_util.h"

static int check_off(void)
{
	long err = kho_result("preserve_err");

	if (kho_result("kho_enabled") != 0)
		return kt_fail("KHO is enabled despite kho=off");
	if (kho_result("kho_boot") != 0 || kho_result("generation") != 1)
		return kt_fail("received a handover: kho_boot %ld, generation %ld",
			       kho_result("kho_boot"), kho_result("generation"));
	if (err != -22)
		return kt_fail("preserving returned %ld, expected -EINVAL", err);
	if (kho_result("preserved_folios") != 0 || kho_result("errors") != 0)
		return kt_fail("%ld folios preserved, %ld errors",
			       kho_result("preserved_folios"),
			       kho_result("errors"));
	if (kho_path_exists(KHO_DEBUGFS))
		return kt_fail("kho/ exists in debugfs");
	if (kho_log_has("KHO: scratch") != 0 ||
	    kho_log_has("KHO: found kexec handover data") != 0)
		return kt_fail("KHO reserved scratch or took over a handover");
	return 0;
}

static const struct kt_stage stages[] = {
	{ "kho=off: disabled, refuses to preserve, kexecs", check_off },
	{ "kho=off: the next kernel received nothing", check_off },
};

int main(void)
{
	return kt_main("kho_off", stages, ARRAY_SIZE(stages));
}
