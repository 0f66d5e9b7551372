// SPDX-License-Identifier: GPL-2.0
/*
 * luo_api: the userspace API of the Live Update Orchestrator within one
 * boot (no kexec): /dev/liveupdate, session descriptors and their ioctls,
 * with the LUO test file type (/dev/liveupdate_test) as the file to
 * preserve. Every refusal is checked for its exact errno.
 *
 * - the device: open and close; one opener at a time (EBUSY); sessions
 *   outlive the device descriptor they were created with;
 * - CREATE_SESSION: a name is unique among outgoing sessions (EEXIST) and
 *   free again once its session is closed; it is 1 to 63 bytes and a NUL
 *   (EINVAL for an empty or an unterminated one), bytes after the NUL do
 *   not count; the descriptor is
 *   O_RDWR, close-on-exec and named "[luo_session] <name>", which
 *   readlink() of /proc/self/fd/N shows for names of 1 to 63 bytes;
 * - GET_NAME: the exact name, NUL-padded to 64 bytes; reserved must be 0;
 * - PRESERVE_FD: a preserved file stays usable; a file no handler takes
 *   (ENOENT), a bad descriptor (EBADF), a token used twice in a session
 *   (EEXIST, checked first), a file preserved twice in any session
 *   (EBUSY); closing a session gives its files up;
 * - RETRIEVE_FD and FINISH are refused on outgoing sessions (EINVAL);
 *   RETRIEVE_SESSION finds no session after a cold boot (ENOENT), not
 *   even an outgoing one of that name;
 * - every ioctl's argument rule, in the kernel's order: EFAULT for a bad
 *   pointer, ENOTTY for a number whose type, size or direction bits are
 *   wrong, EINVAL for a number outside the table, the session kind, then
 *   EINVAL below the minimum size, E2BIG for a larger argument with a
 *   non-zero tail, while a zero tail is accepted; EFAULT for a reply that
 *   cannot be written, with the session of such a CREATE_SESSION gone and
 *   the file of such a PRESERVE_FD still preserved;
 * - scale: 2,000 sessions created, closed and created again; 500 files in
 *   one session, each unpreserved once when it is closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <linux/liveupdate.h>
#include <linux/magic.h>

/* 6.12's harness has a signal handler that does not use its context. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
/*
 * And TEST_F() keeps a pid_t across a setjmp(); -Wextra warns where a test
 * body gets inlined. Only a failed assertion longjmps, and then at worst
 * the teardown is left to the test process's exit.
 */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "luo_util.h"

#define NAME_LEN	LIVEUPDATE_SESSION_NAME_LENGTH
#define MANY_SESSIONS	2000
#define MANY_FILES	500

/* Room for an argument and a tail this kernel does not know. */
#define ARG_MAX		256
/* No tail byte set in sized_ioctl(). */
#define NO_POISON	(-1)

/*
 * Issues @cmd with the @len bytes of @arg, zero-extended to ARG_MAX, whose
 * size field says @size; byte @poison of the buffer is made non-zero
 * unless it is NO_POISON. The reply is copied back into @arg. Returns the
 * ioctl's result or -errno.
 */
static int sized_ioctl(int fd, unsigned long cmd, void *arg, size_t len,
		       __u32 size, int poison)
{
	union {
		__u64 align;
		unsigned char b[ARG_MAX];
	} buf;
	int ret;

	memset(&buf, 0, sizeof(buf));
	memcpy(buf.b, arg, len);
	memcpy(buf.b, &size, sizeof(size));
	if (poison != NO_POISON)
		buf.b[poison] = 0x5a;
	ret = ioctl(fd, cmd, buf.b);
	if (ret < 0)
		return -errno;
	memcpy(arg, buf.b, len);
	return ret;
}

/* An ioctl whose argument need not be valid; its result or -errno. */
static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* CREATE_SESSION with the 64 name bytes as they are: a fd or -errno. */
static int create_raw(int luo_fd, const __u8 *name)
{
	struct liveupdate_ioctl_create_session arg = {
		.size = sizeof(arg),
		.fd = -1,
	};

	memcpy(arg.name, name, NAME_LEN);
	if (ioctl(luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg))
		return -errno;
	return arg.fd;
}

/* GET_NAME: the 64 name bytes as the kernel wrote them, or -errno. */
static int get_name_raw(int session_fd, __u8 *name)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };

	/* Bytes the kernel does not write stay visible. */
	memset(arg.name, 0xa5, sizeof(arg.name));
	if (ioctl(session_fd, LIVEUPDATE_SESSION_GET_NAME, &arg))
		return -errno;
	memcpy(name, arg.name, NAME_LEN);
	return 0;
}

