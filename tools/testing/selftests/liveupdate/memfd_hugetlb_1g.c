// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_hugetlb_1g: a hugetlb memfd of 1 GiB pages across a live update,
 * in a guest whose CPU has them (harness: vm:cpu=max) and whose kernels
 * all ask for a pool of two on the command line (hugepagesz=1G
 * hugepages=2).
 *
 * 1. cold boot: the boot-time pool is there, and the KHO scratch areas
 *    were not sized by it (a pool page is not early kernel memory); a
 *    memfd of 3 GiB gets both pages, with a hole between them, written
 *    whole, and is preserved. Where its pages are goes to the next
 *    kernel;
 * 2. the next kernel got its own pool of two besides the preserved pages
 *    (allocated once KHO had reserved them, not from scratch); the memfd
 *    comes back byte for byte, at the same page frames, mapped with PUDs,
 *    as two surplus pages, which closing it frees.
 *
 * With hugetlb_cma=2G instead (suite memfd_hugetlb_1g_cma), the pool of
 * the first kernel is allocated at run time from hugetlb's CMA area, which
 * must not size scratch either; the next kernel reserves its own area
 * besides the preserved pages (it once could only try scratch), and its
 * pool grows from there while the memfd holds the adopted pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "hugetlb_util.h"
#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define GP		((off_t)HTLB_1G)
#define PAGES		3		/* the memfd's size in 1 GiB pages */
#define POOL		2		/* hugepages= on the command line */
#define TOKEN		0x1
#define SEED		0x6769616e74000000ULL
#define SCRATCH_LIST	"/sys/kernel/debug/kho/out/scratch"

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd, fd;
/* hugetlb_cma= on the command line: the pool comes from its CMA area. */
static bool cma_mode;

static const off_t present[] = { 0, 2 * GP };

static int expect_pool(const char *when, long long total, long long free,
		       long long surplus)
{
	return htlb_pool_expect_counts(when, HTLB_1G, total, free, surplus) ?
	       kt_fail("1 GiB pool counters %s", when) : 0;
}

/*
 * Without sizes on the command line, scratch is twice the kernel's early
 * memory; the 2 GiB pool must not count (it did: 4 GiB of scratch more
 * than this guest has besides it, and KHO was off).
 */
static int check_scratch(void)
{
	unsigned long long total = 0, addr, size;
	char buf[1024], cmdline[4096], *line, *save;
	unsigned int index;
	int nid;

	if (kt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0 ||
	    kt_read_file(SCRATCH_LIST, buf, sizeof(buf)) < 0)
		return kt_fail("cannot read %s or the command line",
			       SCRATCH_LIST);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%u %llx %llx %d", &index, &addr, &size,
			   &nid) == 4)
			total += size;
	kt_diag("scratch: %llu MiB", total >> 20);
	if (strstr(cmdline, "kho_scratch="))
		return 0;
	if (total >= GP)
		return kt_fail("scratch of %llu MiB counts the boot-time pool",
			       total >> 20);
	return 0;
}

