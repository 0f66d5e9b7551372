// SPDX-License-Identifier: GPL-2.0
/*
 * luo_scale: LUO has no limit on sessions or files, and no cost that grows
 * with them, across three live updates.
 *
 * 1. cold boot: one session with one file ("solo"), 100,000 empty sessions
 *    ("e-NNNNNN"), one session with 100,000 files ("many") and 20,000
 *    sessions with 5 files each ("s-NNNNN"): 120,002 sessions, 200,001
 *    files, every file holding a value of its own;
 * 2. every session comes back but the last of each kind, which are left
 *    unretrieved; every file of the others is retrieved and checked, each
 *    session finished; a new session "g2" goes on;
 * 3. only g2 comes back: sessions left unretrieved are not carried over.
 *
 * Lookups by walking lists made this quadratic: at these counts creating
 * the sessions took minutes and the first open after the kexec stalled
 * RCU, which the harness fails on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "luo_util.h"

#define EMPTY_SESSIONS	100000
#define MANY_FILES	100000
#define SESSIONS	20000
#define FILES_EACH	5

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd;

/* What a file of session @s (a kind and an index) holds, per token. */
static uint64_t value_of(char kind, int s, int token)
{
	return ((uint64_t)kind << 56) | ((uint64_t)s << 16) | token;
}

static int raise_nofile(void)
{
	int err = luo_ensure_nofile(1 << 17);

	return err ? kt_fail("RLIMIT_NOFILE: %s", strerror(-err)) : 0;
}

/* A session @name with @files files, which are closed once preserved. */
static int make_session(const char *name, char kind, int s, int files)
{
	int fd = luo_create_session(luo_fd, name);
	int t;

	if (fd < 0)
		return kt_fail("CREATE_SESSION %s: %s", name, strerror(-fd));
	for (t = 0; t < files; t++) {
		int file = luo_test_file(value_of(kind, s, t));
		int err;

		if (file < 0)
			return kt_fail("test file: %s", strerror(-file));
		err = luo_preserve_fd(fd, file, t);
		close(file);
		if (err)
			return kt_fail("PRESERVE_FD %s/%d: %s", name, t,
				       strerror(-err));
	}
	return 0;
}

/* Retrieves session @name, checks its @files files, finishes it. */
static int check_session(const char *name, char kind, int s, int files)
{
	int fd = luo_retrieve_session(luo_fd, name);
	int t, err;

	if (fd < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", name, strerror(-fd));
	for (t = 0; t < files; t++) {
		int file = luo_retrieve_fd(fd, t);
		uint64_t value = 0;

		if (file < 0)
			return kt_fail("RETRIEVE_FD %s/%d: %s", name, t,
				       strerror(-file));
		if (luo_test_value(file, &value) ||
		    value != value_of(kind, s, t))
			return kt_fail("%s/%d holds %#llx", name, t,
				       (unsigned long long)value);
		close(file);
	}
	err = luo_retrieve_fd(fd, files);
	if (err != -ENOENT)
		return kt_fail("%s has a file too many: %d", name, err);
	err = luo_finish(fd);
	if (err)
		return kt_fail("FINISH %s: %s", name, strerror(-err));
	close(fd);
	return 0;
}

static int absent(const char *name)
{
	int fd = luo_retrieve_session(luo_fd, name);

	if (fd == -ENOENT)
		return 0;
	return kt_fail("RETRIEVE_SESSION %s: %d, expected ENOENT", name, fd);
}

static int open_device(void)
{
	luo_fd = luo_open();
	return kt_expect("open " LUO_DEVICE, luo_fd < 0 ? luo_fd : 0, 0);
}

static int generation_1(void)
{
	char name[32];
	int s;

	if (raise_nofile() || open_device() || make_session("solo", 'o', 0, 1))
		return -1;
	for (s = 0; s < EMPTY_SESSIONS; s++) {
		snprintf(name, sizeof(name), "e-%06d", s);
		if (make_session(name, 'e', s, 0))
			return -1;
	}
	if (make_session("many", 'm', 0, MANY_FILES))
		return -1;
	for (s = 0; s < SESSIONS; s++) {
		snprintf(name, sizeof(name), "s-%05d", s);
		if (make_session(name, 's', s, FILES_EACH))
			return -1;
	}
	if (luo_test_knob("preserves") != 1 + MANY_FILES + SESSIONS * FILES_EACH)
		return kt_fail("preserves: %lld", luo_test_knob("preserves"));
	kt_diag("%d sessions, %d files preserved", 2 + EMPTY_SESSIONS + SESSIONS,
		1 + MANY_FILES + SESSIONS * FILES_EACH);
	return 0;
}

static int generation_2(void)
{
	long long finishes = 1 + MANY_FILES + (SESSIONS - 1) * FILES_EACH;
	char name[32];
	int s, fd;

	if (raise_nofile() || open_device() || check_session("solo", 'o', 0, 1) ||
	    check_session("many", 'm', 0, MANY_FILES))
		return -1;
	for (s = 0; s < EMPTY_SESSIONS - 1; s++) {
		snprintf(name, sizeof(name), "e-%06d", s);
		if (check_session(name, 'e', s, 0))
			return -1;
	}
	for (s = 0; s < SESSIONS - 1; s++) {
		snprintf(name, sizeof(name), "s-%05d", s);
		if (check_session(name, 's', s, FILES_EACH))
			return -1;
	}
	if (luo_test_knob("finishes") != finishes)
		return kt_fail("finishes: %lld, expected %lld",
			       luo_test_knob("finishes"), finishes);
	if (luo_test_knob("retrieves") != finishes)
		return kt_fail("retrieves: %lld", luo_test_knob("retrieves"));
	kt_diag("%d sessions and %lld files checked and finished",
		EMPTY_SESSIONS + SESSIONS, finishes);

	fd = luo_create_session(luo_fd, "g2");
	if (fd < 0)
		return kt_fail("CREATE_SESSION g2: %s", strerror(-fd));
	return 0;
}

static int generation_3(void)
{
	int fd;

	if (open_device() || absent("solo") || absent("e-099999") ||
	    absent("s-19999") || absent("s-00000"))
		return -1;
	fd = luo_retrieve_session(luo_fd, "g2");
	if (fd < 0)
		return kt_fail("RETRIEVE_SESSION g2: %s", strerror(-fd));
	return luo_finish(fd) ? kt_fail("FINISH g2") : 0;
}

static const struct kt_stage stages[] = {
	{ "120,002 sessions with 200,001 files preserved", generation_1 },
	{ "all back but the unretrieved ones, every value checked", generation_2 },
	{ "unretrieved sessions are not carried over", generation_3 },
};

int main(void)
{
	return kt_main("luo_scale", stages, ARRAY_SIZE(stages));
}