/* @len bytes of 'a' to 'z' over and over, then NULs up to NAME_LEN. */
static void long_name(__u8 *name, size_t len)
{
	size_t i;

	memset(name, 0, NAME_LEN);
	for (i = 0; i < len; i++)
		name[i] = 'a' + i % 26;
}

/* The lowest free descriptor number: what the next open() returns. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* A writable page followed by an inaccessible one; NULL on failure. */
static unsigned char *guarded_page(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + page, page, PROT_NONE)) {
		munmap(p, 2 * page);
		return NULL;
	}
	return p;
}

/* A new test file holding @value; fails the test if there is none. */
static int new_test_file(struct __test_metadata *_metadata, uint64_t value)
{
	int fd = luo_test_file(value);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", LUO_TEST_DEVICE, strerror(-fd));
	return fd;
}

/* A counter of LUO_TEST_DEBUGFS; fails the test if it is unreadable. */
static long long knob(struct __test_metadata *_metadata, const char *name)
{
	long long v = luo_test_knob(name);

	ASSERT_LE(0, v) TH_LOG("cannot read %s/%s", LUO_TEST_DEBUGFS, name);
	return v;
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

FIXTURE(api) {
	int fd;
};

FIXTURE_SETUP(api)
{
	self->fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "%s does not exist: LUO is off", LUO_DEVICE);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", LUO_DEVICE,
				      strerror(errno));
}

FIXTURE_TEARDOWN(api)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(api, basic_open_close)
{
	ASSERT_EQ(0, close(self->fd));
	self->fd = luo_open();
	ASSERT_LE(0, self->fd);
}

TEST_F(api, exclusive_open)
{
	ASSERT_EQ(-EBUSY, luo_open());
	ASSERT_EQ(-EBUSY, luo_open());
	ASSERT_EQ(0, close(self->fd));
	self->fd = luo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-EBUSY, luo_open());
}

TEST_F(api, sessions_outlive_the_device_fd)
{
	__u8 name[NAME_LEN];
	int s, fd;

	s = new_session(_metadata, self->fd, "outlives");
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	ASSERT_EQ(0, get_name_raw(s, name));
	ASSERT_STREQ("outlives", (char *)name);
	fd = new_test_file(_metadata, 1);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));

	self->fd = luo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-EEXIST, luo_create_session(self->fd, "outlives"));
}

TEST_F(api, create_duplicate_session)
{
	int s = new_session(_metadata, self->fd, "duplicate");

	ASSERT_EQ(-EEXIST, luo_create_session(self->fd, "duplicate"));
	ASSERT_EQ(-EEXIST, luo_create_session(self->fd, "duplicate"));
	close(s);
}

TEST_F(api, name_ends_at_its_nul)
{
	__u8 a[NAME_LEN] = "padded", b[NAME_LEN] = "padded", got[NAME_LEN];
	int s;

	/* What follows the NUL is not part of the name. */
	memset(a + 7, 'x', NAME_LEN - 7);
	memset(b + 7, 'y', NAME_LEN - 7);
	s = create_raw(self->fd, a);
	ASSERT_LE(0, s);
	ASSERT_EQ(-EEXIST, create_raw(self->fd, b));
	ASSERT_EQ(-EEXIST, luo_create_session(self->fd, "padded"));
	ASSERT_EQ(0, get_name_raw(s, got));
	ASSERT_EQ(0, memcmp("padded", got, 7));
	ASSERT_EQ(0, got[NAME_LEN - 1]);
	close(s);
	s = create_raw(self->fd, b);
	ASSERT_LE(0, s);
	close(s);
}

TEST_F(api, create_distinct_sessions)
{
	__u8 name[NAME_LEN];
	int a, b;

	a = new_session(_metadata, self->fd, "distinct-a");
	b = new_session(_metadata, self->fd, "distinct-b");
	ASSERT_NE(a, b);
	ASSERT_EQ(0, get_name_raw(a, name));
	ASSERT_STREQ("distinct-a", (char *)name);
	ASSERT_EQ(0, get_name_raw(b, name));
	ASSERT_STREQ("distinct-b", (char *)name);
}

TEST_F(api, name_free_after_close)
{
	int s = new_session(_metadata, self->fd, "reused");

	ASSERT_EQ(0, close(s));
	s = new_session(_metadata, self->fd, "reused");
	ASSERT_EQ(-EEXIST, luo_create_session(self->fd, "reused"));
	ASSERT_EQ(0, close(s));
	s = new_session(_metadata, self->fd, "reused");
	close(s);
}

