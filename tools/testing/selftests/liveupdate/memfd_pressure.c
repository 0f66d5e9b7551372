// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_pressure: PRESERVE_FD when memory is short, fragmented or limited
 * by a memory cgroup. Every refusal must be an errno that comes promptly,
 * no process may be killed, and whatever was preserved must come back
 * after the kexec byte for byte.
 *
 * 1. cold boot, one scenario after the other, each in a child process
 *    whose death by a signal (the OOM killer) fails the stage:
 *    - charged: a task in a memory cgroup preserves empty memfds; what
 *      LUO, KHO and the memfd handler hold for each is charged to that
 *      cgroup (at least 2 KiB a file; nothing was before), and under a
 *      2 MiB limit PRESERVE_FD fails with ENOMEM with no OOM kill, and
 *      the charge goes away with the session;
 *    - small, huge: memfds of 64 KiB (small pages) and of 2 MiB (shmem
 *      THP) filling nearly all free memory, preserved one by one until
 *      PRESERVE_FD fails: it must fail with ENOMEM (the pages in the KHO
 *      scratch areas cannot all move out) instead of having the caller
 *      OOM-killed, and every byte of every memfd must still be there;
 *    - kexec: kexec_file_load() of an initramfs as large as 7/8 of memory
 *      (a sparse memfd: reading it allocates nothing but the kernel's
 *      buffer) must fail with ENOMEM, not wake the OOM killer (which it
 *      did: kernel_read_file() allocated the buffer with plain vmalloc()),
 *      and leave nothing loaded;
 *    - kexec copies: with only 3/2 of a 64 MiB initramfs free outside
 *      scratch for the kernel (a preserved memfd takes the rest),
 *      kexec_file_load() can read the file but not copy it into the pages
 *      it keeps for the reboot: ENOMEM again, not the OOM killer (which it
 *      was: the copies were allocated with GFP_HIGHUSER), and nothing
 *      loaded;
 *    - fragmented (in this process, kept for the kexec): a filler memfd
 *      takes the free memory outside scratch but for 128 MiB (which
 *      kexec_file_load() needs) and loses every other page, and is
 *      preserved, so that the memory outside scratch is pinned pages with
 *      4 KiB holes between them; then a memfd of 2 MiB folios, which land
 *      in scratch, is preserved: no 2 MiB block can be found for them
 *      outside scratch, and PRESERVE_FD must return (0 after moving their
 *      pages one by one, or ENOMEM) within BOUND_S seconds instead of
 *      looping in compaction;
 * 2. in a child in a memory cgroup limited to about half of the filler's
 *    pages, RETRIEVE_FD of the filler must fail with ENOMEM, not have the
 *    child OOM-killed (the pages are charged as they go into the new
 *    memfd); with the limit lifted the next RETRIEVE_FD goes on from what
 *    the failed one built (a failed retrieve was final), and the filler
 *    and the THP memfd (if it was preserved) come back with every byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define PAGE		((off_t)MFD_PAGE)
#define MIB		(1024LL * 1024)
#define CG_ROOT		"/sys/fs/cgroup"
#define CG		CG_ROOT "/luo"
#define CHARGED_FILES	2000
#define CHARGED_FIRST	200
#define CHARGED_LIMIT	(2 * MIB)
#define MIN_CHARGE	2048	/* bytes a preserved empty memfd holds, at least */
#define BOUND_S		60	/* a refusal comes faster than this */
#define CHILD_S		600	/* a scenario ends within this */
#define SEED		0x7072657373ULL
#define FILLER_TOKEN	1
#define THP_TOKEN	2
#define THP_SIZE	(64 * MIB)
#define KEXEC_ROOM	(128 * MIB)
#define UNUSABLE	(24 * MIB)

static int luo_fd, frag_session, filler, thp;

/*
 * Runs @fn(@arg) in a child and waits for it at most CHILD_S seconds.
 * Returns 0 when it exited with 0; a child killed by a signal (SIGKILL:
 * the OOM killer) or stuck fails the stage.
 */
