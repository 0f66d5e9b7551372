// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the memfd preservation selftests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memfd_util.h"

#define MFD_CHUNK	(1024UL * 1024)
#define THP_SHMEM	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/*
 * splitmix64 of the word index: cheap, and every bit of the result depends
 * on every bit of the index and the seed, so a page that landed at the
 * wrong offset or in the wrong file does not match.
 */
uint64_t mfd_word(uint64_t seed, uint64_t off)
{
	uint64_t z;

	if (!seed)
		return 0;
	z = seed + (off / 8 + 1) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Byte @off of stream @seed (little-endian words). */
static uint8_t mfd_byte(uint64_t seed, uint64_t off)
{
	return mfd_word(seed, off & ~7ULL) >> (8 * (off & 7));
}

void mfd_fill(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t *p = buf;
	uint64_t w;

	if (!seed) {
		memset(buf, 0, len);
		return;
	}
	for (; len && (off & 7); len--)
		*p++ = mfd_byte(seed, off++);
	for (; len >= 8; len -= 8, p += 8, off += 8) {
		w = mfd_word(seed, off);
		memcpy(p, &w, 8);
	}
	for (; len; len--)
		*p++ = mfd_byte(seed, off++);
}

long long mfd_mismatch(const void *buf, size_t len, uint64_t seed,
		       uint64_t off)
{
	const uint8_t *p = buf;
	size_t i = 0;
	uint64_t w;

	for (; i < len && ((off + i) & 7); i++)
		if (p[i] != mfd_byte(seed, off + i))
			return i;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != mfd_word(seed, off + i))
			break;
	}
	for (; i < len; i++)
		if (p[i] != mfd_byte(seed, off + i))
			return i;
	return -1;
}

int mfd_create(const char *name, unsigned int flags, off_t size)
{
	int fd = memfd_create(name, flags);

	if (fd < 0)
		return -errno;
	if (size && ftruncate(fd, size)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int mfd_write(int fd, off_t off, off_t len, uint64_t seed)
{
	static char buf[MFD_CHUNK];

	while (len > 0) {
		size_t n = len < (off_t)MFD_CHUNK ? (size_t)len : MFD_CHUNK;
		ssize_t done;

		mfd_fill(buf, n, seed, off);
		done = pwrite(fd, buf, n, off);
		if (done < 0)
			return -errno;
		if ((size_t)done != n)
			return -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

int mfd_check(int fd, off_t off, off_t len, uint64_t seed, off_t *bad)
{
	static char buf[MFD_CHUNK];

	while (len > 0) {
		size_t n = len < (off_t)MFD_CHUNK ? (size_t)len : MFD_CHUNK;
		long long at;
		ssize_t done;

		done = pread(fd, buf, n, off);
		if (done < 0)
			return -errno;
		if ((size_t)done != n)
			return -ENODATA;
		at = mfd_mismatch(buf, n, seed, off);
		if (at >= 0) {
			*bad = off + at;
			return 1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

int mfd_extents(int fd, struct mfd_extent *ext, int max)
{
	off_t saved = lseek(fd, 0, SEEK_CUR), pos = 0, data, hole;
	int n = 0;

	if (saved < 0)
		return -errno;
	/* SEEK_DATA and SEEK_HOLE move the position like any lseek(). */
	for (;;) {
		data = lseek(fd, pos, SEEK_DATA);
		if (data < 0) {
			if (errno != ENXIO)
				n = -errno;
			break;
		}
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0) {
			n = -errno;
			break;
		}
		if (n < max)
			ext[n] = (struct mfd_extent){ .start = data, .end = hole };
		n++;
		pos = hole;
	}
	if (lseek(fd, saved, SEEK_SET) != saved)
		return -errno;
	return n;
}

/* Folds the per-CPU vmstat deltas into the global counters. */
static bool refresh_vmstat(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

long long mfd_meminfo(const char *field)
{
	size_t len = strlen(field);
	long long kb = -1;
	char line[128];
	FILE *f;

	/* Best effort: without it the counters are only less exact. */
	refresh_vmstat();
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtoll(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

long long mfd_free_kb(void)
{
	long long free_kb = mfd_meminfo("MemFree"), pages = 0, count;
	char line[256];
	FILE *f;

	if (free_kb < 0)
		return -1;
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	/* "count:" is only in the per-CPU page sets of each zone. */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &count) == 1)
			pages += count;
	fclose(f);
	return free_kb + pages * (MFD_PAGE / 1024);
}

int mfd_get_shmem_thp(char *buf, size_t size)
{
	char line[128], *lb, *rb;
	FILE *f = fopen(THP_SHMEM, "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	lb = strchr(line, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (!rb)
		return -1;
	snprintf(buf, size, "%.*s", (int)(rb - lb - 1), lb + 1);
	return 0;
}

int mfd_set_shmem_thp(const char *value)
{
	int fd = open(THP_SHMEM, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(value);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, value, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

int mfd_touch_signal(char *addr, bool write)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		/* Atomic, so that the compiler keeps the access. */
		if (write)
			__atomic_store_n(addr, 0x5a, __ATOMIC_RELAXED);
		else
			__atomic_load_n(addr, __ATOMIC_RELAXED);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

long long mfd_blocks(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long long)st.st_blocks;
}
