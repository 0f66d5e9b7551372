// SPDX-License-Identifier: GPL-2.0
/*
 * luo_soak: many live updates in a row in one VM run: kt.gens of them, 10
 * in make check, 100 in make soak. Every generation:
 * - retrieves the sessions the previous one preserved, checks every byte
 *   of every memfd and the value of every test file, and finishes them;
 * - writes new contents into the memfds (a new seed for each file in
 *   each generation), grows one of them, replaces one by a new memfd and
 *   preserves them again, in sessions of the same names, together with a
 *   session of its own that the next generation gets and closes unused;
 * - creates and closes throwaway sessions and files;
 * - records MemFree and the unreclaimable slab (SUnreclaim): from
 *   generation SOAK_BASE on they must not drift by more than SOAK_FREE_MB
 *   and SOAK_SLAB_MB from what they were there, so that a leak of a few
 *   hundred KiB a live update shows over a hundred of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define SOAK_SESSIONS	3
#define SOAK_FILES	4	/* three memfds and a test file a session */
#define SOAK_BASE	3
#define SOAK_FREE_MB	24
#define SOAK_SLAB_MB	8
#define SOAK_MAX_GENS	1000
#define PAGE		((off_t)MFD_PAGE)

/* Kept open across the kexec. */
static int luo_fd, outgoing[SOAK_SESSIONS + 1];

/* Every file's shape and contents follow from (generation, session, file). */
static uint64_t seed_of(int gen, int s, int f)
{
	return ((uint64_t)gen << 32 | s << 16 | f) * 0x9e3779b97f4a7c15ULL | 1;
}

static off_t size_of_file(int gen, int s, int f)
{
	/* File 0 grows by a page a generation; the others stay. */
	return f == 0 ? (16 + gen) * PAGE : (off_t)(1 + s) << (14 + 2 * f);
}

static int check_file(int gen, int s, int f, int fd)
{
	uint64_t value;
	struct stat st;
	off_t bad;
	int err;

	if (f == SOAK_FILES - 1) {
		if (luo_test_value(fd, &value) || value != seed_of(gen, s, f))
			return kt_fail("session %d: the test file holds the wrong value", s);
		return 0;
	}
	if (fstat(fd, &st) || st.st_size != size_of_file(gen, s, f))
		return kt_fail("session %d, memfd %d: size %lld, not %lld", s, f,
			       (long long)st.st_size, (long long)size_of_file(gen, s, f));
	err = mfd_check(fd, 0, st.st_size, seed_of(gen, s, f), &bad);
	if (err)
		return kt_fail("session %d, memfd %d, byte %lld: %s", s, f,
			       (long long)bad, err < 0 ? strerror(-err) : "differs");
	return 0;
}

/* Retrieves and checks what generation @gen - 1 left; the memfds in @fds. */
static int take_back(int gen, int fds[SOAK_SESSIONS][SOAK_FILES])
{
	char name[32];
	int s, f, sfd, err;

	for (s = 0; s < SOAK_SESSIONS; s++) {
		snprintf(name, sizeof(name), "soak-%d", s);
		sfd = luo_retrieve_session(luo_fd, name);
		if (sfd < 0)
			return kt_fail("RETRIEVE_SESSION %s: %s", name, strerror(-sfd));
		for (f = 0; f < SOAK_FILES; f++) {
			fds[s][f] = luo_retrieve_fd(sfd, f + 1);
			if (fds[s][f] < 0)
				return kt_fail("RETRIEVE_FD %s/%d: %s", name, f + 1,
					       strerror(-fds[s][f]));
			if (check_file(gen - 1, s, f, fds[s][f]))
				return -1;
		}
		err = luo_finish(sfd);
		if (err)
			return kt_fail("FINISH %s: %s", name, strerror(-err));
		close(sfd);
	}
	/* Retrieved and closed without a look: its files are freed. */
	sfd = luo_retrieve_session(luo_fd, "soak-unused");
	if (sfd < 0)
		return kt_fail("RETRIEVE_SESSION soak-unused: %s", strerror(-sfd));
	close(sfd);
	return 0;
}

