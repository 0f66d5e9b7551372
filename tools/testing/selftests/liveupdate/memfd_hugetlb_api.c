// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_hugetlb_api: preserving hugetlb memfds (MFD_HUGETLB, 2 MiB pages)
 * within one boot (no kexec).
 *
 * - PRESERVE_FD takes a hugetlb memfd, written, sparse, empty or sealed;
 *   its bytes stay readable (read() and mmap()) while preserved, and
 *   closing the session gives it back as an ordinary hugetlb memfd with
 *   the pool counters as they were before it was preserved;
 * - while preserved it is frozen: ftruncate(), fallocate() (allocate and
 *   punch) and an mmap() that would grow it get EPERM, a shared mapping
 *   that touches a hole gets SIGBUS, while its huge pages stay writable
 *   and F_SEAL_* can still be added; closing the session thaws it;
 * - it refuses a hugetlb memfd with a huge page beyond its size
 *   (EOPNOTSUPP), a hugetlb memfd preserved already (EBUSY), and leaves
 *   such a memfd as it was;
 * - huge pages HVO optimized are preserved, given up and freed to the
 *   page allocator with sound struct pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* 6.12's harness has a signal handler that does not use its context. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "hugetlb_util.h"
#include "luo_util.h"
#include "memfd_util.h"

#define HP		((off_t)HTLB_2M)
#define POOL		16
#define SEED		0x68756765746c6231ULL

/* The result of an operation: 0 on success, -errno on failure. */
static int err_of(long ret)
{
	return ret < 0 ? -errno : 0;
}

FIXTURE(hugetlb) {
	int luo;
	struct htlb_pool before;
};

FIXTURE_SETUP(hugetlb)
{
	self->luo = luo_open();
	if (self->luo == -ENOENT)
		SKIP(return, "%s does not exist: LUO is off", LUO_DEVICE);
	ASSERT_LE(0, self->luo) TH_LOG("open %s: %s", LUO_DEVICE,
				       strerror(-self->luo));
	if (htlb_pool_set(HTLB_2M, POOL))
		SKIP(return, "no pool of %d huge pages of 2 MiB", POOL);
	ASSERT_EQ(0, htlb_pool_read(HTLB_2M, &self->before));
}

FIXTURE_TEARDOWN(hugetlb)
{
	if (self->luo >= 0)
		close(self->luo);
	htlb_pool_set(HTLB_2M, 0);
}

/* A new session; fails the test on an error. */
static int new_session(struct __test_metadata *_metadata, int luo_fd,
		       const char *name)
{
	int fd = luo_create_session(luo_fd, name);

	ASSERT_LE(0, fd) TH_LOG("CREATE_SESSION \"%s\": %s", name,
				strerror(-fd));
	return fd;
}

/*
 * A hugetlb memfd of @pages huge pages whose huge pages at the indexes in
 * @written (ending with -1) hold stream SEED; the others are holes.
 */
static int new_hugetlb(struct __test_metadata *_metadata, int pages,
		       const int *written)
{
	int fd = htlb_memfd("memfd_hugetlb_api", HTLB_2M, pages * HP);
	int i;

	ASSERT_LE(0, fd) TH_LOG("memfd_create(MFD_HUGETLB): %s",
				strerror(-fd));
	for (i = 0; written && written[i] >= 0; i++)
		ASSERT_EQ(0, htlb_write(fd, written[i] * HP, HP, SEED));
	return fd;
}

/* Every byte of @fd: stream SEED in the huge pages of @written, zeros else. */
static void check_hugetlb(struct __test_metadata *_metadata, int fd,
			  int pages, const int *written, uint64_t seed)
{
	off_t bad = -1;
	int i, w = 0;

	ASSERT_EQ(pages * HP, lseek(fd, 0, SEEK_END));
	for (i = 0; i < pages; i++) {
		bool data = written[w] == i;

		ASSERT_EQ(0, mfd_check(fd, i * HP, HP, data ? seed : 0, &bad))
			TH_LOG("huge page %d: byte %lld differs", i,
			       (long long)bad);
		w += data;
	}
}

static const int sparse[] = { 0, 2, 3, 7, -1 };

TEST_F(hugetlb, preserve_unpreserve)
{
	int s = new_session(_metadata, self->luo, "hugetlb");
	int fd = new_hugetlb(_metadata, 8, sparse);
	struct htlb_pool used = self->before, after;
	uint64_t hash_before, hash_after;
	const off_t present[] = { 0, 2 * HP, 3 * HP, 7 * HP };

	used.free -= 4;
	ASSERT_EQ(0, htlb_pool_expect("written", HTLB_2M, &used));
	ASSERT_EQ(0, htlb_check_mapped(fd, HTLB_2M, 8 * HP, present, 4,
				       &hash_before));

	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	/* Preserving moves no page the pool counts and takes none. */
	ASSERT_EQ(0, htlb_pool_expect("preserved", HTLB_2M, &used));
	check_hugetlb(_metadata, fd, 8, sparse, SEED);
	ASSERT_EQ(4 * HP / 512, mfd_blocks(fd));
	ASSERT_EQ(0, htlb_check_mapped(fd, HTLB_2M, 8 * HP, present, 4,
				       &hash_after));
	/* The same descriptor or another one of the same memfd: once. */
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, fd, 2));

	ASSERT_EQ(0, close(s));
	/* Unpreserved: as it was, and the pool too. */
	ASSERT_EQ(0, htlb_pool_expect("unpreserved", HTLB_2M, &used));
	check_hugetlb(_metadata, fd, 8, sparse, SEED);
	ASSERT_EQ(0, ftruncate(fd, 2 * HP));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, htlb_pool_read(HTLB_2M, &after));
	ASSERT_EQ(self->before.free, after.free);
	ASSERT_EQ(self->before.total, after.total);
	ASSERT_EQ(0, after.surplus);
}

