// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-generation kexec tests: see kexec_stage.h.
 *
 * The kernel to kexec into is the running one, kept in the initramfs as
 * /boot/bzImage. The initramfs is the running one too: the harness boots with
 * "retain_initrd", which keeps the initrd in memory and exposes it as
 * /sys/firmware/initrd, so every generation can hand the same initramfs to
 * the next and chains can be as long as a test wants.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kexec_stage.h"

#define KT_KERNEL	"/boot/bzImage"
#define KT_INITRD	"/sys/firmware/initrd"
#define KT_CMDLINE_MAX	2048	/* x86 COMMAND_LINE_SIZE */
#define KT_MAX_PARAMS	16

static char cmdline[KT_CMDLINE_MAX];
static bool cmdline_read;

static struct {
	char key[64];
	char value[256];
} next_params[KT_MAX_PARAMS];
static int nr_next_params;

int kt_read_file(const char *path, char *buf, int size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	return 0;
}

static const char *get_cmdline(void)
{
	if (!cmdline_read) {
		if (kt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)))
			cmdline[0] = '\0';
		cmdline_read = true;
	}
	return cmdline;
}

/* Does @word (up to a space or NUL) set kt.<key>? */
static bool word_sets(const char *word, const char *key)
{
	size_t len = strlen(key);

	return !strncmp(word, "kt.", 3) && !strncmp(word + 3, key, len) &&
	       word[3 + len] == '=';
}

const char *kt_param(const char *key)
{
	/* The command line split at spaces; returned values point into it. */
	static char words[KT_CMDLINE_MAX];
	static size_t len;
	size_t i;

	if (!len) {
		len = strlen(get_cmdline());
		memcpy(words, cmdline, len + 1);
		for (i = 0; i < len; i++)
			if (words[i] == ' ')
				words[i] = '\0';
	}
	for (i = 0; i < len; i += strlen(words + i) + 1)
		if (word_sets(words + i, key))
			return words + i + 3 + strlen(key) + 1;
	return NULL;
}

int kt_stage_nr(void)
{
	const char *stage = kt_param("stage");

	return stage ? atoi(stage) : 1;
}

void kt_set_next_param(const char *key, const char *value)
{
	int i;

	for (i = 0; i < nr_next_params; i++)
		if (!strcmp(next_params[i].key, key))
			break;
	if (i == KT_MAX_PARAMS) {
		kt_diag("kexec_stage: too many next-generation parameters");
		return;
	}
	snprintf(next_params[i].key, sizeof(next_params[i].key), "%s", key);
	snprintf(next_params[i].value, sizeof(next_params[i].value), "%s", value);
	if (i == nr_next_params)
		nr_next_params++;
}

void kt_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

int kt_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("# FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	return -1;
}

int kt_expect(const char *what, long long got, long long want)
{
	if (got == want)
		return 0;
	return kt_fail("%s: %lld, expected %lld", what, got, want);
}

static bool overridden(const char *word)
{
	int i;

	if (word_sets(word, "stage"))
		return true;
	for (i = 0; i < nr_next_params; i++)
		if (word_sets(word, next_params[i].key))
			return true;
	return false;
}

/* The next kernel's command line: this one, with the kt.* words replaced. */
static int build_next_cmdline(char *buf, size_t size, int next_stage_nr)
{
	const char *word = get_cmdline();
	size_t len = 0;
	int i, n;

	buf[0] = '\0';
	while (*word) {
		size_t wlen;

		while (*word == ' ')
			word++;
		wlen = strcspn(word, " ");
		if (wlen && !overridden(word)) {
			if (len + wlen + 2 > size)
				return -1;
			memcpy(buf + len, word, wlen);
			len += wlen;
			buf[len++] = ' ';
		}
		word += wlen;
	}
	n = snprintf(buf + len, size - len, "kt.stage=%d", next_stage_nr);
	if (n < 0 || (size_t)n >= size - len)
		return -1;
	len += n;
	for (i = 0; i < nr_next_params; i++) {
		n = snprintf(buf + len, size - len, " kt.%s=%s",
			     next_params[i].key, next_params[i].value);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
		len += n;
	}
	return 0;
}

double kt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Also put a line in the kernel log, so the console timeline shows it. */
static void log_to_kernel(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			kt_diag("kexec_stage: /dev/kmsg: %s", strerror(errno));
		close(fd);
	}
}

