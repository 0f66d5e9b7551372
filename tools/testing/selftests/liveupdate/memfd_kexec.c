// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_kexec: memfds across three live updates, every byte checked.
 *
 * 1. cold boot: session "memfds" with an empty memfd, one page, a sparse
 *    64 GiB memfd with a few pages written at scattered offsets, a memfd
 *    of fallocated pages mostly never written, four sealed ones (write,
 *    future write, noexec, exec on an executable memfd, which implies the
 *    write seals), one whose position, mode and seals change after
 *    PRESERVE_FD, one of 2 MiB folios (THP) and one a thread writes
 *    through a mapping until the machine kexecs; session "unretrieved"
 *    with 48 MiB in two memfds; session "chain-1" with one memfd;
 * 2. each memfd comes back as it was at the reboot: size, bytes, holes
 *    (SEEK_DATA/SEEK_HOLE, st_blocks, Shmem), seals still enforced, mode,
 *    position, huge folios, the writer's last completed record; the
 *    memfds never retrieved are freed by FINISH (free memory); the chain's
 *    memfd is changed and preserved again in "chain-2";
 * 3. the same with "chain-2" into "chain-3"; the other sessions are gone;
 * 4. "chain-3" comes back with what generation 3 wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define P		((off_t)MFD_PAGE)
#define MIB		(1024LL * 1024)
#define GIB		(1024 * MIB)
#define SEED(token)	(0x6d656d6664000000ULL + (token))
/* O_LARGEFILE as the kernel reports it; the C library's may be 0. */
#define K_O_LARGEFILE	0100000
/* Up to this size a memfd is read whole; beyond, its data and samples. */
#define CHECK_WHOLE	(64 * MIB)

enum token {
	T_EMPTY = 1, T_PAGE, T_SPARSE, T_FALLOC, T_SEALED, T_FUTURE, T_NOEXEC,
	T_EXECSEAL, T_POS, T_THP, T_WRITER, T_UNRET_A, T_UNRET_B,
};

struct range {
	off_t start;
	off_t end;
};

/*
 * struct memfd_spec - a memfd of the test and what it must look like
 * @token:   its token, also its stream's seed
 * @name:    for messages
 * @flags:   memfd_create() flags
 * @size:    st_size
 * @falloc:  fallocate() the whole size before writing
 * @written: byte ranges holding stream SEED(@token), sorted; the rest
 *           reads as zeros
 * @data:    the extents SEEK_DATA/SEEK_HOLE report, sorted
 * @data_unpinned: the extents before PRESERVE_FD pins the pages, when
 *           pinning changes them (see falloc_data); NULL: @data
 * @blocks:  st_blocks
 * @seals:   F_GET_SEALS at the reboot
 * @mode:    permission bits at the reboot
 */
struct memfd_spec {
	enum token token;
	const char *name;
	unsigned int flags;
	off_t size;
	bool falloc;
	const struct range *written;
	const struct range *data;
	const struct range *data_unpinned;
	long long blocks;
	int seals;
	unsigned int mode;
};

/* Ranges end with an empty one. */
static const struct range one_page[] = { { 0, P }, { } };

/*
 * Seven pages in 64 GiB: page 0, two together, one partly written, two
 * across the 32 GiB line, the last one.
 */
static const struct range sparse_written[] = {
	{ 0, P }, { 7 * P, 9 * P }, { GIB + 3 * P + 100, GIB + 3 * P + 300 },
	{ 32 * GIB - P, 32 * GIB + P }, { 64 * GIB - P, 64 * GIB }, { },
};

static const struct range sparse_data[] = {
	{ 0, P }, { 7 * P, 9 * P }, { GIB + 3 * P, GIB + 4 * P },
	{ 32 * GIB - P, 32 * GIB + P }, { 64 * GIB - P, 64 * GIB }, { },
};

/*
 * 16 pages allocated, pages 4 to 7 and 8 bytes of page 10 written. The
 * pages never written read as zeros; preserving pins them, which (since
 * 6.12.118, as in mainline) clears them and makes them data for SEEK_DATA.
 */
static const struct range falloc_written[] = {
	{ 4 * P, 8 * P }, { 10 * P + 8, 10 * P + 16 }, { },
};

