// SPDX-License-Identifier: GPL-2.0
/*
 * luo_bench: what live update costs, item by item, across a chain of
 * kexecs (make bench runs it and turns its lines into a table).
 *
 * Every generation checks the item the previous one preserved and sets up
 * the next one, so each reboot carries exactly one item:
 *
 *   empty            nothing preserved: the reboot every other is compared to
 *   memfd-1g         a memfd of 1 GiB, every byte written through mmap
 *   memfd-sparse     a memfd of 1 GiB with one page in 64 written
 *   sessions-<N>     N sessions of one LUO test file each
 *   files-<N>        one session of N LUO test files
 *   memfd-4g         (kt.bench.full=1) a memfd of 4 GiB
 *
 * N is 1,000 and 10,000, and 100,000 with kt.bench.full=1. Each figure is
 * printed as "# bench: <item> <figure> <value>": seconds for times, bytes
 * for memory. The program measures what userspace sees (populate, the
 * ioctls, the first full read); the host measures the reboot from the
 * serial lines (see harness/bench.py). Memory is counted from
 * /sys/kernel/debug/kho/out/preserved before and after the preservation:
 * pages and radix nodes added, minus the pages of data. Every byte of
 * every memfd and the value of every test file is checked after the
 * kexec; a mismatch fails the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define GIB		(1024UL * 1024 * 1024)
#define SPARSE_STRIDE	64
#define SESSION		"bench"
#define PRESERVED	"/sys/kernel/debug/kho/out/preserved"

enum kind { EMPTY, MEMFD, SPARSE, SESSIONS, FILES };

struct item {
	const char *name;
	enum kind kind;
	unsigned long n;	/* bytes of a memfd, or sessions, or files */
};

static const struct item quick[] = {
	{ "empty", EMPTY, 0 },
	{ "memfd-1g", MEMFD, GIB },
	{ "memfd-sparse", SPARSE, GIB },
	{ "sessions-1000", SESSIONS, 1000 },
	{ "files-1000", FILES, 1000 },
	{ "sessions-10000", SESSIONS, 10000 },
	{ "files-10000", FILES, 10000 },
};

static const struct item full[] = {
	{ "memfd-4g", MEMFD, 4 * GIB },
	{ "sessions-100000", SESSIONS, 100000 },
	{ "files-100000", FILES, 100000 },
};

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd = -1;
static int *session_fds;

static bool full_run(void)
{
	const char *v = kt_param("bench.full");

	return v && !strcmp(v, "1");
}

static int nr_items(void)
{
	return ARRAY_SIZE(quick) + (full_run() ? ARRAY_SIZE(full) : 0);
}

static const struct item *item_at(int i)
{
	if (i < (int)ARRAY_SIZE(quick))
		return &quick[i];
	return &full[i - ARRAY_SIZE(quick)];
}

static void figure(const struct item *it, const char *what, double value)
{
	kt_diag("bench: %s %s %.6f", it->name, what, value);
}

/* Pages and radix nodes the outgoing tree records; -1 if unreadable. */
static int preserved(long long *pages, long long *nodes)
{
	FILE *f = fopen(PRESERVED, "r");
	int n;

	if (!f)
		return kt_fail(PRESERVED ": %s", strerror(errno));
	n = fscanf(f, "%lld %lld", pages, nodes);
	fclose(f);
	return n == 2 ? 0 : kt_fail(PRESERVED ": unreadable");
}

/* Pages migrated since boot (/proc/vmstat), -1 if unreadable. */
static long long migrated_pages(void)
{
	FILE *f = fopen("/proc/vmstat", "r");
	long long value = -1, v;
	char name[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "pgmigrate_success")) {
			value = v;
			break;
		}
	}
	fclose(f);
	return value;
}

static uint64_t file_value(unsigned long i)
{
	return 0xbe5c000000000000ULL | i;
}

static int open_device(void)
{
	if (luo_fd >= 0)
		return 0;
	luo_fd = luo_open();
	return luo_fd < 0 ? kt_fail("open " LUO_DEVICE ": %s",
				    strerror(-luo_fd)) : 0;
}

