// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_scattered: a memfd whose pages are scattered over memory, one
 * preserved block and one memblock region each, crosses a live update
 * whole.
 *
 * 1. cold boot: two memfds of 131,072 pages are written page by page in
 *    turn, so their pages interleave in memory (pagemap shows how many
 *    of the first one's pages have a neighbour of their own); the second
 *    is closed and only the first is preserved;
 * 2. the next kernel reserved each of its blocks in early boot (its log
 *    line, shown, says how many and in how many memblock regions); every
 *    byte of the memfd is checked.
 *
 * memblock walked its regions from the lowest one to add or mark each
 * block, time quadratic in scattered blocks: half as many (65,536) took
 * 23.8 s of the next kernel's early boot under TCG, against 0.065 s with
 * the walk starting at the first overlap. The suite's timeout (60 s)
 * catches a return of that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "kho_util.h"
#include "luo_util.h"
#include "memfd_util.h"

#define PAGES		131072UL
#define SIZE		(PAGES * MFD_PAGE)
#define SEED		0x5ca77e4ed
#define TOKEN		1

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd;

static int cmp_pfn(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * How many of the pages of @map (PAGES of them, mapped and present) have
 * another of them right below in physical memory, from pagemap: the
 * preserved blocks that memblock could merge with a neighbour.
 */
static long adjacent_pages(const uint8_t *map)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t *pfn = calloc(PAGES, sizeof(*pfn));
	long adjacent = -1;
	unsigned long i;

	if (fd < 0 || !pfn)
		goto out;
	if (pread(fd, pfn, PAGES * sizeof(*pfn),
		  (uintptr_t)map / MFD_PAGE * sizeof(*pfn)) !=
	    (ssize_t)(PAGES * sizeof(*pfn)))
		goto out;
	for (i = 0; i < PAGES; i++) {
		if (!(pfn[i] >> 63))
			goto out;
		pfn[i] &= (1ULL << 55) - 1;
	}
	qsort(pfn, PAGES, sizeof(*pfn), cmp_pfn);
	adjacent = 0;
	for (i = 1; i < PAGES; i++)
		adjacent += pfn[i] == pfn[i - 1] + 1;
out:
	free(pfn);
	if (fd >= 0)
		close(fd);
	return adjacent;
}

static int write_interleaved(int keep, int drop)
{
	uint8_t *a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, keep, 0);
	uint8_t *b = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, drop, 0);
	unsigned long i;
	long adjacent;

	if (a == MAP_FAILED || b == MAP_FAILED)
		return kt_fail("mmap: %s", strerror(errno));
	for (i = 0; i < PAGES; i++) {
		mfd_fill(a + i * MFD_PAGE, MFD_PAGE, SEED, i * MFD_PAGE);
		memset(b + i * MFD_PAGE, 0xff, MFD_PAGE);
	}
	adjacent = adjacent_pages(a);
	kt_diag("%ld of %lu pages right after another of them", adjacent,
		PAGES);
	if (adjacent < 0 || adjacent > (long)PAGES / 2)
		return kt_fail("the pages are not scattered (%ld adjacent)",
			       adjacent);
	munmap(a, SIZE);
	munmap(b, SIZE);
	return 0;
}

static int preserve_scattered(void)
{
	int keep, drop, err;
	double t0;

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open " LUO_DEVICE ": %s", strerror(-luo_fd));
	session_fd = luo_create_session(luo_fd, "scattered");
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	keep = mfd_create("scattered", 0, SIZE);
	drop = mfd_create("in-between", 0, SIZE);
	if (keep < 0 || drop < 0)
		return kt_fail("memfd_create: %s", strerror(-(keep < 0 ? keep : drop)));
	if (write_interleaved(keep, drop))
		return -1;
	close(drop);
	t0 = kt_now();
	err = luo_preserve_fd(session_fd, keep, TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD: %s", strerror(-err));
	kt_diag("%lu interleaved pages preserved in %.3f s", PAGES,
		kt_now() - t0);
	close(keep);
	return 0;
}

static int check_scattered(void)
{
	char line[256];
	off_t bad = 0;
	int fd, err;

	if (kho_log_line("KHO: reserved", line, sizeof(line)) != 1)
		return kt_fail("no 'KHO: reserved' line in the kernel log");
	kt_diag("%s", line);
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open " LUO_DEVICE ": %s", strerror(-luo_fd));
	session_fd = luo_retrieve_session(luo_fd, "scattered");
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-session_fd));
	fd = luo_retrieve_fd(session_fd, TOKEN);
	if (fd < 0)
		return kt_fail("RETRIEVE_FD: %s", strerror(-fd));
	err = mfd_check(fd, 0, SIZE, SEED, &bad);
	if (err)
		return kt_fail("memfd: %s at %lld", err < 0 ? strerror(-err) :
			       "mismatch", (long long)bad);
	if (lseek(fd, 0, SEEK_END) != (off_t)SIZE)
		return kt_fail("memfd size %lld", (long long)lseek(fd, 0, SEEK_END));
	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	kt_diag("%lu pages back, every byte checked", PAGES);
	return 0;
}

static const struct kt_stage stages[] = {
	{ "a memfd of interleaved pages preserved", preserve_scattered },
	{ "every scattered page back", check_scattered },
};

int main(void)
{
	return kt_main("memfd_scattered", stages, ARRAY_SIZE(stages));
}
