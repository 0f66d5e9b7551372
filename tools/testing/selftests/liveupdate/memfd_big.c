// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_big: 1 GiB of pseudo-random data in one memfd across a live
 * update, every byte checked.
 *
 * 1. cold boot: a memfd of 1 GiB filled with a stream of a seed taken
 *    from the clock (so every run moves other bytes), preserved; the seed
 *    goes to the next kernel on its command line;
 * 2. the memfd comes back with its size, all of its pages accounted in
 *    Shmem and nothing newly allocated for it, and every byte of the
 *    stream, regenerated from the seed.
 * Each stage reports how long writing and checking took.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define BIG_SIZE	(1024LL * 1024 * 1024)
#define BIG_TOKEN	0xb16

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd, memfd;

static int generation_1(void)
{
	struct timespec ts;
	uint64_t seed;
	char value[32];
	double t0;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ((uint64_t)ts.tv_sec << 32 ^ ts.tv_nsec) | 1;
	snprintf(value, sizeof(value), "%llu", (unsigned long long)seed);
	kt_set_next_param("seed", value);

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	session_fd = luo_create_session(luo_fd, "big");
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	memfd = mfd_create("big", 0, BIG_SIZE);
	if (memfd < 0)
		return kt_fail("memfd_create: %s", strerror(-memfd));

	t0 = kt_now();
	err = mfd_write(memfd, 0, BIG_SIZE, seed);
	if (err)
		return kt_fail("writing 1 GiB: %s", strerror(-err));
	kt_diag("1 GiB written in %.1f s (seed %s)", kt_now() - t0, value);

	t0 = kt_now();
	err = luo_preserve_fd(session_fd, memfd, BIG_TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD: %s", strerror(-err));
	kt_diag("PRESERVE_FD of 1 GiB took %.3f s", kt_now() - t0);
	return 0;
}

static int generation_2(void)
{
	const char *seed = kt_param("seed");
	long long shmem, free_kb, d_shmem, d_free;
	struct stat st;
	off_t bad = 0;
	double t0;
	int err, s;

	if (!seed)
		return kt_fail("kt.seed missing from the command line");
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	s = luo_retrieve_session(luo_fd, "big");
	if (s < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-s));

	shmem = mfd_meminfo("Shmem");
	free_kb = mfd_free_kb();
	t0 = kt_now();
	memfd = luo_retrieve_fd(s, BIG_TOKEN);
	kt_diag("RETRIEVE_FD of 1 GiB took %.3f s", kt_now() - t0);
	d_shmem = mfd_meminfo("Shmem") - shmem;
	d_free = mfd_free_kb() - free_kb;
	if (memfd < 0)
		return kt_fail("RETRIEVE_FD: %s", strerror(-memfd));
	kt_diag("Shmem %+lld kB, free memory %+lld kB", d_shmem, d_free);
	if (fstat(memfd, &st) || kt_expect("st_size", st.st_size, BIG_SIZE) ||
	    kt_expect("st_blocks", st.st_blocks, BIG_SIZE / 512) ||
	    kt_expect("Shmem growth (kB)", d_shmem, BIG_SIZE / 1024))
		return -1;
	/*
	 * The pages are the old kernel's, not new ones: only the page cache's
	 * index (about 2 MiB for 1 GiB of small pages) is allocated.
	 */
	if (d_free < -BIG_SIZE / 1024 / 64)
		return kt_fail("free memory dropped by %lld kB", -d_free);

	t0 = kt_now();
	err = mfd_check(memfd, 0, BIG_SIZE, strtoull(seed, NULL, 10), &bad);
	if (err < 0)
		return kt_fail("reading 1 GiB: %s", strerror(-err));
	if (err)
		return kt_fail("byte %lld differs", (long long)bad);
	kt_diag("1 GiB checked in %.1f s", kt_now() - t0);
	err = luo_finish(s);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	return 0;
}

static const struct kt_stage stages[] = {
	{ "1 GiB of pseudo-random data in a memfd preserved", generation_1 },
	{ "every byte of the 1 GiB back", generation_2 },
};

int main(void)
{
	return kt_main("memfd_big", stages, ARRAY_SIZE(stages));
}