static int preserve_memfd(const struct item *it, long long *data_pages)
{
	unsigned long stride = it->kind == SPARSE ? SPARSE_STRIDE : 1;
	unsigned long pages = it->n / MFD_PAGE, p;
	long long moved;
	uint8_t *map;
	double t0;
	int fd, err;

	fd = mfd_create(it->name, 0, it->n);
	if (fd < 0)
		return kt_fail("memfd_create: %s", strerror(-fd));
	map = mmap(NULL, it->n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return kt_fail("mmap: %s", strerror(errno));
	t0 = kt_now();
	for (p = 0; p < pages; p += stride)
		mfd_fill(map + p * MFD_PAGE, MFD_PAGE, 1, p * MFD_PAGE);
	figure(it, "populate_s", kt_now() - t0);
	munmap(map, it->n);
	*data_pages = (pages + stride - 1) / stride;

	moved = migrated_pages();
	t0 = kt_now();
	err = luo_preserve_fd(session_fds[0], fd, 1);
	if (err)
		return kt_fail("PRESERVE_FD: %s", strerror(-err));
	figure(it, "preserve_s", kt_now() - t0);
	/* Pages the allocator had put in scratch move out in the call. */
	if (moved >= 0 && migrated_pages() >= 0)
		figure(it, "moved_pages", migrated_pages() - moved);
	close(fd);
	return 0;
}

static int check_memfd(const struct item *it)
{
	unsigned long stride = it->kind == SPARSE ? SPARSE_STRIDE : 1;
	unsigned long pages = it->n / MFD_PAGE, p;
	uint8_t *map;
	double t0;
	int fd;

	t0 = kt_now();
	fd = luo_retrieve_fd(session_fds[0], 1);
	if (fd < 0)
		return kt_fail("RETRIEVE_FD: %s", strerror(-fd));
	figure(it, "retrieve_s", kt_now() - t0);
	map = mmap(NULL, it->n, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return kt_fail("mmap: %s", strerror(errno));
	t0 = kt_now();
	for (p = 0; p < pages; p++) {
		uint64_t seed = p % stride ? 0 : 1;

		if (mfd_mismatch(map + p * MFD_PAGE, MFD_PAGE, seed,
				 p * MFD_PAGE) >= 0)
			return kt_fail("%s: page %lu differs", it->name, p);
	}
	figure(it, "read_s", kt_now() - t0);
	munmap(map, it->n);
	close(fd);
	return 0;
}

/* Creates (outgoing) or retrieves (incoming) session @i of an item. */
static int item_session(unsigned long i, bool incoming)
{
	char name[32];

	snprintf(name, sizeof(name), SESSION "-%lu", i);
	session_fds[i] = incoming ? luo_retrieve_session(luo_fd, name) :
				    luo_create_session(luo_fd, name);
	if (session_fds[i] < 0)
		return kt_fail("%s %s: %s", incoming ? "RETRIEVE_SESSION" :
			       "CREATE_SESSION", name, strerror(-session_fds[i]));
	return 0;
}

static int preserve_files(const struct item *it)
{
	unsigned long sessions = it->kind == SESSIONS ? it->n : 1, i;
	double t0, create = 0, preserve = 0;
	int err;

	for (i = 0; i < it->n; i++) {
		int s = it->kind == SESSIONS ? i : 0, file;

		if (i < sessions) {
			t0 = kt_now();
			err = item_session(i, false);
			create += kt_now() - t0;
			if (err)
				return err;
		}
		file = luo_test_file(file_value(i));
		if (file < 0)
			return kt_fail("test file: %s", strerror(-file));
		t0 = kt_now();
		err = luo_preserve_fd(session_fds[s], file, i);
		preserve += kt_now() - t0;
		if (err)
			return kt_fail("PRESERVE_FD %lu: %s", i, strerror(-err));
		close(file);
	}
	figure(it, "create_s", create / sessions);
	figure(it, "preserve_s", preserve / it->n);
	return 0;
}

static int check_files(const struct item *it)
{
	unsigned long sessions = it->kind == SESSIONS ? it->n : 1, i;
	double t0, retrieve = 0, finish = 0;
	int err;

	for (i = 0; i < it->n; i++) {
		int s = it->kind == SESSIONS ? i : 0, file;
		uint64_t value = 0;

		t0 = kt_now();
		if (i < sessions && item_session(i, true))
			return -1;
		file = luo_retrieve_fd(session_fds[s], i);
		retrieve += kt_now() - t0;
		if (file < 0)
			return kt_fail("RETRIEVE_FD %lu: %s", i, strerror(-file));
		if (luo_test_value(file, &value) || value != file_value(i))
			return kt_fail("file %lu holds %#llx", i,
				       (unsigned long long)value);
		close(file);
	}
	for (i = 0; i < sessions; i++) {
		t0 = kt_now();
		err = luo_finish(session_fds[i]);
		finish += kt_now() - t0;
		if (err)
			return kt_fail("FINISH: %s", strerror(-err));
		close(session_fds[i]);
	}
	figure(it, "retrieve_s", retrieve / it->n);
	/* Per item too: a session of N files finishes them all. */
	figure(it, "finish_s", finish / it->n);
	return 0;
}

/* Checks what the previous generation preserved, then finishes it. */
static int check_item(const struct item *it)
{
	double t0 = kt_now();
	int err;

	err = open_device();
	if (err)
		return err;
	figure(it, "first_open_s", kt_now() - t0);
	switch (it->kind) {
	case EMPTY:
		return 0;
	case MEMFD:
	case SPARSE:
		session_fds[0] = luo_retrieve_session(luo_fd, SESSION);
		if (session_fds[0] < 0)
			return kt_fail("RETRIEVE_SESSION: %s",
				       strerror(-session_fds[0]));
		err = check_memfd(it);
		if (!err)
			err = luo_finish(session_fds[0]);
		if (err)
			return kt_fail("FINISH: %s", strerror(-err));
		close(session_fds[0]);
		return 0;
	default:
		return check_files(it);
	}
}

/* Preserves @it for the next generation, and says what memory it took. */
static int preserve_item(const struct item *it)
{
	long long pages0, nodes0, pages1, nodes1, data_pages = 0;
	int err;

	err = open_device();
	if (!err)
		err = preserved(&pages0, &nodes0);
	if (err)
		return err;
	switch (it->kind) {
	case EMPTY:
		break;
	case MEMFD:
	case SPARSE:
		session_fds[0] = luo_create_session(luo_fd, SESSION);
		if (session_fds[0] < 0)
			return kt_fail("CREATE_SESSION: %s",
				       strerror(-session_fds[0]));
		err = preserve_memfd(it, &data_pages);
		break;
	default:
		err = preserve_files(it);
		break;
	}
	if (!err)
		err = preserved(&pages1, &nodes1);
	if (err)
		return err;
	figure(it, "data_bytes", data_pages * MFD_PAGE);
	figure(it, "metadata_bytes",
	       (pages1 - pages0 - data_pages + nodes1 - nodes0) * MFD_PAGE);
	return 0;
}

static int bench_stage(void)
{
	int stage = kt_stage_nr(), err;

	session_fds = calloc(100000, sizeof(*session_fds));
	if (!session_fds)
		return kt_fail("out of memory");
	err = luo_ensure_nofile(100000 + 64);
	if (err)
		return kt_fail("RLIMIT_NOFILE: %s", strerror(-err));
	if (stage > 1) {
		err = check_item(item_at(stage - 2));
		if (err)
			return err;
	}
	if (stage > nr_items())
		return 0;
	return preserve_item(item_at(stage - 1));
}

int main(void)
{
	static struct kt_stage stages[ARRAY_SIZE(quick) + ARRAY_SIZE(full) + 1];
	int i, n = nr_items() + 1;

	for (i = 0; i < n; i++) {
		stages[i].name = i < n - 1 ? item_at(i)->name : "last check";
		stages[i].run = bench_stage;
	}
	return kt_main("luo_bench", stages, n);
}
