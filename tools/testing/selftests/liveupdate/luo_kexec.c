// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec: sessions and files of the LUO test file type across three
 * live updates, with an aborted one first.
 *
 * 1. cold boot: sessions "alpha" (two files, one changed after it was
 *    preserved), "beta" (one file) and "gamma" (closed again, so given
 *    up); a reboot whose freeze of beta's file fails returns the error and
 *    rolls back the files frozen before it; then the kexec;
 * 2. alpha and beta come back, gamma does not; files come back with their
 *    latest values, retrieves are sticky, unknown names and tokens are
 *    refused; alpha is finished, beta closed without retrieving its file
 *    (an implicit finish); a new session "delta" goes on;
 * 3. only delta comes back, with its file.
 *
 * Every test file depends on the three test FLBs: the first dependent
 * preserved runs their preserve(), the last one given up their
 * unpreserve(); the next kernel finds them at early_initcall, with a
 * generation count one higher each live update, and finishes them when
 * the last dependent file is finished.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/liveupdate.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>

#include "kexec_stage.h"
#include "kho_util.h"
#include "luo_util.h"

#define A1	0x1111
#define A2	0x2222
#define A2_NEW	0x2223
#define B1	0x3333
#define G1	0x4444
#define D1	0x5555

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, alpha_fd, beta_fd, delta_fd;

/* 0 if the LUO status file has the line @want. */
static int status_has(const char *want)
{
	return kt_expect(want, luo_status_has(want), 1);
}

/* 0 if the test FLB counters are @preserves, @unpreserves, ... */
static int flb_counts(long long preserves, long long unpreserves,
		      long long retrieves, long long finishes)
{
	if (kt_expect("flb_preserves", luo_test_knob("flb_preserves"), preserves) ||
	    kt_expect("flb_unpreserves", luo_test_knob("flb_unpreserves"), unpreserves) ||
	    kt_expect("flb_retrieves", luo_test_knob("flb_retrieves"), retrieves) ||
	    kt_expect("flb_finishes", luo_test_knob("flb_finishes"), finishes) ||
	    kt_expect("flb_errors", luo_test_knob("flb_errors"), 0))
		return -1;
	return 0;
}

/*
 * An incoming-only ioctl with argument size @size, @tail set in the byte
 * after the structure; returns 0 or -errno.
 */
static int sized_ioctl(int fd, unsigned long cmd, __u32 size, __u8 tail,
		       __u64 token)
{
	union {
		struct liveupdate_session_retrieve_fd retrieve;
		struct liveupdate_session_finish finish;
		__u8 bytes[64];
	} arg = { };

	arg.retrieve.size = size;
	if (cmd == LIVEUPDATE_SESSION_RETRIEVE_FD) {
		arg.retrieve.token = token;
		arg.bytes[sizeof(arg.retrieve)] = tail;
	} else {
		arg.bytes[sizeof(arg.finish)] = tail;
	}
	if (ioctl(fd, cmd, &arg))
		return -errno;
	if (cmd == LIVEUPDATE_SESSION_RETRIEVE_FD)
		close(arg.retrieve.fd);
	return 0;
}

/* The argument-size rule of the two ioctls only incoming sessions have. */
static int incoming_sizes(int fd)
{
	const unsigned long rfd = LIVEUPDATE_SESSION_RETRIEVE_FD;
	const unsigned long fin = LIVEUPDATE_SESSION_FINISH;

	if (kt_expect("RETRIEVE_FD, size 15", sized_ioctl(fd, rfd, 15, 0, 0x1A), -EINVAL) ||
	    kt_expect("RETRIEVE_FD, size 32, tail set",
		      sized_ioctl(fd, rfd, 32, 1, 0x1A), -E2BIG) ||
	    kt_expect("RETRIEVE_FD, size 32, tail zero", sized_ioctl(fd, rfd, 32, 0, 0x1A), 0) ||
	    kt_expect("FINISH, size 7", sized_ioctl(fd, fin, 7, 0, 0), -EINVAL) ||
	    kt_expect("FINISH, size 16, tail set", sized_ioctl(fd, fin, 16, 1, 0), -E2BIG))
		return -1;
	return 0;
}