/* Whether the pool comes from hugetlb's CMA area, which must be there. */
static int check_cma(void)
{
	char cmdline[4096];
	long long cma_kb;

	if (kt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return kt_fail("cannot read /proc/cmdline");
	cma_mode = strstr(cmdline, "hugetlb_cma=");
	if (!cma_mode)
		return 0;
	/* The KHO scratch areas are CMA too, but much smaller. */
	cma_kb = mfd_meminfo("CmaTotal");
	kt_diag("CmaTotal: %lld MiB", cma_kb >> 10);
	if (cma_kb < (POOL * GP) >> 10)
		return kt_fail("no hugetlb CMA area of %d GiB: CmaTotal %lld kB",
			       POOL, cma_kb);
	return 0;
}

static int check_bytes(void)
{
	struct stat st;
	off_t bad;
	int i, ret;

	if (fstat(fd, &st))
		return kt_fail("fstat: %s", strerror(errno));
	if (kt_expect("size", st.st_size, PAGES * GP) ||
	    kt_expect("blocks", st.st_blocks, 2 * (GP / 512)))
		return -1;
	for (i = 0; i < PAGES; i++) {
		uint64_t seed = i == 1 ? 0 : SEED;

		ret = mfd_check(fd, i * GP, GP, seed, &bad);
		if (ret)
			return kt_fail("1 GiB page %d: %s at %lld", i,
				       ret < 0 ? strerror(-ret) : "differs",
				       (long long)bad);
	}
	return 0;
}

static int frames(char *value, size_t size)
{
	uint64_t hash;

	if (htlb_check_mapped(fd, HTLB_1G, PAGES * GP, present, 2, &hash))
		return kt_fail("not mapped as two 1 GiB pages");
	snprintf(value, size, "%llx", (unsigned long long)hash);
	return 0;
}

static int stage_preserve(void)
{
	char value[32];
	int err, i;

	if (check_cma())
		return -1;
	if (cma_mode && (expect_pool("at boot", 0, 0, 0) ||
			 htlb_pool_set(HTLB_1G, POOL)))
		return kt_fail("no pool of %d pages from hugetlb's CMA area",
			       POOL);
	if (expect_pool("at boot", POOL, POOL, 0) || check_scratch())
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	fd = htlb_memfd("giant", HTLB_1G, PAGES * GP);
	if (fd < 0)
		return kt_fail("memfd_create(MFD_HUGETLB | MFD_HUGE_1GB): %s",
			       strerror(-fd));
	for (i = 0; i < 2; i++) {
		err = htlb_write(fd, present[i], GP, SEED);
		if (err)
			return kt_fail("writing: %s", strerror(-err));
	}
	session_fd = luo_create_session(luo_fd, "giant");
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	err = luo_preserve_fd(session_fd, fd, TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD: %s", strerror(-err));
	if (expect_pool("preserved", POOL, 0, 0) || check_bytes() ||
	    frames(value, sizeof(value)))
		return -1;
	kt_set_next_param("frames", value);
	kt_diag("page frames %s", value);
	return 0;
}

static int stage_retrieve(void)
{
	const char *want = kt_param("frames");
	char value[32];
	int err;

	/* This kernel's own pool, or CMA area, besides the preserved pages. */
	if (check_cma() ||
	    expect_pool("at boot", cma_mode ? 0 : POOL, cma_mode ? 0 : POOL, 0))
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	session_fd = luo_retrieve_session(luo_fd, "giant");
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-session_fd));
	fd = luo_retrieve_fd(session_fd, TOKEN);
	if (fd < 0)
		return kt_fail("RETRIEVE_FD: %s", strerror(-fd));
	if (cma_mode) {
		if (expect_pool("retrieved", 2, 0, 2))
			return -1;
		/* The adopted pages become persistent, two more from CMA. */
		if (htlb_pool_set(HTLB_1G, 2 + POOL))
			return kt_fail("no pool of %d pages from hugetlb's CMA area",
				       2 + POOL);
	}
	if (expect_pool("retrieved", POOL + 2, POOL, cma_mode ? 0 : 2) ||
	    check_bytes() || frames(value, sizeof(value)))
		return -1;
	if (!want || strcmp(want, value))
		return kt_fail("page frames %s, the previous kernel had %s",
			       value, want ? want : "(none)");
	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	close(session_fd);
	close(fd);
	if (!cma_mode)
		return expect_pool("closed", POOL, POOL, 0);
	/* Persistent now: closing the memfd gives them back to the pool. */
	if (expect_pool("closed", 2 + POOL, 2 + POOL, 0) ||
	    htlb_pool_set(HTLB_1G, 0))
		return -1;
	return expect_pool("emptied", 0, 0, 0);
}

static const struct kt_stage stages[] = {
	{ "write and preserve a memfd of 1 GiB pages", stage_preserve },
	{ "own boot pool, memfd back in place, closed", stage_retrieve },
};

int main(void)
{
	return kt_main("memfd_hugetlb_1g", stages,
		       ARRAY_SIZE(stages));
}
