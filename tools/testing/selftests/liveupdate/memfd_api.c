// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_api: preserving memfds within one boot (no kexec).
 *
 * - PRESERVE_FD takes memfds: written, empty, with a size that is not a
 *   multiple of the page size, sealed, several in one session, 500 in one
 *   session, in two sessions at once; their contents stay readable (read()
 *   and mmap()) while preserved; closing the session gives them back as
 *   ordinary memfds;
 * - it refuses a memfd that is already preserved, through any descriptor
 *   of it and in any session (EBUSY), a tmpfs file with a name (ENOENT:
 *   no handler takes it; hugetlb memfds are memfd_hugetlb_api's), and a
 *   memfd that holds pages beyond its size (EOPNOTSUPP), also when they
 *   share a 2 MiB folio with pages below it; a refusal leaves the memfd
 *   and the token as they were;
 * - while preserved a memfd is frozen: its size and its set of pages do
 *   not change (ftruncate, fallocate in every mode, writes past the end or
 *   into a hole: EPERM; a mapping that touches a hole: SIGBUS), while
 *   reads, writes and mappings of its pages, seals (F_SEAL_WRITE too),
 *   mode and position work as before; closing the session thaws it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* 6.12's harness has a signal handler that does not use its context. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
/* See luo_api.c: TEST_F() keeps a pid_t across a setjmp(). */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "luo_util.h"
#include "memfd_util.h"

#define PAGE		((off_t)MFD_PAGE)
#define MANY_MEMFDS	500
#define SEED		0x6d656d66645f6170ULL

/* A memfd of @size bytes holding stream @seed (0: nothing written). */
static int new_memfd(struct __test_metadata *_metadata, off_t size,
		     uint64_t seed)
{
	int fd = mfd_create("memfd_api", MFD_CLOEXEC | MFD_ALLOW_SEALING, size);
	int err;

	ASSERT_LE(0, fd) TH_LOG("memfd_create: %s", strerror(-fd));
	if (seed) {
		err = mfd_write(fd, 0, size, seed);
		ASSERT_EQ(0, err) TH_LOG("writing the memfd: %s", strerror(-err));
	}
	return fd;
}

/* Size and every byte of @fd, read with pread() and through a mapping. */
static void check_memfd(struct __test_metadata *_metadata, int fd,
			off_t size, uint64_t seed)
{
	struct stat st;
	off_t bad = -1;
	void *p;

	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(size, st.st_size);
	ASSERT_EQ(0, mfd_check(fd, 0, size, seed, &bad))
		TH_LOG("read(): byte %lld differs", (long long)bad);
	if (!size)
		return;
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(-1, mfd_mismatch(p, size, seed, 0))
		TH_LOG("mmap(): byte %lld differs",
		       mfd_mismatch(p, size, seed, 0));
	munmap(p, size);
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

/* The result of an operation: 0 on success, -errno on failure. */
static int err_of(long ret)
{
	return ret < 0 ? -errno : 0;
}

/* pwrite() of @len bytes of stream @seed at @off: the count or -errno. */
static ssize_t pwrite_seed(int fd, off_t off, size_t len, uint64_t seed)
{
	char buf[2 * MFD_PAGE];
	ssize_t n;

	if (len > sizeof(buf))
		return -EINVAL;
	mfd_fill(buf, len, seed, off);
	n = pwrite(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

static long long size_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long long)st.st_size;
}

/* Where the first hole at or after @off starts, or -errno. */
static long long hole_after(int fd, off_t off)
{
	off_t at = lseek(fd, off, SEEK_HOLE);

	return at < 0 ? -errno : at;
}

static long long data_after(int fd, off_t off)
{
	off_t at = lseek(fd, off, SEEK_DATA);

	return at < 0 ? -errno : at;
}

FIXTURE(memfd) {
	int luo;
};

FIXTURE_SETUP(memfd)
{
	self->luo = luo_open();
	if (self->luo == -ENOENT)
		SKIP(return, "%s does not exist: LUO is off", LUO_DEVICE);
	ASSERT_LE(0, self->luo) TH_LOG("open %s: %s", LUO_DEVICE,
				       strerror(-self->luo));
}

FIXTURE_TEARDOWN(memfd)
{
	if (self->luo >= 0)
		close(self->luo);
}

TEST_F(memfd, preserve_memfd)
{
	int s = new_session(_metadata, self->luo, "preserve-memfd");
	int fd = new_memfd(_metadata, 3 * PAGE, SEED);

	ASSERT_EQ(0, luo_preserve_fd(s, fd, 0x1A));
	check_memfd(_metadata, fd, 3 * PAGE, SEED);

	/* Given up with its session, the memfd is an ordinary one again. */
	ASSERT_EQ(0, close(s));
	check_memfd(_metadata, fd, 3 * PAGE, SEED);
	ASSERT_EQ(0, ftruncate(fd, 5 * PAGE));
	ASSERT_EQ(0, mfd_write(fd, 3 * PAGE, 2 * PAGE, SEED));
	check_memfd(_metadata, fd, 5 * PAGE, SEED);
	ASSERT_EQ(0, ftruncate(fd, PAGE));
	check_memfd(_metadata, fd, PAGE, SEED);
}

TEST_F(memfd, preserve_multiple_memfds)
{
	/* Empty, one page, not a multiple of the page size, 64 KiB. */
	static const off_t sizes[] = { 0, PAGE, 5 * PAGE + 100, 16 * PAGE };
	int s = new_session(_metadata, self->luo, "multiple");
	int fd[ARRAY_SIZE(sizes)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fd[i] = new_memfd(_metadata, sizes[i], SEED + i);
		ASSERT_EQ(0, luo_preserve_fd(s, fd[i], 0x1001 + i))
			TH_LOG("memfd %zu", i);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		check_memfd(_metadata, fd[i], sizes[i], SEED + i);
	ASSERT_EQ(0, close(s));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		check_memfd(_metadata, fd[i], sizes[i], SEED + i);
		ASSERT_EQ(0, ftruncate(fd[i], sizes[i] + PAGE));
	}
}

TEST_F(memfd, preserve_complex_scenario)
{
	int a = new_session(_metadata, self->luo, "complex-a");
	int b = new_session(_metadata, self->luo, "complex-b");
	int c = new_session(_metadata, self->luo, "complex-c");
	int a_empty = new_memfd(_metadata, 0, 0);
	int a_data = new_memfd(_metadata, 2 * PAGE, SEED + 1);
	int b_empty = new_memfd(_metadata, 0, 0);
	int b_data = new_memfd(_metadata, PAGE, SEED + 2);
	int b_empty2 = new_memfd(_metadata, 0, 0);

	ASSERT_EQ(0, luo_preserve_fd(a, a_empty, 1));
	ASSERT_EQ(0, luo_preserve_fd(a, a_data, 2));
	ASSERT_EQ(0, luo_preserve_fd(b, b_empty, 1));
	ASSERT_EQ(0, luo_preserve_fd(b, b_data, 2));
	ASSERT_EQ(0, luo_preserve_fd(b, b_empty2, 3));
	check_memfd(_metadata, a_empty, 0, 0);
	check_memfd(_metadata, a_data, 2 * PAGE, SEED + 1);
	check_memfd(_metadata, b_empty, 0, 0);
	check_memfd(_metadata, b_data, PAGE, SEED + 2);

	/* Closing a gives up a's memfds only. */
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, luo_preserve_fd(c, a_empty, 1));
	ASSERT_EQ(0, luo_preserve_fd(c, a_data, 2));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(c, b_empty, 3));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(c, b_data, 4));
	ASSERT_EQ(-EPERM, err_of(ftruncate(b_data, 2 * PAGE)));
	check_memfd(_metadata, b_data, PAGE, SEED + 2);
	check_memfd(_metadata, a_data, 2 * PAGE, SEED + 1);
}