/* RETRIEVE_SESSION @name must fail with EMFILE and change nothing. */
static int retrieve_without_fds(const char *name)
{
	struct rlimit old, none;
	int lowest = dup(0), fd;

	if (lowest < 0 || close(lowest) || getrlimit(RLIMIT_NOFILE, &old))
		return kt_fail("rlimit: %s", strerror(errno));
	none = (struct rlimit) { .rlim_cur = lowest, .rlim_max = old.rlim_max };
	if (setrlimit(RLIMIT_NOFILE, &none))
		return kt_fail("rlimit: %s", strerror(errno));
	fd = luo_retrieve_session(luo_fd, name);
	setrlimit(RLIMIT_NOFILE, &old);
	if (kt_expect("RETRIEVE_SESSION without a free descriptor", fd, -EMFILE) ||
	    kt_expect("finishes after it", luo_test_knob("finishes"), 2))
		return -1;
	return 0;
}

static int preserve_value(int session_fd, uint64_t value, uint64_t token)
{
	int fd = luo_test_file(value);

	if (fd < 0)
		return fd;
	return luo_preserve_fd(session_fd, fd, token) ?: fd;
}

static int file_value(int session_fd, uint64_t token, uint64_t want)
{
	uint64_t value = 0;
	int fd = luo_retrieve_fd(session_fd, token);

	if (fd < 0)
		return kt_fail("RETRIEVE_FD %#llx: %s", (unsigned long long)token,
			       strerror(-fd));
	if (luo_test_value(fd, &value) || value != want)
		return kt_fail("file %#llx holds %#llx, expected %#llx",
			       (unsigned long long)token,
			       (unsigned long long)value,
			       (unsigned long long)want);
	close(fd);
	return 0;
}

static int generation_1(void)
{
	int gamma_fd, a2, err;

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	if (kt_expect("second open", luo_open(), -EBUSY))
		return -1;
	if (status_has("state: none"))
		return -1;

	/* One dependent file preserves the FLBs, giving it up unpreserves. */
	gamma_fd = luo_create_session(luo_fd, "gamma");
	if (gamma_fd < 0 || preserve_value(gamma_fd, G1, 1) < 0 ||
	    flb_counts(3, 0, 0, 0))
		return kt_fail("FLBs not preserved with their first dependent");
	close(gamma_fd);
	if (flb_counts(3, 3, 0, 0))
		return -1;

	alpha_fd = luo_create_session(luo_fd, "alpha");
	beta_fd = luo_create_session(luo_fd, "beta");
	gamma_fd = luo_create_session(luo_fd, "gamma");
	if (alpha_fd < 0 || beta_fd < 0 || gamma_fd < 0)
		return kt_fail("CREATE_SESSION: %d %d %d", alpha_fd, beta_fd,
			       gamma_fd);
	a2 = preserve_value(alpha_fd, A2, 0x1B);
	if (preserve_value(alpha_fd, A1, 0x1A) < 0 || a2 < 0 ||
	    preserve_value(beta_fd, B1, 7) < 0 ||
	    preserve_value(gamma_fd, G1, 1) < 0)
		return kt_fail("PRESERVE_FD failed");
	/* Written after PRESERVE_FD: freeze hands over the latest value. */
	if (luo_test_set_value(a2, A2_NEW))
		return kt_fail("writing a preserved file: %s", strerror(errno));
	close(gamma_fd);
	if (kt_expect("unpreserves after closing gamma", luo_test_knob("unpreserves"), 2))
		return -1;
	/* alpha and beta still depend on the FLBs. */
	if (flb_counts(6, 3, 0, 0))
		return -1;

	/* beta's file fails to freeze: the reboot comes back with it. */
	if (luo_test_set_knob("fail_freeze", B1) || kt_load_stage(2))
		return kt_fail("cannot arm the failing freeze");
	err = reboot(RB_KEXEC);
	if (kt_expect("reboot() with a failing freeze", err ? -errno : 0, -EAGAIN))
		return -1;
	if (kt_expect("files frozen before the failure", luo_test_knob("freezes"), 2))
		return -1;
	if (kt_expect("files unfrozen again", luo_test_knob("unfreezes"), 2))
		return -1;
	if (luo_test_set_knob("fail_freeze", 0) || kt_unload_stage())
		return kt_fail("cannot disarm the failing freeze");
	kt_diag("aborted live update rolled back; retrying");
	return 0;
}

