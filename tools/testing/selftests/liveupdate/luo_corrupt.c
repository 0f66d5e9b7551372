// SPDX-License-Identifier: GPL-2.0
/*
 * luo_corrupt: the next kernel refuses handed-over state it cannot trust
 * at the narrowest scope that is safe, with an error line each, a status
 * in debugfs and no panic.
 *
 * 1. cold boot: sessions good-a and good-b (one file each) and three
 *    sessions the test file type's "corrupt" switch (1) damages after the
 *    state is written: bad-count (a count one more than its records),
 *    bad-chain (records in memory never preserved), bad-handler (a file of
 *    a handler nobody registers); test FLB 0's record loses its count;
 * 2. only the bad sessions and FLB 0 are refused: the good sessions and
 *    FLBs 1 and 2 come back whole; then a session g2 is preserved and the
 *    switch (2) gives the whole state a foreign compatible string;
 * 3. all of LUO's state is refused: no session, no FLB, /dev/liveupdate
 *    works for new sessions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "kho_util.h"
#include "luo_util.h"

#define REFUSED_ROOT	"its compatible string is not \"luo-state-v1-kho-block-v1\""
#define REFUSED_FLB	"FLB record 0 refused: its count of dependent files is impossible"

static const char *const bad_sessions[] = {
	"bad-count", "bad-chain", "bad-handler",
};

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fds[8];

/* 0 if the LUO status file has the line @want. */
static int status_has(const char *want)
{
	return kt_expect(want, luo_status_has(want), 1);
}

static int logged(const char *line)
{
	return kho_log_has(line) == 1 ? 0 :
	       kt_fail("the kernel log lacks \"%s\"", line);
}

static int session_with_file(int i, const char *name, uint64_t value)
{
	int file;

	session_fds[i] = luo_create_session(luo_fd, name);
	if (session_fds[i] < 0)
		return kt_fail("CREATE_SESSION %s: %s", name,
			       strerror(-session_fds[i]));
	file = luo_test_file(value);
	if (file < 0 || luo_preserve_fd(session_fds[i], file, 1))
		return kt_fail("PRESERVE_FD in %s", name);
	/* bad-count and bad-handler get a second file. */
	if (value >= 0x100) {
		int second = luo_test_file(value + 1);

		if (second < 0 || luo_preserve_fd(session_fds[i], second, 2))
			return kt_fail("second PRESERVE_FD in %s", name);
	}
	return 0;
}

static int open_device(void)
{
	luo_fd = luo_open();
	return kt_expect("open " LUO_DEVICE, luo_fd < 0 ? luo_fd : 0, 0);
}

static int generation_1(void)
{
	unsigned int i;

	if (open_device() || session_with_file(0, "good-a", 0xa) ||
	    session_with_file(1, "good-b", 0xb))
		return -1;
	for (i = 0; i < ARRAY_SIZE(bad_sessions); i++)
		if (session_with_file(2 + i, bad_sessions[i], 0x100 * (i + 1)))
			return -1;
	if (luo_test_set_knob("corrupt", 1))
		return kt_fail("cannot arm the corruption");
	return 0;
}

static int good_session(const char *name, uint64_t value)
{
	uint64_t got = 0;
	int fd, file;

	fd = luo_retrieve_session(luo_fd, name);
	if (fd < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", name, strerror(-fd));
	file = luo_retrieve_fd(fd, 1);
	if (file < 0 || luo_test_value(file, &got) || got != value)
		return kt_fail("%s's file: %d, %#llx", name, file,
			       (unsigned long long)got);
	close(file);
	if (luo_finish(fd))
		return kt_fail("FINISH %s", name);
	close(fd);
	return 0;
}

static int generation_2(void)
{
	char line[128];
	unsigned int i;
	int file;

	if (logged("liveupdate: " REFUSED_FLB) ||
	    status_has("state: received") ||
	    status_has("flbs: 2 received, 1 refused") ||
	    kt_expect("FLBs found early", luo_test_knob("flb_early"), 2) ||
	    kt_expect("flb_errors", luo_test_knob("flb_errors"), 0))
		return -1;
	if (open_device() || status_has("sessions: 2 received, 3 refused"))
		return -1;
	for (i = 0; i < ARRAY_SIZE(bad_sessions); i++) {
		snprintf(line, sizeof(line),
			 "liveupdate: session '%s' is refused; %s",
			 bad_sessions[i], "its files stay preserved");
		if (logged(line) ||
		    kt_expect(bad_sessions[i],
			      luo_retrieve_session(luo_fd, bad_sessions[i]),
			      -ENOENT))
			return -1;
	}
	if (logged("liveupdate: the file count disagrees with the records") ||
	    logged("liveupdate: the file records are corrupted") ||
	    logged("liveupdate: a file has no registered handler"))
		return -1;
	if (good_session("good-a", 0xa) || good_session("good-b", 0xb))
		return -1;

	session_fds[0] = luo_create_session(luo_fd, "g2");
	file = luo_test_file(0x2);
	if (session_fds[0] < 0 || file < 0 ||
	    luo_preserve_fd(session_fds[0], file, 1) ||
	    luo_test_set_knob("corrupt", 2))
		return kt_fail("cannot set up g2");
	return 0;
}

static int generation_3(void)
{
	int fd;

	if (logged("liveupdate: refusing the previous kernel's state: " REFUSED_ROOT) ||
	    status_has("state: refused: " REFUSED_ROOT) ||
	    kt_expect("FLBs found early", luo_test_knob("flb_early"), 0))
		return -1;
	if (open_device() ||
	    kt_expect("RETRIEVE_SESSION g2", luo_retrieve_session(luo_fd, "g2"),
		      -ENOENT))
		return -1;
	fd = luo_create_session(luo_fd, "g3");
	if (fd < 0)
		return kt_fail("CREATE_SESSION after a refusal: %s",
			       strerror(-fd));
	close(fd);
	return 0;
}

static const struct kt_stage stages[] = {
	{ "sessions and an FLB preserved, then corrupted", generation_1 },
	{ "bad sessions and the bad FLB refused, the rest back", generation_2 },
	{ "a foreign LUO state refused as a whole", generation_3 },
};

int main(void)
{
	return kt_main("luo_corrupt", stages, ARRAY_SIZE(stages));
}