static const struct range falloc_data[] = { { 0, 16 * P }, { } };
static const struct range falloc_unpinned[] = {
	{ 4 * P, 8 * P }, { 10 * P, 11 * P }, { },
};

static const struct range sealed_written[] = { { 0, 2 * P + 1000 }, { } };
/* SEEK_HOLE finds the end of the file before the end of its last page. */
static const struct range sealed_data[] = { { 0, 2 * P + 1000 }, { } };
static const struct range three_pages[] = { { 0, 3 * P }, { } };
static const struct range thp_range[] = { { 0, 6 * MIB }, { } };
static const struct range writer_range[] = { { 0, 16 * P }, { } };
static const struct range no_range[] = { { } };

static const struct memfd_spec specs[] = {
	{ .token = T_EMPTY, .name = "empty", .size = 0, .written = no_range,
	  .data = no_range, .blocks = 0, .seals = F_SEAL_SEAL, .mode = 0777 },
	{ .token = T_PAGE, .name = "one page", .size = P, .written = one_page,
	  .data = one_page, .blocks = 8, .seals = F_SEAL_SEAL, .mode = 0640 },
	{ .token = T_SPARSE, .name = "sparse 64 GiB", .flags = MFD_ALLOW_SEALING,
	  .size = 64 * GIB, .written = sparse_written, .data = sparse_data,
	  .blocks = 7 * 8, .mode = 0777 },
	{ .token = T_FALLOC, .name = "fallocated", .flags = MFD_ALLOW_SEALING,
	  .size = 16 * P, .falloc = true, .written = falloc_written,
	  .data = falloc_data, .data_unpinned = falloc_unpinned,
	  .blocks = 16 * 8, .mode = 0777 },
	{ .token = T_SEALED, .name = "sealed", .flags = MFD_ALLOW_SEALING,
	  .size = 2 * P + 1000, .written = sealed_written, .data = sealed_data,
	  .blocks = 3 * 8, .mode = 0751,
	  .seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE },
	{ .token = T_FUTURE, .name = "future-write sealed", .flags = MFD_ALLOW_SEALING,
	  .size = P, .written = one_page, .data = one_page, .blocks = 8,
	  .seals = F_SEAL_FUTURE_WRITE, .mode = 0777 },
	{ .token = T_NOEXEC, .name = "noexec sealed", .flags = MFD_NOEXEC_SEAL,
	  .size = P, .written = one_page, .data = one_page, .blocks = 8,
	  .seals = F_SEAL_EXEC, .mode = 0666 },
	/*
	 * F_SEAL_EXEC on an executable memfd implies the write seals, which
	 * the next kernel must enforce too (mainline once did not deny
	 * writable mappings of such a memfd after a live update).
	 */
	{ .token = T_EXECSEAL, .name = "exec sealed", .flags = MFD_ALLOW_SEALING,
	  .size = P, .written = one_page, .data = one_page, .blocks = 8,
	  .seals = F_SEAL_EXEC, .mode = 0777 },
	/* Mode and seals as changed after PRESERVE_FD. */
	{ .token = T_POS, .name = "position", .flags = MFD_ALLOW_SEALING,
	  .size = 3 * P, .written = three_pages, .data = three_pages,
	  .blocks = 3 * 8, .seals = F_SEAL_GROW, .mode = 0604 },
	{ .token = T_THP, .name = "THP", .flags = MFD_ALLOW_SEALING,
	  .size = 6 * MIB, .written = thp_range, .data = thp_range,
	  .blocks = 6 * MIB / 512, .mode = 0777 },
	/* Then written by the writer thread; checked apart. */
	{ .token = T_WRITER, .name = "writer", .flags = MFD_ALLOW_SEALING,
	  .size = 16 * P, .written = writer_range, .data = writer_range,
	  .blocks = 16 * 8, .mode = 0777 },
};

/* Number of ranges before the empty one. */
static int nr_ranges(const struct range *r)
{
	int n = 0;

	while (r[n].end)
		n++;
	return n;
}

/* Position of T_POS before and after PRESERVE_FD. */
#define POS_BEFORE	1000
#define POS_AFTER	5000

#define UNRET_A_SIZE	(32 * MIB)
#define UNRET_B_SIZE	(16 * MIB)

