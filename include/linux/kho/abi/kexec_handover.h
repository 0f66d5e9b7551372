/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the KHO root FDT: how the next kernel finds preserved memory and
 * the subtrees other subsystems hand over.
 */
#ifndef _LINUX_KHO_ABI_KEXEC_HANDOVER_H
#define _LINUX_KHO_ABI_KEXEC_HANDOVER_H

#include <linux/kho/abi/compat.h>
#include <linux/kho/abi/radix_tree.h>

/**
 * DOC: KHO root FDT ABI
 *
 * The root of everything KHO hands over is one page holding a flattened
 * device tree. The kernel passes its physical address to the next kernel
 * with the scratch array (on x86, in the ``SETUP_KEXEC_KHO`` setup_data
 * node). The tree is only a container: numbers in it are stored in CPU byte
 * order, not big-endian.
 *
 * The root node has two properties:
 *
 * ``compatible``
 *   ``KHO_FDT_COMPATIBLE``, a composite (see "KHO compatible strings") of
 *   this root layout's base string and the string of the preserved-memory
 *   map's layout (``KHO_RADIX_TREE_COMPATIBLE``), so a kernel with a
 *   different map or root layout refuses the handover instead of misreading
 *   it. It deliberately differs from every string mainline Linux uses.
 *
 * ``preserved-memory-map``
 *   A u64: physical address of the root node of the preserved-memory radix
 *   tree.
 *
 * Each subtree registered with kho_add_subtree() is a child node named as
 * registered, with two u64 properties: ``preserved-data``, the physical
 * address of the blob, and ``blob-size``, its length in bytes. The blob's
 * format is its owner's business and carries its owner's compatible string.
 *
 * The FDT page and every blob are themselves preserved memory.
 */
#define KHO_FDT_COMPAT_BASE		"kho-root-v1"
#define KHO_FDT_COMPATIBLE		KHO_COMPAT(KHO_FDT_COMPAT_BASE, \
						   KHO_RADIX_TREE_COMPATIBLE)
#define KHO_FDT_MEMORY_MAP_PROP_NAME	"preserved-memory-map"
#define KHO_SUB_TREE_PROP_NAME		"preserved-data"
#define KHO_SUB_TREE_SIZE_PROP_NAME	"blob-size"

#endif /* _LINUX_KHO_ABI_KEXEC_HANDOVER_H */
