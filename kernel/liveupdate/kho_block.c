// SPDX-License-Identifier: GPL-2.0
/*
 * KHO serialization blocks.
 *
 * A set's capacity follows the objects its user tracks: the user grows it
 * when an object appears and shrinks it when one goes, where allocating can
 * fail and be reported. Serializing, at a point where failing is costly,
 * then only writes records into blocks that already exist.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/block.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

/**
 * DOC: KHO serialization blocks
 *
 * A &struct kho_block_set keeps records of one size in a chain of
 * preserved blocks, so a subsystem can hand over any number of them
 * without one large allocation. Its life in the kernel that writes it:
 *
 * - kho_block_set_grow() and kho_block_set_shrink() adjust the capacity
 *   to the number of records the user will write, as the objects that
 *   become records come and go. Only they allocate and free blocks;
 *   growing can fail, shrinking cannot.
 * - To serialize, the user calls kho_block_set_clear(), then
 *   kho_block_set_it_reserve_entry() once per record, and stores
 *   kho_block_set_head_pa() in its own handed-over state. Each reserved
 *   record is counted in its block at once: there is no finishing call to
 *   forget. kho_block_set_it_prev() walks back over the records written,
 *   for instance to undo work when serializing fails half way.
 * - kho_block_set_destroy() unpreserves and frees the blocks.
 *
 * In the next kernel kho_block_set_restore() takes the chain back after
 * checking it, kho_block_set_it_read_entry() reads the records and
 * kho_block_set_destroy() frees the blocks. A user that builds objects
 * from the records, and wants a failed allocation to lose nothing, splits
 * the restore: kho_block_set_peek() checks the chain and lets the records
 * be read while the blocks stay preserved, the user allocates what it
 * needs, and only then kho_block_set_claim() takes the blocks, which
 * allocates nothing. If the user gives up in between, destroying the set
 * leaves the chain as it was, to be read again later.
 */

static void *kho_block_entry(const struct kho_block_set *bs,
			     const struct kho_block *block, u64 i)
{
	return (void *)(block->ser + 1) + i * bs->entry_size;
}

static void kho_block_free(struct kho_block_set *bs, struct kho_block *block)
{
	list_del(&block->list);
	bs->nblocks--;
	if (!bs->incoming)
		kho_unpreserve_free(block->ser);
	else if (bs->claimed)
		folio_put(virt_to_folio(block->ser));
	kfree(block);
}

/* Frees the blocks after the first @nblocks; the chain then ends there. */
static void kho_block_set_trim(struct kho_block_set *bs, u64 nblocks)
{
	while (bs->nblocks > nblocks)
		kho_block_free(bs, list_last_entry(&bs->blocks,
						   struct kho_block, list));
	if (bs->nblocks)
		list_last_entry(&bs->blocks, struct kho_block,
				list)->ser->next = 0;
	else
		bs->head_pa = 0;
}

/**
 * kho_block_set_init() - make @bs an empty set, as KHO_BLOCK_SET_INIT()
 * @bs:         the set
 * @entry_size: bytes per record; a set whose records do not fit in a
 *              block refuses to grow
 */
void kho_block_set_init(struct kho_block_set *bs, size_t entry_size)
{
	*bs = (struct kho_block_set){ .entry_size = entry_size };
	INIT_LIST_HEAD(&bs->blocks);
	/* A size that fits no block leaves the set unable to grow. */
	if (entry_size)
		bs->count_per_block = KHO_BLOCK_ENTRIES_PER_BLOCK(entry_size);
}
EXPORT_SYMBOL_GPL(kho_block_set_init);

/**
 * kho_block_set_capacity() - records the set can hold without growing
 * @bs: the set
 *
 * Return: blocks times records per block.
 */
u64 kho_block_set_capacity(const struct kho_block_set *bs)
{
	return bs->nblocks * bs->count_per_block;
}
EXPORT_SYMBOL_GPL(kho_block_set_capacity);

/**
 * kho_block_set_grow() - make room for @count records
 * @bs:    an outgoing set
 * @count: records the set must be able to hold
 *
 * Appends preserved blocks until the capacity is at least @count. Call it
 * when the number of objects that will become records grows, so that
 * serializing them later needs no allocation.
 *
 * Return: 0; -EINVAL for an incoming set or a record size no block can
 * hold; -ENOSPC if @count needs more than %KHO_MAX_BLOCKS blocks; -ENOMEM
 * or the error of kho_alloc_preserve(), in which case the set is as
 * before.
 */
