/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatible strings of the test data: the Live Update Orchestrator's test
 * file type and test FLBs (CONFIG_LIVEUPDATE_TEST), and KHO's test subtree
 * (CONFIG_TEST_KEXEC_HANDOVER).
 */
#ifndef _LINUX_KHO_ABI_LUO_TEST_H
#define _LINUX_KHO_ABI_LUO_TEST_H

/* The test file handler: a file's handle is a preserved u64. */
#define LUO_TEST_COMPATIBLE		"liveupdate-test-v1"

/* The mainline test FLBs' strings: "liveupdate-test-flb-v0" and on. */
#define LUO_TEST_FLB_COMPATIBLE(i)	"liveupdate-test-flb-v" #i
#define LUO_TEST_FLBS			3

/* The blob lib/tests/test_kho.c hands over in its subtree "kho_test". */
#define KHO_TEST_COMPATIBLE		"kho-test-v1"

#endif /* _LINUX_KHO_ABI_LUO_TEST_H */
