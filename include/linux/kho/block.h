/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO serialization blocks: fixed-size records handed to the next kernel in
 * a chain of preserved pages. See Documentation/core-api/kho/block.rst.
 */
#ifndef _LINUX_KHO_BLOCK_H
#define _LINUX_KHO_BLOCK_H

#include <linux/kho/abi/block.h>
#include <linux/list.h>
#include <linux/types.h>

/**
 * struct kho_block - one block of a set, as this kernel tracks it
 * @list: link in &kho_block_set.blocks, in chain order
 * @ser:  the block itself, in preserved memory
 */
struct kho_block {
	struct list_head list;
	struct kho_block_header_ser *ser;
};

/**
 * struct kho_block_set - a chain of blocks holding records of one size
 * @blocks:          the blocks, in chain order
 * @nblocks:         number of blocks on @blocks
 * @head_pa:         physical address of the first block, 0 without blocks
 * @entry_size:      bytes per record
 * @count_per_block: records one block can hold
 * @incoming:        the set was restored from the previous kernel; it can
 *                   be read and destroyed, not written
 * @claimed:         incoming sets: the blocks were taken back (not only
 *                   peeked at), so destroying the set frees them
 *
 * A set has no lock of its own; its user serializes all calls on it.
 */
struct kho_block_set {
	struct list_head blocks;
	long nblocks;
	u64 head_pa;
	size_t entry_size;
	u64 count_per_block;
	bool incoming;
	bool claimed;
};

/**
 * struct kho_block_set_it - a cursor over the records of a set
 * @bs:    the set
 * @block: the block the cursor is in, NULL past the end or in an empty set
 * @i:     index of the next record in @block
 */
struct kho_block_set_it {
	struct kho_block_set *bs;
	struct kho_block *block;
	u64 i;
};

/**
 * KHO_BLOCK_ENTRIES_PER_BLOCK() - records of @_entry_size bytes in a block
 * @_entry_size: bytes per record
 */
#define KHO_BLOCK_ENTRIES_PER_BLOCK(_entry_size)			\
	((KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser)) / (_entry_size))

/**
 * KHO_BLOCK_SET_INIT() - static initializer of an empty block set
 * @_name:       the &struct kho_block_set being defined
 * @_entry_size: bytes per record
 */
#define KHO_BLOCK_SET_INIT(_name, _entry_size) {			\
	.blocks = LIST_HEAD_INIT((_name).blocks),			\
	.entry_size = (_entry_size),					\
	.count_per_block = KHO_BLOCK_ENTRIES_PER_BLOCK(_entry_size),	\
}

/**
 * kho_block_set_is_empty() - whether a set holds no records
 * @bs: the set
 *
 * Return: true if the first block holds no record or there is no block.
 */
static inline bool kho_block_set_is_empty(const struct kho_block_set *bs)
{
	return list_empty(&bs->blocks) ||
	       !list_first_entry(&bs->blocks, struct kho_block, list)->ser->count;
}

/**
 * kho_block_set_head_pa() - what the next kernel passes to restore
 * @bs: the set
 *
 * Return: the physical address of the first block, or 0 if the set holds
 * no records (the next kernel refuses blocks without records).
 */
static inline u64 kho_block_set_head_pa(const struct kho_block_set *bs)
{
	return kho_block_set_is_empty(bs) ? 0 : bs->head_pa;
}

void kho_block_set_init(struct kho_block_set *bs, size_t entry_size);
int kho_block_set_grow(struct kho_block_set *bs, u64 count);
void kho_block_set_shrink(struct kho_block_set *bs, u64 count);
u64 kho_block_set_capacity(const struct kho_block_set *bs);
u64 kho_block_set_count(const struct kho_block_set *bs);
void kho_block_set_clear(struct kho_block_set *bs);
int kho_block_set_peek(struct kho_block_set *bs, u64 head_pa);
int kho_block_set_claim(struct kho_block_set *bs);
int kho_block_set_restore(struct kho_block_set *bs, u64 head_pa);
void kho_block_set_destroy(struct kho_block_set *bs);

void kho_block_set_it_init(struct kho_block_set_it *it,
			   struct kho_block_set *bs);
void *kho_block_set_it_reserve_entry(struct kho_block_set_it *it);
void *kho_block_set_it_read_entry(struct kho_block_set_it *it);
void *kho_block_set_it_prev(struct kho_block_set_it *it);

#endif /* _LINUX_KHO_BLOCK_H */
