// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_hugetlb: a hugetlb memfd of 2 MiB pages across three live
 * updates, every byte checked, its huge pages in place and mapped as huge
 * pages in every kernel, the pool counters checked in every generation.
 *
 * 1. cold boot: a pool of 300 huge pages (HVO on); memfd A of 640 MiB
 *    with 512 MiB written and a hole of 128 MiB, memfd B of 8 MiB with
 *    two huge pages, sealed, mode 0600 and a position, and a shmem memfd
 *    S of 4 MiB, all in session "huge-1"; memfd C of 16 MiB in session
 *    "unretrieved". Preserving
 *    changes no pool counter. Where A's and B's huge pages are (a hash of
 *    their page frame numbers) goes to the next kernel;
 * 2. (HVO off) no pool at boot: A and B come back as 258 surplus huge
 *    pages in use, byte for byte, at the same page frames, mapped with
 *    PMDs, and S with them; C, never retrieved, is freed when its session finishes; the
 *    pool is raised to 300, which keeps the adopted pages in it; a hole of
 *    A is filled, A and B are preserved again in "huge-2";
 * 3. (HVO on) the same; closing B frees its two surplus pages; A alone
 *    goes on in "huge-3";
 * 4. A comes back; closing it leaves no huge page behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hugetlb_util.h"
#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define HP		((off_t)HTLB_2M)
#define A_PAGES		320
#define A_HOLE		10		/* first huge page of the hole */
#define A_HOLE_END	74		/* first after it */
#define B_PAGES		4
#define C_PAGES		8
#define POOL		300
#define B_POS		12345
#define B_SEALS		(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define SEED_A		0x68756765410000ULL
#define SEED_B		0x68756765420000ULL
#define SEED_C		0x68756765430000ULL
#define SEED_S		0x68756765530000ULL
#define S_SIZE		(4 << 20)
#define SEED_FILL(i)	(0x68756765460000ULL + (i))
#define HVO_SYSCTL	"/proc/sys/vm/hugetlb_optimize_vmemmap"

enum { T_A = 1, T_B, T_C, T_S };

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd, unretrieved_fd, fd_a, fd_b, fd_s = -1;

/*
 * The stream huge page @i of A holds in generation @gen: A's own outside
 * the hole; in the hole, generation g (2, 3) fills page A_HOLE + g - 2.
 */
static uint64_t a_seed(int i, int gen)
{
	if (i < A_HOLE || i >= A_HOLE_END)
		return SEED_A;
	if (i < A_HOLE + gen - 2)
		return SEED_FILL(i);
	return 0;
}

/* Huge pages of A in generation @gen, and their offsets into @present. */
static int a_present(int gen, off_t *present)
{
	int i, n = 0;

	for (i = 0; i < A_PAGES; i++)
		if (a_seed(i, gen))
			present[n++] = i * HP;
	return n;
}

/* Turns HVO on or off for the huge pages this kernel prepares from now. */
static int set_hvo(int on)
{
	int fd = open(HVO_SYSCTL, O_WRONLY);
	int ok;

	if (fd < 0)
		return kt_fail("%s: %s", HVO_SYSCTL, strerror(errno));
	ok = write(fd, on ? "1\n" : "0\n", 2) == 2;
	close(fd);
	if (!ok)
		return kt_fail("%s: %s", HVO_SYSCTL, strerror(errno));
	kt_diag("HVO %s", on ? "on" : "off");
	return 0;
}

static int expect_pool(const char *when, long long total, long long free,
		       long long surplus)
{
	return htlb_pool_expect_counts(when, HTLB_2M, total, free, surplus) ?
	       kt_fail("pool counters %s", when) : 0;
}

/* Every byte of A in generation @gen, its size and its blocks. */
static int check_a(int gen)
{
	struct stat st;
	off_t bad;
	int i, n = 0;

	if (fstat(fd_a, &st))
		return kt_fail("fstat A: %s", strerror(errno));
	if (kt_expect("A's size", st.st_size, A_PAGES * HP))
		return -1;
	for (i = 0; i < A_PAGES; i++) {
		uint64_t seed = a_seed(i, gen);
		int ret = mfd_check(fd_a, i * HP, HP, seed, &bad);

		if (ret)
			return kt_fail("A, huge page %d (stream %#llx): %s at %lld",
				       i, (unsigned long long)seed,
				       ret < 0 ? strerror(-ret) : "differs",
				       (long long)bad);
		n += !!seed;
	}
	/* A hole holds no page: 4096 blocks of 512 bytes per huge page. */
	return kt_expect("A's blocks", st.st_blocks, (long long)n * (HP / 512));
}

