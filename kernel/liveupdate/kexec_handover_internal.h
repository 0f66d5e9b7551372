/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the KHO core share; not an API for anyone else.
 */
#ifndef _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H

#include <linux/init.h>
#include <linux/kho/abi/scratch.h>
#include <linux/kho/radix_tree.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* kexec_handover.c */
extern bool kho_enable;

/**
 * struct kho_out - what this kernel hands over
 * @tree:     the live map of preserved memory
 * @fdt:      the root FDT page, itself preserved
 * @fdt_lock: serializes edits of @fdt
 */
struct kho_out {
	struct kho_radix_tree tree;
	void *fdt;
	struct mutex fdt_lock;	/* serializes edits of the root FDT */
};

extern struct kho_out kho_out;

/* kho_subtree.c */
void kho_subtree_compatibles(void (*fn)(const char *name,
					const char *compatible, void *arg),
			     void *arg);

void __init kho_stamp_preserved_block(unsigned long pfn, unsigned int order);
#if IS_ENABLED(CONFIG_KUNIT)
int kho_preserve_block(unsigned long pfn, unsigned int order);
struct page;
void kho_test_fake_incoming(struct page *page, unsigned int order);
bool kho_test_unfake_incoming(struct page *page);
#endif

/* kho_scratch.c */
extern struct kho_scratch *kho_scratch;
extern unsigned int kho_scratch_cnt;

bool kho_scratch_overlap(phys_addr_t phys, u64 size);
void __init kho_reserve_scratch(void);
void __init kho_scratch_mark_cma(void);
void __init kho_scratch_release_to_cma(void);
void __init kho_scratch_count_cma(void);
void __init kho_scratch_free(void);

/* kho_incoming.c */
extern unsigned long kho_in_deferred_pages;

const void *kho_in_fdt(void);
bool kho_in_scratch_inherited(void);
void __init kho_in_memory_init(void);

/* kexec_metadata.c */
int __init kho_kexec_metadata_init(void);

/* kexec_handover_debugfs.c */
#ifdef CONFIG_KEXEC_HANDOVER_DEBUGFS
int __init kho_debugfs_init(void);
void __init kho_debugfs_remove(void);
void kho_debugfs_blob_add(const char *name, void *blob, size_t size);
void kho_debugfs_blob_remove(const char *name);
#else
static inline int kho_debugfs_init(void)
{
	return 0;
}

static inline void kho_debugfs_remove(void) { }

static inline void kho_debugfs_blob_add(const char *name, void *blob,
					size_t size) { }
static inline void kho_debugfs_blob_remove(const char *name) { }
#endif

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
