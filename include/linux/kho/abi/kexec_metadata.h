/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the KHO kexec-metadata subtree.
 */
#ifndef _LINUX_KHO_ABI_KEXEC_METADATA_H
#define _LINUX_KHO_ABI_KEXEC_METADATA_H

#include <linux/types.h>
#include <uapi/linux/utsname.h>

/**
 * DOC: KHO kexec-metadata ABI
 *
 * Every kernel with KHO enabled registers a subtree named
 * ``KHO_METADATA_NODE_NAME`` that tells the next kernel where it comes from:
 * the release of the kernel that ran the kexec and how many kexecs have
 * happened since the last cold boot. The blob is one packed
 * &struct kho_kexec_metadata. Its @version field comes first and is checked
 * before anything else is read; a kernel that does not know the version
 * ignores the blob and counts from zero.
 */
#define KHO_METADATA_NODE_NAME		"kexec-metadata"
#define KHO_KEXEC_METADATA_VERSION	1
/* The blob's format for the check before a live update: follows @version. */
#define KHO_KEXEC_METADATA_COMPATIBLE	"kexec-metadata-v1"

/**
 * struct kho_kexec_metadata - where the running kernel comes from
 * @version:          ``KHO_KEXEC_METADATA_VERSION``; always the first field
 * @previous_release: utsname release of the kernel that ran the kexec,
 *                    NUL terminated
 * @kexec_count:      kexecs since the last cold boot, counting the one that
 *                    started the next kernel
 */
struct kho_kexec_metadata {
	u32 version;
	char previous_release[__NEW_UTS_LEN + 1];
	u32 kexec_count;
} __packed;

#endif /* _LINUX_KHO_ABI_KEXEC_METADATA_H */