static int check_b(void)
{
	struct stat st;
	off_t bad;
	int ret;

	if (fstat(fd_b, &st))
		return kt_fail("fstat B: %s", strerror(errno));
	if (kt_expect("B's size", st.st_size, B_PAGES * HP) ||
	    kt_expect("B's mode", st.st_mode & 07777, 0600) ||
	    kt_expect("B's seals", fcntl(fd_b, F_GET_SEALS), B_SEALS) ||
	    kt_expect("B's position", lseek(fd_b, 0, SEEK_CUR), B_POS))
		return -1;
	ret = mfd_check(fd_b, 0, 2 * HP, SEED_B, &bad);
	if (!ret)
		ret = mfd_check(fd_b, 2 * HP, 2 * HP, 0, &bad);
	if (ret)
		return kt_fail("B: %s at %lld", ret < 0 ? strerror(-ret) :
			       "differs", (long long)bad);
	/* The seals hold in the new kernel. */
	if (ftruncate(fd_b, HP) == 0 || errno != EPERM)
		return kt_fail("B: ftruncate() was not refused with EPERM");
	if (mmap(NULL, HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd_b, 0) !=
	    MAP_FAILED || errno != EPERM)
		return kt_fail("B: a writable mapping was not refused");
	return 0;
}

/*
 * Where A's (and B's, if open) huge pages are, hashed, into @value: those
 * A holds once generation @gen has filled its hole.
 */
static int page_frames(int gen, char *value, size_t size)
{
	static off_t present[A_PAGES];
	const off_t b_present[] = { 0, HP };
	uint64_t hash_a, hash_b = 0;
	int n = a_present(gen, present);

	if (htlb_check_mapped(fd_a, HTLB_2M, A_PAGES * HP, present, n,
			      &hash_a))
		return kt_fail("A is not mapped as %d huge pages", n);
	if (fd_b >= 0 &&
	    htlb_check_mapped(fd_b, HTLB_2M, B_PAGES * HP, b_present, 2,
			      &hash_b))
		return kt_fail("B is not mapped as 2 huge pages");
	snprintf(value, size, "%llx.%llx", (unsigned long long)hash_a,
		 (unsigned long long)hash_b);
	return 0;
}

/* Preserves A (and B, if open) in a new session "huge-<gen>". */
static int preserve(int gen)
{
	char name[32], value[64];
	int err;

	snprintf(name, sizeof(name), "huge-%d", gen);
	session_fd = luo_create_session(luo_fd, name);
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION %s: %s", name,
			       strerror(-session_fd));
	err = luo_preserve_fd(session_fd, fd_a, T_A);
	if (!err && fd_b >= 0)
		err = luo_preserve_fd(session_fd, fd_b, T_B);
	/* A shmem memfd in the same session, the first time. */
	if (!err && fd_s >= 0) {
		err = luo_preserve_fd(session_fd, fd_s, T_S);
		close(fd_s);
		fd_s = -1;
	}
	if (err)
		return kt_fail("PRESERVE_FD in %s: %s", name, strerror(-err));
	/* Pinned now: the page frames the next kernel must find. */
	if (page_frames(gen + 1, value, sizeof(value)))
		return -1;
	kt_set_next_param("frames", value);
	kt_diag("%s: page frames %s", name, value);
	return 0;
}

/* Retrieves A (and B if @with_b) from "huge-<gen - 1>" and checks them. */
static int retrieve(int gen, bool with_b)
{
	const char *want = kt_param("frames");
	char name[32], value[64];
	int err;

	snprintf(name, sizeof(name), "huge-%d", gen - 1);
	session_fd = luo_retrieve_session(luo_fd, name);
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", name,
			       strerror(-session_fd));
	fd_a = luo_retrieve_fd(session_fd, T_A);
	fd_b = with_b ? luo_retrieve_fd(session_fd, T_B) : -1;
	if (fd_a < 0 || (with_b && fd_b < 0))
		return kt_fail("RETRIEVE_FD: %s",
			       strerror(fd_a < 0 ? -fd_a : -fd_b));
	if (check_a(gen) || (with_b && check_b()))
		return -1;
	if (gen == 2) {
		off_t bad;

		fd_s = luo_retrieve_fd(session_fd, T_S);
		if (fd_s < 0)
			return kt_fail("RETRIEVE_FD S: %s", strerror(-fd_s));
		if (mfd_check(fd_s, 0, S_SIZE, SEED_S, &bad))
			return kt_fail("S differs at %lld", (long long)bad);
		close(fd_s);
		fd_s = -1;
	}
	if (page_frames(gen, value, sizeof(value)))
		return -1;
	if (!want || strcmp(want, value))
		return kt_fail("page frames %s, the previous kernel had %s",
			       value, want ? want : "(none)");
	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH %s: %s", name, strerror(-err));
	close(session_fd);
	return 0;
}

/* Fills hole page A_HOLE + gen - 2 of A with its stream. */
static int fill_hole(int gen)
{
	int i = A_HOLE + gen - 2;
	int err = htlb_write(fd_a, i * HP, HP, SEED_FILL(i));

	return err ? kt_fail("filling huge page %d of A: %s", i,
			     strerror(-err)) : 0;
}

