/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Preserving vmalloc areas across kexec with KHO. See
 * Documentation/core-api/kho/vmalloc.rst.
 */
#ifndef _LINUX_KHO_VMALLOC_H
#define _LINUX_KHO_VMALLOC_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kho/abi/vmalloc.h>

#ifdef CONFIG_KEXEC_HANDOVER

int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation);
void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation);
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation);
void *kho_restore_vmalloc_err(const struct kho_vmalloc *preservation);

#else /* CONFIG_KEXEC_HANDOVER */

static inline int kho_preserve_vmalloc(void *ptr,
				       struct kho_vmalloc *preservation)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation) { }

static inline void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	return NULL;
}

static inline void *
kho_restore_vmalloc_err(const struct kho_vmalloc *preservation)
{
	return ERR_PTR(-EOPNOTSUPP);
}

#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KHO_VMALLOC_H */