static int in_child(const char *what, int (*fn)(long), long arg)
{
	double end = kt_now() + CHILD_S;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return kt_fail("fork: %s", strerror(errno));
	if (!pid) {
		int ret = fn(arg);

		fflush(stdout);
		_exit(ret ? 1 : 0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (kt_now() > end) {
			kill(pid, SIGKILL);
			return kt_fail("%s: no end after %d s", what, CHILD_S);
		}
		usleep(100 * 1000);
	}
	if (WIFSIGNALED(status))
		return kt_fail("%s: the process was killed by signal %d", what,
			       WTERMSIG(status));
	return WEXITSTATUS(status) ? -1 : 0;
}

static int write_str(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* A number in a cgroup file: the first one, or the one after "@key ". */
static long long cg_read(const char *file, const char *key)
{
	char path[128], buf[4096], *p;
	int n;

	snprintf(path, sizeof(path), CG "/%s", file);
	n = kt_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return -1;
	if (!key)
		return strtoll(buf, NULL, 10);
	for (p = buf; p; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return strtoll(p + strlen(key) + 1, NULL, 10);
	}
	return -1;
}

static int cg_setup(void)
{
	int err;

	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		return kt_fail("mounting cgroup2: %s", strerror(errno));
	err = write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (err)
		return kt_fail("enabling the memory controller: %s",
			       strerror(-err));
	if (mkdir(CG, 0755) && errno != EEXIST)
		return kt_fail("mkdir %s: %s", CG, strerror(errno));
	return 0;
}

/* Non-zero bytes per page: the file, a page at a time, or its holes. */
static int check_sparse(int fd, off_t size, uint64_t seed, int every)
{
	off_t off;

	for (off = 0; off < size; off += PAGE) {
		bool data = !((off / PAGE) % every);
		off_t bad;
		int err;

		err = mfd_check(fd, off, PAGE, data ? seed : 0, &bad);
		if (err)
			return kt_fail("byte %lld (%s page): %s", (long long)bad,
				       data ? "data" : "hole",
				       err < 0 ? strerror(-err) : "differs");
	}
	return 0;
}

static int in_cgroup(long files)
{
	long long before, after, per, current;
	static int fds[CHARGED_FILES];
	char value[32];
	int s, err = 0;
	long i;

	snprintf(value, sizeof(value), "%d", getpid());
	err = write_str(CG "/cgroup.procs", value);
	if (err)
		return kt_fail("joining %s: %s", CG, strerror(-err));
	if (files > CHARGED_FILES)
		return kt_fail("charged: at most %d files", CHARGED_FILES);
	if (luo_ensure_nofile(files + 64))
		return kt_fail("RLIMIT_NOFILE");
	for (i = 0; i < files; i++) {
		fds[i] = mfd_create("charged", 0, 0);
		if (fds[i] < 0)
			return kt_fail("memfd_create: %s", strerror(-fds[i]));
	}
	s = luo_create_session(luo_fd, "charged");
	if (s < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-s));

	before = cg_read("memory.current", NULL);
	for (i = 0; i < CHARGED_FIRST; i++) {
		err = luo_preserve_fd(s, fds[i], i + 1);
		if (err)
			return kt_fail("PRESERVE_FD %ld: %s", i, strerror(-err));
	}
	after = cg_read("memory.current", NULL);
	per = (after - before) / CHARGED_FIRST;
	kt_diag("charged: %lld bytes a preserved empty memfd", per);
	if (per < MIN_CHARGE)
		return kt_fail("an empty memfd charged %lld bytes, not %d or more",
			       per, MIN_CHARGE);

	snprintf(value, sizeof(value), "%lld", after + CHARGED_LIMIT);
	err = write_str(CG "/memory.max", value);
	if (err)
		return kt_fail("memory.max: %s", strerror(-err));
	for (; i < files; i++) {
		err = luo_preserve_fd(s, fds[i], i + 1);
		if (err)
			break;
	}
	/*
	 * At the limit even opening a cgroup file could not get its inode:
	 * give the session up first, which must give the charge back.
	 */
	close(s);
	kt_diag("charged: %ld more under a %lld KiB limit, then %s", i - CHARGED_FIRST,
		CHARGED_LIMIT / 1024, err ? strerror(-err) : "none");
	if (kt_expect("PRESERVE_FD under the limit", err, -ENOMEM) ||
	    kt_expect("OOM kills in the cgroup", cg_read("memory.events", "oom_kill"), 0))
		return -1;
	current = cg_read("memory.current", NULL);
	kt_diag("charged: %lld KiB after closing the session", current / 1024);
	if (current > before + CHARGED_LIMIT / 4)
		return kt_fail("%lld KiB still charged after the session was closed",
			       (current - before) / 1024);
	return write_str(CG "/memory.max", "max");
}

/*
 * Memfds of @size bytes, each created, written and preserved in turn,
 * until PRESERVE_FD fails, which it must, with ENOMEM, before the memory
 * outside scratch runs out: their pages cannot live in scratch, and
 * together they are larger than the memory there is.
 */
static int exhaust(long size)
{
	long long free_kb = mfd_meminfo("MemFree");
	int n = free_kb * 1024 / size, s, i, fd, err = 0;
	const char *kind = size > PAGE * 16 ? "huge" : "small";
	int *fds = calloc(n, sizeof(*fds));
	double t0, slowest = 0;

	if (!fds || n < 16)
		return kt_fail("%s: no room for a test (%lld kB free)", kind, free_kb);
	if (luo_ensure_nofile(n + 64))
		return kt_fail("RLIMIT_NOFILE");
	if (mfd_set_shmem_thp(size >= 2 * MIB ? "always" : "deny"))
		return kt_fail("shmem_enabled");
	s = luo_create_session(luo_fd, kind);
	if (s < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-s));
	t0 = kt_now();
	for (i = 0; i < n; i++) {
		double t1;

		fds[i] = mfd_create(kind, 0, size);
		if (fds[i] < 0)
			return kt_fail("%s: memfd_create %d: %s", kind, i, strerror(-fds[i]));
		err = mfd_write(fds[i], 0, size, SEED + i);
		if (err)
			return kt_fail("%s: writing memfd %d: %s", kind, i, strerror(-err));
		t1 = kt_now();
		err = luo_preserve_fd(s, fds[i], i + 1);
		t1 = kt_now() - t1;
		slowest = t1 > slowest ? t1 : slowest;
		if (err)
			break;
	}
	mfd_set_shmem_thp("deny");
	kt_diag("%s: %d memfds of %ld KiB preserved in %.1f s (slowest %.2f s), then %s",
		kind, i, size / 1024, kt_now() - t0, slowest, err ? strerror(-err) : "none");
	kt_diag("%s: MemFree %lld kB, CmaFree %lld kB", kind, mfd_meminfo("MemFree"),
		mfd_meminfo("CmaFree"));
	if (kt_expect("PRESERVE_FD when memory outside scratch is short", err, -ENOMEM))
		return -1;
	if (slowest > BOUND_S)
		return kt_fail("%s: a PRESERVE_FD took %.0f s", kind, slowest);
	/* The refused memfd is not frozen, and nothing lost a byte. */
	fd = fds[i];
	if (ftruncate(fd, size + PAGE) || ftruncate(fd, size))
		return kt_fail("%s: the refused memfd stays frozen: %s", kind, strerror(errno));
	for (n = i + 1, i = 0; i < n; i++) {
		off_t bad;

		err = mfd_check(fds[i], 0, size, SEED + i, &bad);
		if (err)
			return kt_fail("%s: memfd %d, byte %lld: %s", kind, i, (long long)bad,
				       err < 0 ? strerror(-err) : "differs");
	}
	close(s);
	return 0;
}