/* New contents for generation @gen, preserved again. */
static int hand_on(int gen, int fds[SOAK_SESSIONS][SOAK_FILES])
{
	char name[32];
	int s, f, err;

	for (s = 0; s < SOAK_SESSIONS; s++) {
		snprintf(name, sizeof(name), "soak-%d", s);
		outgoing[s] = luo_create_session(luo_fd, name);
		if (outgoing[s] < 0)
			return kt_fail("CREATE_SESSION %s: %s", name, strerror(-outgoing[s]));
		for (f = 0; f < SOAK_FILES; f++) {
			int fd = fds[s][f];

			if (f == SOAK_FILES - 1) {
				if (fd >= 0)
					close(fd);
				fd = luo_test_file(seed_of(gen, s, f));
			} else if (fd < 0 || f == 2) {
				/* Memfd 2 is a new one every generation. */
				if (fd >= 0)
					close(fd);
				fd = mfd_create("soak", 0, size_of_file(gen, s, f));
			} else if (ftruncate(fd, size_of_file(gen, s, f))) {
				return kt_fail("ftruncate: %s", strerror(errno));
			}
			if (fd < 0)
				return kt_fail("a new file: %s", strerror(-fd));
			if (f < SOAK_FILES - 1) {
				err = mfd_write(fd, 0, size_of_file(gen, s, f), seed_of(gen, s, f));
				if (err)
					return kt_fail("writing: %s", strerror(-err));
			}
			err = luo_preserve_fd(outgoing[s], fd, f + 1);
			if (err)
				return kt_fail("PRESERVE_FD %s/%d: %s", name, f + 1,
					       strerror(-err));
			close(fd);
		}
	}
	outgoing[s] = luo_create_session(luo_fd, "soak-unused");
	if (outgoing[s] < 0)
		return kt_fail("CREATE_SESSION soak-unused: %s", strerror(-outgoing[s]));
	f = mfd_create("unused", 0, 64 * PAGE);
	if (f < 0 || mfd_write(f, 0, 64 * PAGE, seed_of(gen, 9, 9)) ||
	    luo_preserve_fd(outgoing[s], f, 1))
		return kt_fail("the unused session's memfd");
	close(f);
	return 0;
}

/* Sessions and files that come and go within the generation. */
static int churn_sessions(int gen)
{
	char name[32];
	int i, s, fd, err;

	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "churn-%d-%d", gen, i);
		s = luo_create_session(luo_fd, name);
		fd = mfd_create("churn", 0, (i % 8) * PAGE);
		if (s < 0 || fd < 0)
			return kt_fail("churn: %s", strerror(-(s < 0 ? s : fd)));
		err = mfd_write(fd, 0, (i % 8) * PAGE, seed_of(gen, i, 7));
		if (!err)
			err = luo_preserve_fd(s, fd, i);
		if (err)
			return kt_fail("churn PRESERVE_FD: %s", strerror(-err));
		close(s);
		/* Unpreserved with its session: an ordinary memfd again. */
		if (ftruncate(fd, PAGE))
			return kt_fail("churn: the memfd stays frozen");
		close(fd);
	}
	return 0;
}

static int soak_generation(void)
{
	int gen = kt_stage_nr(), fds[SOAK_SESSIONS][SOAK_FILES];
	const char *base_free = kt_param("base_free"), *base_slab = kt_param("base_slab");
	long long free_kb, slab_kb;
	char value[32];

	memset(fds, -1, sizeof(fds));
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	if (gen > 1 && take_back(gen, fds))
		return -1;
	if (churn_sessions(gen))
		return -1;

	/* Measured with what this generation holds, before it adds more. */
	free_kb = mfd_meminfo("MemFree");
	slab_kb = mfd_meminfo("SUnreclaim");
	kt_diag("generation %d: MemFree %lld kB, SUnreclaim %lld kB", gen, free_kb, slab_kb);
	if (gen == SOAK_BASE) {
		snprintf(value, sizeof(value), "%lld", free_kb);
		kt_set_next_param("base_free", value);
		snprintf(value, sizeof(value), "%lld", slab_kb);
		kt_set_next_param("base_slab", value);
	} else if (gen > SOAK_BASE) {
		if (!base_free || !base_slab)
			return kt_fail("kt.base_free or kt.base_slab missing");
		if (free_kb < atoll(base_free) - SOAK_FREE_MB * 1024)
			return kt_fail("MemFree %lld kB, %lld kB less than in generation %d",
				       free_kb, atoll(base_free) - free_kb, SOAK_BASE);
		if (slab_kb > atoll(base_slab) + SOAK_SLAB_MB * 1024)
			return kt_fail("SUnreclaim %lld kB, %lld kB more than in generation %d",
				       slab_kb, slab_kb - atoll(base_slab), SOAK_BASE);
	}
	return hand_on(gen, fds);
}

int main(void)
{
	static struct kt_stage stages[SOAK_MAX_GENS];
	const char *gens = kt_param("gens");
	int n = gens ? atoi(gens) : 10, i;

	if (n < 2 || n > SOAK_MAX_GENS)
		n = 10;
	for (i = 0; i < n; i++)
		stages[i] = (struct kt_stage){ "a live update, every byte back", soak_generation };
	return kt_main("luo_soak", stages, n);
}
