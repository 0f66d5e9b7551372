/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the memfd preservation selftests: contents that can be
 * checked byte for byte without keeping a copy, the layout of a sparse
 * file, and the memory counters of /proc/meminfo.
 *
 * Contents are streams of 64-bit words: word i of stream @seed is a
 * function of (@seed, i) only, so any range can be written or checked on
 * its own, in any order, in any generation of a kexec chain.
 */
#ifndef _MEMFD_UTIL_H
#define _MEMFD_UTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#define MFD_PAGE	4096UL

/* 6.3's uAPI, newer than some C libraries. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL	0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC	0x0020
#endif

/* The word at byte offset @off (a multiple of 8) of stream @seed. */
uint64_t mfd_word(uint64_t seed, uint64_t off);

/* Fills @len bytes at @buf with stream @seed from its byte offset @off. */
void mfd_fill(void *buf, size_t len, uint64_t seed, uint64_t off);

/*
 * The first byte of @buf (@len bytes) that differs from stream @seed
 * starting at byte offset @off, as an index into @buf; -1 if none does.
 * Seed 0 is the stream of zeros.
 */
long long mfd_mismatch(const void *buf, size_t len, uint64_t seed,
		       uint64_t off);

/* A new memfd (memfd_create(@name, @flags)) of @size bytes, or -errno. */
int mfd_create(const char *name, unsigned int flags, off_t size);

/*
 * Writes stream @seed over [@off, @off + @len) of @fd with pwrite(), the
 * stream's offsets being the file's. Returns 0 or -errno (-EIO for a
 * short write).
 */
int mfd_write(int fd, off_t off, off_t len, uint64_t seed);

/*
 * Reads [@off, @off + @len) of @fd with pread() and compares it with
 * stream @seed (0: zeros). Returns 0 when every byte matches, 1 after
 * storing the file offset of the first byte that does not in @bad, or
 * -errno (-ENODATA for a short read).
 */
int mfd_check(int fd, off_t off, off_t len, uint64_t seed, off_t *bad);

/* A range of a file that SEEK_DATA reports as data: [start, end). */
struct mfd_extent {
	off_t start;
	off_t end;
};

/*
 * The data extents of @fd from SEEK_DATA and SEEK_HOLE over the whole
 * file; the file position is left as it was. Stores up to @max of them
 * in @ext. Returns how many there are (more than @max if they did not
 * fit), or -errno.
 */
int mfd_extents(int fd, struct mfd_extent *ext, int max);

/*
 * A field of /proc/meminfo in kB, after folding the per-CPU counter
 * deltas into the global ones (/proc/sys/vm/stat_refresh) so that two
 * readings compare to the page. -1 if it cannot be read.
 */
long long mfd_meminfo(const char *field);

/*
 * Free memory in kB: MemFree and the pages on the per-CPU free lists
 * (/proc/zoneinfo), which MemFree leaves out. Those lists can hold tens
 * of MiB, so only the sum shows where a large free went. -1 on errors.
 */
long long mfd_free_kb(void);

/*
 * The value of /sys/kernel/mm/transparent_hugepage/shmem_enabled, the one
 * in brackets, into @buf; 0 or -1.
 */
int mfd_get_shmem_thp(char *buf, size_t size);
/* Sets it to @value ("always", "never", "deny", ...): 0 or -1. */
int mfd_set_shmem_thp(const char *value);

/*
 * Reads (or, if @write, writes) the byte at @addr in a child process, so
 * that a SIGBUS ends only the child. Returns the signal that ended it, 0
 * if none did, -1 if there was no child.
 */
int mfd_touch_signal(char *addr, bool write);

/* The blocks (512-byte units) fstat() reports for @fd, or -1. */
long long mfd_blocks(int fd);

#endif /* _MEMFD_UTIL_H */