TEST_F(api, create_empty_name)
{
	__u8 name[NAME_LEN] = { };

	ASSERT_EQ(-EINVAL, create_raw(self->fd, name));
	/* What follows the NUL does not make a name. */
	memset(name + 1, 'x', NAME_LEN - 1);
	ASSERT_EQ(-EINVAL, create_raw(self->fd, name));
}

TEST_F(api, create_unterminated_name)
{
	__u8 name[NAME_LEN];

	memset(name, 'u', sizeof(name));
	ASSERT_EQ(-EINVAL, create_raw(self->fd, name));
	long_name(name, NAME_LEN);
	ASSERT_EQ(-EINVAL, create_raw(self->fd, name));
}

TEST_F(api, create_max_length_name)
{
	__u8 name[NAME_LEN];
	int s;

	long_name(name, NAME_LEN - 1);
	s = create_raw(self->fd, name);
	ASSERT_LE(0, s) TH_LOG("a 63-byte name: %s", strerror(-s));
	ASSERT_EQ(-EEXIST, create_raw(self->fd, name));
	close(s);
}

TEST_F(api, get_name)
{
	__u8 want[NAME_LEN] = "get-name", got[NAME_LEN];
	int s = new_session(_metadata, self->fd, "get-name");

	ASSERT_EQ(0, get_name_raw(s, got));
	ASSERT_EQ(0, memcmp(want, got, NAME_LEN));
	/* A longer name that starts with it is another session's. */
	close(new_session(_metadata, self->fd, "get-name-longer"));
	ASSERT_EQ(0, get_name_raw(s, got));
	ASSERT_EQ(0, memcmp(want, got, NAME_LEN));
}

TEST_F(api, get_name_max_length)
{
	__u8 want[NAME_LEN], got[NAME_LEN];
	int s;

	long_name(want, NAME_LEN - 1);
	s = create_raw(self->fd, want);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, get_name_raw(s, got));
	ASSERT_EQ(0, memcmp(want, got, NAME_LEN));
	ASSERT_EQ(0, got[NAME_LEN - 1]);
}

TEST_F(api, get_name_reserved)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };
	int s = new_session(_metadata, self->fd, "reserved");

	arg.reserved = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg));
	arg.reserved = 0x80000000;
	ASSERT_EQ(-EINVAL, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg));
	arg.reserved = 0;
	ASSERT_EQ(0, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg));
	ASSERT_STREQ("reserved", (char *)arg.name);
}

TEST_F(api, session_fd_flags)
{
	char link[64], want[NAME_LEN + 32];
	ssize_t n;
	int s, flags;

	s = new_session(_metadata, self->fd, "flags");
	flags = fcntl(s, F_GETFD);
	ASSERT_LE(0, flags);
	ASSERT_EQ(FD_CLOEXEC, flags & FD_CLOEXEC);
	flags = fcntl(s, F_GETFL);
	ASSERT_LE(0, flags);
	ASSERT_EQ(O_RDWR, flags & O_ACCMODE);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
	n = readlink(link, want, sizeof(want) - 1);
	ASSERT_LT(0, n) TH_LOG("readlink %s: %s", link, strerror(errno));
	want[n] = 0;
	ASSERT_STREQ("anon_inode:[luo_session] flags", want);
}

/*
 * anon_inodefs' link text has to fit in 64 bytes: before session files
 * had a file system of their own, names of 39 bytes and more made
 * readlink() fail with ENAMETOOLONG.
 */
TEST_F(api, session_link_every_length)
{
	char link[64], got[NAME_LEN + 64], want[NAME_LEN + 64];
	__u8 name[NAME_LEN];
	struct statfs sfs;
	size_t len;
	ssize_t n;
	int s;

	for (len = 1; len < NAME_LEN; len++) {
		long_name(name, len);
		s = create_raw(self->fd, name);
		ASSERT_LE(0, s) TH_LOG("a %zu-byte name: %s", len, strerror(-s));
		snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
		n = readlink(link, got, sizeof(got) - 1);
		ASSERT_LT(0, n) TH_LOG("readlink of a %zu-byte name: %s", len,
				       strerror(errno));
		got[n] = 0;
		snprintf(want, sizeof(want), "anon_inode:[luo_session] %s",
			 (char *)name);
		ASSERT_STREQ(want, got);
		/* Still an anonymous inode for tools that look at f_type. */
		ASSERT_EQ(0, fstatfs(s, &sfs));
		ASSERT_EQ(ANON_INODE_FS_MAGIC, sfs.f_type);
		ASSERT_EQ(0, close(s));
	}
}

