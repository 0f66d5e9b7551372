// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the hugetlb memfd selftests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hugetlb_util.h"
#include "memfd_util.h"

#define HTLB_SYSFS	"/sys/kernel/mm/hugepages/hugepages-%lukB/%s"
#define PM_PFN_MASK	0x007fffffffffffffULL	/* bits 0-54 */
#define PM_PRESENT	0x8000000000000000ULL	/* bit 63 */

static long long htlb_sysfs_read(unsigned long size, const char *name)
{
	char path[128], buf[32];
	long long val = -1;
	int fd, n;

	snprintf(path, sizeof(path), HTLB_SYSFS, size >> 10, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		val = strtoll(buf, NULL, 10);
	}
	close(fd);
	return val;
}

int htlb_pool_read(unsigned long size, struct htlb_pool *pool)
{
	pool->total = htlb_sysfs_read(size, "nr_hugepages");
	pool->free = htlb_sysfs_read(size, "free_hugepages");
	pool->resv = htlb_sysfs_read(size, "resv_hugepages");
	pool->surplus = htlb_sysfs_read(size, "surplus_hugepages");
	return pool->total < 0 || pool->free < 0 || pool->resv < 0 ||
	       pool->surplus < 0 ? -1 : 0;
}

static int htlb_one(const char *when, const char *what, long long got,
		    long long want)
{
	if (want < 0 || got == want)
		return 0;
	printf("# %s: %s is %lld, expected %lld\n", when, what, got, want);
	return -1;
}

int htlb_pool_expect(const char *when, unsigned long size,
		     const struct htlb_pool *want)
{
	struct htlb_pool got;
	int bad = 0;

	if (htlb_pool_read(size, &got)) {
		printf("# %s: no pool of %lu kB pages\n", when, size >> 10);
		return -1;
	}
	bad |= htlb_one(when, "nr_hugepages", got.total, want->total);
	bad |= htlb_one(when, "free_hugepages", got.free, want->free);
	bad |= htlb_one(when, "resv_hugepages", got.resv, want->resv);
	bad |= htlb_one(when, "surplus_hugepages", got.surplus, want->surplus);
	if (size != HTLB_2M)
		return bad;
	/* /proc/meminfo shows the default size, which is 2 MiB on x86. */
	bad |= htlb_one(when, "HugePages_Total", mfd_meminfo("HugePages_Total"),
			got.total);
	bad |= htlb_one(when, "HugePages_Free", mfd_meminfo("HugePages_Free"),
			got.free);
	bad |= htlb_one(when, "HugePages_Rsvd", mfd_meminfo("HugePages_Rsvd"),
			got.resv);
	bad |= htlb_one(when, "HugePages_Surp", mfd_meminfo("HugePages_Surp"),
			got.surplus);
	return bad;
}

int htlb_pool_expect_counts(const char *when, unsigned long size,
			    long long total, long long free, long long surplus)
{
	struct htlb_pool want = {
		.total = total, .free = free, .resv = 0, .surplus = surplus,
	};

	return htlb_pool_expect(when, size, &want);
}

int htlb_pool_set(unsigned long size, long long nr)
{
	char path[128], buf[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), HTLB_SYSFS, size >> 10, "nr_hugepages");
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%lld\n", nr);
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok && htlb_sysfs_read(size, "nr_hugepages") == nr ? 0 : -1;
}

int htlb_memfd(const char *name, unsigned long size, off_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
				    HTLB_MFD_FLAGS(size));

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int htlb_write(int fd, off_t off, off_t len, uint64_t seed)
{
	char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 off);

	if (map == MAP_FAILED)
		return -errno;
	mfd_fill(map, len, seed, off);
	munmap(map, len);
	return 0;
}

/* The hugetlb kB smaps reports for the mapping at @addr. */
static long long htlb_smaps_kb(const void *addr)
{
	unsigned long start, end, want = (unsigned long)addr;
	long long kb = -1, val;
	bool in = false;
	char line[256];
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start == want;
			if (in)
				kb = 0;
			continue;
		}
		if (in && (sscanf(line, "Shared_Hugetlb: %lld kB", &val) == 1 ||
			   sscanf(line, "Private_Hugetlb: %lld kB", &val) == 1))
			kb += val;
	}
	fclose(f);
	return kb;
}

int htlb_check_mapped(int fd, unsigned long size, off_t len,
		      const off_t *present, int nr, uint64_t *hash)
{
	long psize = sysconf(_SC_PAGESIZE);
	char *map;
	int pm, i, ret = -1;
	long long kb;

	map = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (map == MAP_FAILED) {
		printf("# mmap of %lld bytes: %s\n", (long long)len,
		       strerror(errno));
		return -1;
	}
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0) {
		printf("# /proc/self/pagemap: %s\n", strerror(errno));
		goto out;
	}
	*hash = 0xcbf29ce484222325ULL;
	for (i = 0; i < nr; i++) {
		uint64_t first, last;
		off_t at = present[i];

		/* Atomic, so that the compiler keeps the read that faults. */
		__atomic_load_n(map + at, __ATOMIC_RELAXED);
		if (pread(pm, &first, 8, (long)(map + at) / psize * 8) != 8 ||
		    pread(pm, &last, 8,
			  (long)(map + at + size - psize) / psize * 8) != 8) {
			printf("# pagemap: %s\n", strerror(errno));
			goto out_pm;
		}
		if (!(first & PM_PRESENT) || !(last & PM_PRESENT) ||
		    (last & PM_PFN_MASK) - (first & PM_PFN_MASK) !=
		    size / psize - 1 ||
		    (first & PM_PFN_MASK) % (size / psize)) {
			/* Not one aligned huge page. */
			printf("# huge page at %#llx: pfns %#llx..%#llx\n",
			       (long long)at,
			       (unsigned long long)(first & PM_PFN_MASK),
			       (unsigned long long)(last & PM_PFN_MASK));
			goto out_pm;
		}
		*hash = (*hash ^ (first & PM_PFN_MASK)) * 0x100000001b3ULL;
	}
	kb = htlb_smaps_kb(map);
	if (kb != (long long)nr * (long long)(size >> 10)) {
		printf("# smaps: %lld kB of huge pages mapped, expected %lld\n",
		       kb, (long long)nr * (long long)(size >> 10));
		goto out_pm;
	}
	ret = 0;
out_pm:
	close(pm);
out:
	munmap(map, len);
	return ret;
}