/*
 * The writer's memfd: page 0 holds W_MAGIC and the number of the last
 * record written completely; record n fills page 1 + n % W_SLOTS with n
 * and then the words of stream W_SEED + n. The number is stored (with
 * release order) only once its record is whole, so after the kexec that
 * record and the W_SLOTS - 2 before it must be intact; only the slot of
 * the next one may be half written.
 */
#define W_PAGES		16
#define W_SLOTS		(W_PAGES - 1)
#define W_MAGIC		0x777269746572ULL
#define W_SEED		0x5752495445520000ULL
#define W_WORDS		(MFD_PAGE / 8)

/* The chain's memfd as generation @gen leaves it. */
#define CHAIN_SIZE(gen)	(((gen) + 2) * P + 123)
#define CHAIN_SEED(gen)	(0x636861696e000000ULL + (gen))

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, main_fd, unret_fd, chain_fd;
static int fds[ARRAY_SIZE(specs)];
static int unret_a, unret_b, chain_memfd;
static uint64_t *wmap;

static const struct memfd_spec *spec_of(enum token token)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(specs); i++)
		if (specs[i].token == token)
			return &specs[i];
	return NULL;
}

static int fd_of(enum token token)
{
	return fds[spec_of(token) - specs];
}

/* Checks [@a, @b) of @fd: stream bytes where @m wrote, zeros elsewhere. */
static int check_bytes(int fd, const struct memfd_spec *m, off_t a, off_t b)
{
	off_t at = a, bad = -1;
	int i, ret;

	while (at < b) {
		off_t end = b;
		uint64_t seed = 0;

		for (i = 0; m->written[i].end; i++) {
			const struct range *w = &m->written[i];

			if (w->end <= at)
				continue;
			if (w->start <= at) {
				seed = SEED(m->token);
				end = w->end < b ? w->end : b;
			} else if (w->start < end) {
				end = w->start;
			}
			break;
		}
		ret = mfd_check(fd, at, end - at, seed, &bad);
		if (ret < 0)
			return kt_fail("%s: reading [%lld, %lld): %s", m->name,
				       (long long)at, (long long)end,
				       strerror(-ret));
		if (ret)
			return kt_fail("%s: byte %lld is not %s", m->name,
				       (long long)bad, seed ? "its own" : "zero");
		at = end;
	}
	return 0;
}

/*
 * Every byte of a memfd up to CHECK_WHOLE; of a larger one, every byte of
 * its data extents and the first, middle and last page of each hole
 * (the extents show that the rest is hole).
 */
static int check_contents(int fd, const struct memfd_spec *m)
{
	int i, nr_data = nr_ranges(m->data);
	off_t hole = 0;

	if (m->size <= CHECK_WHOLE)
		return check_bytes(fd, m, 0, m->size);
	for (i = 0; i <= nr_data; i++) {
		off_t next = i < nr_data ? m->data[i].start : m->size;
		off_t mid = hole + (next - hole) / 2 / P * P;

		if (next > hole) {
			if (check_bytes(fd, m, hole, hole + P) ||
			    check_bytes(fd, m, mid, mid + P) ||
			    check_bytes(fd, m, next - P, next))
				return -1;
		}
		if (i < nr_data) {
			if (check_bytes(fd, m, m->data[i].start, m->data[i].end))
				return -1;
			hole = m->data[i].end;
		}
	}
	return 0;
}

/* SEEK_DATA/SEEK_HOLE over the whole file give exactly @m's extents. */
static int check_extents(int fd, const struct memfd_spec *m)
{
	struct mfd_extent ext[16];
	int n = mfd_extents(fd, ext, ARRAY_SIZE(ext)), i;
	bool same;

	if (n < 0)
		return kt_fail("%s: SEEK_DATA/SEEK_HOLE: %s", m->name,
			       strerror(-n));
	same = n == nr_ranges(m->data);
	for (i = 0; same && i < n; i++)
		same = ext[i].start == m->data[i].start &&
		       ext[i].end == m->data[i].end;
	if (same)
		return 0;
	for (i = 0; i < n && i < (int)ARRAY_SIZE(ext); i++)
		kt_diag("%s: data [%#llx, %#llx)", m->name,
			(long long)ext[i].start, (long long)ext[i].end);
	return kt_fail("%s: %d data extents, not the %d expected", m->name, n,
		       nr_ranges(m->data));
}