TEST_F(api, preserve_test_file)
{
	long long preserves = knob(_metadata, "preserves");
	long long unpreserves = knob(_metadata, "unpreserves");
	uint64_t value = 0;
	int s, fd;

	s = new_session(_metadata, self->fd, "preserve");
	fd = new_test_file(_metadata, 0x1a2b3c4d5e6f);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 0x1a));
	ASSERT_EQ(preserves + 1, knob(_metadata, "preserves"));

	/* Still an ordinary file for its owner. */
	ASSERT_EQ(0, luo_test_value(fd, &value));
	ASSERT_EQ(0x1a2b3c4d5e6fULL, value);
	ASSERT_EQ(0, luo_test_set_value(fd, 0xfeedface));
	ASSERT_EQ(0, luo_test_value(fd, &value));
	ASSERT_EQ(0xfeedfaceULL, value);

	ASSERT_EQ(unpreserves, knob(_metadata, "unpreserves"));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(unpreserves + 1, knob(_metadata, "unpreserves"));
	ASSERT_EQ(0, luo_test_value(fd, &value));
	ASSERT_EQ(0xfeedfaceULL, value);
}

TEST_F(api, preserve_several_files)
{
	int s, t, fd[4], i;
	uint64_t value;

	s = new_session(_metadata, self->fd, "several-1");
	t = new_session(_metadata, self->fd, "several-2");
	for (i = 0; i < 4; i++) {
		fd[i] = new_test_file(_metadata, 100 + i);
		ASSERT_EQ(0, luo_preserve_fd(i < 2 ? s : t, fd[i], 0x1001 + i));
	}
	/* Tokens are per session. */
	fd[0] = new_test_file(_metadata, 7);
	ASSERT_EQ(0, luo_preserve_fd(t, fd[0], 0x1001));
	ASSERT_EQ(0, luo_test_value(fd[3], &value));
	ASSERT_EQ(103ULL, value);
}

TEST_F(api, preserve_unsupported_fd)
{
	int s, other, null_fd, pipe_fd[2];

	s = new_session(_metadata, self->fd, "unsupported");
	other = new_session(_metadata, self->fd, "unsupported-other");
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	ASSERT_EQ(0, pipe2(pipe_fd, O_CLOEXEC));

	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, null_fd, 1));
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, pipe_fd[0], 2));
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, pipe_fd[1], 3));
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, self->fd, 4));
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, other, 5));
	ASSERT_EQ(-ENOENT, luo_preserve_fd(s, s, 6));
	/* Nothing of the refusals stayed: the tokens are free. */
	ASSERT_EQ(0, luo_preserve_fd(s, new_test_file(_metadata, 1), 1));
}

TEST_F(api, preserve_bad_fd)
{
	int s = new_session(_metadata, self->fd, "bad-fd");
	/* Valid a moment ago, closed now. */
	int gone = lowest_free_fd();

	ASSERT_LE(0, gone);
	ASSERT_EQ(-EBADF, luo_preserve_fd(s, -1, 1));
	ASSERT_EQ(-EBADF, luo_preserve_fd(s, gone, 2));
	ASSERT_EQ(-EBADF, luo_preserve_fd(s, 0x7fffffff, 3));
	ASSERT_EQ(0, luo_preserve_fd(s, new_test_file(_metadata, 1), 1));
	/* A token in use is refused before the descriptor is looked at. */
	ASSERT_EQ(-EEXIST, luo_preserve_fd(s, -1, 1));
}

TEST_F(api, preserve_duplicate_token)
{
	int s, a, b;

	s = new_session(_metadata, self->fd, "duplicate-token");
	a = new_test_file(_metadata, 1);
	b = new_test_file(_metadata, 2);
	ASSERT_EQ(0, luo_preserve_fd(s, a, 42));
	ASSERT_EQ(-EEXIST, luo_preserve_fd(s, b, 42));
	ASSERT_EQ(-EEXIST, luo_preserve_fd(s, a, 42));
	/* The refused file was not preserved. */
	ASSERT_EQ(0, luo_preserve_fd(s, b, 43));
}

TEST_F(api, prevent_double_preservation)
{
	int s, t, fd, dup_fd;

	s = new_session(_metadata, self->fd, "double-1");
	t = new_session(_metadata, self->fd, "double-2");
	fd = new_test_file(_metadata, 5);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, fd, 1));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, fd, 2));
	/* The same file through another descriptor is the same file. */
	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, dup_fd, 2));
	/* Neither refusal took the token. */
	ASSERT_EQ(0, luo_preserve_fd(s, new_test_file(_metadata, 6), 2));
	ASSERT_EQ(0, luo_preserve_fd(t, new_test_file(_metadata, 7), 1));
}

