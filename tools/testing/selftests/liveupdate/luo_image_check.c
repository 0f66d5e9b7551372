// SPDX-License-Identifier: GPL-2.0
/*
 * luo_image_check: a live update the loaded image could not read is refused
 * before anything stops, and goes through with an image that can.
 *
 * 1. cold boot: a session holds a memfd. Three copies of the running
 *    kernel's image are made: one whose table says it reads another memfd
 *    layout (a string changed, the table made anew by the offline tool's
 *    "gen"), one without a table (its magic cleared) and one whose table
 *    is malformed (a string changed, the checksum not). With each loaded,
 *    the query (/sys/kernel/debug/liveupdate/image) refuses the memfd,
 *    and reboot(RB_KEXEC) fails with ENOEXEC and a log line naming the
 *    session, the token and the string; the session still
 *    takes a second memfd. Then the right image is loaded, and the kexec
 *    happens;
 *    Before any of it, the offline tool (tools/liveupdate/kho_image_table,
 *    installed next to this program) reads the query and each copy, and
 *    gives the verdicts the kernel gives once the copy is loaded;
 * 2. both memfds are back, every byte checked, and go into a new session;
 *    the image without a table is loaded: refused, then accepted once
 *    accept_unchecked_image is 1, and this generation kexecs into it;
 * 3. the memfds are back in the kernel booted from the image without a
 *    table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kexec_stage.h"
#include "kho_util.h"
#include "luo_util.h"
#include "memfd_util.h"

#define IMAGE		"/boot/bzImage"
#define QUERY		"/sys/kernel/debug/liveupdate/image"
#define ACCEPT		"/sys/module/liveupdate/parameters/accept_unchecked_image"
#define OTHER_LAYOUT	"/tmp/bzImage.other-layout"
#define NO_TABLE	"/tmp/bzImage.no-table"
#define MALFORMED	"/tmp/bzImage.malformed"
#define TOOL_OUT	"/tmp/kho_image_table.out"
#define STRINGS_FILE	"/tmp/kho_image_table.strings"
#define TABLE_FILE	"/tmp/kho_image_table.table"
#define MEMFD_STRING	"memfd-sparse-"
#define SIZE		(1024 * 1024)
#define SEED(t)		(0x1a6e0000 + (t))

static int luo_fd, session_fd;
/* The memfd handler's compatible string, as the running image lists it. */
static char memfd_compat[129];

/*
 * Runs the offline tool (tools/liveupdate/kho_image_table, installed next
 * to this program) with @args, its output in @out. Return: its exit
 * status.
 */
