/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the hugetlb memfd selftests: the pool of one huge page size
 * as sysfs reports it, hugetlb memfds written through a shared mapping
 * (hugetlbfs has no write()), and where their huge pages are.
 */
#ifndef _HUGETLB_UTIL_H
#define _HUGETLB_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#define HTLB_2M		(2UL * 1024 * 1024)
#define HTLB_1G		(1024UL * 1024 * 1024)

/* memfd_create()'s size flags: log2 of the page size, shifted. */
#define HTLB_MFD_FLAGS(size)	(0x0004U /* MFD_HUGETLB */ |		\
				 ((unsigned int)__builtin_ctzl(size) << 26))

/*
 * struct htlb_pool - the pool of one huge page size
 * @total:   nr_hugepages, persistent and surplus pages together
 * @free:    free_hugepages
 * @resv:    resv_hugepages
 * @surplus: surplus_hugepages
 */
struct htlb_pool {
	long long total;
	long long free;
	long long resv;
	long long surplus;
};

/* Reads the pool of pages of @size bytes from sysfs; 0 or -1. */
int htlb_pool_read(unsigned long size, struct htlb_pool *pool);

/*
 * Checks the pool of pages of @size: -1 in @want is not checked. For the
 * default size (2 MiB) /proc/meminfo must say the same. Returns 0, or -1
 * after printing what differs as a TAP diagnostic prefixed with @when.
 */
int htlb_pool_expect(const char *when, unsigned long size,
		     const struct htlb_pool *want);

/*
 * htlb_pool_expect() of a pool of @total pages, @free of them free, none
 * reserved and @surplus surplus.
 */
int htlb_pool_expect_counts(const char *when, unsigned long size,
			    long long total, long long free, long long surplus);

/* Sets nr_hugepages of @size to @nr; 0 if the pool has that many now. */
int htlb_pool_set(unsigned long size, long long nr);

/* A new hugetlb memfd with pages of @size, sealable, of @len bytes; -errno. */
int htlb_memfd(const char *name, unsigned long size, off_t len);

/*
 * Writes stream @seed (memfd_util.h) over [@off, @off + @len) of @fd
 * through a shared mapping, faulting in the huge pages there. 0 or -errno.
 */
int htlb_write(int fd, off_t off, off_t len, uint64_t seed);

/*
 * Maps [0, @len) of @fd shared and read-only (MAP_NORESERVE: the holes
 * get no reservation that would change the pool), faults in the pages at
 * the @nr offsets @present (holes are not touched: a read fault there
 * would allocate), and checks through /proc/self/pagemap and smaps that
 * each is mapped as one huge page of @size: its base pages in a row, and
 * the mapping's hugetlb total @nr * @size. The FNV-1a hash of the page
 * frame numbers goes to *@hash. Returns 0, or -1 after a diagnostic.
 */
int htlb_check_mapped(int fd, unsigned long size, off_t len,
		      const off_t *present, int nr, uint64_t *hash);

#endif /* _HUGETLB_UTIL_H */