TEST_F(api, preserve_again_after_close)
{
	long long unpreserves = knob(_metadata, "unpreserves");
	int s, t, fd;

	s = new_session(_metadata, self->fd, "again-1");
	t = new_session(_metadata, self->fd, "again-2");
	fd = new_test_file(_metadata, 9);
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(t, fd, 1));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(unpreserves + 1, knob(_metadata, "unpreserves"));
	ASSERT_EQ(0, luo_preserve_fd(t, fd, 1));

	/* And in a new session of the closed one's name. */
	ASSERT_EQ(0, close(t));
	s = new_session(_metadata, self->fd, "again-1");
	ASSERT_EQ(0, luo_preserve_fd(s, fd, 1));
	ASSERT_EQ(unpreserves + 2, knob(_metadata, "unpreserves"));
}

TEST_F(api, incoming_only_ioctls)
{
	int s = new_session(_metadata, self->fd, "outgoing");
	int fd = new_test_file(_metadata, 3);

	ASSERT_EQ(0, luo_preserve_fd(s, fd, 3));
	ASSERT_EQ(-EINVAL, luo_retrieve_fd(s, 3));
	ASSERT_EQ(-EINVAL, luo_retrieve_fd(s, 4));
	ASSERT_EQ(-EINVAL, luo_finish(s));
	/* The session is intact. */
	ASSERT_EQ(-EEXIST, luo_preserve_fd(s, fd, 3));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, fd, 4));
}

TEST_F(api, retrieve_unknown_session)
{
	struct liveupdate_ioctl_retrieve_session arg = {
		.size = sizeof(arg),
		.fd = -1,
	};
	__u8 name[NAME_LEN];

	ASSERT_EQ(-ENOENT, luo_retrieve_session(self->fd, "unknown"));
	/* Outgoing sessions are not retrievable. */
	new_session(_metadata, self->fd, "outgoing-only");
	ASSERT_EQ(-ENOENT, luo_retrieve_session(self->fd, "outgoing-only"));
	long_name(name, NAME_LEN - 1);
	ASSERT_EQ(-ENOENT, luo_retrieve_session(self->fd, (char *)name));
	/* Names are only compared: no EINVAL for malformed ones. */
	ASSERT_EQ(-ENOENT, luo_retrieve_session(self->fd, ""));
	memset(arg.name, 'r', sizeof(arg.name));
	ASSERT_EQ(-ENOENT, raw_ioctl(self->fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
				     &arg));
}

/*
 * The size rule of one ioctl: every size below @min is EINVAL; sizes
 * above @len with a non-zero tail byte are @big (E2BIG unless an earlier
 * check refuses); then @arg is issued with a zero tail and the result is
 * returned (the reply is in @arg).
 */
static int check_sizes(struct __test_metadata *_metadata, int fd,
		       unsigned long cmd, void *arg, size_t len, size_t min,
		       int big)
{
	static const size_t larger[] = { 1, 4, 8, 64, ARG_MAX };
	size_t i, size;

	for (size = 0; size < min; size++)
		ASSERT_EQ(-EINVAL, sized_ioctl(fd, cmd, arg, len, size,
					       NO_POISON))
			TH_LOG("size %zu below the minimum %zu", size, min);
	for (i = 0; i < ARRAY_SIZE(larger); i++) {
		size = larger[i] < ARG_MAX ? len + larger[i] : ARG_MAX;
		/* The first and the last byte of the tail. */
		ASSERT_EQ(big, sized_ioctl(fd, cmd, arg, len, size, len))
			TH_LOG("size %zu, tail byte %zu set", size, len);
		ASSERT_EQ(big, sized_ioctl(fd, cmd, arg, len, size, size - 1))
			TH_LOG("size %zu, tail byte %zu set", size, size - 1);
	}
	return sized_ioctl(fd, cmd, arg, len, len + 8, NO_POISON);
}

TEST_F(api, create_session_size)
{
	struct liveupdate_ioctl_create_session arg = { .fd = -1 };
	__u8 name[NAME_LEN];
	int ret;

	snprintf((char *)arg.name, sizeof(arg.name), "sized");
	ret = check_sizes(_metadata, self->fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
			  &arg, sizeof(arg), sizeof(arg), -E2BIG);
	/* Accepted, so no refused call before created a session. */
	ASSERT_EQ(0, ret) TH_LOG("a zero tail: %s", strerror(-ret));
	ASSERT_LE(0, arg.fd);
	ASSERT_EQ(0, get_name_raw(arg.fd, name));
	ASSERT_STREQ("sized", (char *)name);
	ASSERT_EQ(-EEXIST, sized_ioctl(self->fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
				       &arg, sizeof(arg), ARG_MAX, NO_POISON));
	snprintf((char *)arg.name, sizeof(arg.name), "sized-max");
	ASSERT_EQ(0, sized_ioctl(self->fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
				 &arg, sizeof(arg), ARG_MAX, NO_POISON));
	ASSERT_EQ(0, get_name_raw(arg.fd, name));
	ASSERT_STREQ("sized-max", (char *)name);
}