int kt_load_stage(int next)
{
	return kt_load_stage_kernel(next, KT_KERNEL);
}

int kt_load_stage_kernel(int next, const char *kernel)
{
	char next_cmdline[KT_CMDLINE_MAX];
	int kernel_fd, initrd_fd;
	long ret;

	if (build_next_cmdline(next_cmdline, sizeof(next_cmdline), next))
		return kt_fail("next command line longer than %d bytes",
			       KT_CMDLINE_MAX);
	kernel_fd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kernel_fd < 0)
		return kt_fail("open %s: %s", kernel, strerror(errno));
	initrd_fd = open(KT_INITRD, O_RDONLY | O_CLOEXEC);
	if (initrd_fd < 0) {
		close(kernel_fd);
		return kt_fail("open %s: %s (booted without retain_initrd?)",
			       KT_INITRD, strerror(errno));
	}
	ret = syscall(SYS_kexec_file_load, kernel_fd, initrd_fd,
		      strlen(next_cmdline) + 1, next_cmdline, 0UL);
	close(kernel_fd);
	close(initrd_fd);
	if (ret)
		return kt_fail("kexec_file_load: %s", strerror(errno));
	return 0;
}

int kt_unload_stage(void)
{
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
		    (unsigned long)KEXEC_FILE_UNLOAD))
		return kt_fail("unloading the kexec image: %s", strerror(errno));
	return 0;
}

/* Set by kt_keep_loaded(): the stage loaded the next kernel itself. */
static int keep_loaded;

void kt_keep_loaded(void)
{
	keep_loaded = 1;
}

/* Load this kernel for stage @next and jump; returns only on failure. */
static int kexec_next(const char *test, int next)
{
	double t0 = kt_now();
	char msg[128];

	if (!keep_loaded && kt_load_stage(next))
		return -1;
	kt_diag("%s: kexec image loaded in %.3f s; rebooting into stage %d",
		test, kt_now() - t0, next);
	snprintf(msg, sizeof(msg), "kexec_stage: %s: kexec into stage %d\n",
		 test, next);
	log_to_kernel(msg);
	fflush(stdout);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	return kt_fail("reboot(LINUX_REBOOT_CMD_KEXEC): %s", strerror(errno));
}

static void not_run(const struct kt_stage *stages, int from, int nr,
		    int failed)
{
	int i;

	for (i = from; i <= nr; i++)
		printf("not ok %d %s # not run: stage %d failed\n", i,
		       stages[i - 1].name, failed);
}

/*
 * With "kt.la57=1" (the harness's vm:cpu=max suites), every generation
 * first checks that its kernel runs with 5-level paging: only then does a
 * mapping hint above the 47-bit user address space get honoured.
 */
static int check_la57(void)
{
	void *hint = (void *)(1UL << 50), *p;
	const char *want = kt_param("la57");

	if (!want || strcmp(want, "1"))
		return 0;
	p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return kt_fail("la57: mmap: %s", strerror(errno));
	munmap(p, 4096);
	if ((unsigned long)p < 1UL << 47)
		return kt_fail("la57: a hint at 2^50 got %p: 4-level paging", p);
	kt_diag("5-level paging: a mapping at %p", p);
	return 0;
}

int kt_main(const char *test, const struct kt_stage *stages, int nr_stages)
{
	int nr = kt_stage_nr();
	double t0;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nr == 1) {
		printf("TAP version 13\n");
		printf("1..%d\n", nr_stages);
	}
	if (nr < 1 || nr > nr_stages) {
		printf("not ok %d %s: no such stage (the test has %d)\n",
		       nr, test, nr_stages);
		return 1;
	}

	kt_diag("%s: stage %d of %d: %s", test, nr, nr_stages,
		stages[nr - 1].name);
	t0 = kt_now();
	ret = check_la57();
	if (!ret)
		ret = stages[nr - 1].run();
	printf("%sok %d %s # %.3f s\n", ret ? "not " : "", nr,
	       stages[nr - 1].name, kt_now() - t0);
	if (ret) {
		not_run(stages, nr + 1, nr_stages, nr);
		return 1;
	}
	if (nr == nr_stages)
		return 0;

	kexec_next(test, nr + 1);
	not_run(stages, nr + 1, nr_stages, nr);
	return 1;
}