TEST_F(memfd, prevent_double_preservation)
{
	int s = new_session(_metadata, self->luo, "double-1");
	int t = new_session(_metadata, self->luo, "double-2");
	int fd = new_memfd(_metadata, PAGE, SEED);
	char path[64];
	int dup_fd, reopened;

	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, fd, 2));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, fd, 1));
	/* Another descriptor of the same open file. */
	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, dup_fd, 2));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, dup_fd, 3));
	/* Another open file of the same memfd. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	reopened = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, reopened) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, reopened, 3));

	/* No refusal took its token. */
	ASSERT_EQ(0, luo_preserve_fd(s, new_memfd(_metadata, 0, 0), 2));
	ASSERT_EQ(0, luo_preserve_fd(t, new_memfd(_metadata, 0, 0), 1));
	check_memfd(_metadata, fd, PAGE, SEED);

	/* Once its session is closed, the memfd can go into another. */
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, luo_preserve_fd(t, reopened, 4));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, fd, 5));
}

TEST_F_TIMEOUT(memfd, preserve_many_memfds, 300)
{
	static int fds[MANY_MEMFDS];
	int s, i;

	if (luo_ensure_nofile(MANY_MEMFDS + 64))
		SKIP(return, "cannot raise RLIMIT_NOFILE to %d",
		     MANY_MEMFDS + 64);
	s = new_session(_metadata, self->luo, "many-memfds");
	for (i = 0; i < MANY_MEMFDS; i++) {
		fds[i] = new_memfd(_metadata, PAGE, SEED + i);
		ASSERT_EQ(0, luo_preserve_fd(s, fds[i], i)) TH_LOG("memfd %d", i);
	}
	for (i = 0; i < MANY_MEMFDS; i++) {
		off_t bad;

		ASSERT_EQ(0, mfd_check(fds[i], 0, PAGE, SEED + i, &bad))
			TH_LOG("memfd %d", i);
		ASSERT_EQ(-EPERM, err_of(ftruncate(fds[i], 0)));
	}
	ASSERT_EQ(0, close(s));
	for (i = 0; i < MANY_MEMFDS; i++) {
		ASSERT_EQ(0, ftruncate(fds[i], 0)) TH_LOG("memfd %d", i);
		ASSERT_EQ(0, close(fds[i]));
	}
}