TEST_F(api, retrieve_session_size)
{
	struct liveupdate_ioctl_retrieve_session arg = { .fd = -1 };

	snprintf((char *)arg.name, sizeof(arg.name), "sized");
	/* Accepted, and then there is no such session. */
	ASSERT_EQ(-ENOENT, check_sizes(_metadata, self->fd,
				       LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &arg,
				       sizeof(arg), sizeof(arg), -E2BIG));
}

TEST_F(api, preserve_fd_size)
{
	struct liveupdate_session_preserve_fd arg = { .token = 77 };
	int s = new_session(_metadata, self->fd, "preserve-size");
	int ret;

	arg.fd = new_test_file(_metadata, 77);
	ret = check_sizes(_metadata, s, LIVEUPDATE_SESSION_PRESERVE_FD, &arg,
			  sizeof(arg), sizeof(arg), -E2BIG);
	/* Accepted, so no refused call before preserved the file. */
	ASSERT_EQ(0, ret) TH_LOG("a zero tail: %s", strerror(-ret));
	ASSERT_EQ(-EEXIST, luo_preserve_fd(s, arg.fd, 77));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, arg.fd, 78));
}

/*
 * On an outgoing session the session kind is checked before the size:
 * every malformed size is EINVAL, like a well-formed call.
 */
TEST_F(api, retrieve_fd_size)
{
	struct liveupdate_session_retrieve_fd arg = { .fd = -1, .token = 1 };
	int s = new_session(_metadata, self->fd, "retrieve-fd-size");

	ASSERT_EQ(-EINVAL, check_sizes(_metadata, s,
				       LIVEUPDATE_SESSION_RETRIEVE_FD, &arg,
				       sizeof(arg), sizeof(arg), -EINVAL));
}

TEST_F(api, finish_size)
{
	struct liveupdate_session_finish arg = { };
	int s = new_session(_metadata, self->fd, "finish-size");

	ASSERT_EQ(-EINVAL, check_sizes(_metadata, s, LIVEUPDATE_SESSION_FINISH,
				       &arg, sizeof(arg), sizeof(arg), -EINVAL));
}

TEST_F(api, get_name_size)
{
	struct liveupdate_session_get_name arg = { };
	int s = new_session(_metadata, self->fd, "get-name-size");
	int ret;

	ret = check_sizes(_metadata, s, LIVEUPDATE_SESSION_GET_NAME, &arg,
			  sizeof(arg), sizeof(arg), -E2BIG);
	ASSERT_EQ(0, ret) TH_LOG("a zero tail: %s", strerror(-ret));
	ASSERT_STREQ("get-name-size", (char *)arg.name);
}

/* Argument pointers the kernel cannot read: NULL, and unmapped memory. */
TEST_F(api, bad_pointer)
{
	static const unsigned long dev_cmds[] = {
		LIVEUPDATE_IOCTL_CREATE_SESSION,
		LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
	};
	static const unsigned long session_cmds[] = {
		LIVEUPDATE_SESSION_PRESERVE_FD,
		LIVEUPDATE_SESSION_RETRIEVE_FD,
		LIVEUPDATE_SESSION_FINISH,
		LIVEUPDATE_SESSION_GET_NAME,
	};
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = guarded_page();
	int s = new_session(_metadata, self->fd, "bad-pointer");
	__u32 *size;
	size_t i;

	ASSERT_NE(NULL, p);
	for (i = 0; i < ARRAY_SIZE(dev_cmds); i++) {
		ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, dev_cmds[i], NULL));
		ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, dev_cmds[i], p + page));
	}
	/* Also where the session kind would refuse: the size comes first. */
	for (i = 0; i < ARRAY_SIZE(session_cmds); i++) {
		ASSERT_EQ(-EFAULT, raw_ioctl(s, session_cmds[i], NULL));
		ASSERT_EQ(-EFAULT, raw_ioctl(s, session_cmds[i], p + page));
	}

	/* The size is readable, the rest of the argument is not. */
	size = (__u32 *)(p + page - 8);
	*size = sizeof(struct liveupdate_ioctl_create_session);
	ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
				     size));
	ASSERT_EQ(-EFAULT, raw_ioctl(self->fd,
				     LIVEUPDATE_IOCTL_RETRIEVE_SESSION, size));
	*size = sizeof(struct liveupdate_session_preserve_fd);
	ASSERT_EQ(-EFAULT, raw_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, size));
	*size = sizeof(struct liveupdate_session_get_name);
	ASSERT_EQ(-EFAULT, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, size));
	/* A larger argument whose tail, to be checked for zeros, is not. */
	size = (__u32 *)(p + page - sizeof(struct liveupdate_session_get_name));
	*size = sizeof(struct liveupdate_session_get_name) + 8;
	ASSERT_EQ(-EFAULT, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, size));
	size = (__u32 *)(p + page - sizeof(struct liveupdate_session_preserve_fd));
	*size = sizeof(struct liveupdate_session_preserve_fd) + 8;
	ASSERT_EQ(-EFAULT, raw_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, size));
	/* The kind of session is checked before the argument is read. */
	size = (__u32 *)(p + page - sizeof(*size));
	*size = sizeof(struct liveupdate_session_finish);
	ASSERT_EQ(-EINVAL, raw_ioctl(s, LIVEUPDATE_SESSION_FINISH, size));
	*size = sizeof(struct liveupdate_session_retrieve_fd);
	ASSERT_EQ(-EINVAL, raw_ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, size));
	munmap(p, 2 * page);
}