static int generation_2(void)
{
	char name[64];
	int fd;

	if (kho_log_has("liveupdate: live update 1: state of the previous kernel received") != 1)
		return kt_fail("the kernel log does not report live update 1");
	/* Found at early_initcall, then only retrieved. */
	if (kt_expect("FLBs found early", luo_test_knob("flb_early"), 3) ||
	    kt_expect("FLB generation", luo_test_knob("flb_generation"), 1) ||
	    flb_counts(0, 0, 3, 0))
		return -1;
	if (status_has("state: received") ||
	    status_has("sessions: built at the first open of /dev/liveupdate") ||
	    status_has("flbs: 3 received, 0 refused"))
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	if (status_has("sessions: 2 received, 0 refused"))
		return -1;
	if (kt_expect("RETRIEVE_SESSION gamma", luo_retrieve_session(luo_fd, "gamma"), -ENOENT))
		return -1;
	alpha_fd = luo_retrieve_session(luo_fd, "alpha");
	if (alpha_fd < 0)
		return kt_fail("RETRIEVE_SESSION alpha: %s", strerror(-alpha_fd));
	if (kt_expect("second RETRIEVE_SESSION alpha", luo_retrieve_session(luo_fd, "alpha"),
		      -EINVAL))
		return -1;
	if (luo_get_name(alpha_fd, name, sizeof(name)) || strcmp(name, "alpha"))
		return kt_fail("GET_NAME: \"%s\"", name);

	if (incoming_sizes(alpha_fd))
		return -1;
	if (file_value(alpha_fd, 0x1A, A1) || file_value(alpha_fd, 0x1A, A1) ||
	    file_value(alpha_fd, 0x1B, A2_NEW))
		return -1;
	if (kt_expect("retrieves (sticky)", luo_test_knob("retrieves"), 2))
		return -1;
	if (kt_expect("RETRIEVE_FD of an unknown token", luo_retrieve_fd(alpha_fd, 5), -ENOENT))
		return -1;
	fd = luo_test_file(1);
	if (kt_expect("PRESERVE_FD on an incoming session", luo_preserve_fd(alpha_fd, fd, 9),
		      -EINVAL))
		return -1;
	close(fd);
	if (kt_expect("FINISH alpha", luo_finish(alpha_fd), 0))
		return -1;
	if (kt_expect("finishes", luo_test_knob("finishes"), 2))
		return -1;
	/* beta's file still depends on the FLBs. */
	if (flb_counts(0, 0, 3, 0))
		return -1;

	/*
	 * No descriptor to put it in: the session is not handed out, and
	 * stays whole for the next try.
	 */
	if (retrieve_without_fds("beta"))
		return -1;
	beta_fd = luo_retrieve_session(luo_fd, "beta");
	if (beta_fd < 0)
		return kt_fail("RETRIEVE_SESSION beta: %s", strerror(-beta_fd));
	close(beta_fd);
	if (kt_expect("finishes after closing beta", luo_test_knob("finishes"), 3))
		return -1;
	if (kt_expect("unretrieved files finished", luo_test_knob("finished_unretrieved"), 1))
		return -1;
	/* That was the last dependent file. */
	if (flb_counts(0, 0, 3, 3))
		return -1;

	delta_fd = luo_create_session(luo_fd, "delta");
	if (delta_fd < 0 || preserve_value(delta_fd, D1, 3) < 0)
		return kt_fail("cannot set up delta");
	return flb_counts(3, 0, 3, 3);
}

static int generation_3(void)
{
	if (kho_log_has("liveupdate: live update 2: state of the previous kernel received") != 1)
		return kt_fail("the kernel log does not report live update 2");
	if (kt_expect("FLBs found early", luo_test_knob("flb_early"), 3) ||
	    kt_expect("FLB generation", luo_test_knob("flb_generation"), 2))
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	if (kt_expect("RETRIEVE_SESSION alpha", luo_retrieve_session(luo_fd, "alpha"), -ENOENT))
		return -1;
	if (kt_expect("RETRIEVE_SESSION beta", luo_retrieve_session(luo_fd, "beta"), -ENOENT))
		return -1;
	delta_fd = luo_retrieve_session(luo_fd, "delta");
	if (delta_fd < 0)
		return kt_fail("RETRIEVE_SESSION delta: %s", strerror(-delta_fd));
	if (file_value(delta_fd, 3, D1))
		return -1;
	if (kt_expect("FINISH delta", luo_finish(delta_fd), 0))
		return -1;
	return flb_counts(0, 0, 3, 3);
}

static const struct kt_stage stages[] = {
	{ "sessions preserved, a failing freeze aborts the reboot cleanly", generation_1 },
	{ "sessions and files come back; finish, implicit finish", generation_2 },
	{ "a session created after a live update comes back", generation_3 },
};

int main(void)
{
	return kt_main("luo_kexec", stages, ARRAY_SIZE(stages));
}
