// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_numa: a memfd whose pages lie on two NUMA nodes across two live
 * updates, in a guest with two nodes (harness: vm:numa=2).
 *
 * 1. cold boot: KHO has a scratch region on each node; a memfd of 32 MiB
 *    is written under an interleave policy over both nodes, which puts a
 *    good share of its pages on each, and preserved. Which node holds
 *    each page goes to the next kernel as counts and a hash of the map;
 * 2. the memfd comes back with every byte, each page on the node it was
 *    on (the pages never moved), and the inherited scratch still has a
 *    region on each node; preserved again;
 * 3. the same after the second live update.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define NUMA_SIZE	(32LL * 1024 * 1024)
#define NUMA_PAGES	(NUMA_SIZE / 4096)
#define NUMA_TOKEN	0x4e55
#define NUMA_SEED	0x6e756d61ULL
#define NUMA_NODES	2
#define MPOL_INTERLEAVE	3
#define SCRATCH_LIST	"/sys/kernel/debug/kho/out/scratch"
/* Scratch regions are whole CMA blocks (pageblocks of 2 MiB on x86). */
#define SCRATCH_ALIGN	(2ULL << 20)

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd, memfd;

/*
 * Which node holds each page of @fd, through move_pages() on a mapping:
 * per-node counts in @count, and an FNV-1a hash of the whole map.
 */
static int page_nodes(int fd, long count[NUMA_NODES], unsigned long long *hash)
{
	static void *pages[NUMA_PAGES];
	static int status[NUMA_PAGES];
	char *map;
	long i;
	int ret = 0;

	/* MAP_POPULATE maps every page, which move_pages() needs. */
	map = mmap(NULL, NUMA_SIZE, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED)
		return kt_fail("mmap: %s", strerror(errno));
	for (i = 0; i < NUMA_PAGES; i++)
		pages[i] = map + i * 4096;
	if (syscall(SYS_move_pages, 0, NUMA_PAGES, pages, NULL, status, 0)) {
		ret = kt_fail("move_pages: %s", strerror(errno));
		goto out;
	}
	*hash = 0xcbf29ce484222325ULL;
	for (i = 0; i < NUMA_NODES; i++)
		count[i] = 0;
	for (i = 0; i < NUMA_PAGES; i++) {
		if (status[i] < 0 || status[i] >= NUMA_NODES) {
			ret = kt_fail("page %ld: node %d", i, status[i]);
			goto out;
		}
		count[status[i]]++;
		*hash = (*hash ^ status[i]) * 0x100000001b3ULL;
	}
out:
	munmap(map, NUMA_SIZE);
	return ret;
}

/*
 * Sized from the early use (no kho_scratch= with sizes), the node regions
 * together are about as large as low memory and global together: both
 * are twice the kernel's early use, split two ways, each rounded up to a
 * CMA block. A node must not count the scratch regions reserved before
 * its own as its early use (it did: the low-memory region lands at the
 * top of memory, on the last node, which then asked for twice that region
 * again and could fail to find room).
 */
static int check_scratch_sizes(unsigned long long low_global,
			       unsigned long long nodes)
{
	char cmdline[4096];
	unsigned long long slack = (NUMA_NODES + 1) * SCRATCH_ALIGN;

	if (kt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return kt_fail("cannot read /proc/cmdline");
	if (strstr(cmdline, "kho_scratch=") && !strstr(cmdline, "%"))
		return 0;
	kt_diag("scratch: %llu MiB low and global, %llu MiB on the nodes",
		low_global >> 20, nodes >> 20);
	if (nodes > low_global + slack)
		return kt_fail("node scratch %llu MiB > low and global %llu MiB + %llu MiB",
			       nodes >> 20, low_global >> 20, slack >> 20);
	return 0;
}

/* KHO has one scratch region on each node, after low memory and global. */
static int check_scratch(void)
{
	char buf[1024], *line, *save;
	unsigned long long low_global = 0, nodes = 0;
	int nodes_seen = 0, n = 0;

	if (kt_read_file(SCRATCH_LIST, buf, sizeof(buf)) < 0)
		return kt_fail("cannot read %s", SCRATCH_LIST);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		unsigned long long addr, size;
		unsigned int index;
		int nid;

		if (sscanf(line, "%u %llx %llx %d", &index, &addr, &size,
			   &nid) != 4)
			return kt_fail("scratch line '%s'", line);
		kt_diag("scratch %u: %#llx + %#llx on node %d", index, addr,
			size, nid);
		if (index >= 2 && (nid < 0 || nid >= NUMA_NODES || !size))
			return kt_fail("scratch %u is not on one node", index);
		if (index >= 2) {
			nodes_seen |= 1 << nid;
			nodes += size;
		} else {
			low_global += size;
		}
	}
	if (kt_expect("scratch regions", n, 2 + NUMA_NODES) ||
	    kt_expect("nodes with a scratch region", nodes_seen,
		      (1 << NUMA_NODES) - 1))
		return -1;
	return check_scratch_sizes(low_global, nodes);
}

