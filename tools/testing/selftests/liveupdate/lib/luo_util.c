// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the Live Update Orchestrator selftests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "luo_util.h"

static int ret_errno(int ret)
{
	return ret < 0 ? -errno : ret;
}

int luo_open(void)
{
	return ret_errno(open(LUO_DEVICE, O_RDWR | O_CLOEXEC));
}

static int session_ioctl(int luo_fd, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };

	snprintf((char *)arg.name, sizeof(arg.name), "%s", name);
	if (ioctl(luo_fd, cmd, &arg))
		return -errno;
	return arg.fd;
}

int luo_create_session(int luo_fd, const char *name)
{
	return session_ioctl(luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
}

int luo_retrieve_session(int luo_fd, const char *name)
{
	return session_ioctl(luo_fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
}

int luo_preserve_fd(int session_fd, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg),
		.fd = fd,
		.token = token,
	};

	return ret_errno(ioctl(session_fd, LIVEUPDATE_SESSION_PRESERVE_FD,
			       &arg));
}

int luo_retrieve_fd(int session_fd, uint64_t token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg),
		.token = token,
	};

	if (ioctl(session_fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg))
		return -errno;
	return arg.fd;
}

int luo_finish(int session_fd)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return ret_errno(ioctl(session_fd, LIVEUPDATE_SESSION_FINISH, &arg));
}

int luo_get_name(int session_fd, char *name, int size)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };

	if (ioctl(session_fd, LIVEUPDATE_SESSION_GET_NAME, &arg))
		return -errno;
	snprintf(name, size, "%s", (char *)arg.name);
	return 0;
}

int luo_ensure_nofile(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

int luo_test_file(uint64_t value)
{
	int fd = open(LUO_TEST_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (luo_test_set_value(fd, value)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int luo_test_value(int fd, uint64_t *value)
{
	return read(fd, value, sizeof(*value)) == sizeof(*value) ? 0 : -1;
}

int luo_test_set_value(int fd, uint64_t value)
{
	return write(fd, &value, sizeof(value)) == sizeof(value) ? 0 : -1;
}

long long luo_test_knob(const char *name)
{
	char path[256], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", LUO_TEST_DEBUGFS, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 0);
}

int luo_test_set_knob(const char *name, unsigned long long value)
{
	char path[256], buf[32];
	int fd, len, ok;

	snprintf(path, sizeof(path), "%s/%s", LUO_TEST_DEBUGFS, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%llu", value);
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

int luo_status_has(const char *want)
{
	FILE *f = fopen(LUO_STATUS, "r");
	size_t len = strlen(want);
	char line[256];
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, len) && line[len] == '\n';
	fclose(f);
	return found;
}