TEST_F(hugetlb, empty_and_sealed)
{
	int s = new_session(_metadata, self->luo, "hugetlb-sealed");
	static const int one[] = { 1, -1 };
	int empty = new_hugetlb(_metadata, 0, NULL);
	int sealed = new_hugetlb(_metadata, 2, one);
	int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, seals));
	ASSERT_EQ(0, luo_preserve_fd(s, empty, 1));
	ASSERT_EQ(0, luo_preserve_fd(s, sealed, 2));
	ASSERT_EQ(seals, fcntl(sealed, F_GET_SEALS));
	check_hugetlb(_metadata, sealed, 2, one, SEED);
	ASSERT_EQ(0, lseek(empty, 0, SEEK_END));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(sealed));
	ASSERT_EQ(0, close(empty));
}

TEST_F(hugetlb, frozen_while_preserved)
{
	int s = new_session(_metadata, self->luo, "hugetlb-frozen");
	int fd = new_hugetlb(_metadata, 8, sparse);
	struct htlb_pool used = self->before;
	char *map;

	used.free -= 4;
	/* MAP_NORESERVE: no reservation for the holes, the pool stays. */
	map = mmap(NULL, 8 * HP, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_NORESERVE, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));

	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 4 * HP)));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 16 * HP)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, 0, HP, HP)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_KEEP_SIZE,
					   16 * HP, HP)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
					   FALLOC_FL_KEEP_SIZE, 0, HP)));
	/* A writable mapping past the end would grow the file. */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 16 * HP, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0));
	ASSERT_EQ(EPERM, errno);
	/* A hole stays a hole, the pages that exist stay writable. */
	ASSERT_EQ(SIGBUS, mfd_touch_signal(map + HP, false));
	ASSERT_EQ(SIGBUS, mfd_touch_signal(map + 5 * HP + 17, true));
	ASSERT_EQ(0, mfd_touch_signal(map + 3 * HP + 17, true));
	ASSERT_EQ(0x5a, map[3 * HP + 17]);
	mfd_fill(map + 3 * HP, HP, SEED, 3 * HP);
	ASSERT_EQ(0, htlb_pool_expect("frozen", HTLB_2M, &used));
	/* Sealing does not wait for the pins of the preservation. */
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	check_hugetlb(_metadata, fd, 8, sparse, SEED);

	ASSERT_EQ(0, close(s));
	/* Thawed: the hole takes a page again, the size may change. */
	ASSERT_EQ(0, mfd_touch_signal(map + HP, true));
	used.free--;
	ASSERT_EQ(0, htlb_pool_expect("thawed", HTLB_2M, &used));
	ASSERT_EQ(0, ftruncate(fd, 4 * HP));
	munmap(map, 8 * HP);
	ASSERT_EQ(0, close(fd));
}

TEST_F(hugetlb, page_beyond_size)
{
	int s = new_session(_metadata, self->luo, "hugetlb-beyond");
	static const int first[] = { 0, -1 };
	int fd = new_hugetlb(_metadata, 2, first);

	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * HP, HP));
	ASSERT_EQ(-EOPNOTSUPP, luo_preserve_fd(s, fd, 1));
	/* Refused: not frozen, and the token is free. */
	ASSERT_EQ(0, ftruncate(fd, 8 * HP));
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(fd));
}

/* Turns HVO on or off for the huge pages the kernel prepares from now. */
static int set_hvo(bool on)
{
	int fd = open("/proc/sys/vm/hugetlb_optimize_vmemmap", O_WRONLY);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, on ? "1\n" : "0\n", 2) == 2;
	close(fd);
	return ok ? 0 : -EIO;
}

/*
 * Huge pages whose vmemmap HVO optimized are preserved, given up and
 * freed to the page allocator with struct pages it accepts (6.12.118 made
 * struct pages 64, 128, ... of each look like heads; the suite boots with
 * init_on_free=1, so that the page allocator checks them).
 */
TEST_F(hugetlb, hvo_pages_preserved_and_freed)
{
	static const int all[] = { 0, 1, 2, 3, -1 };
	int s, fd, err = set_hvo(true);

	if (err == -ENOENT)
		SKIP(return, "no HVO in this kernel");
	ASSERT_EQ(0, err);
	/* Eight pages more, prepared with HVO on. */
	ASSERT_EQ(0, htlb_pool_set(HTLB_2M, POOL + 8));
	s = new_session(_metadata, self->luo, "hugetlb-hvo");
	fd = new_hugetlb(_metadata, 4, all);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	check_hugetlb(_metadata, fd, 4, all, SEED);
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, set_hvo(false));
	/* Back to the page allocator, optimized pages among them. */
	ASSERT_EQ(0, htlb_pool_set(HTLB_2M, 0));
}

TEST_HARNESS_MAIN