TEST_F(memfd, tmpfs_file_with_name)
{
	char dir[] = "/tmp/memfd_api.XXXXXX", path[64];
	int s = new_session(_metadata, self->luo, "tmpfs");
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, "size=4M"))
		TH_LOG("mount tmpfs on %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("create %s: %s", path, strerror(errno));
	ASSERT_EQ(0, mfd_write(fd, 0, 2 * PAGE, SEED));

	/* Backed by shmem like a memfd, but it has a name. */
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, fd, 1));
	/* And it is still an ordinary file. */
	ASSERT_EQ(0, ftruncate(fd, 3 * PAGE));
	ASSERT_EQ(0, close(fd));

	/* A directory of that tmpfs is no memfd either. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, umount2(dir, MNT_DETACH));
	ASSERT_EQ(0, rmdir(dir));
	ASSERT_EQ(0, luo_preserve_fd(s, new_memfd(_metadata, 0, 0), 1));
}

TEST_F(memfd, pages_past_eof)
{
	int s = new_session(_metadata, self->luo, "past-eof");
	int fd = new_memfd(_metadata, PAGE, SEED);
	int empty = new_memfd(_metadata, 0, 0);

	/* Two pages allocated after the end, which stays where it was. */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, PAGE, 2 * PAGE));
	ASSERT_EQ(PAGE, size_of(fd));
	ASSERT_EQ(-EOPNOTSUPP, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(0, fallocate(empty, FALLOC_FL_KEEP_SIZE, 0, PAGE));
	ASSERT_EQ(-EOPNOTSUPP, luo_preserve_fd(s, empty, 2));

	/* Not frozen by the refusals. */
	check_memfd(_metadata, fd, PAGE, SEED);
	ASSERT_EQ(0, ftruncate(empty, PAGE));
	ASSERT_EQ(0, fallocate(empty, 0, PAGE, PAGE));
	ASSERT_EQ(2 * PAGE, size_of(empty));
	/* Pages allocated within the size are no obstacle. */
	ASSERT_EQ(0, luo_preserve_fd(s, empty, 2));

	/* Without the pages beyond the end it is taken, token and all. */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       PAGE, 2 * PAGE));
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	check_memfd(_metadata, fd, PAGE, SEED);
}

