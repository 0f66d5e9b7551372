// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the Kexec HandOver selftests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "kho_util.h"
#include "memfd_util.h"

/* Layout of the kexec-metadata blob (include/linux/kho/abi/kexec_metadata.h). */
#define KHO_METADATA_RELEASE_LEN	65
#define KHO_METADATA_SIZE		(4 + KHO_METADATA_RELEASE_LEN + 4)

const char *kho_result_str(const char *key)
{
	static char value[64];
	char line[128];
	size_t len = strlen(key);
	FILE *f = fopen(KHO_TEST_RESULT, "r");

	value[0] = '\0';
	if (!f)
		return value;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, len) || line[len] != ' ')
			continue;
		snprintf(value, sizeof(value), "%s", line + len + 1);
		value[strcspn(value, "\n")] = '\0';
		break;
	}
	fclose(f);
	return value;
}

long kho_result(const char *key)
{
	const char *value = kho_result_str(key);
	char *end;
	long v;

	if (!*value)
		return -1;
	v = strtol(value, &end, 10);
	return *end ? -1 : v;
}

bool kho_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int kho_log_line(const char *needle, char *line, size_t size)
{
	int bufsize = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *hit, *start, *end;
	int len;

	if (bufsize <= 0)
		return -1;
	buf = malloc(bufsize + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, bufsize);
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	hit = strstr(buf, needle);
	if (hit && line && size) {
		for (start = hit; start > buf && start[-1] != '\n'; start--)
			;
		end = strchr(hit, '\n') ?: hit + strlen(hit);
		snprintf(line, size, "%.*s", (int)(end - start), start);
	}
	free(buf);
	return !!hit;
}

int kho_log_has(const char *needle)
{
	return kho_log_line(needle, NULL, 0);
}

/* The kexec-metadata the previous kernel handed over must match @count. */
static int check_metadata(unsigned int count)
{
	unsigned char blob[KHO_METADATA_SIZE + 1];
	uint32_t version, kexecs;
	struct utsname uts;
	FILE *f;
	size_t len;

	f = fopen(KHO_DEBUGFS "/in/sub_fdts/kexec-metadata", "r");
	if (!f)
		return kt_fail("no incoming kexec-metadata in debugfs");
	len = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	if (len != KHO_METADATA_SIZE)
		return kt_fail("kexec-metadata is %zu bytes, expected %d", len,
			       KHO_METADATA_SIZE);
	memcpy(&version, blob, 4);
	memcpy(&kexecs, blob + 4 + KHO_METADATA_RELEASE_LEN, 4);
	uname(&uts);
	if (version != 1 || kexecs != count ||
	    strncmp((char *)blob + 4, uts.release, KHO_METADATA_RELEASE_LEN))
		return kt_fail("kexec-metadata: %u, %.65s, %u; expected 1, %s, %u",
			       version, (char *)blob + 4, kexecs, uts.release,
			       count);
	return 0;
}

static int expect(const char *key, long want)
{
	long got = kho_result(key);

	if (got != want)
		return kt_fail("kho_test %s is %ld, expected %ld", key, got,
			       want);
	return 0;
}

/*
 * Records in the block set generation @gen hands over: 100,000 written on
 * a cold boot, 50,000 more in every generation after it.
 */
#define KHO_TEST_RECS(gen)	(100000L + 50000L * ((gen) - 1))

/* The scratch regions' total size in KiB, from debugfs; -1 if unreadable. */
static long long scratch_kib(void)
{
	FILE *f = fopen(KHO_DEBUGFS "/out/scratch", "r");
	unsigned long long addr, size, total = 0;
	unsigned int idx;
	int nid;

	if (!f)
		return -1;
	while (fscanf(f, "%u %llx %llx %d", &idx, &addr, &size, &nid) == 4)
		total += size;
	fclose(f);
	return total / 1024;
}

/*
 * Scratch is CMA memory, lent to the page allocator or inherited: it
 * counts in CmaTotal, which is never below CmaFree.
 */
