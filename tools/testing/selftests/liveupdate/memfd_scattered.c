// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_scattered: memfds whose pages are scattered over memory cross a
 * live update whole, and the next kernel reserves them in early boot in
 * time linear in how scattered they are.
 *
 * 1. cold boot: two memfds of 131,072 pages are written page by page in
 *    turn, so their pages interleave in memory (pagemap shows how many
 *    of the first one's pages have a neighbour of their own); the second
 *    is closed and only the first is preserved, one preserved block and
 *    one memblock region a page. Then two memfds of 63,488 pages are
 *    written 31 pages at a time in turn, and the first is preserved too:
 *    runs of 31 pages, each preserved as blocks of several orders;
 * 2. the next kernel reserved the blocks in early boot (its log line,
 *    shown, says how many, as how many runs, and in how many memblock
 *    regions); the runs it reserved are no more than the runs of
 *    physically contiguous pages of the two memfds (pagemap, in this
 *    kernel) plus 512 for the other preserved memory; every byte of both
 *    memfds is checked.
 *
 * memblock walked its regions from the lowest one to add or mark each
 * block, time quadratic in scattered blocks: half as many single pages
 * (65,536) took 23.8 s of the next kernel's early boot under TCG, against
 * 0.065 s with the walk starting at the first overlap. The suite's
 * timeout (60 s) catches a return of that. And KHO reserved blocks order
 * by order, so every block of a short run went below the regions of
 * higher orders and memblock moved them all up by one: a 4 GiB memfd in
 * runs of about 30 pages took 2.8 s; reserving in address order, one
 * memblock_reserve() a run, took 0.28 s. The runs check catches a return
 * to a reservation per block.
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

#define RUN		31UL		/* pages of a short run */
#define RUNS_PAGES	(RUN * 2048)
#define RUNS_SIZE	(RUNS_PAGES * MFD_PAGE)
#define RUNS_SEED	0x2031
#define RUNS_TOKEN	2
/* Preserved blocks besides the memfds' pages: descriptors, arrays, LUO. */
#define OTHER_RUNS	512

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd;

static int cmp_pfn(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Reads the page frames of the @pages pages mapped at @map (present) into
 * @pfn from pagemap. Return: 0, or -1.
 */
static int read_pfns(const uint8_t *map, unsigned long pages, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t len = pages * sizeof(*pfn);
	unsigned long i;
	int ret = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, pfn, len, (uintptr_t)map / MFD_PAGE * sizeof(*pfn)) != len)
		goto out;
	for (i = 0; i < pages; i++) {
		if (!(pfn[i] >> 63))
			goto out;
		pfn[i] &= (1ULL << 55) - 1;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * How many of the @nr page frames @pfn (sorted here) come right after
 * another of them: the preserved blocks that could merge with one below.
 */
static unsigned long adjacent_pfns(uint64_t *pfn, unsigned long nr)
{
	unsigned long i, adjacent = 0;

	qsort(pfn, nr, sizeof(*pfn), cmp_pfn);
	for (i = 1; i < nr; i++)
		adjacent += pfn[i] == pfn[i - 1] + 1;
	return adjacent;
}

/* How many of the pages of @map (PAGES) have a neighbour among them. */
static long adjacent_pages(const uint8_t *map)
{
	uint64_t *pfn = calloc(PAGES, sizeof(*pfn));
	long adjacent = -1;

	if (pfn && !read_pfns(map, PAGES, pfn))
		adjacent = adjacent_pfns(pfn, PAGES);
	free(pfn);
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

/* Writes @keep and @drop RUN pages at a time in turn. */
static int write_runs(int keep, int drop)
{
	uint8_t *a = mmap(NULL, RUNS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  keep, 0);
	uint8_t *b = mmap(NULL, RUNS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  drop, 0);
	unsigned long i;

	if (a == MAP_FAILED || b == MAP_FAILED)
		return kt_fail("mmap: %s", strerror(errno));
	for (i = 0; i < RUNS_PAGES; i += RUN) {
		mfd_fill(a + i * MFD_PAGE, RUN * MFD_PAGE, RUNS_SEED,
			 i * MFD_PAGE);
		memset(b + i * MFD_PAGE, 0xff, RUN * MFD_PAGE);
	}
	munmap(a, RUNS_SIZE);
	munmap(b, RUNS_SIZE);
	return 0;
}

/* A memfd written in runs, with those of another (closed) between them. */
static int preserve_runs(void)
{
	int keep = mfd_create("runs", 0, RUNS_SIZE);
	int drop = mfd_create("between-runs", 0, RUNS_SIZE);
	int err;

	if (keep < 0 || drop < 0)
		return kt_fail("memfd_create: %s",
			       strerror(-(keep < 0 ? keep : drop)));
	if (write_runs(keep, drop))
		return -1;
	close(drop);
	err = luo_preserve_fd(session_fd, keep, RUNS_TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD of the runs: %s", strerror(-err));
	kt_diag("%lu pages in runs of %lu preserved", RUNS_PAGES, RUN);
	close(keep);
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
	return preserve_runs();
}

/*
 * Retrieves the memfd of @token (@size bytes of @seed), checks every byte
 * and adds its page frames (@size / MFD_PAGE) to @pfn. Return: its fd.
 */
static int retrieve_checked(int token, off_t size, uint64_t seed,
			    uint64_t *pfn)
{
	off_t bad = 0;
	uint8_t *map;
	int fd, err;

	fd = luo_retrieve_fd(session_fd, token);
	if (fd < 0)
		return kt_fail("RETRIEVE_FD %d: %s", token, strerror(-fd));
	err = mfd_check(fd, 0, size, seed, &bad);
	if (err)
		return kt_fail("memfd %d: %s at %lld", token,
			       err < 0 ? strerror(-err) : "mismatch",
			       (long long)bad);
	if (lseek(fd, 0, SEEK_END) != size)
		return kt_fail("memfd %d size %lld", token,
			       (long long)lseek(fd, 0, SEEK_END));
	/* Mapped in at once, so that pagemap shows every page. */
	map = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED)
		return kt_fail("mmap: %s", strerror(errno));
	err = read_pfns(map, size / MFD_PAGE, pfn);
	munmap(map, size);
	if (err)
		return kt_fail("pagemap of memfd %d unreadable", token);
	return fd;
}

static int check_scattered(void)
{
	unsigned long nr = PAGES + RUNS_PAGES, runs;
	uint64_t *pfn = calloc(nr, sizeof(*pfn));
	const char *as;
	char line[256];
	long reserved;
	int fd, runs_fd, err;

	if (!pfn)
		return kt_fail("out of memory");
	if (kho_log_line("KHO: reserved", line, sizeof(line)) != 1)
		return kt_fail("no 'KHO: reserved' line in the kernel log");
	kt_diag("%s", line);
	as = strstr(line, " as ");
	if (!as || sscanf(as, " as %ld runs", &reserved) != 1)
		return kt_fail("the line does not say as how many runs");
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open " LUO_DEVICE ": %s", strerror(-luo_fd));
	session_fd = luo_retrieve_session(luo_fd, "scattered");
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-session_fd));
	fd = retrieve_checked(TOKEN, SIZE, SEED, pfn);
	if (fd < 0)
		return -1;
	runs_fd = retrieve_checked(RUNS_TOKEN, RUNS_SIZE, RUNS_SEED,
				   pfn + PAGES);
	if (runs_fd < 0)
		return -1;
	runs = nr - adjacent_pfns(pfn, nr);
	free(pfn);
	kt_diag("%lu pages back, every byte checked; %lu runs of pages, %ld reserved",
		nr, runs, reserved);
	if (reserved > (long)(runs + OTHER_RUNS))
		return kt_fail("%ld runs reserved for %lu runs of pages: block by block?",
			       reserved, runs);
	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	close(fd);
	close(runs_fd);
	return 0;
}

static const struct kt_stage stages[] = {
	{ "memfds of interleaved pages and of short runs preserved",
	  preserve_scattered },
	{ "every page back, reserved run by run", check_scattered },
};

int main(void)
{
	return kt_main("memfd_scattered", stages, ARRAY_SIZE(stages));
}