/*
 * Most of memory in one memfd: part of it sits in the KHO scratch areas,
 * which the kernel lends to movable allocations, and must move out before
 * it is pinned. There is no room for that: PRESERVE_FD must say ENOMEM,
 * not wake the OOM killer (which used to kill this process), and leave
 * the memfd as it was.
 */
TEST_F_TIMEOUT(memfd, no_room_to_move, 300)
{
	int s = new_session(_metadata, self->luo, "no-room");
	long long avail = mfd_meminfo("MemAvailable");
	off_t size;
	int fd;

	ASSERT_LT(64 * 1024, avail);
	size = (avail - 48 * 1024) * 1024 / PAGE * PAGE;
	fd = new_memfd(_metadata, size, SEED);
	ASSERT_EQ(-ENOMEM, luo_preserve_fd(s, fd, 1));

	/* Not frozen by the refusal. */
	ASSERT_EQ(0, ftruncate(fd, PAGE));
	check_memfd(_metadata, fd, PAGE, SEED);
	ASSERT_EQ(0, close(fd));
}

TEST_F(memfd, preserve_sealed)
{
	const int all = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	int s = new_session(_metadata, self->luo, "sealed");
	int sealed = new_memfd(_metadata, 2 * PAGE, SEED);
	int future = new_memfd(_metadata, PAGE, SEED + 1);
	int noexec = memfd_create("memfd_api_noexec",
				  MFD_CLOEXEC | MFD_NOEXEC_SEAL);

	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, all));
	ASSERT_EQ(0, fcntl(future, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	ASSERT_LE(0, noexec) TH_LOG("MFD_NOEXEC_SEAL: %s", strerror(errno));
	ASSERT_EQ(F_SEAL_EXEC, fcntl(noexec, F_GET_SEALS));
	ASSERT_EQ(0, luo_preserve_fd(s, sealed, 1));
	ASSERT_EQ(0, luo_preserve_fd(s, future, 2));
	ASSERT_EQ(0, luo_preserve_fd(s, noexec, 3));
	check_memfd(_metadata, sealed, 2 * PAGE, SEED);
	check_memfd(_metadata, future, PAGE, SEED + 1);
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(all, fcntl(sealed, F_GET_SEALS));
	ASSERT_EQ(F_SEAL_FUTURE_WRITE, fcntl(future, F_GET_SEALS));
	ASSERT_EQ(F_SEAL_EXEC, fcntl(noexec, F_GET_SEALS));
}

/*
 * A memfd written with shmem THP "always" (2 MiB folios), then allocated
 * by @falloc_off/@falloc_len (KEEP_SIZE); returns it, or -1 when this
 * kernel made no huge folio (the test is skipped then).
 */
static int new_thp_memfd(struct __test_metadata *_metadata, off_t size,
			 off_t falloc_off, off_t falloc_len)
{
	long long before = mfd_meminfo("ShmemHugePages");
	long long huge;
	int fd, err;

	if (before < 0 || mfd_set_shmem_thp("always"))
		return -1;
	fd = mfd_create("memfd_api_thp", MFD_CLOEXEC | MFD_ALLOW_SEALING, size);
	err = fd < 0 ? fd : mfd_write(fd, 0, size, SEED);
	if (!err && falloc_len)
		err = err_of(fallocate(fd, FALLOC_FL_KEEP_SIZE, falloc_off,
				       falloc_len));
	/* See memfd_kexec.c: "deny" is what turns the memfd mount's off. */
	ASSERT_EQ(0, mfd_set_shmem_thp("deny"));
	ASSERT_EQ(0, err) TH_LOG("THP memfd: %s", strerror(-err));
	huge = mfd_meminfo("ShmemHugePages") - before;
	if (huge < 2048) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Pages past the end in the 2 MiB folio that also holds the first page:
 * refused like pages past the end in folios of their own (they used to be
 * taken). A folio that reaches past the end only because it is large is
 * no obstacle.
 */
TEST_F(memfd, pages_past_eof_thp)
{
	int s = new_session(_metadata, self->luo, "past-eof-thp");
	int past, inside;

	past = new_thp_memfd(_metadata, PAGE, 2 * PAGE, 2 * PAGE);
	if (past < 0)
		SKIP(return, "no 2 MiB shmem folios here");
	ASSERT_EQ(PAGE, size_of(past));
	ASSERT_EQ(-EOPNOTSUPP, luo_preserve_fd(s, past, 1));
	check_memfd(_metadata, past, PAGE, SEED);

	/* Shrinking drops what was allocated past the end: taken then. */
	ASSERT_EQ(0, ftruncate(past, PAGE - 8));
	ASSERT_EQ(0, luo_preserve_fd(s, past, 1));
	ASSERT_EQ(0, mfd_check(past, 0, PAGE - 8, SEED, &(off_t){ 0 }));

	/* Three pages of data, all inside the size, in a 2 MiB folio. */
	inside = new_thp_memfd(_metadata, 3 * PAGE, 0, 0);
	ASSERT_LE(0, inside);
	ASSERT_EQ(0, luo_preserve_fd(s, inside, 2));
	check_memfd(_metadata, inside, 3 * PAGE, SEED);
}

/*
 * F_SEAL_WRITE, and F_SEAL_EXEC on an executable memfd (which implies
 * it), while preserved: live update's long-term pins are not pins that
 * sealing waits for. They made F_ADD_SEALS fail with EBUSY after 150 ms.
 */
TEST_F(memfd, seal_write_while_preserved)
{
	int s = new_session(_metadata, self->luo, "seal-write");
	int fd = new_memfd(_metadata, 3 * PAGE, SEED);
	int exe = new_memfd(_metadata, 2 * PAGE, SEED + 1);
	const int implied = F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW |
			    F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	int thp = new_thp_memfd(_metadata, 2 * PAGE, 0, 0);
	void *map;

	ASSERT_EQ(0, fchmod(exe, 0777));
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(0, luo_preserve_fd(s, exe, 2));
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE))
		TH_LOG("F_SEAL_WRITE: %s", strerror(errno));
	ASSERT_EQ(0, fcntl(exe, F_ADD_SEALS, F_SEAL_EXEC))
		TH_LOG("F_SEAL_EXEC on mode 0777: %s", strerror(errno));
	ASSERT_EQ(F_SEAL_WRITE, fcntl(fd, F_GET_SEALS));
	ASSERT_EQ(implied, fcntl(exe, F_GET_SEALS));
	if (thp >= 0) {
		ASSERT_EQ(0, luo_preserve_fd(s, thp, 3));
		ASSERT_EQ(0, fcntl(thp, F_ADD_SEALS, F_SEAL_WRITE))
			TH_LOG("F_SEAL_WRITE, 2 MiB folio: %s", strerror(errno));
	}

	/* The seal holds: no write, no writable shared mapping. */
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 0, 8, SEED + 2));
	ASSERT_EQ(-EPERM, pwrite_seed(exe, 0, 8, SEED + 2));
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_EQ(MAP_FAILED, map);
	ASSERT_EQ(EPERM, errno);
	check_memfd(_metadata, fd, 3 * PAGE, SEED);
	check_memfd(_metadata, exe, 2 * PAGE, SEED + 1);

	/* Unpreserved: sealed still, and nothing of live update's left. */
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(F_SEAL_WRITE, fcntl(fd, F_GET_SEALS));
	ASSERT_EQ(implied, fcntl(exe, F_GET_SEALS));
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 0, 8, SEED + 2));
	check_memfd(_metadata, fd, 3 * PAGE, SEED);
}

