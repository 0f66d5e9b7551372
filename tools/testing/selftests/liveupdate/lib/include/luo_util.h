/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the Live Update Orchestrator selftests: the ioctls of
 * /dev/liveupdate and of session fds, and the test file type of
 * CONFIG_LIVEUPDATE_TEST. Every call returns a descriptor or 0 on success
 * and -errno on failure.
 */
#ifndef _LUO_UTIL_H
#define _LUO_UTIL_H

#include <stdint.h>

#define LUO_DEVICE		"/dev/liveupdate"
#define LUO_TEST_DEVICE		"/dev/liveupdate_test"
#define LUO_TEST_DEBUGFS	"/sys/kernel/debug/liveupdate_test"
#define LUO_STATUS		"/sys/kernel/debug/liveupdate/status"

int luo_open(void);
int luo_create_session(int luo_fd, const char *name);
int luo_retrieve_session(int luo_fd, const char *name);
int luo_preserve_fd(int session_fd, int fd, uint64_t token);
int luo_retrieve_fd(int session_fd, uint64_t token);
int luo_finish(int session_fd);
int luo_get_name(int session_fd, char *name, int size);
/* Raises RLIMIT_NOFILE to at least @need descriptors. */
int luo_ensure_nofile(unsigned long need);

/* A new test file holding @value. */
int luo_test_file(uint64_t value);
/* The value a test file holds, or -1 with errno set. */
int luo_test_value(int fd, uint64_t *value);
int luo_test_set_value(int fd, uint64_t value);

/* A counter or switch in LUO_TEST_DEBUGFS; -1 if unreadable. */
long long luo_test_knob(const char *name);
int luo_test_set_knob(const char *name, unsigned long long value);

/* 1 if LUO_STATUS has the line @want, 0 if not, -errno if unreadable. */
int luo_status_has(const char *want);

#endif /* _LUO_UTIL_H */