static int run_tool(const char *const args[3], char *out, size_t size)
{
	char tool[256] = "";
	int status, fd;
	ssize_t n;
	pid_t pid;

	if (readlink("/proc/self/exe", tool, sizeof(tool) - 32) < 0)
		return kt_fail("readlink /proc/self/exe: %s", strerror(errno));
	strcat(dirname(tool), "/kho_image_table");
	pid = fork();
	if (pid < 0)
		return kt_fail("fork: %s", strerror(errno));
	if (!pid) {
		fd = open(TOOL_OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		execl(tool, tool, args[0], args[1], args[2], (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return kt_fail("%s did not exit", tool);
	fd = open(TOOL_OUT, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, out, size - 1);
	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	return WEXITSTATUS(status);
}

/*
 * Makes the table at @table anew for its @size bytes of strings, edited
 * in place, with "kho_image_table gen": a valid table again, checksum
 * included.
 */
static int remake_table(unsigned char *table, uint32_t size)
{
	const char *const args[3] = { "gen", STRINGS_FILE, TABLE_FILE };
	char out[256];
	int fd;

	fd = open(STRINGS_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, table + 24, size) != size)
		return kt_fail("writing " STRINGS_FILE ": %s", strerror(errno));
	close(fd);
	if (run_tool(args, out, sizeof(out)))
		return kt_fail("kho_image_table gen failed: %s", out);
	fd = open(TABLE_FILE, O_RDONLY);
	if (fd < 0 || read(fd, table, 24 + size) != 24 + size)
		return kt_fail("reading " TABLE_FILE ": %s", strerror(errno));
	close(fd);
	return 0;
}

static unsigned char *read_image(size_t *len)
{
	int fd = open(IMAGE, O_RDONLY);
	unsigned char *buf;
	off_t size;

	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	buf = malloc(size);
	if (!buf || pread(fd, buf, size, 0) != size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = size;
	return buf;
}

/* The table of @image: the first 8-byte aligned magic. */
static unsigned char *find_table(unsigned char *image, size_t len)
{
	size_t off;

	for (off = 0; off + 24 <= len; off += 8)
		if (!memcmp(image + off, "KHOCOMPT", 8))
			return image + off;
	return NULL;
}

static int write_copy(const char *path, const unsigned char *image, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n = fd < 0 ? -1 : write(fd, image, len);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len ? 0 : kt_fail("writing %s failed", path);
}

/*
 * Writes the three copies of the running image: another memfd layout
 * (the version after "memfd-sparse-v" bumped, checksum made anew), no
 * table, a malformed table.
 */
static int make_images(void)
{
	unsigned char *image, *table, *strings, *memfd;
	uint32_t size;
	size_t len;

	image = read_image(&len);
	if (!image)
		return kt_fail("reading %s: %s", IMAGE, strerror(errno));
	table = find_table(image, len);
	if (!table)
		return kt_fail("%s has no compatibility table", IMAGE);
	strings = table + 24;
	memcpy(&size, table + 16, 4);
	memfd = memmem(strings, size, MEMFD_STRING, strlen(MEMFD_STRING));
	if (!memfd)
		return kt_fail("the table does not list the memfd handler");
	snprintf(memfd_compat, sizeof(memfd_compat), "%s", (char *)memfd);
	memfd[strlen(MEMFD_STRING) + 1] ^= 0x08;	/* "v2" -> "v:" */
	if (remake_table(table, size))
		return -1;
	kt_diag("the other layout's image reads %s", (char *)memfd);
	if (write_copy(OTHER_LAYOUT, image, len))
		return -1;
	memfd[strlen(MEMFD_STRING) + 1] ^= 0x08;	/* the checksum is stale */
	if (write_copy(MALFORMED, image, len))
		return -1;
	memset(table, 0, 8);
	if (write_copy(NO_TABLE, image, len))
		return -1;
	free(image);
	return 0;
}

/* Whether the query's answer has a line that starts with @want. */
static int query_has(const char *want)
{
	char buf[4096], *line;
	int fd = open(QUERY, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return kt_fail(QUERY ": %s", strerror(errno));
	buf[n] = 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, want, strlen(want)))
			return 0;
	return kt_fail("the query has no line '%s'", want);
}

/* The tool's verdict on @image: exit status @want, and @line in its output. */
static int tool_says(const char *image, int want, const char *line)
{
	const char *const args[3] = { "check", image, QUERY };
	char out[4096];
	int status = run_tool(args, out, sizeof(out));

	if (status < 0)
		return -1;
	if (status != want)
		return kt_fail("kho_image_table check %s: exit %d, expected %d:\n%s",
			       image, status, want, out);
	if (line && !strstr(out, line))
		return kt_fail("kho_image_table check %s: no '%s' in:\n%s",
			       image, line, out);
	return 0;
}

/*
 * The offline tool, on the query with no image loaded: the running
 * kernel's own image reads everything; the copies are refused as reboot()
 * refuses them.
 */
static int offline_verdicts(void)
{
	if (query_has("root kho-root-") ||
	    query_has("subtree LUO luo-state-") ||
	    query_has("subtree kexec-metadata kexec-metadata-v1: refused") ||
	    tool_says(IMAGE, 0, "verdict: accepted\n") ||
	    tool_says(IMAGE, 0, "subtree kexec-metadata kexec-metadata-v1: ok") ||
	    tool_says(OTHER_LAYOUT, 4, "verdict: refused (1 items)") ||
	    tool_says(OTHER_LAYOUT, 4, "session image-check token 1 " MEMFD_STRING) ||
	    tool_says(NO_TABLE, 1, NULL) || tool_says(MALFORMED, 2, NULL))
		return -1;
	kt_diag("the offline tool accepts the running image and refuses the copies");
	return 0;
}

static int preserve_new(int token)
{
	int fd = mfd_create("guest", 0, SIZE), err;

	if (fd < 0)
		return kt_fail("memfd_create: %s", strerror(-fd));
	err = mfd_write(fd, 0, SIZE, SEED(token));
	if (!err)
		err = luo_preserve_fd(session_fd, fd, token);
	close(fd);
	return err ? kt_fail("memfd %d: %s", token, strerror(-err)) : 0;
}

/*
 * Loads @image for stage 2 and checks that the reboot is refused, with a
 * log line that names the memfd and the image's state ("image: <state>"
 * in the query, up to a reason after ':').
 */
static int refused_with(const char *image, const char *state, int next)
{
	char line[256], needle[256];
	int err;

	if (kt_load_stage_kernel(next, image))
		return -1;
	if (query_has(state) || query_has("session image-check token 1 memfd-") ||
	    query_has("verdict: refused"))
		return -1;
	err = reboot(RB_KEXEC);
	if (!err)
		return kt_fail("reboot() with %s returned 0", image);
	if (kt_expect("reboot() errno", errno, ENOEXEC))
		return -1;
	snprintf(needle, sizeof(needle),
		 "session image-check token 1: the loaded image does not read %s (%.*s)\n",
		 memfd_compat, (int)strcspn(state + 7, ":"), state + 7);
	if (kho_log_line(needle, line, sizeof(line)) != 1)
		return kt_fail("no log line '%s'", needle);
	kt_diag("%s: %s", image, line);
	return kt_unload_stage();
}

static int refuse_then_go(void)
{
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open " LUO_DEVICE ": %s", strerror(-luo_fd));
	session_fd = luo_create_session(luo_fd, "image-check");
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	if (preserve_new(1) || make_images())
		return -1;
	if (query_has("image: no image loaded") || offline_verdicts())
		return -1;
	if (refused_with(OTHER_LAYOUT, "image: table", 2) ||
	    refused_with(NO_TABLE, "image: no table", 2) ||
	    refused_with(MALFORMED, "image: malformed table: checksum mismatch", 2))
		return -1;
	/* Nothing was frozen: the session goes on. */
	if (preserve_new(2))
		return -1;
	kt_diag("refused three times, the session still takes files");
	return 0;
}

static int check_back(const char *name)
{
	off_t bad = 0;
	int token, fd, err;

	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open " LUO_DEVICE ": %s", strerror(-luo_fd));
	session_fd = luo_retrieve_session(luo_fd, name);
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", name,
			       strerror(-session_fd));
	for (token = 1; token <= 2; token++) {
		fd = luo_retrieve_fd(session_fd, token);
		if (fd < 0)
			return kt_fail("RETRIEVE_FD %d: %s", token,
				       strerror(-fd));
		err = mfd_check(fd, 0, SIZE, SEED(token), &bad);
		if (err)
			return kt_fail("memfd %d differs at %lld", token,
				       (long long)bad);
		close(fd);
	}
	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	close(session_fd);
	kt_diag("both memfds back in session %s, every byte checked", name);
	return 0;
}

static int accept_unchecked(void)
{
	int fd;

	if (check_back("image-check"))
		return -1;
	session_fd = luo_create_session(luo_fd, "unchecked");
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	if (preserve_new(1) || preserve_new(2) || make_images())
		return -1;
	if (kt_load_stage_kernel(3, NO_TABLE) || query_has("verdict: refused"))
		return -1;
	fd = open(ACCEPT, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		return kt_fail(ACCEPT ": %s", strerror(errno));
	close(fd);
	if (query_has("verdict: accepted (unchecked"))
		return -1;
	kt_diag("accepted with accept_unchecked_image=1");
	kt_keep_loaded();
	return 0;
}

static int back_unchecked(void)
{
	return check_back("unchecked");
}

static const struct kt_stage stages[] = {
	{ "a live update the loaded image cannot read is refused, then goes",
	  refuse_then_go },
	{ "an image without a table is accepted only when asked",
	  accept_unchecked },
	{ "every byte back in the kernel without a table", back_unchecked },
};

int main(void)
{
	return kt_main("luo_image_check", stages, ARRAY_SIZE(stages));
}