/* Size and page set are frozen: ftruncate and every fallocate mode. */
TEST_F(memfd, frozen_size)
{
	int s = new_session(_metadata, self->luo, "frozen-size");
	int fd = new_memfd(_metadata, 4 * PAGE, 0);

	/* Pages 0, 1 and 3; page 2 is a hole. */
	ASSERT_EQ(0, mfd_write(fd, 0, 2 * PAGE, SEED));
	ASSERT_EQ(0, mfd_write(fd, 3 * PAGE, PAGE, SEED));
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));

	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 5 * PAGE)));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 4 * PAGE + 1)));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 3 * PAGE)));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 4 * PAGE - 1)));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 0)));
	/* Allocating the hole, pages that exist, past the end. */
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, 0, 2 * PAGE, PAGE)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, 0, 0, PAGE)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, 0, 4 * PAGE, PAGE)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * PAGE, PAGE)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * PAGE, PAGE)));
	/* Punching a page out, or the hole that is already one. */
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   PAGE, PAGE)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   2 * PAGE, PAGE)));
	ASSERT_EQ(-EPERM, err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   100, 200)));

	/* Nothing changed. */
	ASSERT_EQ(4 * PAGE, size_of(fd));
	ASSERT_EQ(3 * PAGE / 512, mfd_blocks(fd));
	ASSERT_EQ(2 * PAGE, hole_after(fd, 0));
	ASSERT_EQ(3 * PAGE, data_after(fd, 2 * PAGE));
	ASSERT_EQ(0, mfd_check(fd, 0, 2 * PAGE, SEED, &(off_t){ 0 }));
	ASSERT_EQ(0, mfd_check(fd, 3 * PAGE, PAGE, SEED, &(off_t){ 0 }));

	/* Thawed with its session: every one of them works. */
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE, PAGE));
	ASSERT_EQ(2 * PAGE / 512, mfd_blocks(fd));
	ASSERT_EQ(0, fallocate(fd, 0, 2 * PAGE, PAGE));
	ASSERT_EQ(3 * PAGE / 512, mfd_blocks(fd));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * PAGE, PAGE));
	ASSERT_EQ(4 * PAGE, size_of(fd));
	ASSERT_EQ(0, fallocate(fd, 0, 4 * PAGE, 2 * PAGE));
	ASSERT_EQ(6 * PAGE, size_of(fd));
	ASSERT_EQ(0, ftruncate(fd, 8 * PAGE));
	ASSERT_EQ(0, ftruncate(fd, PAGE));
	ASSERT_EQ(0, mfd_check(fd, 0, PAGE, SEED, &(off_t){ 0 }));
}