static int stage_create(void)
{
	int fd_c, err;

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	if (set_hvo(1))
		return -1;
	if (htlb_pool_set(HTLB_2M, POOL))
		return kt_fail("no pool of %d huge pages", POOL);
	fd_a = htlb_memfd("A", HTLB_2M, A_PAGES * HP);
	fd_b = htlb_memfd("B", HTLB_2M, B_PAGES * HP);
	fd_c = htlb_memfd("C", HTLB_2M, C_PAGES * HP);
	fd_s = mfd_create("S", MFD_CLOEXEC, S_SIZE);
	if (fd_a < 0 || fd_b < 0 || fd_c < 0 || fd_s < 0)
		return kt_fail("memfd_create() failed");
	err = mfd_write(fd_s, 0, S_SIZE, SEED_S);
	if (err)
		return kt_fail("writing S: %s", strerror(-err));
	err = htlb_write(fd_a, 0, A_HOLE * HP, SEED_A);
	if (!err)
		err = htlb_write(fd_a, A_HOLE_END * HP,
				 (A_PAGES - A_HOLE_END) * HP, SEED_A);
	if (!err)
		err = htlb_write(fd_b, 0, 2 * HP, SEED_B);
	if (!err)
		err = htlb_write(fd_c, 0, C_PAGES * HP, SEED_C);
	if (err)
		return kt_fail("writing: %s", strerror(-err));
	if (fcntl(fd_b, F_ADD_SEALS, B_SEALS) || fchmod(fd_b, 0600) ||
	    lseek(fd_b, B_POS, SEEK_SET) != B_POS)
		return kt_fail("sealing B: %s", strerror(errno));

	unretrieved_fd = luo_create_session(luo_fd, "unretrieved");
	if (unretrieved_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-unretrieved_fd));
	err = luo_preserve_fd(unretrieved_fd, fd_c, T_C);
	if (err)
		return kt_fail("PRESERVE_FD C: %s", strerror(-err));
	close(fd_c);
	if (preserve(1))
		return -1;
	/* 258 + 8 pages in use; preserving changed no counter. */
	return expect_pool("after preserving", POOL,
			   POOL - (A_PAGES - (A_HOLE_END - A_HOLE)) - 2 -
			   C_PAGES, 0);
}

static int stage_next(void)
{
	int gen = kt_stage_nr(), a_pages, err;
	static off_t present[A_PAGES];
	long long before, after;

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	/* HVO off in generation 2, on in 3 and 4. */
	if (set_hvo(gen != 2))
		return -1;
	if (expect_pool("at boot", 0, 0, 0))
		return -1;
	a_pages = a_present(gen, present);
	if (retrieve(gen, gen <= 3))
		return -1;
	if (expect_pool("retrieved", a_pages + (gen <= 3 ? 2 : 0), 0,
			a_pages + (gen <= 3 ? 2 : 0)))
		return -1;

	if (gen == 2) {
		/* C's session: freed when it finishes, never retrieved. */
		unretrieved_fd = luo_retrieve_session(luo_fd, "unretrieved");
		if (unretrieved_fd < 0)
			return kt_fail("RETRIEVE_SESSION unretrieved: %s",
				       strerror(-unretrieved_fd));
		before = mfd_free_kb();
		err = luo_finish(unretrieved_fd);
		after = mfd_free_kb();
		if (err)
			return kt_fail("FINISH unretrieved: %s", strerror(-err));
		kt_diag("finishing C freed %lld kB", after - before);
		if (after - before < C_PAGES * (HP >> 10) / 2)
			return kt_fail("C's %d huge pages were not freed (%lld kB)",
				       C_PAGES, after - before);
		close(unretrieved_fd);
		if (expect_pool("after C", a_pages + 2, 0, a_pages + 2))
			return -1;
		/* Raising the pool keeps the adopted pages in it. */
		if (htlb_pool_set(HTLB_2M, POOL) ||
		    expect_pool("pool raised", POOL, POOL - a_pages - 2, 0))
			return -1;
	} else if (gen == 3) {
		/* Closing B frees its two surplus pages. */
		close(fd_b);
		fd_b = -1;
		if (expect_pool("B closed", a_pages, 0, a_pages))
			return -1;
		/* A pool one page larger: A's pages and one for the hole. */
		if (htlb_pool_set(HTLB_2M, a_pages + 1) ||
		    expect_pool("pool raised", a_pages + 1, 1, 0))
			return -1;
	} else {
		close(fd_a);
		return expect_pool("A closed", 0, 0, 0);
	}
	if (fill_hole(gen))
		return -1;
	return preserve(gen);
}

static const struct kt_stage stages[] = {
	{ "create, write and preserve hugetlb memfds", stage_create },
	{ "retrieve in place with surplus pages, unretrieved freed, preserve again", stage_next },
	{ "retrieve again, close B, preserve A alone", stage_next },
	{ "retrieve A a third time, close it", stage_next },
};

int main(void)
{
	return kt_main("memfd_hugetlb", stages,
		       ARRAY_SIZE(stages));
}
