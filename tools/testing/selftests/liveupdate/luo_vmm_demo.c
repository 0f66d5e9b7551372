// SPDX-License-Identifier: GPL-2.0
/*
 * luo_vmm_demo: how a virtual machine monitor keeps a guest's memory across
 * a live update of the host kernel, in one small program.
 *
 * 1. The VMM before the update: guest RAM is a memfd of
 *    "kt.vmm_demo.mib=N" MiB (16 by default), mapped shared; with
 *    "kt.vmm_demo.hugetlb=2M" or "=1G" a hugetlb memfd of huge pages of
 *    that size (the size rounded up to them), from a pool the VMM sets
 *    up, and the next generation checks they are mapped as huge pages
 *    of the same size, the same memory, counted as surplus. A workload
 *    thread stands for the running guest: it rewrites guest RAM one 4 KiB
 *    page at a time, without end, and after each page records in the first
 *    page how far it got. The memfd is preserved in a session while the
 *    workload runs; then the stage library loads the next kernel and
 *    reboots into it, and the workload writes until the old kernel stops
 *    its CPU.
 * 2. The VMM after the update: it retrieves the memfd, checks every byte
 *    against what the workload must have written, up to the last write
 *    that completed before the reboot, lets the workload go on from there,
 *    checks again and finishes the session.
 *
 * A data page holds 512 words, each naming the write that stored it: the
 * generation of the kernel, the number of the write and the word's place
 * in the page. Write number n goes to data page n % (data pages), so the
 * expected value of every byte follows from the count of completed writes.
 *
 * The lines "# vmm: ..." say what happened and how long it took, as the
 * program measured it; harness/demo.py reads them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hugetlb_util.h"
#include "kexec_stage.h"
#include "luo_util.h"

#define SESSION_NAME	"vmm-demo-guest"
#define RAM_TOKEN	0x6a6d
#define MIB_DEFAULT	16
#define MIB_MAX		65536
#define GUEST_PAGE	4096
#define PAGE_WORDS	(GUEST_PAGE / sizeof(uint64_t))
#define RAM_MAGIC	0x6f6d65642d6d6d76ULL	/* "vmm-demo" */
#define MAX_GEN		2
#define SEQ_BITS	47

/*
 * The first page of guest RAM. A guest keeps its own state in its own
 * memory; this is the part the next generation needs to know which writes
 * completed before the reboot, and when.
 */
struct guest_header {
	uint64_t magic;
	uint64_t bytes;
	uint64_t tsc_hz;			/* as measured by generation 1 */
	uint64_t gen;				/* the generation writing now */
	uint64_t first_write[MAX_GEN + 1];	/* of each generation */
	uint64_t done;				/* writes completed */
	uint64_t last_tsc;			/* TSC when one last completed */
};

/* Guest RAM and the descriptors that must stay open across the kexec. */
static uint8_t *ram;
static uint64_t ram_bytes, data_pages;
static unsigned long huge_page;		/* hugetlb page size, 0 for shmem */
static int luo_fd, session_fd, ram_fd;

static pthread_t worker;
static bool stop_workload;

static struct guest_header *header(void)
{
	return (struct guest_header *)ram;
}

static uint64_t *data_page(uint64_t k)
{
	return (uint64_t *)(ram + (k + 1) * GUEST_PAGE);
}

/* What word @w of the page that write @n of generation @gen stored holds. */
static uint64_t stamp(uint64_t gen, uint64_t n, uint64_t w)
{
	return gen << 56 | (n & ((1ULL << SEQ_BITS) - 1)) << 9 | w;
}

/* The generation that made write @n. */
static uint64_t writer_of(const struct guest_header *h, uint64_t n)
{
	uint64_t gen = h->gen;

	while (gen > 1 && n < h->first_write[gen])
		gen--;
	return gen;
}

/*
 * The time stamp counter goes on across a kexec, unlike every clock of the
 * kernel, so it times the blackout from the last write in the old kernel.
 * Without one, the blackout is only timed from the host.
 */