static int check_cma_accounting(void)
{
	long long scratch = scratch_kib();
	long long total = mfd_meminfo("CmaTotal"), free = mfd_meminfo("CmaFree");

	if (scratch <= 0 || total < 0 || free < 0)
		return kt_fail("scratch %lld KiB, CmaTotal %lld, CmaFree %lld: unreadable",
			       scratch, total, free);
	if (total < scratch || free > total)
		return kt_fail("CmaTotal %lld kB, CmaFree %lld kB, scratch %lld KiB",
			       total, free, scratch);
	return 0;
}

int kho_check_results(int gen, bool kho_boot)
{
	unsigned char magic[4] = { 0 };
	char incoming[32];
	FILE *f;

	/* Copied: kho_result() reuses kho_result_str()'s buffer. */
	snprintf(incoming, sizeof(incoming), "%s", kho_result_str("incoming"));

	if (!kho_path_exists(KHO_TEST_RESULT))
		return kt_fail("no %s: is CONFIG_TEST_KEXEC_HANDOVER on and test_kho.enable=1 set?",
			       KHO_TEST_RESULT);
	kt_diag("kho_test: gen %ld, in %s: %ld folios %ld runs %ld areas %ld recs ok, %ld errors",
		kho_result("generation"), incoming, kho_result("verified_folios"),
		kho_result("verified_runs"), kho_result("verified_areas"),
		kho_result("verified_recs"), kho_result("errors"));

	if (expect("errors", 0) || expect("generation", gen) ||
	    expect("kho_enabled", 1) || expect("kho_boot", kho_boot) ||
	    expect("preserve_err", 0) || expect("preserved_folios", 24) ||
	    expect("preserved_runs", 2) || expect("preserved_areas", 2) ||
	    expect("preserved_high", 1) ||
	    expect("preserved_recs", KHO_TEST_RECS(gen)))
		return -1;

	f = fopen(KHO_DEBUGFS "/out/fdt", "r");
	if (!f || fread(magic, 1, 4, f) != 4 ||
	    memcmp(magic, "\xd0\x0d\xfe\xed", 4))
		return kt_fail("kho/out/fdt is not an FDT");
	fclose(f);
	if (!kho_path_exists(KHO_DEBUGFS "/out/sub_fdts/kho_test") ||
	    !kho_path_exists(KHO_DEBUGFS "/out/sub_fdts/kexec-metadata"))
		return kt_fail("kho/out/sub_fdts lacks kho_test or kexec-metadata");
	if (check_cma_accounting())
		return -1;

	if (!kho_boot) {
		if (strcmp(incoming, "none"))
			return kt_fail("cold boot found incoming test data: %s",
				       incoming);
		if (kho_path_exists(KHO_DEBUGFS "/in"))
			return kt_fail("cold boot has kho/in in debugfs");
		return 0;
	}

	if (strcmp(incoming, "ok"))
		return kt_fail("incoming test data: %s", incoming);
	if (expect("verified_folios", 24) || expect("verified_runs", 2) ||
	    expect("verified_high", 1) ||
	    expect("unpreserved_free", 4) || expect("refused", 27) ||
	    expect("verified_areas", 2) || expect("huge_order", 9) ||
	    expect("verified_recs", KHO_TEST_RECS(gen - 1)))
		return -1;
	if (!kho_path_exists(KHO_DEBUGFS "/in/fdt"))
		return kt_fail("KHO boot without kho/in/fdt");
	/* Inherited scratch is CMA, every pageblock of it. */
	if (kho_result("scratch_blocks") <= 0 ||
	    expect("scratch_cma_blocks", kho_result("scratch_blocks")))
		return kt_fail("inherited scratch: %ld of %ld pageblocks CMA",
			       kho_result("scratch_cma_blocks"),
			       kho_result("scratch_blocks"));
	/* The high run lay where deferred init starts, and more with it. */
	if (kho_result("deferred_init") == 1 &&
	    (expect("high_deferred", 1) || kho_result("deferred_pages") < 16))
		return kt_fail("deferred init: only %ld preserved struct pages initialized early",
			       kho_result("deferred_pages"));
	kt_diag("kho_test: %ld struct pages of preserved memory initialized ahead of deferred init",
		kho_result("deferred_pages"));
	return check_metadata(gen - 1);
}