int kho_block_set_grow(struct kho_block_set *bs, u64 count)
{
	long had = bs->nblocks;
	u64 need;

	if (bs->incoming || !bs->count_per_block)
		return -EINVAL;
	need = DIV_ROUND_UP_ULL(count, bs->count_per_block);
	if (need > KHO_MAX_BLOCKS)
		return -ENOSPC;

	while (bs->nblocks < need) {
		struct kho_block *block;
		void *ser;

		block = kzalloc(sizeof(*block), KHO_GFP);
		if (!block) {
			kho_block_set_trim(bs, had);
			return -ENOMEM;
		}
		ser = kho_alloc_preserve(KHO_BLOCK_SIZE);
		if (IS_ERR(ser)) {
			kfree(block);
			kho_block_set_trim(bs, had);
			return PTR_ERR(ser);
		}
		block->ser = ser;
		if (!bs->nblocks)
			bs->head_pa = virt_to_phys(ser);
		list_add_tail(&block->list, &bs->blocks);
		bs->nblocks++;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kho_block_set_grow);

/**
 * kho_block_set_shrink() - give back room not needed for @count records
 * @bs:    an outgoing set
 * @count: records the set must still be able to hold
 *
 * Frees the trailing blocks beyond what @count records need. Records in
 * them are lost: the user removes objects so that the ones it keeps fit
 * in the blocks that stay.
 */
void kho_block_set_shrink(struct kho_block_set *bs, u64 count)
{
	if (bs->incoming || !bs->count_per_block)
		return;
	kho_block_set_trim(bs, DIV_ROUND_UP_ULL(count, bs->count_per_block));
}
EXPORT_SYMBOL_GPL(kho_block_set_shrink);

/**
 * kho_block_set_count() - records the set holds
 * @bs: the set
 *
 * Return: the sum of the counts of the blocks that the chain from the
 * first block reaches, which is what the next kernel will read.
 */
u64 kho_block_set_count(const struct kho_block_set *bs)
{
	struct kho_block *block;
	u64 count = 0;

	list_for_each_entry(block, &bs->blocks, list) {
		count += block->ser->count;
		if (!block->ser->next)
			break;
	}
	return count;
}
EXPORT_SYMBOL_GPL(kho_block_set_count);

/**
 * kho_block_set_clear() - drop all records, keep the blocks
 * @bs: an outgoing set
 *
 * Zeroes every block, so no stale record reaches the next kernel. Call it
 * before the records are written again.
 */
void kho_block_set_clear(struct kho_block_set *bs)
{
	struct kho_block *block;

	if (bs->incoming)
		return;
	list_for_each_entry(block, &bs->blocks, list)
		memset(block->ser, 0, KHO_BLOCK_SIZE);
}
EXPORT_SYMBOL_GPL(kho_block_set_clear);

/*
 * Reads the header of the block at @phys without taking it back: it must be
 * a block the previous kernel preserved and that nobody restored yet.
 * Returns the header or NULL with the reason in *@why.
 */
static struct kho_block_header_ser *
kho_block_peek_header(const struct kho_block_set *bs, u64 phys,
		      const char **why)
{
	struct kho_block_header_ser *ser;

	/* A block is at most a page, and a preserved block at least one. */
	BUILD_BUG_ON(KHO_BLOCK_SIZE > PAGE_SIZE);
	if (!kho_block_is_preserved(phys, KHO_BLOCK_SIZE)) {
		*why = "is not preserved memory";
		return NULL;
	}
	ser = phys_to_virt(phys);
	if (!ser->count || ser->count > bs->count_per_block) {
		*why = "holds an impossible record count";
		return NULL;
	}
	return ser;
}

/*
 * Walks the chain at @head_pa, checking every block, and returns the
 * number of blocks or -EINVAL (logged). A chain that comes back to one of
 * its blocks is found by a second cursor moving at half the speed, so the
 * walk ends even on a corrupted chain.
 */
static long kho_block_chain_length(const struct kho_block_set *bs,
				   u64 head_pa)
{
	u64 phys = head_pa, slow = head_pa;
	const char *why;
	long n;

	for (n = 0; phys; n++) {
		const struct kho_block_header_ser *ser;

		if (n == KHO_MAX_BLOCKS) {
			pr_err("block chain at %#llx is longer than %d blocks\n",
			       head_pa, KHO_MAX_BLOCKS);
			return -EINVAL;
		}
		ser = kho_block_peek_header(bs, phys, &why);
		if (!ser) {
			pr_err("block %ld at %#llx of the chain at %#llx %s\n",
			       n, phys, head_pa, why);
			return -EINVAL;
		}
		phys = ser->next;
		if (n & 1)
			slow = ((struct kho_block_header_ser *)
				phys_to_virt(slow))->next;
		if (phys && phys == slow) {
			pr_err("block chain at %#llx comes back to block %#llx\n",
			       head_pa, phys);
			return -EINVAL;
		}
	}
	return n;
}

/**
 * kho_block_set_peek() - read a chain the previous kernel wrote, not taking it
 * @bs:      an empty set initialized with the record size the chain uses
 * @head_pa: physical address of the first block, 0 for an empty set
 *
 * Checks every block before it trusts it: it must be preserved memory not
 * restored yet, hold between 1 and its capacity records, and the chain
 * must end within %KHO_MAX_BLOCKS blocks without coming back to one of
 * its blocks. Only this kernel's bookkeeping is allocated; the blocks stay
 * preserved, so a user can build everything it derives from the records,
 * and give up on -ENOMEM without losing them, before it takes the blocks
 * with kho_block_set_claim(). Destroying a set that was only peeked at
 * leaves its blocks reserved for a later attempt.
 *
 * Return: 0, -EINVAL for a set that is not empty or a chain that fails a
 * check (logged), or -ENOMEM. On failure @bs stays empty and every block
 * stays preserved.
 */
int kho_block_set_peek(struct kho_block_set *bs, u64 head_pa)
{
	u64 phys = head_pa;
	long n, i;

	if (bs->nblocks || bs->incoming || !bs->count_per_block)
		return -EINVAL;
	n = kho_block_chain_length(bs, head_pa);
	if (n < 0)
		return n;

	bs->incoming = true;
	bs->head_pa = head_pa;
	for (i = 0; i < n; i++) {
		struct kho_block *block = kzalloc(sizeof(*block), GFP_KERNEL);

		if (!block) {
			kho_block_set_destroy(bs);
			return -ENOMEM;
		}
		block->ser = phys_to_virt(phys);
		list_add_tail(&block->list, &bs->blocks);
		bs->nblocks++;
		phys = block->ser->next;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kho_block_set_peek);

/**
 * kho_block_set_claim() - take back the blocks of a peeked-at set
 * @bs: a set kho_block_set_peek() filled
 *
 * Allocates nothing, so it fails only if a block was taken since the peek,
 * for example by another chain that names it too. Then the blocks taken
 * by this call are freed, the others are left alone, and @bs is emptied,
 * since a chain that shares memory with another cannot be trusted to name
 * memory that is really its own.
 *
 * Return: 0, or -EINVAL (logged) if @bs is not a peeked-at set or a block
 * was taken already.
 */
int kho_block_set_claim(struct kho_block_set *bs)
{
	struct kho_block *block, *taken;

	if (!bs->incoming || bs->claimed)
		return -EINVAL;
	list_for_each_entry(block, &bs->blocks, list) {
		if (kho_restore_folio(virt_to_phys(block->ser)))
			continue;
		pr_err("block at %#llx of the chain at %#llx was taken already\n",
		       (u64)virt_to_phys(block->ser), bs->head_pa);
		/* Free what this call took; the rest is forgotten. */
		list_for_each_entry(taken, &bs->blocks, list) {
			if (taken == block)
				break;
			folio_put(virt_to_folio(taken->ser));
		}
		kho_block_set_destroy(bs);
		return -EINVAL;
	}
	bs->claimed = true;
	return 0;
}
EXPORT_SYMBOL_GPL(kho_block_set_claim);

/**
 * kho_block_set_restore() - take back a chain the previous kernel wrote
 * @bs:      an empty set initialized with the record size the chain uses
 * @head_pa: physical address of the first block, 0 for an empty set
 *
 * kho_block_set_peek() and kho_block_set_claim() in one call. On success
 * @bs is an incoming set that can be read and destroyed; on failure every
 * block stays preserved (or, after a claim that found a block taken, as
 * kho_block_set_claim() says), so -ENOMEM loses nothing.
 *
 * Return: 0, -EINVAL for a set that is not empty or a chain that fails a
 * check (logged), or -ENOMEM.
 */
int kho_block_set_restore(struct kho_block_set *bs, u64 head_pa)
{
	int err = kho_block_set_peek(bs, head_pa);

	return err ?: kho_block_set_claim(bs);
}
EXPORT_SYMBOL_GPL(kho_block_set_restore);

/**
 * kho_block_set_destroy() - free every block of the set
 * @bs: the set
 *
 * Outgoing blocks are unpreserved and freed, incoming ones freed once
 * claimed; the blocks of a set only peeked at stay preserved. @bs is
 * empty afterwards and keeps its record size, so it can be used again: an
 * incoming set becomes an outgoing one.
 */
void kho_block_set_destroy(struct kho_block_set *bs)
{
	struct kho_block *block, *tmp;

	list_for_each_entry_safe(block, tmp, &bs->blocks, list)
		kho_block_free(bs, block);
	bs->head_pa = 0;
	bs->incoming = false;
	bs->claimed = false;
}
EXPORT_SYMBOL_GPL(kho_block_set_destroy);

/**
 * kho_block_set_it_init() - put a cursor before the first record of a set
 * @it: the cursor
 * @bs: the set
 */
void kho_block_set_it_init(struct kho_block_set_it *it,
			   struct kho_block_set *bs)
{
	it->bs = bs;
	it->block = list_first_entry_or_null(&bs->blocks, struct kho_block,
					     list);
	it->i = 0;
}
EXPORT_SYMBOL_GPL(kho_block_set_it_init);

/**
 * kho_block_set_it_reserve_entry() - write the next record
 * @it: a cursor over an outgoing set, usually just cleared
 *
 * Moves to the next block when the current one is full. The record is
 * counted in its block right away, and the chain is cut after this block,
 * so the chain the next kernel reads always ends with the last record
 * written.
 *
 * Return: the record's slot, to be filled by the caller; NULL if the set
 * is full (grow it first) or incoming.
 */
void *kho_block_set_it_reserve_entry(struct kho_block_set_it *it)
{
	struct kho_block_set *bs = it->bs;
	struct kho_block *block = it->block;

	if (!block || bs->incoming)
		return NULL;
	if (it->i == bs->count_per_block) {
		if (list_is_last(&block->list, &bs->blocks))
			return NULL;
		block = list_next_entry(block, list);
		it->block = block;
		it->i = 0;
	}
	if (!it->i) {
		if (!list_is_first(&block->list, &bs->blocks))
			list_prev_entry(block, list)->ser->next =
				virt_to_phys(block->ser);
		block->ser->next = 0;
	}
	block->ser->count = ++it->i;
	return kho_block_entry(bs, block, it->i - 1);
}
EXPORT_SYMBOL_GPL(kho_block_set_it_reserve_entry);

/**
 * kho_block_set_it_read_entry() - read the next record
 * @it: a cursor
 *
 * Follows the blocks as the next kernel would: each block's count, then
 * its link to the next block.
 *
 * Return: the record, or NULL after the last one.
 */
void *kho_block_set_it_read_entry(struct kho_block_set_it *it)
{
	struct kho_block_set *bs = it->bs;
	struct kho_block *block = it->block;

	while (block) {
		if (it->i < block->ser->count)
			return kho_block_entry(bs, block, it->i++);
		/* At the end the cursor stays, so that it can step back. */
		if (!block->ser->next || list_is_last(&block->list, &bs->blocks))
			return NULL;
		block = list_next_entry(block, list);
		it->block = block;
		it->i = 0;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_block_set_it_read_entry);

/**
 * kho_block_set_it_prev() - step back over the record before the cursor
 * @it: a cursor that has read or reserved records
 *
 * The records and counts stay as they are; a set walked back after a
 * failed serialization is cleared before it is written again.
 *
 * Return: the record before the cursor, which is then at that record; NULL
 * at the start of the set.
 */
void *kho_block_set_it_prev(struct kho_block_set_it *it)
{
	struct kho_block_set *bs = it->bs;

	if (!it->block)
		return NULL;
	while (!it->i) {
		if (list_is_first(&it->block->list, &bs->blocks))
			return NULL;
		it->block = list_prev_entry(it->block, list);
		it->i = min(it->block->ser->count, bs->count_per_block);
	}
	return kho_block_entry(bs, it->block, --it->i);
}
EXPORT_SYMBOL_GPL(kho_block_set_it_prev);