/*
 * kexec_file_load() of this kernel with a sparse initramfs of @size bytes
 * (reading it allocates nothing but the kernel's buffer): it must fail
 * with ENOMEM and leave nothing loaded.
 */
static int kexec_expect_enomem(const char *what, off_t size)
{
	char loaded[16] = "";
	int kernel, initrd;
	double t0;
	long ret;

	kernel = open("/boot/bzImage", O_RDONLY | O_CLOEXEC);
	initrd = mfd_create("initrd", MFD_CLOEXEC, size);
	if (kernel < 0 || initrd < 0)
		return kt_fail("%s: /boot/bzImage or the memfd", what);
	t0 = kt_now();
	ret = syscall(SYS_kexec_file_load, kernel, initrd, 1UL, "", 0UL);
	kt_diag("%s: kexec_file_load() of a %lld MiB initramfs: %s after %.1f s", what,
		(long long)size >> 20, ret ? strerror(errno) : "loaded", kt_now() - t0);
	if (kt_expect(what, ret ? -errno : 0, -ENOMEM))
		return -1;
	if (kt_read_file("/sys/kernel/kexec_loaded", loaded, sizeof(loaded)) < 0 ||
	    loaded[0] != '0')
		return kt_fail("%s: an image is loaded after the failure", what);
	close(initrd);
	close(kernel);
	return 0;
}

