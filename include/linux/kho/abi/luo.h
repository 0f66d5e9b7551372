/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the Live Update Orchestrator's handed-over state.
 */
#ifndef _LINUX_KHO_ABI_LUO_H
#define _LINUX_KHO_ABI_LUO_H

#include <linux/kho/abi/block.h>
#include <linux/kho/abi/compat.h>
#include <linux/types.h>
#include <uapi/linux/liveupdate.h>

/**
 * DOC: LUO state ABI
 *
 * All LUO state hangs off one &struct luo_ser, handed over as the raw KHO
 * subtree ``LUO_KHO_ENTRY_NAME``. Its first field holds
 * ``LUO_ABI_COMPATIBLE``, which names this layout and, since sessions and
 * files are kept in serialization block chains, the block layout too (see
 * "KHO compatible strings"). The next kernel accepts the struct if the
 * string is its own and the blob is at least as large as the struct it
 * knows; a larger one is accepted, so fields can be added at the end.
 *
 * @sessions_pa heads a block chain of &struct luo_session_ser, one per
 * session in creation order. Each names the block chain of its files,
 * &struct luo_file_ser in preservation order, and how many there are; the
 * next kernel refuses a session whose chain holds a different number.
 * @flbs_pa heads a block chain of &struct luo_flb_ser, one per FLB that a
 * preserved file depends on. A chain address of 0 means no records.
 *
 * A file record carries the compatible string of the handler that
 * preserved it, the handler's 64-bit handle of its data and the token
 * userspace chose; the next kernel gives it to the handler registered with
 * exactly that string.
 */
#define LUO_KHO_ENTRY_NAME		"LUO"
#define LUO_COMPAT_BASE			"luo-state-v1"
#define LUO_ABI_COMPATIBLE		KHO_COMPAT(LUO_COMPAT_BASE, \
						   KHO_BLOCK_COMPATIBLE)
#define LUO_ABI_COMPAT_LEN		KHO_COMPAT_SIZE(LUO_ABI_COMPATIBLE)

#define LIVEUPDATE_HNDL_COMPAT_LENGTH	48
#define LIVEUPDATE_FLB_COMPAT_LENGTH	48

/**
 * struct luo_ser - the root of LUO's handed-over state
 * @compatible:     ``LUO_ABI_COMPATIBLE``, NUL-padded
 * @liveupdate_num: live updates since the last cold boot, this one included
 * @sessions_pa:    first block of the session chain, or 0
 * @flbs_pa:        first block of the FLB chain, or 0
 */
struct luo_ser {
	char compatible[LUO_ABI_COMPAT_LEN];
	__u64 liveupdate_num;
	__u64 sessions_pa;
	__u64 flbs_pa;
} __packed;

/**
 * struct luo_file_set_ser - the files of a session
 * @files: first block of the file chain, or 0
 * @count: number of file records in the chain
 */
struct luo_file_set_ser {
	__u64 files;
	__u64 count;
} __packed;

/**
 * struct luo_session_ser - one session
 * @name:         the session's name, NUL-terminated
 * @file_set_ser: its files
 */
struct luo_session_ser {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	struct luo_file_set_ser file_set_ser;
} __packed;

/**
 * struct luo_file_ser - one preserved file
 * @compatible: the handler's compatible string, NUL-terminated
 * @data:       the handler's handle of the file's data
 * @token:      the token userspace preserved the file with
 */
struct luo_file_ser {
	char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];
	__u64 data;
	__u64 token;
} __packed;

/**
 * struct luo_flb_ser - one FLB's handed-over state
 * @name:  the FLB's compatible string, NUL-terminated
 * @data:  the FLB's handle of its data
 * @count: preserved files that depend on it
 */
struct luo_flb_ser {
	char name[LIVEUPDATE_FLB_COMPAT_LENGTH];
	__u64 data;
	__u64 count;
} __packed;

#endif /* _LINUX_KHO_ABI_LUO_H */