/* Writes may not allocate pages; reads and writes of pages that exist work. */
TEST_F(memfd, frozen_writes)
{
	int s = new_session(_metadata, self->luo, "frozen-writes");
	int fd = new_memfd(_metadata, 4 * PAGE, 0);
	char buf[MFD_PAGE];
	char *map;

	ASSERT_EQ(0, mfd_write(fd, 0, 2 * PAGE, SEED));
	ASSERT_EQ(0, mfd_write(fd, 3 * PAGE, PAGE, SEED));
	/* Mapped before and after the preservation. */
	map = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));

	/* Past the end, from inside the last page, at the descriptor's end. */
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 4 * PAGE, 1, SEED));
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 5 * PAGE, PAGE, SEED));
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 4 * PAGE - 10, 20, SEED + 1));
	ASSERT_EQ(4 * PAGE, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(-EPERM, err_of(write(fd, "x", 1)));
	/* Into the hole, a byte or the whole page. */
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 2 * PAGE + 5, 1, SEED));
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 2 * PAGE, PAGE, SEED));
	ASSERT_EQ(2 * PAGE, lseek(fd, 2 * PAGE, SEEK_SET));
	ASSERT_EQ(-EPERM, err_of(write(fd, "x", 1)));

	/* None of them wrote a byte. */
	ASSERT_EQ(0, mfd_check(fd, 0, 2 * PAGE, SEED, &(off_t){ 0 }));
	ASSERT_EQ(0, mfd_check(fd, 3 * PAGE, PAGE, SEED, &(off_t){ 0 }));

	/* Reading the hole gives zeros and does not fill it. */
	ASSERT_EQ(PAGE, pread(fd, buf, PAGE, 2 * PAGE));
	ASSERT_EQ(-1, mfd_mismatch(buf, PAGE, 0, 0));
	/* A mapping touching it faults. */
	ASSERT_EQ(SIGBUS, mfd_touch_signal(map + 2 * PAGE, false));
	ASSERT_EQ(SIGBUS, mfd_touch_signal(map + 2 * PAGE + 100, true));

	/* Pages that exist: write(), pwrite() and the mapping. */
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	mfd_fill(buf, 100, SEED + 1, 0);
	ASSERT_EQ(100, write(fd, buf, 100));
	ASSERT_EQ(PAGE, pwrite_seed(fd, PAGE, PAGE, SEED + 1));
	ASSERT_EQ(PAGE - 200, pwrite_seed(fd, 3 * PAGE + 200, PAGE - 200, SEED + 1));
	mfd_fill(map + 100, PAGE - 100, SEED + 1, 100);
	mfd_fill(map + 3 * PAGE, 200, SEED + 1, 3 * PAGE);
	ASSERT_EQ(0, mfd_touch_signal(map + 3 * PAGE, true));
	ASSERT_EQ(0, msync(map, 4 * PAGE, MS_SYNC));

	/* All of it is there; the page set and size are as they were. */
	ASSERT_EQ(0x5a, map[3 * PAGE]);
	map[3 * PAGE] = (char)mfd_word(SEED + 1, 3 * PAGE);
	ASSERT_EQ(0, mfd_check(fd, 0, 2 * PAGE, SEED + 1, &(off_t){ 0 }));
	ASSERT_EQ(0, mfd_check(fd, 2 * PAGE, PAGE, 0, &(off_t){ 0 }));
	ASSERT_EQ(0, mfd_check(fd, 3 * PAGE, PAGE, SEED + 1, &(off_t){ 0 }));
	ASSERT_EQ(4 * PAGE, size_of(fd));
	ASSERT_EQ(3 * PAGE / 512, mfd_blocks(fd));
	ASSERT_EQ(2 * PAGE, hole_after(fd, 0));
	ASSERT_EQ(3 * PAGE, data_after(fd, 2 * PAGE));

	/* Thawed: the hole and the end can be written again. */
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, mfd_touch_signal(map + 2 * PAGE, false));
	ASSERT_EQ(0, mfd_touch_signal(map + 2 * PAGE + 100, true));
	ASSERT_EQ(PAGE, pwrite_seed(fd, 2 * PAGE, PAGE, SEED + 1));
	ASSERT_EQ(PAGE, pwrite_seed(fd, 4 * PAGE, PAGE, SEED + 1));
	ASSERT_EQ(5 * PAGE, size_of(fd));
	ASSERT_EQ(0, mfd_check(fd, 0, 5 * PAGE, SEED + 1, &(off_t){ 0 }));
	munmap(map, 4 * PAGE);
}