/* An initramfs as large as 7/8 of memory: the buffer cannot be had. */
static int kexec_too_big(long unused)
{
	long long total_kb = mfd_meminfo("MemTotal");

	return kexec_expect_enomem("kexec", total_kb * 1024 / 8 * 7 / PAGE * PAGE) ?:
	       unused;
}

/*
 * kexec_file_load() that can read its initramfs but not copy it: its
 * pages cannot live in scratch (that is where the segments will go), so
 * it needs the initramfs twice outside scratch, and gets it once and a
 * half. Of the free memory outside scratch, about UNUSABLE is not there
 * for the kernel's allocations (ZONE_DMA, the watermarks). The rest is
 * taken by a preserved memfd, whose pages PRESERVE_FD moves out of
 * scratch and pins (anonymous memory would land in scratch as well, and
 * filling all of it first took minutes under KASAN).
 */
static int kexec_copies(long unused)
{
	const off_t size = 64 * MIB;
	long long outside = (mfd_meminfo("MemFree") - mfd_meminfo("CmaFree")) * 1024;
	off_t fill = (outside - (size / 2 * 3 + UNUSABLE)) / (2 * MIB) * (2 * MIB);
	int s, fd, err;

	if (fill > 0) {
		fd = mfd_create("copies", 0, fill);
		s = luo_create_session(luo_fd, "copies");
		if (fd < 0 || s < 0)
			return kt_fail("kexec copies: a memfd or a session");
		err = mfd_write(fd, 0, fill, SEED);
		if (!err)
			err = luo_preserve_fd(s, fd, 1);
		if (err)
			return kt_fail("kexec copies: preserving %lld MiB: %s",
				       (long long)fill >> 20, strerror(-err));
	}
	kt_diag("kexec copies: %lld MiB free outside scratch",
		(mfd_meminfo("MemFree") - mfd_meminfo("CmaFree")) >> 10);
	return kexec_expect_enomem("kexec copies", size) ?: unused;
}

static int fragmented_memory(void)
{
	long long free_kb = mfd_meminfo("MemFree") - mfd_meminfo("CmaFree");
	/*
	 * The memory outside scratch, but for KEXEC_ROOM: kexec_file_load()
	 * needs that much there for the image and the initramfs at the end.
	 */
	off_t size = (free_kb * 1024 - KEXEC_ROOM) / (2 * MIB) * (2 * MIB), off;
	long long huge;
	char value[32];
	double t0;
	int err;

	if (size < 64 * MIB)
		return kt_fail("fragmented: no room (%lld kB free)", free_kb);
	snprintf(value, sizeof(value), "%lld", (long long)size);
	kt_set_next_param("filler", value);
	if (mfd_set_shmem_thp("deny"))
		return kt_fail("shmem_enabled");
	filler = mfd_create("filler", 0, size);
	if (filler < 0)
		return kt_fail("memfd_create: %s", strerror(-filler));
	err = mfd_write(filler, 0, size, SEED);
	if (err)
		return kt_fail("writing the filler: %s", strerror(-err));
	for (off = PAGE; off < size; off += 2 * PAGE)
		if (fallocate(filler, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, PAGE))
			return kt_fail("punching the filler: %s", strerror(errno));
	frag_session = luo_create_session(luo_fd, "fragmented");
	if (frag_session < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-frag_session));
	t0 = kt_now();
	err = luo_preserve_fd(frag_session, filler, FILLER_TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD of the filler: %s", strerror(-err));
	kt_diag("fragmented: filler of %lld MiB, half of it holes, preserved in %.1f s",
		(long long)size / MIB, kt_now() - t0);

	huge = mfd_meminfo("ShmemHugePages");
	if (mfd_set_shmem_thp("always"))
		return kt_fail("shmem_enabled");
	thp = mfd_create("thp", 0, THP_SIZE);
	err = thp < 0 ? thp : mfd_write(thp, 0, THP_SIZE, SEED + 1);
	mfd_set_shmem_thp("deny");
	if (err)
		return kt_fail("the THP memfd: %s", strerror(-err));
	huge = mfd_meminfo("ShmemHugePages") - huge;
	kt_diag("fragmented: THP memfd of %lld MiB, %lld MiB of it in 2 MiB folios",
		THP_SIZE / MIB, huge / 1024);
	kt_diag("fragmented: CmaFree %lld kB, MemFree %lld kB", mfd_meminfo("CmaFree"),
		mfd_meminfo("MemFree"));

	t0 = kt_now();
	err = luo_preserve_fd(frag_session, thp, THP_TOKEN);
	kt_diag("fragmented: PRESERVE_FD of the THP memfd: %s after %.1f s, ShmemHugePages %lld kB",
		err ? strerror(-err) : "preserved", kt_now() - t0, mfd_meminfo("ShmemHugePages"));
	if (kt_now() - t0 > BOUND_S)
		return kt_fail("PRESERVE_FD took more than %d s", BOUND_S);
	if (err && err != -ENOMEM)
		return kt_fail("PRESERVE_FD of the THP memfd: %s", strerror(-err));
	kt_set_next_param("thp", err ? "0" : "1");
	if (mfd_check(thp, 0, THP_SIZE, SEED + 1, &(off_t){ 0 }))
		return kt_fail("the THP memfd lost bytes");
	return check_sparse(filler, size, SEED, 2);
}

