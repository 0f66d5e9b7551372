// SPDX-License-Identifier: GPL-2.0
/*
 * luo_faults: allocation failures injected into the calls of the LUO API.
 *
 * /proc/thread-self/fail-nth makes the N-th allocation of the calling task
 * fail (failslab and fail_page_alloc, set up to fail any allocation,
 * order 0 and sleeping ones included). Each call below is made with
 * N = 1, 2, ... until it no longer reaches the N-th allocation, so that
 * every allocation it makes fails once:
 * 1. CREATE_SESSION: a failure is ENOMEM and leaves the name free;
 *    PRESERVE_FD of a test file (whose first preservation also preserves
 *    the test FLBs) and of memfds: a failure is ENOMEM, leaves the file
 *    not preserved and not frozen, and preserving it again works; every
 *    file that ends up preserved goes to the next kernel;
 * 2. The first open() of /dev/liveupdate, which builds the incoming
 *    sessions: a failure is ENOMEM (it was EIO, for good) and the next
 *    open() goes on; in the end every session is there. RETRIEVE_SESSION:
 *    a failure is ENOMEM and the session can be retrieved again.
 *    RETRIEVE_FD of each memfd fails first at another allocation, then
 *    each retry fails at its 1st, 2nd, ... allocation, going on from what
 *    the failed ones built: every failure is ENOMEM (a failed rebuild was
 *    final, and one in the folio array even gave EINVAL), and every memfd
 *    comes back whole in the end; so do the test files.
 * Under DEBUG=1 kmemleak then checks that no failure leaked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define PAGE		((off_t)MFD_PAGE)
#define MEMFDS		40
#define MEMFD_SIZE	(24 * PAGE)
#define MAX_NTH		4000
#define TEST_VALUE	0xfa017

static int luo_fd, nth_fd, memfd_session, test_session;

static uint64_t seed_of(int token)
{
	return 0x6661756c74ULL << 16 | token;
}

/* The N-th allocation of this task from now on fails; 0: none. */
static int set_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth_fd, buf, len, 0) == len ? 0 : -errno;
}

/* Allocations left before the injected failure: 0 once it happened. */
static long left_nth(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static int write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : kt_fail("%s: %s", path, strerror(errno));
}

static int setup(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (write_knob(knobs[i][0], knobs[i][1]))
			return -1;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		return kt_fail("/proc/thread-self/fail-nth: %s", strerror(errno));
	if (luo_ensure_nofile(4 * MEMFDS + 64))
		return kt_fail("RLIMIT_NOFILE");
	return 0;
}

static int open_luo(void)
{
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	return 0;
}

/*
 * The result of a call made with the @n-th allocation failing: 1 when the
 * call did not get that far (it is done), 0 when the failure was
 * injected and @err is 0 or ENOMEM, -1 (failed) otherwise.
 */
static int judge(const char *what, unsigned int n, int err)
{
	long left = left_nth();

	set_nth(0);
	if (left > 0)
		return err ? kt_fail("%s: %s without an injected failure", what,
				     strerror(-err)) : 1;
	if (err && err != -ENOMEM)
		return kt_fail("%s, allocation %u failing: %s, not ENOMEM", what, n,
			       strerror(-err));
	return 0;
}

static int create_sessions(void)
{
	unsigned int n;
	int s, verdict;

	for (n = 1; n < MAX_NTH; n++) {
		set_nth(n);
		s = luo_create_session(luo_fd, "faults-create");
		verdict = judge("CREATE_SESSION", n, s < 0 ? s : 0);
		if (verdict < 0)
			return -1;
		if (s < 0) {
			/* Nothing of it is left: the name is free. */
			s = luo_create_session(luo_fd, "faults-create");
			if (s < 0)
				return kt_fail("CREATE_SESSION after a failure: %s",
					       strerror(-s));
		}
		close(s);
		if (verdict)
			break;
	}
	kt_diag("CREATE_SESSION: %u allocations, each failed once", n - 1);
	memfd_session = luo_create_session(luo_fd, "faults-memfds");
	test_session = luo_create_session(luo_fd, "faults-test");
	if (memfd_session < 0 || test_session < 0)
		return kt_fail("CREATE_SESSION");
	return 0;
}

/* Preserves @fd, failing each allocation once; preserved in the end. */
static int preserve_with_faults(int session, int fd, uint64_t token,
				unsigned int first, unsigned int *allocs)
{
	unsigned int n;
	int err, verdict;

	for (n = first; n < MAX_NTH; n++) {
		set_nth(n);
		err = luo_preserve_fd(session, fd, token);
		verdict = judge("PRESERVE_FD", n, err);
		if (verdict < 0)
			return -1;
		if (!err) {
			*allocs = n - 1;
			return 0;
		}
		/* Not preserved, not frozen: the size can change and back. */
		if (ftruncate(fd, MEMFD_SIZE + PAGE) || ftruncate(fd, MEMFD_SIZE))
			if (errno != EINVAL)	/* a test file has no size */
				return kt_fail("a refused file stays frozen: %s",
					       strerror(errno));
	}
	return kt_fail("PRESERVE_FD: still failing at allocation %u", n);
}