static uint64_t tsc(void)
{
#if __has_builtin(__builtin_ia32_rdtsc)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void write_page(uint64_t gen, uint64_t n)
{
	uint64_t *page = data_page(n % data_pages);
	uint64_t w;

	for (w = 0; w < PAGE_WORDS; w++)
		page[w] = stamp(gen, n, w);
}

/*
 * The guest. The count of completed writes is stored after the page, with
 * release ordering, so that whenever the CPU stops, every write the count
 * includes is entirely in memory; at most the one after it is torn.
 */
static void *workload(void *arg)
{
	struct guest_header *h = header();
	uint64_t gen = h->gen, n = h->done;

	(void)arg;
	while (!__atomic_load_n(&stop_workload, __ATOMIC_RELAXED)) {
		write_page(gen, n);
		__atomic_store_n(&h->last_tsc, tsc(), __ATOMIC_RELEASE);
		__atomic_store_n(&h->done, ++n, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int start_workload(void)
{
	int err;

	__atomic_store_n(&stop_workload, false, __ATOMIC_RELAXED);
	err = pthread_create(&worker, NULL, workload, NULL);
	if (err)
		return kt_fail("pthread_create: %s", strerror(err));
	return 0;
}

static void stop_and_wait(void)
{
	__atomic_store_n(&stop_workload, true, __ATOMIC_RELAXED);
	pthread_join(worker, NULL);
}

static uint64_t writes_done(void)
{
	return __atomic_load_n(&header()->done, __ATOMIC_ACQUIRE);
}

static int mismatch(const char *when, const uint64_t *word, uint64_t gen,
		    uint64_t n)
{
	uint64_t w = word - (const uint64_t *)ram;

	return kt_fail("%s: guest RAM at %#llx holds %#llx, not %#llx (write %llu, gen %llu)",
		       when, (unsigned long long)w * sizeof(*word),
		       (unsigned long long)*word,
		       (unsigned long long)stamp(gen, n, w % PAGE_WORDS),
		       (unsigned long long)n, (unsigned long long)gen);
}

/*
 * Check every word of the data pages against the writes the header counts.
 * The write after the last counted one may have been cut short by the
 * reboot: unless @settled, each word of its page may hold the stamp of that
 * write or the one it replaces.
 */
static int verify(const char *when, bool settled)
{
	const struct guest_header *h = header();
	uint64_t done = h->done, torn = done % data_pages;
	uint64_t k, w;

	if (done < data_pages)
		return kt_fail("%s: %llu writes counted, fewer than the %llu data pages",
			       when, (unsigned long long)done,
			       (unsigned long long)data_pages);
	for (k = 0; k < data_pages; k++) {
		const uint64_t *page = data_page(k);
		uint64_t n = done - 1 - (done - 1 - k) % data_pages;
		uint64_t gen = writer_of(h, n);

		for (w = 0; w < PAGE_WORDS; w++) {
			if (page[w] == stamp(gen, n, w))
				continue;
			if (!settled && k == torn &&
			    page[w] == stamp(h->gen, done, w))
				continue;
			return mismatch(when, &page[w], gen, n);
		}
	}
	return 0;
}

/* A hole in guest RAM is a bug worth a line of its own, not a silent death. */
static void sigbus(int sig, siginfo_t *info, void *uctx)
{
	char msg[128];
	int len;

	(void)sig;
	(void)uctx;
	len = snprintf(msg, sizeof(msg),
		       "# FAIL: SIGBUS at guest RAM offset %#lx\nnot ok %d\n",
		       (unsigned long)((uint8_t *)info->si_addr - ram),
		       kt_stage_nr());
	if (write(STDOUT_FILENO, msg, len) < 0)
		_exit(2);
	_exit(1);
}

static int catch_sigbus(void)
{
	struct sigaction sa = {
		.sa_sigaction = sigbus,
		.sa_flags = SA_SIGINFO,
	};

	if (sigaction(SIGBUS, &sa, NULL))
		return kt_fail("sigaction: %s", strerror(errno));
	return 0;
}

static int map_ram(void)
{
	ram = mmap(NULL, ram_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	if (ram == MAP_FAILED)
		return kt_fail("mmap of %llu bytes of guest RAM: %s",
			       (unsigned long long)ram_bytes, strerror(errno));
	data_pages = ram_bytes / GUEST_PAGE - 1;
	return 0;
}

static int guest_ram_size(void)
{
	const char *arg = kt_param("vmm_demo.mib");
	unsigned long mib = MIB_DEFAULT;
	char *end;

	if (arg) {
		mib = strtoul(arg, &end, 10);
		if (*end || mib < 1 || mib > MIB_MAX)
			return kt_fail("kt.vmm_demo.mib=%s: not 1 to %d", arg,
				       MIB_MAX);
	}
	ram_bytes = (uint64_t)mib << 20;

	arg = kt_param("vmm_demo.hugetlb");
	if (!arg)
		return 0;
	if (!strcmp(arg, "2M"))
		huge_page = HTLB_2M;
	else if (!strcmp(arg, "1G"))
		huge_page = HTLB_1G;
	else
		return kt_fail("kt.vmm_demo.hugetlb=%s: not 2M or 1G", arg);
	ram_bytes = (ram_bytes + huge_page - 1) / huge_page * huge_page;
	return 0;
}

/* Guest RAM of huge pages: a pool that holds it, and a hugetlb memfd. */
static int create_hugetlb_ram(void)
{
	long long pages = ram_bytes / huge_page;

	if (htlb_pool_set(huge_page, pages))
		return kt_fail("no pool of %lld huge pages of %lu kB",
			       pages, huge_page >> 10);
	ram_fd = htlb_memfd("guest-ram", huge_page, ram_bytes);
	if (ram_fd < 0)
		return kt_fail("memfd_create(MFD_HUGETLB): %s",
			       strerror(-ram_fd));
	kt_diag("vmm: guest RAM in %lld hugetlb pages of %lu kB", pages,
		huge_page >> 10);
	return 0;
}

/*
 * Checks that guest RAM is mapped with huge pages of its size, and puts a
 * hash of their page frames into @value.
 */
static int hugetlb_frames(char *value, size_t size)
{
	long long i, pages = ram_bytes / huge_page;
	off_t *present = calloc(pages, sizeof(*present));
	uint64_t hash;
	int err;

	if (!present)
		return kt_fail("out of memory");
	for (i = 0; i < pages; i++)
		present[i] = i * huge_page;
	err = htlb_check_mapped(ram_fd, huge_page, ram_bytes, present, pages,
				&hash);
	free(present);
	if (err)
		return kt_fail("guest RAM is not mapped as huge pages");
	snprintf(value, size, "%llx", (unsigned long long)hash);
	return 0;
}

/*
 * After the kexec: guest RAM of huge pages is the very memory the old
 * kernel had, mapped with pages of its size, counted as surplus pages.
 */
static int check_hugetlb_ram(void)
{
	const char *want = kt_param("vmm_demo.frames");
	long long pages = ram_bytes / huge_page;
	struct htlb_pool pool;
	char value[32];

	if (hugetlb_frames(value, sizeof(value)))
		return -1;
	if (!want || strcmp(want, value))
		return kt_fail("guest RAM in page frames %s, the old kernel had %s",
			       value, want ? want : "(none)");
	if (htlb_pool_read(huge_page, &pool) ||
	    kt_expect("surplus huge pages", pool.surplus, pages))
		return -1;
	kt_diag("vmm: guest RAM mapped as %lld huge pages of %lu kB, the same memory, %lld surplus",
		pages, huge_page >> 10, pool.surplus);
	return 0;
}

static int generation_1(void)
{
	double t0 = now_ms(), t;
	uint64_t tsc0 = tsc(), before, during;
	struct guest_header *h;
	int err;

	if (catch_sigbus() || guest_ram_size())
		return -1;
	if (huge_page) {
		if (create_hugetlb_ram())
			return -1;
	} else {
		ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
		if (ram_fd < 0)
			return kt_fail("memfd_create: %s", strerror(errno));
		if (ftruncate(ram_fd, ram_bytes))
			return kt_fail("ftruncate: %s", strerror(errno));
	}
	if (map_ram())
		return -1;

	/*
	 * Every page is written once before the memfd is preserved: from then
	 * on the guest must not touch a page that does not exist yet.
	 */
	h = header();
	h->magic = RAM_MAGIC;
	h->bytes = ram_bytes;
	h->gen = 1;
	for (h->done = 0; h->done < data_pages; h->done++)
		write_page(1, h->done);
	kt_diag("vmm: guest RAM %llu bytes, filled in %.3f ms",
		(unsigned long long)ram_bytes, now_ms() - t0);

	if (start_workload())
		return -1;
	kt_diag("vmm: workload started");

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	session_fd = luo_create_session(luo_fd, SESSION_NAME);
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	before = writes_done();
	t = now_ms();
	err = luo_preserve_fd(session_fd, ram_fd, RAM_TOKEN);
	t = now_ms() - t;
	during = writes_done() - before;
	if (err)
		return kt_fail("PRESERVE_FD of guest RAM: %s%s", strerror(-err),
			       err == -ENOENT ? " (no memfd handler?)" : "");
	kt_diag("vmm: preserved %llu bytes in %.3f ms",
		(unsigned long long)ram_bytes, t);
	if (huge_page) {
		char frames[32];

		if (hugetlb_frames(frames, sizeof(frames)))
			return -1;
		kt_set_next_param("vmm_demo.frames", frames);
	}

	/* A moment of the guest running on preserved memory. */
	before = writes_done();
	sleep_ms(200);
	kt_diag("vmm: workload wrote %llu pages during PRESERVE_FD and %llu in the 200 ms after it",
		(unsigned long long)during,
		(unsigned long long)(writes_done() - before));
	if (writes_done() == before)
		return kt_fail("the workload stopped writing");

	/* The next generation turns its TSC readings into time with this. */
	t = now_ms() - t0;
	h->tsc_hz = (uint64_t)((tsc() - tsc0) / t * 1e3);
	kt_diag("vmm: workload keeps writing up to the reboot");
	return 0;
}

static int check_header(const struct guest_header *h)
{
	if (h->magic != RAM_MAGIC)
		return kt_fail("guest RAM header magic %#llx",
			       (unsigned long long)h->magic);
	if (kt_expect("guest RAM size in its header", h->bytes, ram_bytes) ||
	    kt_expect("generation that wrote last", h->gen, 1))
		return -1;
	return 0;
}

/* How long the guest did not run, if the TSC went on across the kexec. */
static void report_blackout(uint64_t last_tsc, uint64_t resume_tsc,
			    uint64_t hz)
{
	double ms;

	if (!hz || resume_tsc <= last_tsc) {
		kt_diag("vmm: no usable TSC to time the blackout");
		return;
	}
	ms = (resume_tsc - last_tsc) * 1e3 / hz;
	if (ms > 600e3) {
		kt_diag("vmm: no usable TSC to time the blackout");
		return;
	}
	kt_diag("vmm: blackout %.3f ms by the TSC, from the last write in the old kernel",
		ms);
}

static int generation_2(void)
{
	uint64_t last, last_tsc, resume_tsc, resumed;
	double t0 = now_ms(), t;
	struct guest_header *h;
	struct stat st;
	int err;

	if (catch_sigbus() || guest_ram_size())
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	session_fd = luo_retrieve_session(luo_fd, SESSION_NAME);
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-session_fd));
	ram_fd = luo_retrieve_fd(session_fd, RAM_TOKEN);
	if (ram_fd < 0)
		return kt_fail("RETRIEVE_FD of guest RAM: %s", strerror(-ram_fd));
	if (fstat(ram_fd, &st))
		return kt_fail("fstat: %s", strerror(errno));
	if (kt_expect("size of the retrieved memfd", st.st_size, ram_bytes) ||
	    map_ram() ||
	    (huge_page && check_hugetlb_ram()))
		return -1;
	kt_diag("vmm: retrieved %llu bytes in %.3f ms",
		(unsigned long long)ram_bytes, now_ms() - t0);

	/* The check comes first: the workload overwrites the evidence. */
	h = header();
	if (check_header(h))
		return -1;
	last = h->done;
	last_tsc = h->last_tsc;
	t = now_ms();
	if (verify("after the kexec", false))
		return -1;
	kt_diag("vmm: verified %llu bytes in %.3f ms, up to write %llu, the last before the reboot",
		(unsigned long long)ram_bytes, now_ms() - t,
		(unsigned long long)last - 1);

	h->gen = 2;
	h->first_write[2] = last;
	resume_tsc = tsc();
	if (start_workload())
		return -1;
	kt_diag("vmm: workload resumed");
	report_blackout(last_tsc, resume_tsc, h->tsc_hz);

	sleep_ms(500);
	stop_and_wait();
	resumed = h->done - last;
	kt_diag("vmm: workload wrote %llu pages in the new kernel",
		(unsigned long long)resumed);
	if (!resumed)
		return kt_fail("the workload did not run in the new kernel");
	t = now_ms();
	if (verify("after the workload resumed", true))
		return -1;
	kt_diag("vmm: verified %llu bytes again in %.3f ms",
		(unsigned long long)ram_bytes, now_ms() - t);

	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	/* Guest RAM is an ordinary memfd now, and stays the VMM's. */
	write_page(2, h->done);
	h->done++;
	if (verify("after FINISH", true))
		return -1;
	kt_diag("vmm: session finished");
	return 0;
}

static const struct kt_stage stages[] = {
	{ "guest RAM preserved while the workload writes it", generation_1 },
	{ "guest RAM back in the new kernel, every byte checked, workload resumed",
	  generation_2 },
};

int main(void)
{
	return kt_main("luo_vmm_demo", stages, ARRAY_SIZE(stages));
}
