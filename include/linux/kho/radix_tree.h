/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KHO preserved-memory radix tree: which blocks of physical memory a
 * kernel hands over to the next one across kexec. Layout and compatible
 * string: <linux/kho/abi/radix_tree.h>.
 */
#ifndef _LINUX_KHO_RADIX_TREE_H
#define _LINUX_KHO_RADIX_TREE_H

#include <linux/bitops.h>
#include <linux/kho/abi/radix_tree.h>
#include <linux/mutex.h>
#include <linux/types.h>

/**
 * struct kho_radix_tree - a live radix tree of preserved blocks
 * @root:     the root table node; its physical address is what the next
 *            kernel receives
 * @lock:     serializes every change and walk of the tree
 * @nr_nodes: nodes allocated, the root included (each one page)
 * @nr_pages: pages in the blocks recorded
 */
struct kho_radix_tree {
	struct kho_radix_node *root;
	struct mutex lock;	/* serializes changes and walks */
	unsigned long nr_nodes;
	unsigned long nr_pages;
};

/**
 * typedef kho_radix_tree_walk_callback_t - called for each preserved block
 * @phys:  physical address of the block
 * @order: the block is ``PAGE_SIZE << order`` bytes
 *
 * Return: 0 to continue the walk; anything else stops it and is returned by
 * the walk.
 */
typedef int (*kho_radix_tree_walk_callback_t)(phys_addr_t phys,
					      unsigned int order);

/**
 * typedef kho_radix_walk_fn_t - kho_radix_walk() callback for each block
 * @phys:  physical address of the block
 * @order: the block is ``PAGE_SIZE << order`` bytes
 * @arg:   the argument given to kho_radix_walk()
 *
 * Return: 0 to continue, anything else to stop the walk with that value.
 */
typedef int (*kho_radix_walk_fn_t)(phys_addr_t phys, unsigned int order,
				   void *arg);

/**
 * typedef kho_radix_node_check_t - vet a node address before it is read
 * @phys: physical address of a node (page aligned), as found in its parent
 * @arg:  the argument given to kho_radix_walk()
 *
 * A tree that comes from the previous kernel is untrusted: the walk calls
 * this before it maps and reads any node.
 *
 * Return: 0 if @phys may be read, an error code to stop the walk.
 */
typedef int (*kho_radix_node_check_t)(phys_addr_t phys, void *arg);

/**
 * kho_radix_encode_key() - the key of a preserved block
 * @phys:  physical address, aligned to ``PAGE_SIZE << order``
 * @order: order of the block, below %KHO_ORDER_0_LOG2
 *
 * Return: the radix key of the block (see the ABI documentation).
 */
static inline u64 kho_radix_encode_key(phys_addr_t phys, unsigned int order)
{
	return BIT_ULL(KHO_ORDER_0_LOG2 - order) |
	       ((u64)phys >> (PAGE_SHIFT + order));
}

/**
 * kho_radix_decode_key() - the block a key stands for
 * @key:   a radix key
 * @phys:  where to store the block's physical address
 * @order: where to store the block's order
 *
 * Return: true if @key is a valid key; false if its order bit is above
 * %KHO_ORDER_0_LOG2 or stands for an order of %KHO_ORDER_0_LOG2 or more
 * (keys no kernel encodes, so only corrupted input has them).
 */
static inline bool kho_radix_decode_key(u64 key, phys_addr_t *phys,
					unsigned int *order)
{
	unsigned int order_bit;

	if (!key)
		return false;
	order_bit = fls64(key) - 1;
	if (!order_bit || order_bit > KHO_ORDER_0_LOG2)
		return false;
	*order = KHO_ORDER_0_LOG2 - order_bit;
	*phys = (key ^ BIT_ULL(order_bit)) << (PAGE_SHIFT + *order);
	return true;
}

int kho_radix_tree_init(struct kho_radix_tree *tree);
void kho_radix_tree_destroy(struct kho_radix_tree *tree);
int kho_radix_add_page(struct kho_radix_tree *tree, unsigned long pfn,
		       unsigned int order);
void kho_radix_del_page(struct kho_radix_tree *tree, unsigned long pfn,
			unsigned int order);
int kho_radix_walk_tree(struct kho_radix_tree *tree,
			kho_radix_tree_walk_callback_t cb);
int kho_radix_walk(phys_addr_t root, kho_radix_node_check_t check,
		   kho_radix_walk_fn_t fn, void *arg);

#endif /* _LINUX_KHO_RADIX_TREE_H */
