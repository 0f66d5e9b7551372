/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the KHO preserved-memory radix tree.
 *
 * This layout crosses a kexec: the kernel that preserves memory writes it and
 * the next kernel reads it before its buddy allocator exists. Any change to
 * it needs a new compatible string.
 */
#ifndef _LINUX_KHO_ABI_RADIX_TREE_H
#define _LINUX_KHO_ABI_RADIX_TREE_H

#include <linux/bits.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/types.h>
#include <asm/page.h>

/**
 * DOC: KHO radix tree ABI
 *
 * KHO records every preserved block of memory, a naturally aligned run of
 * ``2^order`` pages, as one bit in a radix tree. The tree lives in ordinary
 * pages; the next kernel finds its root through the physical address that
 * the KHO root FDT stores, and reads it before it allocates anything outside
 * the scratch areas, so the tree pages need no preservation of their own.
 *
 * Keys. A block of order ``o`` at physical address ``pa`` (aligned to
 * ``PAGE_SIZE << o``) has the key::
 *
 *   key = 1 << (KHO_ORDER_0_LOG2 - o) | pa >> (PAGE_SHIFT + o)
 *
 * The highest set bit encodes the order (bit 52 for order 0 with 4 KiB
 * pages, bit 51 for order 1, ...), the bits below it the block number. A key
 * is decoded by finding its highest set bit. Blocks of every order share one
 * tree.
 *
 * Nodes. Every node is one page. The lowest level is a leaf, a bitmap of
 * ``1 << KHO_BITMAP_SIZE_LOG2`` bits indexed by the low
 * ``KHO_BITMAP_SIZE_LOG2`` bits of the key. Every level above it is a table
 * of ``1 << KHO_TABLE_SIZE_LOG2`` 64-bit entries indexed by the next
 * ``KHO_TABLE_SIZE_LOG2`` bits of the key; an entry holds the physical
 * address of the node one level down, or 0 when that subtree is empty. The
 * root is the table at level ``KHO_TREE_MAX_DEPTH - 1``. With 4 KiB pages a
 * leaf covers 128 MiB of order-0 memory and the tree has six levels.
 *
 * All values are in CPU byte order. Both kernels must use the same
 * PAGE_SIZE. The compatible string of this layout is
 * ``KHO_RADIX_TREE_COMPATIBLE``.
 */
#define KHO_RADIX_TREE_COMPATIBLE "kho-radix-v1"

/**
 * enum kho_radix_consts - geometry of the KHO radix tree
 * @KHO_ORDER_0_LOG2: bit that marks an order-0 key; the order-@o bit is
 *                    @KHO_ORDER_0_LOG2 - @o
 * @KHO_TABLE_SIZE_LOG2: log2 of the number of entries in a table node
 * @KHO_BITMAP_SIZE_LOG2: log2 of the number of bits in a leaf
 * @KHO_TREE_MAX_DEPTH: number of levels, leaf included
 */
enum kho_radix_consts {
	KHO_ORDER_0_LOG2 = 64 - PAGE_SHIFT,
	KHO_TABLE_SIZE_LOG2 = const_ilog2(PAGE_SIZE / sizeof(u64)),
	KHO_BITMAP_SIZE_LOG2 = PAGE_SHIFT + const_ilog2(BITS_PER_BYTE),
	KHO_TREE_MAX_DEPTH = DIV_ROUND_UP(KHO_ORDER_0_LOG2 - KHO_BITMAP_SIZE_LOG2,
					  KHO_TABLE_SIZE_LOG2) + 1,
};

/**
 * struct kho_radix_node - a table node of the KHO radix tree (one page)
 * @table: physical address of each child node, 0 for none
 */
struct kho_radix_node {
	u64 table[1 << KHO_TABLE_SIZE_LOG2];
};

/**
 * struct kho_radix_leaf - a leaf of the KHO radix tree (one page)
 * @bitmap: one bit per key; set when the block is preserved
 */
struct kho_radix_leaf {
	DECLARE_BITMAP(bitmap, 1 << KHO_BITMAP_SIZE_LOG2);
};

#endif /* _LINUX_KHO_ABI_RADIX_TREE_H */