/* The call succeeds but its reply cannot be written back. */
TEST_F(api, reply_fault)
{
	long long unpreserves = knob(_metadata, "unpreserves");
	struct liveupdate_ioctl_create_session *create;
	struct liveupdate_session_preserve_fd *preserve;
	struct liveupdate_session_get_name *get_name;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = guarded_page();
	int s, fd, next_fd;

	ASSERT_NE(NULL, p);
	s = new_session(_metadata, self->fd, "reply-fault");
	fd = new_test_file(_metadata, 11);

	create = (void *)p;
	*create = (struct liveupdate_ioctl_create_session) {
		.size = sizeof(*create),
		.fd = -1,
		.name = "unreplied",
	};
	preserve = (void *)(p + 128);
	*preserve = (struct liveupdate_session_preserve_fd) {
		.size = sizeof(*preserve),
		.fd = fd,
		.token = 11,
	};
	get_name = (void *)(p + 256);
	*get_name = (struct liveupdate_session_get_name) {
		.size = sizeof(*get_name),
	};
	ASSERT_EQ(0, mprotect(p, page, PROT_READ));

	/* A session whose descriptor cannot be reported is not created. */
	next_fd = lowest_free_fd();
	ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
				     create));
	ASSERT_EQ(next_fd, lowest_free_fd());
	close(new_session(_metadata, self->fd, "unreplied"));

	ASSERT_EQ(-EFAULT, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, get_name));

	/* A file whose reply failed stays preserved. */
	ASSERT_EQ(-EFAULT, raw_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD,
				     preserve));
	ASSERT_EQ(-EEXIST, luo_preserve_fd(s, fd, 11));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(s, fd, 12));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(unpreserves + 1, knob(_metadata, "unpreserves"));
	munmap(p, 2 * page);
}

/* ioctl numbers: outside the table EINVAL, wrong other bits ENOTTY. */
TEST_F(api, device_ioctl_numbers)
{
	struct liveupdate_ioctl_create_session arg = {
		.size = sizeof(arg),
		.fd = -1,
		.name = "numbers",
	};
	static const unsigned long outside[] = {
		_IO(LIVEUPDATE_IOCTL_TYPE, 0x02),
		_IO(LIVEUPDATE_IOCTL_TYPE, 0x3f),
		_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD),
		_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME),
		_IO(LIVEUPDATE_IOCTL_TYPE, 0xff),
		_IO(0xbb, 0x02),
	};
	static const unsigned long mismatch[] = {
		_IOW(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION,
		     struct liveupdate_ioctl_create_session),
		_IOR(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION,
		     struct liveupdate_ioctl_create_session),
		_IOWR(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION,
		      struct liveupdate_ioctl_create_session),
		_IOC(_IOC_NONE, LIVEUPDATE_IOCTL_TYPE,
		     LIVEUPDATE_CMD_CREATE_SESSION,
		     sizeof(struct liveupdate_ioctl_create_session)),
		_IOWR(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION,
		      struct liveupdate_ioctl_retrieve_session),
		_IO(0xbb, LIVEUPDATE_CMD_CREATE_SESSION),
		_IO(0xbb, LIVEUPDATE_CMD_RETRIEVE_SESSION),
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(outside); i++)
		ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, outside[i], &arg))
			TH_LOG("ioctl %#lx", outside[i]);
	for (i = 0; i < ARRAY_SIZE(mismatch); i++) {
		ASSERT_EQ(-ENOTTY, raw_ioctl(self->fd, mismatch[i], &arg))
			TH_LOG("ioctl %#lx", mismatch[i]);
		/* The argument is read before the number is compared. */
		ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, mismatch[i], NULL))
			TH_LOG("ioctl %#lx", mismatch[i]);
	}
	/* None of them created the session. */
	close(new_session(_metadata, self->fd, "numbers"));
}

