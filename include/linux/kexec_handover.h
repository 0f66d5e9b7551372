/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kexec HandOver (KHO): memory a kernel hands over, in place, to the kernel
 * it kexecs into. See Documentation/core-api/kho/.
 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/types.h>
/* Mainline declares the vmalloc preservation calls here; keep them found. */
#include <linux/kho/vmalloc.h>

struct folio;
struct page;

/**
 * define KHO_GFP - how KHO, LUO and their file handlers allocate what a
 * preservation holds
 *
 * Charged to the memory cgroup of the task that preserves (a VMM's
 * sessions count against its limit, and the OOM killer sees them there),
 * and failing with -ENOMEM instead of waking the OOM killer, so that a
 * preservation request that does not fit gets an errno.
 */
#define KHO_GFP		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

#ifdef CONFIG_KEXEC_HANDOVER

bool kho_is_enabled(void);
bool is_kho_boot(void);

int kho_preserve_folio(struct folio *folio);
void kho_unpreserve_folio(struct folio *folio);
int kho_preserve_pages(struct page *page, unsigned long nr_pages);
void kho_unpreserve_pages(struct page *page, unsigned long nr_pages);
struct folio *kho_restore_folio(phys_addr_t phys);
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages);
bool kho_block_is_preserved(phys_addr_t phys, size_t size);
bool kho_pages_are_preserved(phys_addr_t phys, unsigned long nr_pages);

void *kho_alloc_preserve(size_t size);
void kho_unpreserve_free(void *mem);
void kho_restore_free(void *mem);

int kho_add_subtree(const char *name, void *blob, size_t size);
int kho_add_subtree_compatible(const char *name, const char *compatible,
			       void *blob, size_t size);
void kho_remove_subtree(void *blob);
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size);

void kho_memory_init(void);
void kho_populate(phys_addr_t fdt_phys, u64 fdt_len, phys_addr_t scratch_phys,
		  u64 scratch_len);
bool kho_arch_range_is_ram(phys_addr_t phys, u64 size);

#else /* CONFIG_KEXEC_HANDOVER */

static inline bool kho_is_enabled(void)
{
	return false;
}

static inline bool is_kho_boot(void)
{
	return false;
}

static inline int kho_preserve_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_folio(struct folio *folio) { }

static inline int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_pages(struct page *page,
					unsigned long nr_pages) { }

static inline struct folio *kho_restore_folio(phys_addr_t phys)
{
	return NULL;
}

static inline struct page *kho_restore_pages(phys_addr_t phys,
					     unsigned long nr_pages)
{
	return NULL;
}

static inline bool kho_block_is_preserved(phys_addr_t phys, size_t size)
{
	return false;
}

static inline bool kho_pages_are_preserved(phys_addr_t phys,
					   unsigned long nr_pages)
{
	return false;
}

static inline void *kho_alloc_preserve(size_t size)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void kho_unpreserve_free(void *mem) { }

static inline void kho_restore_free(void *mem) { }

static inline int kho_add_subtree(const char *name, void *blob, size_t size)
{
	return -EOPNOTSUPP;
}

static inline int kho_add_subtree_compatible(const char *name,
					     const char *compatible,
					     void *blob, size_t size)
{
	return -EOPNOTSUPP;
}

static inline void kho_remove_subtree(void *blob) { }

static inline int kho_retrieve_subtree(const char *name, phys_addr_t *phys,
				       size_t *size)
{
	return -EOPNOTSUPP;
}

static inline void kho_memory_init(void) { }

static inline void kho_populate(phys_addr_t fdt_phys, u64 fdt_len,
				phys_addr_t scratch_phys, u64 scratch_len) { }

#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KEXEC_HANDOVER_H */
