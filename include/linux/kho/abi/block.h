/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of KHO serialization blocks.
 */
#ifndef _LINUX_KHO_ABI_BLOCK_H
#define _LINUX_KHO_ABI_BLOCK_H

#include <linux/types.h>
#include <asm/page.h>

/**
 * DOC: KHO serialization block ABI
 *
 * A block set hands a list of fixed-size records of any length to the next
 * kernel. It is a singly linked chain of blocks, each ``KHO_BLOCK_SIZE``
 * bytes of memory preserved as one folio. A block starts with a
 * &struct kho_block_header_ser; the records follow it back to back, as many
 * as the header's @count says. The capacity of a block is
 * ``(KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser)) / entry_size``.
 * The record size and layout belong to the user of the set, whose own
 * compatible string includes ``KHO_BLOCK_COMPATIBLE`` (see "KHO compatible
 * strings").
 *
 * The user stores the physical address of the first block (0 for a set
 * without records). A chain that the previous kernel wrote is accepted
 * only if every block is memory that kernel preserved as a block of at
 * least ``KHO_BLOCK_SIZE`` bytes, no block appears twice, the chain has at
 * most ``KHO_MAX_BLOCKS`` blocks, and every block holds between 1 and its
 * capacity records. A writer therefore never links a block without
 * records into the chain.
 *
 * ``KHO_BLOCK_SIZE`` is ``PAGE_SIZE``: KHO does not hand over between
 * kernels with different page sizes.
 */
#define KHO_BLOCK_COMPATIBLE	"kho-block-v1"
#define KHO_BLOCK_SIZE		PAGE_SIZE
#define KHO_MAX_BLOCKS		10000

/**
 * struct kho_block_header_ser - the start of every serialization block
 * @next:  physical address of the next block, 0 in the last one
 * @count: number of records that follow this header in this block
 */
struct kho_block_header_ser {
	__u64 next;
	__u64 count;
} __packed;

#endif /* _LINUX_KHO_ABI_BLOCK_H */