/*
 * Preserves the memfd in a new session "numa-<stage>" and passes its page
 * map on to the next kernel.
 */
static int preserve(void)
{
	unsigned long long hash;
	long count[NUMA_NODES];
	char value[64], name[32];
	int err, i;

	if (page_nodes(memfd, count, &hash))
		return -1;
	kt_diag("pages on node 0: %ld, node 1: %ld", count[0], count[1]);
	for (i = 0; i < NUMA_NODES; i++)
		if (count[i] < NUMA_PAGES / 4)
			return kt_fail("only %ld of %lld pages on node %d",
				       count[i], NUMA_PAGES, i);
	snprintf(value, sizeof(value), "%ld,%ld,%llx", count[0], count[1],
		 hash);
	kt_set_next_param("nodes", value);
	snprintf(name, sizeof(name), "numa-%d", kt_stage_nr());
	session_fd = luo_create_session(luo_fd, name);
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION %s: %s", name,
			       strerror(-session_fd));
	err = luo_preserve_fd(session_fd, memfd, NUMA_TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD: %s", strerror(-err));
	return 0;
}

static int generation_1(void)
{
	unsigned long nodemask = (1UL << NUMA_NODES) - 1;
	char online[32];
	int err;

	if (kt_read_file("/sys/devices/system/node/online", online,
			 sizeof(online)) < 0 || strncmp(online, "0-1", 3))
		return kt_fail("this guest does not have nodes 0-1");
	if (check_scratch())
		return -1;
	if (syscall(SYS_set_mempolicy, MPOL_INTERLEAVE, &nodemask,
		    8 * sizeof(nodemask)))
		return kt_fail("set_mempolicy: %s", strerror(errno));

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	memfd = mfd_create("numa", 0, NUMA_SIZE);
	if (memfd < 0)
		return kt_fail("memfd_create: %s", strerror(-memfd));
	err = mfd_write(memfd, 0, NUMA_SIZE, NUMA_SEED);
	if (err)
		return kt_fail("write: %s", strerror(-err));
	return preserve();
}

/* The memfd back, every byte, every page on its node; preserved again. */
static int retrieve_and_preserve(void)
{
	const char *before = kt_param("nodes");
	unsigned long long hash;
	long count[NUMA_NODES];
	char now[64], name[32];
	off_t bad = 0;
	int err, s;

	if (!before)
		return kt_fail("kt.nodes missing from the command line");
	if (check_scratch())
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	snprintf(name, sizeof(name), "numa-%d", kt_stage_nr() - 1);
	s = luo_retrieve_session(luo_fd, name);
	if (s < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", name, strerror(-s));
	memfd = luo_retrieve_fd(s, NUMA_TOKEN);
	if (memfd < 0)
		return kt_fail("RETRIEVE_FD: %s", strerror(-memfd));
	err = mfd_check(memfd, 0, NUMA_SIZE, NUMA_SEED, &bad);
	if (err < 0)
		return kt_fail("read: %s", strerror(-err));
	if (err)
		return kt_fail("byte %lld differs", (long long)bad);
	if (page_nodes(memfd, count, &hash))
		return -1;
	snprintf(now, sizeof(now), "%ld,%ld,%llx", count[0], count[1], hash);
	if (strcmp(now, before))
		return kt_fail("pages per node and map %s, before the kexec %s",
			       now, before);
	kt_diag("every page on the node it was on: %s", now);
	err = luo_finish(s);
	if (err)
		return kt_fail("FINISH %s: %s", name, strerror(-err));
	close(s);
	return preserve();
}

static const struct kt_stage stages[] = {
	{ "a memfd on two NUMA nodes preserved; a scratch region per node", generation_1 },
	{ "back on the same nodes, every byte; preserved again", retrieve_and_preserve },
	{ "back on the same nodes after a second live update", retrieve_and_preserve },
};

int main(void)
{
	return kt_main("memfd_numa", stages, ARRAY_SIZE(stages));
}
