/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multi-generation kexec tests.
 *
 * A kexec test is one program with an array of stages. Stage N runs in the
 * N-th kernel of a chain: when it succeeds and is not the last stage, the
 * library loads the running kernel image again with kexec_file_load(), with
 * the same initramfs and a command line that names stage N + 1, and reboots
 * into it. Whatever a stage leaves open (session fds, for instance) is still
 * open when the kexec happens.
 *
 * The stage number and any value a stage hands to the next generation travel
 * on the kernel command line as "kt.<key>=<value>" words.
 *
 * Output is TAP: the first generation prints the plan (one line per stage),
 * every generation prints the result line of its stage, and a failed stage
 * reports every later stage as not run. A chain that dies without a word
 * (a panic, a hang) leaves the plan short, which the harness counts as failed.
 */
#ifndef _KEXEC_STAGE_H
#define _KEXEC_STAGE_H

#include <stdbool.h>

#include "kselftest.h"

/**
 * struct kt_stage - one stage of a kexec test
 * @name: what the stage checks, printed in its TAP line
 * @run:  the stage; returns 0 on success, anything else on failure
 */
struct kt_stage {
	const char *name;
	int (*run)(void);
};

/**
 * kt_main() - run the stage of a kexec test that belongs to this generation
 * @test:      name of the test, for the output
 * @stages:    the stages, in generation order
 * @nr_stages: number of entries in @stages
 *
 * Return: the exit status for main(): 0 when the last stage passed. A stage
 * that passes and is not the last one does not return: it kexecs.
 */
int kt_main(const char *test, const struct kt_stage *stages, int nr_stages);

/**
 * kt_stage_nr() - the stage this generation runs (1 on a cold boot)
 */
int kt_stage_nr(void);

/**
 * kt_param() - value of "kt.<key>=" on this kernel's command line
 * @key: parameter name without the "kt." prefix
 *
 * Return: the value, valid until the program exits, or NULL when the command
 * line does not have it.
 */
const char *kt_param(const char *key);

/**
 * kt_set_next_param() - hand a value to the next generation
 * @key:   parameter name without the "kt." prefix (not "stage")
 * @value: value without spaces
 *
 * The next kernel's command line carries "kt.<key>=<value>" instead of
 * whatever this generation had for @key.
 */
void kt_set_next_param(const char *key, const char *value);

/**
 * kt_load_stage() - load this kernel for stage @next without jumping
 * @next: the stage the loaded kernel runs
 *
 * For tests of a reboot that fails: the stage loads the image, calls
 * reboot(LINUX_REBOOT_CMD_KEXEC) itself, checks the error and unloads the
 * image with kt_unload_stage(). Returning from the stage then loads the
 * image again and kexecs as usual.
 *
 * Return: 0, or -1 after kt_fail().
 */
int kt_load_stage(int next);

/**
 * kt_load_stage_kernel() - kt_load_stage() with another kernel image
 * @next:   the stage the loaded kernel runs
 * @kernel: path of the image file to load instead of the running kernel's
 *
 * Return: 0, or -1 after kt_fail() (which names kexec_file_load()'s errno).
 */
int kt_load_stage_kernel(int next, const char *kernel);

/**
 * kt_keep_loaded() - kexec into what the stage loaded
 *
 * After kt_load_stage_kernel() of the next stage, a stage that passes then
 * kexecs into that image instead of the running kernel's.
 */
void kt_keep_loaded(void);

/**
 * kt_unload_stage() - unload what kt_load_stage() loaded
 *
 * Loading over a loaded image holds both in memory for a while, which a
 * small guest with a debug kernel may not have.
 *
 * Return: 0, or -1 after kt_fail().
 */
int kt_unload_stage(void);

/**
 * kt_now() - seconds on CLOCK_MONOTONIC, for timing what a stage does
 */
double kt_now(void);

/**
 * kt_fail() - print a failure diagnostic for the current stage
 * @fmt: printf format of the reason
 *
 * Return: -1, so that a stage can "return kt_fail(...);".
 */
int kt_fail(const char *fmt, ...) __printf(1, 2);

/**
 * kt_expect() - fail the stage unless @got is @want
 * @what: what was measured, for the failure line
 * @got:  the value seen
 * @want: the value expected
 *
 * Return: 0, or -1 after kt_fail().
 */
int kt_expect(const char *what, long long got, long long want);

/**
 * kt_diag() - print a TAP diagnostic line ("# ...")
 * @fmt: printf format
 */
void kt_diag(const char *fmt, ...) __printf(1, 2);

/**
 * kt_read_file() - read a small text file into @buf, without trailing newline
 * @path: file to read
 * @buf:  destination
 * @size: size of @buf
 *
 * Return: 0, or -1 with errno set.
 */
int kt_read_file(const char *path, char *buf, int size);

#endif /* _KEXEC_STAGE_H */