static int generation_1(void)
{
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	if (cg_setup() || in_child("charged", in_cgroup, CHARGED_FILES) ||
	    in_child("small", exhaust, 64 * 1024) ||
	    in_child("huge", exhaust, 2 * MIB) ||
	    in_child("kexec", kexec_too_big, 0) ||
	    in_child("kexec copies", kexec_copies, 0))
		return -1;
	return fragmented_memory();
}

static int retrieve_limited(long size)
{
	const char *has_thp = kt_param("thp");
	int s, fd, err, max_fd;
	long long limit;
	char value[32];
	bool lifted;

	snprintf(value, sizeof(value), "%d", getpid());
	err = write_str(CG "/cgroup.procs", value);
	if (err)
		return kt_fail("joining %s: %s", CG, strerror(-err));
	s = luo_retrieve_session(luo_fd, "fragmented");
	if (s < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-s));

	/* Every other page of the filler holds data: a quarter is half. */
	limit = cg_read("memory.current", NULL) + size / 4;
	kt_diag("limited: RETRIEVE_FD of a %ld MiB filler under a %lld MiB limit",
		(long)(size / MIB), limit / MIB);
	/*
	 * Once the retrieve has filled the cgroup, nothing may need a new
	 * page before the limit is lifted (a first touch of a page of this
	 * program would wake the OOM killer of the cgroup): the file is
	 * opened, and the pages this uses are touched, before.
	 */
	max_fd = open(CG "/memory.max", O_WRONLY);
	if (max_fd < 0)
		return kt_fail("memory.max: %s", strerror(errno));
	snprintf(value, sizeof(value), "%lld", limit);
	if (write(max_fd, value, strlen(value)) < 0)
		return kt_fail("memory.max: %s", strerror(errno));
	fd = luo_retrieve_fd(s, FILLER_TOKEN);
	lifted = write(max_fd, "max", 3) == 3;
	close(max_fd);
	kt_diag("limited: %s", fd < 0 ? strerror(-fd) : "retrieved");
	if (!lifted)
		return kt_fail("memory.max: the limit stays");
	if (kt_expect("RETRIEVE_FD under the limit", fd < 0 ? fd : 0, -ENOMEM) ||
	    kt_expect("OOM kills in the cgroup", cg_read("memory.events", "oom_kill"), 0))
		return -1;

	fd = luo_retrieve_fd(s, FILLER_TOKEN);
	if (fd < 0)
		return kt_fail("RETRIEVE_FD of the filler, limit lifted: %s", strerror(-fd));
	if (check_sparse(fd, size, SEED, 2))
		return -1;
	if (*has_thp == '1') {
		fd = luo_retrieve_fd(s, THP_TOKEN);
		if (fd < 0)
			return kt_fail("RETRIEVE_FD of the THP memfd: %s", strerror(-fd));
		if (mfd_check(fd, 0, THP_SIZE, SEED + 1, &(off_t){ 0 }))
			return kt_fail("the THP memfd lost bytes");
	}
	return luo_finish(s) ? kt_fail("FINISH") : 0;
}

static int generation_2(void)
{
	const char *size = kt_param("filler"), *has_thp = kt_param("thp");

	if (!size || !has_thp)
		return kt_fail("kt.filler or kt.thp missing");
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	return cg_setup() ||
	       in_child("limited", retrieve_limited, strtol(size, NULL, 10));
}

static const struct kt_stage stages[] = {
	{ "preserving in a cgroup, with memory full, with memory fragmented", generation_1 },
	{ "the filler retrieved under a cgroup limit, then whole", generation_2 },
};

int main(void)
{
	return kt_main("memfd_pressure", stages, ARRAY_SIZE(stages));
}
