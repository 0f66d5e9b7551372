/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the Kexec HandOver selftests: the results of the in-kernel
 * KHO test (CONFIG_TEST_KEXEC_HANDOVER), the KHO debugfs files, and the
 * kernel log.
 */
#ifndef _KHO_UTIL_H
#define _KHO_UTIL_H

#include <stdbool.h>

#define KHO_DEBUGFS		"/sys/kernel/debug/kho"
#define KHO_TEST_RESULT		"/sys/kernel/debug/kho_test/result"

/*
 * kho_result() - a number from the in-kernel test's result file
 * @key: the key of a "key value" line
 *
 * Return: the value, or -1 if the file or the key is missing.
 */
long kho_result(const char *key);

/*
 * kho_result_str() - a word from the in-kernel test's result file
 * @key: the key of a "key value" line
 *
 * Return: the value in a static buffer that the next call (of this or
 * kho_result()) overwrites, or "" if missing.
 */
const char *kho_result_str(const char *key);

/* Whether @path exists. */
bool kho_path_exists(const char *path);

/*
 * kho_log_has() - whether the kernel log contains @needle
 *
 * Return: 1 if it does, 0 if not, -1 if the log cannot be read.
 */
int kho_log_has(const char *needle);

/*
 * kho_log_line() - the first line of the kernel log that contains @needle
 * @needle: what to look for
 * @line:   where the line goes (without its newline), cut to @size - 1
 * @size:   size of @line
 *
 * Return: 1 if there is one, 0 if not, -1 if the log cannot be read.
 */
int kho_log_line(const char *needle, char *line, size_t size);

/*
 * kho_check_results() - the checks every generation of a KHO chain makes
 * @gen:      the generation this boot should be (1 = cold boot)
 * @kho_boot: whether this boot should have received a handover
 *
 * Compares the in-kernel test's results and the debugfs view with what
 * generation @gen must see; reports the first mismatch with kt_fail().
 *
 * Return: 0 when everything matches, -1 otherwise.
 */
int kho_check_results(int gen, bool kho_boot);

#endif /* _KHO_UTIL_H */