static int preserve_files(void)
{
	unsigned int allocs = 0, most = 0;
	int fd, token, err;

	/* The first test file also preserves the test FLBs. */
	fd = luo_test_file(TEST_VALUE);
	if (fd < 0)
		return kt_fail("a test file: %s", strerror(-fd));
	if (preserve_with_faults(test_session, fd, 1, 1, &allocs))
		return -1;
	kt_diag("PRESERVE_FD of the first test file: %u allocations, each failed once",
		allocs);

	for (token = 1; token <= MEMFDS; token++) {
		fd = mfd_create("faults", 0, MEMFD_SIZE);
		if (fd < 0)
			return kt_fail("memfd_create: %s", strerror(-fd));
		/* A hole in the middle. */
		err = mfd_write(fd, 0, 8 * PAGE, seed_of(token));
		if (!err)
			err = mfd_write(fd, 16 * PAGE, 8 * PAGE, seed_of(token));
		if (err)
			return kt_fail("writing a memfd: %s", strerror(-err));
		/*
		 * The first memfd sees every allocation fail once, the others
		 * start failing at another one each.
		 */
		if (preserve_with_faults(memfd_session, fd, token, token, &allocs))
			return -1;
		if (token == 1)
			most = allocs;
		close(fd);
	}
	kt_diag("PRESERVE_FD of a memfd: %u allocations, each failed once; %d memfds preserved",
		most, MEMFDS);
	return 0;
}

static int generation_1(void)
{
	return setup() || open_luo() || create_sessions() || preserve_files();
}

/*
 * The first open after the kexec, each attempt failing at its n-th
 * allocation: the sessions are built by the attempts together.
 */
static int open_with_faults(void)
{
	unsigned int n;
	int verdict;

	for (n = 1; n < MAX_NTH; n++) {
		set_nth(n);
		luo_fd = luo_open();
		verdict = judge("the first open", n, luo_fd < 0 ? luo_fd : 0);
		if (verdict < 0)
			return -1;
		if (luo_fd >= 0) {
			kt_diag("first open of %s: built after %u failed attempts",
				LUO_DEVICE, n - 1);
			return 0;
		}
	}
	return kt_fail("the first open: still failing at allocation %u", n);
}

static int retrieve_session(const char *name)
{
	unsigned int n;
	int s, verdict;

	for (n = 1; n < MAX_NTH; n++) {
		set_nth(n);
		s = luo_retrieve_session(luo_fd, name);
		verdict = judge("RETRIEVE_SESSION", n, s < 0 ? s : 0);
		if (verdict < 0)
			return -1;
		if (s >= 0) {
			kt_diag("RETRIEVE_SESSION %s: %u allocations, each failed once",
				name, n - 1);
			return s;
		}
	}
	return kt_fail("RETRIEVE_SESSION: still failing at allocation %u", n);
}

/*
 * RETRIEVE_FD of @token, first failing at allocation @first, then each
 * retry at its 1st, 2nd, ... allocation; *@failed counts the failures.
 */
static int retrieve_with_faults(int token, unsigned int first,
				unsigned int *failed)
{
	unsigned int n = first, retry = 0;
	int fd, verdict;

	while (retry < MAX_NTH) {
		set_nth(n);
		fd = luo_retrieve_fd(memfd_session, token);
		verdict = judge("RETRIEVE_FD", n, fd < 0 ? fd : 0);
		if (verdict < 0)
			return -1;
		if (fd >= 0)
			return fd;
		(*failed)++;
		n = ++retry;
	}
	return kt_fail("RETRIEVE_FD %d: still failing at retry %u", token, retry);
}

static int check_memfd(int token, int fd)
{
	struct stat st;
	off_t bad;
	int err = 0;

	if (fstat(fd, &st) || st.st_size != MEMFD_SIZE)
		return kt_fail("memfd %d: wrong size", token);
	err = mfd_check(fd, 0, 8 * PAGE, seed_of(token), &bad);
	if (!err)
		err = mfd_check(fd, 8 * PAGE, 8 * PAGE, 0, &bad);
	if (!err)
		err = mfd_check(fd, 16 * PAGE, 8 * PAGE, seed_of(token), &bad);
	if (err)
		return kt_fail("memfd %d, byte %lld: %s", token, (long long)bad,
			       err < 0 ? strerror(-err) : "differs");
	return 0;
}

static int generation_2(void)
{
	unsigned int failed, most = 0, total = 0;
	int token, fd, err;
	uint64_t value;

	if (setup() || open_with_faults())
		return -1;
	memfd_session = retrieve_session("faults-memfds");
	test_session = retrieve_session("faults-test");
	if (memfd_session < 0 || test_session < 0)
		return -1;

	for (token = 1; token <= MEMFDS; token++) {
		failed = 0;
		fd = retrieve_with_faults(token, token, &failed);
		if (fd < 0)
			return -1;
		if (check_memfd(token, fd))
			return -1;
		close(fd);
		if (failed > most)
			most = failed;
		total += failed;
	}
	kt_diag("RETRIEVE_FD of %d memfds: %u failures (at most %u for one), all ENOMEM;",
		MEMFDS, total, most);
	kt_diag("  every memfd came back whole");

	fd = luo_retrieve_fd(test_session, 1);
	if (fd < 0 || luo_test_value(fd, &value) || value != TEST_VALUE)
		return kt_fail("the test file did not come back");
	err = luo_finish(memfd_session);
	if (!err)
		err = luo_finish(test_session);
	return err ? kt_fail("FINISH: %s", strerror(-err)) : 0;
}

static const struct kt_stage stages[] = {
	{ "every allocation of CREATE_SESSION and PRESERVE_FD failed once", generation_1 },
	{ "allocations of the first open, RETRIEVE_SESSION and RETRIEVE_FD failed", generation_2 },
};

int main(void)
{
	return kt_main("luo_faults", stages, ARRAY_SIZE(stages));
}