/* The seals F_GET_SEALS shows: those added, and what they imply. */
static int seals_of(const struct memfd_spec *m)
{
	if ((m->seals & F_SEAL_EXEC) && (m->mode & 0111))
		return m->seals | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		       F_SEAL_FUTURE_WRITE;
	return m->seals;
}

/* Size, st_blocks, mode, seals, extents and (unless @skip_bytes) bytes. */
static int check_memfd(int fd, const struct memfd_spec *m, bool skip_bytes)
{
	struct stat st;

	if (fstat(fd, &st))
		return kt_fail("%s: fstat: %s", m->name, strerror(errno));
	if (kt_expect("st_size", st.st_size, m->size) ||
	    kt_expect("st_blocks", st.st_blocks, m->blocks) ||
	    kt_expect("mode", st.st_mode & 07777, m->mode) ||
	    kt_expect("seals", fcntl(fd, F_GET_SEALS), seals_of(m)) ||
	    check_extents(fd, m))
		return kt_fail("%s: not as expected", m->name);
	return skip_bytes ? 0 : check_contents(fd, m);
}

/* Creates and fills the memfd of @m. */
static int create_memfd(const struct memfd_spec *m)
{
	int fd = mfd_create(m->name, m->flags, m->size), i, err;

	if (fd < 0)
		return kt_fail("%s: memfd_create: %s", m->name, strerror(-fd));
	if (m->falloc && fallocate(fd, 0, 0, m->size))
		return kt_fail("%s: fallocate: %s", m->name, strerror(errno));
	for (i = 0; m->written[i].end; i++) {
		const struct range *w = &m->written[i];

		err = mfd_write(fd, w->start, w->end - w->start, SEED(m->token));
		if (err)
			return kt_fail("%s: write: %s", m->name, strerror(-err));
	}
	fds[m - specs] = fd;
	return fd;
}