TEST_F(api, session_ioctl_numbers)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };
	static const unsigned long outside[] = {
		_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION),
		_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION),
		_IO(LIVEUPDATE_IOCTL_TYPE, 0x3f),
		_IO(LIVEUPDATE_IOCTL_TYPE, 0x44),
		_IO(LIVEUPDATE_IOCTL_TYPE, 0x7f),
		_IO(LIVEUPDATE_IOCTL_TYPE, 0xff),
		_IO(0xbb, 0x44),
	};
	static const unsigned long mismatch[] = {
		_IOW(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD,
		     struct liveupdate_session_preserve_fd),
		_IOWR(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME,
		      struct liveupdate_session_get_name),
		_IOR(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME,
		     struct liveupdate_session_get_name),
		_IOC(_IOC_NONE, LIVEUPDATE_IOCTL_TYPE,
		     LIVEUPDATE_CMD_SESSION_GET_NAME,
		     sizeof(struct liveupdate_session_get_name)),
		/* Compared before the session kind is. */
		_IOWR(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_RETRIEVE_FD,
		      struct liveupdate_session_retrieve_fd),
		_IOW(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_FINISH,
		     struct liveupdate_session_finish),
		_IO(0xbb, LIVEUPDATE_CMD_SESSION_GET_NAME),
	};
	int s = new_session(_metadata, self->fd, "session-numbers");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(outside); i++)
		ASSERT_EQ(-EINVAL, raw_ioctl(s, outside[i], &arg))
			TH_LOG("ioctl %#lx", outside[i]);
	for (i = 0; i < ARRAY_SIZE(mismatch); i++) {
		ASSERT_EQ(-ENOTTY, raw_ioctl(s, mismatch[i], &arg))
			TH_LOG("ioctl %#lx", mismatch[i]);
		ASSERT_EQ(-EFAULT, raw_ioctl(s, mismatch[i], NULL))
			TH_LOG("ioctl %#lx", mismatch[i]);
	}
	ASSERT_EQ(0, raw_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg));
	ASSERT_STREQ("session-numbers", (char *)arg.name);
}

TEST_F_TIMEOUT(api, many_sessions, 300)
{
	static int fds[MANY_SESSIONS];
	char name[NAME_LEN];
	int round, i;

	if (luo_ensure_nofile(MANY_SESSIONS + 64))
		SKIP(return, "cannot raise RLIMIT_NOFILE to %d",
		     MANY_SESSIONS + 64);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < MANY_SESSIONS; i++) {
			snprintf(name, sizeof(name), "many-sessions-%d", i);
			fds[i] = luo_create_session(self->fd, name);
			ASSERT_LE(0, fds[i]) TH_LOG("round %d, session %d: %s",
						    round, i, strerror(-fds[i]));
		}
		ASSERT_EQ(-EEXIST, luo_create_session(self->fd,
						      "many-sessions-1999"));
		for (i = 0; i < MANY_SESSIONS; i++)
			ASSERT_EQ(0, close(fds[i]));
	}
}

TEST_F_TIMEOUT(api, many_files, 300)
{
	static int fds[MANY_FILES];
	long long preserves, unpreserves;
	uint64_t value;
	int s, i;

	if (luo_ensure_nofile(MANY_FILES + 64))
		SKIP(return, "cannot raise RLIMIT_NOFILE to %d",
		     MANY_FILES + 64);
	preserves = knob(_metadata, "preserves");
	unpreserves = knob(_metadata, "unpreserves");
	s = new_session(_metadata, self->fd, "many-files");
	for (i = 0; i < MANY_FILES; i++) {
		fds[i] = new_test_file(_metadata, 0x5000 + i);
		ASSERT_EQ(0, luo_preserve_fd(s, fds[i], i))
			TH_LOG("file %d", i);
	}
	ASSERT_EQ(preserves + MANY_FILES, knob(_metadata, "preserves"));
	for (i = 0; i < MANY_FILES; i++) {
		ASSERT_EQ(0, luo_test_value(fds[i], &value));
		ASSERT_EQ(0x5000ULL + i, value);
	}
	ASSERT_EQ(unpreserves, knob(_metadata, "unpreserves"));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(unpreserves + MANY_FILES, knob(_metadata, "unpreserves"));
}

/* Without the device the whole program is skipped, as kselftest expects. */
int main(int argc, char **argv)
{
	if (access(LUO_DEVICE, F_OK))
		ksft_exit_skip("%s does not exist: LUO is off\n", LUO_DEVICE);
	return test_harness_run(argc, argv);
}