/* Seals, mode and position are not frozen. */
TEST_F(memfd, frozen_metadata)
{
	int s = new_session(_metadata, self->luo, "frozen-metadata");
	int fd = new_memfd(_metadata, 2 * PAGE, SEED);
	struct stat st;

	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(0, fcntl(fd, F_GET_SEALS));
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	ASSERT_EQ(F_SEAL_SHRINK, fcntl(fd, F_GET_SEALS));
	ASSERT_EQ(0, fchmod(fd, 0640));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0640U, st.st_mode & 07777);
	ASSERT_EQ(PAGE + 7, lseek(fd, PAGE + 7, SEEK_SET));
	ASSERT_EQ(PAGE + 7, lseek(fd, 0, SEEK_CUR));

	/* Preserved again after a close: frozen again. */
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, ftruncate(fd, 3 * PAGE));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, PAGE)));
	s = new_session(_metadata, self->luo, "frozen-metadata");
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(-EPERM, err_of(ftruncate(fd, 4 * PAGE)));
	ASSERT_EQ(-EPERM, pwrite_seed(fd, 2 * PAGE, 8, SEED));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(8, pwrite_seed(fd, 2 * PAGE, 8, SEED));
	ASSERT_EQ(F_SEAL_SHRINK, fcntl(fd, F_GET_SEALS));
	ASSERT_EQ(0, mfd_check(fd, 0, 2 * PAGE + 8, SEED, &(off_t){ 0 }));
}

/* Without the device the whole program is skipped, as kselftest expects. */
int main(int argc, char **argv)
{
	if (access(LUO_DEVICE, F_OK))
		ksft_exit_skip("%s does not exist: LUO is off\n", LUO_DEVICE);
	return test_harness_run(argc, argv);
}