/* The writer thread: see W_MAGIC. It runs until the machine kexecs. */
static void *writer(void *arg)
{
	uint64_t n, i;

	(void)arg;
	for (n = 1;; n++) {
		uint64_t *slot = wmap + (1 + n % W_SLOTS) * W_WORDS;

		slot[0] = n;
		for (i = 1; i < W_WORDS; i++)
			slot[i] = mfd_word(W_SEED + n, i * 8);
		__atomic_store_n(&wmap[1], n, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int start_writer(int fd)
{
	pthread_t thread;
	int err;

	wmap = mmap(NULL, W_PAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (wmap == MAP_FAILED)
		return kt_fail("writer: mmap: %s", strerror(errno));
	wmap[0] = W_MAGIC;
	wmap[1] = 0;
	err = pthread_create(&thread, NULL, writer, NULL);
	if (err)
		return kt_fail("writer: pthread_create: %s", strerror(err));
	return 0;
}

/* The writer's last complete record and the ones before it. */
static int check_writer(int fd, uint64_t at_return)
{
	uint64_t *map, last, n, i;
	int ret = 0;

	map = mmap(NULL, W_PAGES * P, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return kt_fail("writer: mmap: %s", strerror(errno));
	last = map[1];
	kt_diag("writer: record %llu was the last one completed; %llu when its stage returned",
		(unsigned long long)last, (unsigned long long)at_return);
	if (map[0] != W_MAGIC)
		ret = kt_fail("writer: magic %#llx", (unsigned long long)map[0]);
	/* It kept writing while the next kernel was loaded. */
	else if (last <= at_return || last < W_SLOTS)
		ret = kt_fail("writer: last record %llu, %llu already when the stage returned",
			      (unsigned long long)last,
			      (unsigned long long)at_return);
	for (n = last - (W_SLOTS - 2); !ret && n <= last; n++) {
		uint64_t *slot = map + (1 + n % W_SLOTS) * W_WORDS;

		if (slot[0] != n) {
			ret = kt_fail("writer: slot of record %llu holds record %llu",
				      (unsigned long long)n,
				      (unsigned long long)slot[0]);
			break;
		}
		for (i = 1; i < W_WORDS; i++)
			if (slot[i] != mfd_word(W_SEED + n, i * 8)) {
				ret = kt_fail("writer: record %llu, word %llu differs",
					      (unsigned long long)n,
					      (unsigned long long)i);
				break;
			}
	}
	munmap(map, W_PAGES * P);
	/* The rest of page 0 still holds what was written before. */
	return ret ?: check_bytes(fd, spec_of(T_WRITER), 2 * sizeof(*map), P);
}

/* /proc/meminfo's @field in kB, or the test fails. */
static long long meminfo_kb(const char *field)
{
	long long kb = mfd_meminfo(field);

	if (kb < 0)
		kt_fail("/proc/meminfo has no %s", field);
	return kb;
}

/* The THP memfd, written with shmem_enabled "always": 2 MiB folios. */
static int create_thp(long long *huge_kb)
{
	const struct memfd_spec *m = spec_of(T_THP);
	long long before = meminfo_kb("ShmemHugePages");
	char old[32];
	int fd;

	if (before < 0 || mfd_get_shmem_thp(old, sizeof(old)) ||
	    mfd_set_shmem_thp("always"))
		return kt_fail("cannot set shmem_enabled to always");
	fd = create_memfd(m);
	/*
	 * "never" would leave the memfd mount's huge=always in place (only
	 * the global switch changes); "deny" turns huge folios off for every
	 * later memfd of this generation, which must have small pages.
	 */
	if (mfd_set_shmem_thp("deny"))
		return kt_fail("cannot set shmem_enabled to deny");
	if (fd < 0)
		return -1;
	*huge_kb = meminfo_kb("ShmemHugePages") - before;
	kt_diag("THP: shmem_enabled was %s; ShmemHugePages +%lld kB", old,
		*huge_kb);
	return kt_expect("THP memfd's ShmemHugePages (kB)", *huge_kb, 6 * MIB / 1024);
}

static int create_chain(int gen)
{
	char name[32];
	int err;

	snprintf(name, sizeof(name), "chain-%d", gen);
	chain_fd = luo_create_session(luo_fd, name);
	if (chain_fd < 0)
		return kt_fail("CREATE_SESSION %s: %s", name, strerror(-chain_fd));
	if (gen == 1) {
		chain_memfd = mfd_create("chain", 0, 0);
		if (chain_memfd < 0)
			return kt_fail("chain: memfd_create: %s",
				       strerror(-chain_memfd));
	}
	if (ftruncate(chain_memfd, CHAIN_SIZE(gen)))
		return kt_fail("chain: ftruncate: %s", strerror(errno));
	err = mfd_write(chain_memfd, 0, CHAIN_SIZE(gen), CHAIN_SEED(gen));
	if (err)
		return kt_fail("chain: write: %s", strerror(-err));
	err = luo_preserve_fd(chain_fd, chain_memfd, 1);
	if (err)
		return kt_fail("chain: PRESERVE_FD: %s", strerror(-err));
	return 0;
}

/* Retrieves the chain's memfd generation @gen - 1 preserved; checks it. */
static int check_chain(int gen)
{
	struct stat st;
	char name[32];
	off_t bad;
	int s, err;

	snprintf(name, sizeof(name), "chain-%d", gen - 1);
	s = luo_retrieve_session(luo_fd, name);
	if (s < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", name, strerror(-s));
	chain_memfd = luo_retrieve_fd(s, 1);
	if (chain_memfd < 0)
		return kt_fail("%s: RETRIEVE_FD: %s", name, strerror(-chain_memfd));
	if (fstat(chain_memfd, &st) ||
	    kt_expect("chain: st_size", st.st_size, CHAIN_SIZE(gen - 1)))
		return -1;
	err = mfd_check(chain_memfd, 0, st.st_size, CHAIN_SEED(gen - 1), &bad);
	if (err)
		return kt_fail("chain: %s at byte %lld", err < 0 ? strerror(-err) :
			       "wrong contents", (long long)bad);
	err = luo_finish(s);
	if (err)
		return kt_fail("FINISH %s: %s", name, strerror(-err));
	close(s);
	return 0;
}

static int generation_1(void)
{
	const struct memfd_spec *pos = spec_of(T_POS);
	long long huge_kb = 0;
	char value[32];
	size_t i;
	int err;

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	main_fd = luo_create_session(luo_fd, "memfds");
	unret_fd = luo_create_session(luo_fd, "unretrieved");
	if (main_fd < 0 || unret_fd < 0)
		return kt_fail("CREATE_SESSION: %d %d", main_fd, unret_fd);

	/* First, while huge folios are still allowed. */
	if (create_thp(&huge_kb))
		return -1;
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		const struct memfd_spec *m = &specs[i];

		if (m->token == T_THP)
			continue;
		if (create_memfd(m) < 0)
			return -1;
		if ((m->flags & MFD_ALLOW_SEALING) && m->seals &&
		    m->token != T_POS && fcntl(fds[i], F_ADD_SEALS, m->seals))
			return kt_fail("%s: F_ADD_SEALS: %s", m->name, strerror(errno));
		if (m->token != T_POS && m->mode != 0777 && m->mode != 0666 &&
		    fchmod(fds[i], m->mode))
			return kt_fail("%s: fchmod: %s", m->name, strerror(errno));
	}
	/* The position memfd: changed again once preserved. */
	if (fchmod(fd_of(T_POS), 0700) ||
	    lseek(fd_of(T_POS), POS_BEFORE, SEEK_SET) != POS_BEFORE)
		return kt_fail("position: %s", strerror(errno));

	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		const struct memfd_spec *m = &specs[i];
		struct memfd_spec unpinned = *m;

		if (m->data_unpinned)
			unpinned.data = m->data_unpinned;
		if (m->token != T_POS && check_memfd(fds[i], &unpinned, false))
			return kt_fail("%s: not as intended before PRESERVE_FD", m->name);
		if (kt_expect("F_GETFL", fcntl(fds[i], F_GETFL), O_RDWR | K_O_LARGEFILE))
			return -1;
		err = luo_preserve_fd(main_fd, fds[i], m->token);
		if (err)
			return kt_fail("%s: PRESERVE_FD: %s", m->name, strerror(-err));
	}
	if (lseek(fd_of(T_POS), POS_AFTER, SEEK_SET) != POS_AFTER ||
	    fchmod(fd_of(T_POS), pos->mode) ||
	    fcntl(fd_of(T_POS), F_ADD_SEALS, pos->seals))
		return kt_fail("position: changing it once preserved: %s",
			       strerror(errno));
	if (check_memfd(fd_of(T_POS), pos, false))
		return -1;
	/* Pinned: the fallocated pages are data now, before the kexec. */
	for (i = 0; i < ARRAY_SIZE(specs); i++)
		if (specs[i].data_unpinned && check_extents(fds[i], &specs[i]))
			return kt_fail("%s: not as expected once preserved",
				       specs[i].name);

	/* Never retrieved: the next kernel frees them at FINISH. */
	unret_a = mfd_create("unretrieved-a", 0, UNRET_A_SIZE);
	unret_b = mfd_create("unretrieved-b", 0, UNRET_B_SIZE);
	if (unret_a < 0 || unret_b < 0 ||
	    mfd_write(unret_a, 0, UNRET_A_SIZE, SEED(T_UNRET_A)) ||
	    mfd_write(unret_b, 0, UNRET_B_SIZE, SEED(T_UNRET_B)) ||
	    luo_preserve_fd(unret_fd, unret_a, T_UNRET_A) ||
	    luo_preserve_fd(unret_fd, unret_b, T_UNRET_B))
		return kt_fail("unretrieved memfds not preserved");

	if (create_chain(1))
		return -1;

	/* Writes to pages that exist go on after PRESERVE_FD, into the kexec. */
	if (start_writer(fd_of(T_WRITER)))
		return -1;
	usleep(100 * 1000);
	snprintf(value, sizeof(value), "%llu",
		 (unsigned long long)__atomic_load_n(&wmap[1], __ATOMIC_ACQUIRE));
	kt_set_next_param("wseq", value);
	kt_diag("writer at record %s when the stage returns", value);
	snprintf(value, sizeof(value), "%lld", huge_kb);
	kt_set_next_param("thp", value);
	return 0;
}

/* The fd RETRIEVE_FD gives: flags, close-on-exec, an empty name. */
static int check_new_fd(int fd, const char *name)
{
	char path[64], link[64];
	ssize_t n;

	if (kt_expect("F_GETFL", fcntl(fd, F_GETFL), O_RDWR | K_O_LARGEFILE) ||
	    kt_expect("FD_CLOEXEC", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC))
		return kt_fail("%s: descriptor flags", name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return kt_fail("readlink %s: %s", path, strerror(errno));
	link[n] = '\0';
	if (strcmp(link, "/memfd: (deleted)"))
		return kt_fail("%s: named \"%s\"", name, link);
	return 0;
}

/* 0 for a call that succeeded, -errno for one that failed. */
static int err_of(long ret)
{
	return ret < 0 ? -errno : 0;
}

/* What a sealed memfd must still refuse. */
static int check_sealed(void)
{
	int sealed = fd_of(T_SEALED), future = fd_of(T_FUTURE);
	int noexec = fd_of(T_NOEXEC), page = fd_of(T_PAGE), pos = fd_of(T_POS);
	int execseal = fd_of(T_EXECSEAL);
	void *p;

	if (kt_expect("sealed: pwrite", err_of(pwrite(sealed, "x", 1, 0)), -EPERM) ||
	    kt_expect("sealed: ftruncate down", err_of(ftruncate(sealed, P)), -EPERM) ||
	    kt_expect("sealed: ftruncate up", err_of(ftruncate(sealed, 4 * P)), -EPERM) ||
	    kt_expect("sealed: F_ADD_SEALS",
		      err_of(fcntl(sealed, F_ADD_SEALS, F_SEAL_EXEC)), -EPERM) ||
	    kt_expect("future: pwrite", err_of(pwrite(future, "x", 1, 0)), -EPERM) ||
	    kt_expect("noexec: fchmod +x", err_of(fchmod(noexec, 0777)), -EPERM) ||
	    kt_expect("one page: F_ADD_SEALS",
		      err_of(fcntl(page, F_ADD_SEALS, F_SEAL_GROW)), -EPERM) ||
	    kt_expect("position: ftruncate up", err_of(ftruncate(pos, 4 * P)), -EPERM))
		return -1;
	p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, sealed, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return kt_fail("sealed: writable shared mapping: %s",
			       p == MAP_FAILED ? strerror(errno) : "allowed");
	p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, execseal, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return kt_fail("exec sealed: writable shared mapping: %s",
			       p == MAP_FAILED ? strerror(errno) : "allowed");
	if (kt_expect("exec sealed: pwrite", err_of(pwrite(execseal, "x", 1, 0)), -EPERM))
		return -1;
	p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, future, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return kt_fail("future: writable shared mapping: %s",
			       p == MAP_FAILED ? strerror(errno) : "allowed");
	/* Read-only mappings still work. */
	p = mmap(NULL, P, PROT_READ, MAP_SHARED, sealed, 0);
	if (p == MAP_FAILED)
		return kt_fail("sealed: read-only mapping: %s", strerror(errno));
	munmap(p, P);
	return 0;
}

/*
 * Retrieves the memfd of @m and checks it; Shmem must grow by its pages
 * exactly (none for holes) and free memory not drop: its pages are the ones
 * the previous kernel left, nothing is allocated for them.
 */
static int retrieve_memfd(const struct memfd_spec *m, long long huge_kb)
{
	long long shmem, free_kb, huge, d_shmem, d_free, d_huge;
	int fd;

	shmem = meminfo_kb("Shmem");
	free_kb = mfd_free_kb();
	huge = meminfo_kb("ShmemHugePages");
	fd = luo_retrieve_fd(main_fd, m->token);
	d_shmem = meminfo_kb("Shmem") - shmem;
	d_free = mfd_free_kb() - free_kb;
	d_huge = meminfo_kb("ShmemHugePages") - huge;
	if (fd < 0)
		return kt_fail("%s: RETRIEVE_FD: %s", m->name, strerror(-fd));
	fds[m - specs] = fd;
	kt_diag("%s: Shmem %+lld kB, free %+lld kB, ShmemHugePages %+lld kB",
		m->name, d_shmem, d_free, d_huge);
	if (check_new_fd(fd, m->name) ||
	    kt_expect("Shmem growth (kB)", d_shmem, m->blocks / 2) ||
	    kt_expect("ShmemHugePages growth (kB)", d_huge,
		      m->token == T_THP ? huge_kb : 0))
		return kt_fail("%s: accounting", m->name);
	if (d_free < -1024)
		return kt_fail("%s: free memory dropped by %lld kB", m->name, -d_free);
	return check_memfd(fd, m, m->token == T_WRITER);
}

/* Memfds never retrieved are freed by FINISH. */
static int check_unretrieved(void)
{
	const long long size_kb = (UNRET_A_SIZE + UNRET_B_SIZE) / 1024;
	long long before, rise;
	int err;

	unret_fd = luo_retrieve_session(luo_fd, "unretrieved");
	if (unret_fd < 0)
		return kt_fail("RETRIEVE_SESSION unretrieved: %s", strerror(-unret_fd));
	before = mfd_free_kb();
	err = luo_finish(unret_fd);
	rise = mfd_free_kb() - before;
	if (err)
		return kt_fail("FINISH unretrieved: %s", strerror(-err));
	kt_diag("unretrieved: free memory +%lld kB at FINISH for %lld kB of memfds",
		rise, size_kb);
	/* Give or take the handler's records and the allocations meanwhile. */
	if (before < 0 || rise < size_kb - 1024 || rise > size_kb + 4096)
		return kt_fail("free memory rose by %lld kB at FINISH, expected about %lld kB",
			       rise, size_kb);
	if (kt_expect("RETRIEVE_FD after FINISH", luo_retrieve_fd(unret_fd, T_UNRET_A),
		      -ENOENT))
		return -1;
	close(unret_fd);
	return 0;
}

static int open_device(void)
{
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	return 0;
}

static int generation_2(void)
{
	const char *wseq = kt_param("wseq"), *thp = kt_param("thp");
	char buf[16];
	size_t i;
	int err;

	if (!wseq || !thp)
		return kt_fail("kt.wseq or kt.thp missing from the command line");
	if (open_device())
		return -1;
	main_fd = luo_retrieve_session(luo_fd, "memfds");
	if (main_fd < 0)
		return kt_fail("RETRIEVE_SESSION memfds: %s", strerror(-main_fd));
	for (i = 0; i < ARRAY_SIZE(specs); i++)
		if (retrieve_memfd(&specs[i], atoll(thp)))
			return -1;
	if (check_writer(fd_of(T_WRITER), strtoull(wseq, NULL, 10)) || check_sealed())
		return -1;
	/* The position of the reboot, and reading goes on from there. */
	if (kt_expect("position", lseek(fd_of(T_POS), 0, SEEK_CUR), POS_AFTER) ||
	    kt_expect("read at the position", read(fd_of(T_POS), buf, sizeof(buf)),
		      sizeof(buf)) ||
	    kt_expect("its bytes", mfd_mismatch(buf, sizeof(buf), SEED(T_POS), POS_AFTER),
		      -1))
		return -1;
	err = luo_finish(main_fd);
	if (err)
		return kt_fail("FINISH memfds: %s", strerror(-err));
	/* Finished, they stay as they are: now ordinary memfds. */
	for (i = 0; i < ARRAY_SIZE(specs); i++)
		if (check_memfd(fds[i], &specs[i], true))
			return -1;
	if (ftruncate(fd_of(T_SPARSE), P) || ftruncate(fd_of(T_EMPTY), P))
		return kt_fail("ftruncate of a finished memfd: %s", strerror(errno));

	if (check_unretrieved() || check_chain(2) || create_chain(2))
		return -1;
	return 0;
}

static int generation_3(void)
{
	static const char *const gone[] = { "memfds", "unretrieved", "chain-1" };
	size_t i;

	if (open_device())
		return -1;
	for (i = 0; i < ARRAY_SIZE(gone); i++)
		if (kt_expect(gone[i], luo_retrieve_session(luo_fd, gone[i]), -ENOENT))
			return -1;
	return check_chain(3) || create_chain(3) ? -1 : 0;
}

static int generation_4(void)
{
	return open_device() || check_chain(4) ? -1 : 0;
}

static const struct kt_stage stages[] = {
	{ "memfds of every kind preserved, a writer running into the kexec", generation_1 },
	{ "every memfd back as it was; unretrieved ones freed; chain 2", generation_2 },
	{ "the chain's memfd back, changed and preserved again", generation_3 },
	{ "the chain's memfd back after three live updates", generation_4 },
};

int main(void)
{
	return kt_main("memfd_kexec", stages, ARRAY_SIZE(stages));
}
