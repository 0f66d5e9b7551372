/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the KHO scratch array.
 *
 * Kept free of kernel-only includes: the x86 decompressor reads the array
 * too, to place the kernel inside scratch memory.
 */
#ifndef _LINUX_KHO_ABI_SCRATCH_H
#define _LINUX_KHO_ABI_SCRATCH_H

#include <linux/types.h>

/**
 * DOC: KHO scratch array ABI
 *
 * Scratch regions are the physical ranges a kernel booted by KHO may use
 * freely before it knows which memory the previous kernel preserved: the
 * decompressed kernel, its initrd and every early memblock allocation live
 * there. The first kernel of a chain reserves them at boot and lends them to
 * the page allocator for movable pages only, so no preserved page can ever
 * sit in one; every later kernel inherits the same regions.
 *
 * The regions travel to the next kernel as an array of &struct kho_scratch,
 * in a kexec segment of its own whose address and byte size the arch boot
 * protocol passes along (on x86, the ``SETUP_KEXEC_KHO`` setup_data node).
 * Entry 0 is the low-memory region, entry 1 the global one, then one entry
 * per NUMA node with memory. Empty entries (size 0) are allowed.
 */

/**
 * struct kho_scratch - one scratch region
 * @addr: physical start, page aligned
 * @size: length in bytes, a multiple of the page size
 */
struct kho_scratch {
	__u64 addr;
	__u64 size;
};

#endif /* _LINUX_KHO_ABI_SCRATCH_H */
