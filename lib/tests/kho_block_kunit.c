// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for KHO serialization blocks.
 *
 * Outgoing sets are real: their blocks are preserved with KHO. Incoming
 * chains are built by hand from pages made to look handed over by a
 * previous kernel (kho_test_fake_incoming()), so that restore meets the
 * same checks it meets after a kexec, including chains no sane kernel
 * writes.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/block.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../../kernel/liveupdate/kexec_handover_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* 64-byte records: 63 to a block, so block boundaries come quickly. */
struct rec {
	u64 index;
	u64 check;
	u8 pad[48];
};

#define PER_BLOCK	KHO_BLOCK_ENTRIES_PER_BLOCK(sizeof(struct rec))

static u64 rec_check(u64 index)
{
	return index * 0x9e3779b97f4a7c15ULL ^ 0x4b484f42;
}

/* Outgoing sets preserve their blocks, which needs KHO to be on. */
static void require_kho(struct kunit *test)
{
	if (!kho_is_enabled())
		kunit_skip(test, "KHO is off (kho=, or no room for scratch)");
}

static void set_exit(void *bs)
{
	kho_block_set_destroy(bs);
}

static struct kho_block_set *new_set(struct kunit *test)
{
	struct kho_block_set *bs = kunit_kzalloc(test, sizeof(*bs), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, bs);
	kho_block_set_init(bs, sizeof(struct rec));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, set_exit, bs), 0);
	return bs;
}

/* Writes records 0..@n-1 into a cleared set; returns how many fit. */
static u64 write_recs(struct kho_block_set *bs, u64 n)
{
	struct kho_block_set_it it;
	u64 i;

	kho_block_set_clear(bs);
	kho_block_set_it_init(&it, bs);
	for (i = 0; i < n; i++) {
		struct rec *r = kho_block_set_it_reserve_entry(&it);

		if (!r)
			break;
		r->index = i;
		r->check = rec_check(i);
	}
	return i;
}

/* Reads the set; returns the records read, or -1 at the first bad one. */
static long read_recs(struct kho_block_set *bs)
{
	struct kho_block_set_it it;
	struct rec *r;
	long n = 0;

	kho_block_set_it_init(&it, bs);
	while ((r = kho_block_set_it_read_entry(&it))) {
		if (r->index != n || r->check != rec_check(n))
			return -1;
		n++;
	}
	return n;
}

static void block_init(struct kunit *test)
{
	static struct kho_block_set fixed =
		KHO_BLOCK_SET_INIT(fixed, sizeof(struct rec));
	struct kho_block_set bs;

	KUNIT_EXPECT_EQ(test, PER_BLOCK, 63);
	KUNIT_EXPECT_EQ(test, fixed.count_per_block, 63);
	KUNIT_EXPECT_TRUE(test, list_empty(&fixed.blocks));
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(&fixed));
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(&fixed), 0);

	kho_block_set_init(&bs, sizeof(struct rec));
	KUNIT_EXPECT_EQ(test, bs.count_per_block, 63);
	KUNIT_EXPECT_EQ(test, bs.entry_size, sizeof(struct rec));

	/* Records that fit no block, or of no size, cannot be stored. */
	kho_block_set_init(&bs, KHO_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(&bs, 1), -EINVAL);
	kho_block_set_init(&bs, 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(&bs, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs.nblocks, 0);
}

static void block_grow_shrink(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);

	require_kho(test);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, 0), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, 1), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 1);
	KUNIT_EXPECT_NE(test, bs->head_pa, 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, PER_BLOCK), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 1);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, PER_BLOCK + 1), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	KUNIT_EXPECT_EQ(test, kho_block_set_capacity(bs), 2 * PER_BLOCK);
	/* Growing to less than the capacity changes nothing. */
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, 5), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, 3 * PER_BLOCK), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 3);

	kho_block_set_shrink(bs, 2 * PER_BLOCK + 1);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 3);
	kho_block_set_shrink(bs, 2 * PER_BLOCK);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	kho_block_set_shrink(bs, 1);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 1);
	kho_block_set_shrink(bs, 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 0);
	KUNIT_EXPECT_EQ(test, bs->head_pa, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&bs->blocks));

	/* The bound is checked before anything is allocated. */
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, KHO_MAX_BLOCKS * PER_BLOCK + 1),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 0);
}

/* Forward and back across block boundaries; capacity is a hard limit. */
static void block_iterate(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct kho_block_set_it it;
	struct kho_block *block;
	u64 n = 3 * PER_BLOCK + 11, i;
	u64 counts[4] = { PER_BLOCK, PER_BLOCK, PER_BLOCK, 11 };
	struct rec *r;

	require_kho(test);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, n), 0);
	KUNIT_ASSERT_EQ(test, bs->nblocks, 4);
	KUNIT_EXPECT_EQ(test, write_recs(bs, n), n);
	KUNIT_EXPECT_EQ(test, read_recs(bs), n);

	i = 0;
	list_for_each_entry(block, &bs->blocks, list) {
		KUNIT_EXPECT_EQ(test, block->ser->count, counts[i]);
		/* The chain links each block to the next, the last to 0. */
		if (i < 3)
			KUNIT_EXPECT_EQ(test, block->ser->next,
					virt_to_phys(list_next_entry(block, list)->ser));
		else
			KUNIT_EXPECT_EQ(test, block->ser->next, 0);
		i++;
	}

	/* From the end back to the start, across every boundary. */
	kho_block_set_it_init(&it, bs);
	while (kho_block_set_it_read_entry(&it))
		;
	for (i = n; i > 0; i--) {
		r = kho_block_set_it_prev(&it);
		KUNIT_ASSERT_NOT_NULL(test, r);
		KUNIT_EXPECT_EQ(test, r->index, i - 1);
	}
	KUNIT_EXPECT_NULL(test, kho_block_set_it_prev(&it));
	/* And forward again from there. */
	r = kho_block_set_it_read_entry(&it);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, r->index, 0);

	/* Writing stops at the capacity: no record lands outside a block. */
	KUNIT_EXPECT_EQ(test, write_recs(bs, 5 * PER_BLOCK), 4 * PER_BLOCK);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 4 * PER_BLOCK);

	/* Rolling a writer back walks the records it wrote, newest first. */
	kho_block_set_clear(bs);
	kho_block_set_it_init(&it, bs);
	for (i = 0; i < PER_BLOCK + 2; i++) {
		r = kho_block_set_it_reserve_entry(&it);
		KUNIT_ASSERT_NOT_NULL(test, r);
		r->index = i;
	}
	for (i = PER_BLOCK + 2; i > 0; i--) {
		r = kho_block_set_it_prev(&it);
		KUNIT_ASSERT_NOT_NULL(test, r);
		KUNIT_EXPECT_EQ(test, r->index, i - 1);
	}
	KUNIT_EXPECT_NULL(test, kho_block_set_it_prev(&it));
}

/* Every reserved record counts at once; nothing has to finish a block. */
static void block_count_without_finalize(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct kho_block *first;

	require_kho(test);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 2 * PER_BLOCK), 0);
	first = list_first_entry(&bs->blocks, struct kho_block, list);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(bs));
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(bs), 0);

	KUNIT_EXPECT_EQ(test, write_recs(bs, 5), 5);
	KUNIT_EXPECT_EQ(test, first->ser->count, 5);
	KUNIT_EXPECT_EQ(test, kho_block_set_count(bs), 5);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 5);
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(bs), virt_to_phys(first->ser));

	/* A longer write, then a shorter one: the chain ends where it ends. */
	KUNIT_EXPECT_EQ(test, write_recs(bs, PER_BLOCK + 7), PER_BLOCK + 7);
	KUNIT_EXPECT_EQ(test, kho_block_set_count(bs), PER_BLOCK + 7);
	KUNIT_EXPECT_EQ(test, write_recs(bs, 3), 3);
	KUNIT_EXPECT_EQ(test, first->ser->next, 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_count(bs), 3);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 3);

	/* Cleared: no records, so nothing for the next kernel to read. */
	kho_block_set_clear(bs);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(bs));
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(bs), 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_count(bs), 0);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
}

/* A hand-made incoming chain of @nr blocks. */
struct chain {
	struct page **pages;
	unsigned int nr;
	unsigned long totalram;
};

static struct kho_block_header_ser *hdr(struct chain *c, unsigned int i)
{
	return page_address(c->pages[i]);
}

/* Builds blocks holding @per records each, linked in order, not faked yet. */
static struct chain *build_chain(struct kunit *test, unsigned int nr, u64 per)
{
	struct chain *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	u64 index = 0;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->pages = kunit_kcalloc(test, nr, sizeof(*c->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->pages);
	c->totalram = totalram_pages();
	for (i = 0; i < nr; i++) {
		struct rec *r;
		u64 j;

		c->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, c->pages[i]);
		c->nr++;
		hdr(c, i)->count = per;
		r = (struct rec *)(hdr(c, i) + 1);
		for (j = 0; j < per && j < PER_BLOCK; j++, index++) {
			r[j].index = index;
			r[j].check = rec_check(index);
		}
		if (i)
			hdr(c, i - 1)->next = page_to_phys(c->pages[i]);
	}
	return c;
}

static void fake_chain(struct chain *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		kho_test_fake_incoming(c->pages[i], 0);
}

/*
 * After a refused restore: blocks [0, @taken) were taken back and must be
 * free again already; the others must still wait, reserved. A chain the
 * checks refuse is refused before anything is taken (@taken 0); only a
 * block found taken while the blocks are claimed leaves some taken. Frees
 * the waiting blocks, then checks that the managed page count is back
 * where it started.
 */
static void check_refused(struct kunit *test, struct chain *c,
			  unsigned int taken)
{
	unsigned int i;

	for (i = 0; i < taken; i++)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(c->pages[i]), 0,
				    "block %u was taken back but not freed", i);
	for (i = taken; i < c->nr; i++) {
		bool waiting = kho_test_unfake_incoming(c->pages[i]);

		KUNIT_EXPECT_TRUE_MSG(test, waiting,
				      "block %u of a refused chain was taken", i);
		if (waiting)
			__free_page(c->pages[i]);
	}
	KUNIT_EXPECT_EQ(test, totalram_pages(), c->totalram);
}

static void expect_empty_set(struct kunit *test, struct kho_block_set *bs)
{
	KUNIT_EXPECT_EQ(test, bs->nblocks, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&bs->blocks));
	KUNIT_EXPECT_FALSE(test, bs->incoming);
}

static void block_restore_valid(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct chain *c = build_chain(test, 5, PER_BLOCK);
	struct kho_block_set_it it;
	unsigned int i;

	/* The last block is only partly full. */
	hdr(c, 4)->count = 9;
	fake_chain(c);
	KUNIT_ASSERT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])), 0);
	KUNIT_EXPECT_TRUE(test, bs->incoming);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 5);
	KUNIT_EXPECT_EQ(test, kho_block_set_count(bs), 4 * PER_BLOCK + 9);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 4 * PER_BLOCK + 9);
	KUNIT_EXPECT_EQ(test, totalram_pages(), c->totalram);

	/* Incoming sets are read-only. */
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, 1000), -EINVAL);
	kho_block_set_it_init(&it, bs);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_reserve_entry(&it));
	/* Restoring twice is refused without touching the set. */
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 5);

	kho_block_set_destroy(bs);
	expect_empty_set(test, bs);
	for (i = 0; i < c->nr; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), 0);
	KUNIT_EXPECT_EQ(test, totalram_pages(), c->totalram);

	/* An empty chain is an empty set. */
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, 0), 0);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(bs));
	kho_block_set_it_init(&it, bs);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_read_entry(&it));
}

/* The longest chain a reader takes, and one block more. */
static void block_restore_bound(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct chain *c = build_chain(test, KHO_MAX_BLOCKS, 1);

	fake_chain(c);
	KUNIT_ASSERT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, KHO_MAX_BLOCKS);
	KUNIT_EXPECT_EQ(test, kho_block_set_count(bs), KHO_MAX_BLOCKS);
	kho_block_set_destroy(bs);
	KUNIT_EXPECT_EQ(test, totalram_pages(), c->totalram);

	c = build_chain(test, KHO_MAX_BLOCKS + 1, 1);
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	expect_empty_set(test, bs);
	check_refused(test, c, 0);
}

static void block_restore_cycle(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct chain *c = build_chain(test, 4, PER_BLOCK);

	/* 0 -> 1 -> 2 -> 3 -> 1 */
	hdr(c, 3)->next = page_to_phys(c->pages[1]);
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	expect_empty_set(test, bs);
	check_refused(test, c, 0);

	/* A block that names itself. */
	c = build_chain(test, 1, 1);
	hdr(c, 0)->next = page_to_phys(c->pages[0]);
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	check_refused(test, c, 0);
}

static void block_restore_bad_count(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct chain *c = build_chain(test, 4, PER_BLOCK);

	hdr(c, 2)->count = 0;
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	expect_empty_set(test, bs);
	check_refused(test, c, 0);

	c = build_chain(test, 4, PER_BLOCK);
	hdr(c, 1)->count = PER_BLOCK + 1;
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	expect_empty_set(test, bs);
	check_refused(test, c, 0);

	c = build_chain(test, 1, U64_MAX);
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	check_refused(test, c, 0);
}

static void block_restore_not_preserved(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct chain *c = build_chain(test, 3, PER_BLOCK);
	struct page *stray = alloc_page(GFP_KERNEL | __GFP_ZERO);

	KUNIT_ASSERT_NOT_NULL(test, stray);
	/* The middle link names a page no kernel preserved. */
	((struct kho_block_header_ser *)page_address(stray))->count = 1;
	hdr(c, 1)->next = page_to_phys(stray);
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])),
			-EINVAL);
	expect_empty_set(test, bs);
	KUNIT_EXPECT_EQ(test, page_ref_count(stray), 1);
	__free_page(stray);
	check_refused(test, c, 0);

	/* A head that is not a block start, and one beyond memory. */
	c = build_chain(test, 1, 1);
	fake_chain(c);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0]) + 16),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(bs, 1ULL << 60), -EINVAL);
	expect_empty_set(test, bs);
	check_refused(test, c, 0);
}

/*
 * Peeking lets the records be read while every block stays preserved: a
 * user that gives up (memory ran out) destroys the set and loses nothing,
 * and a later attempt takes the chain.
 */
static void block_peek_then_claim(struct kunit *test)
{
	struct kho_block_set *bs = new_set(test);
	struct chain *c = build_chain(test, 3, PER_BLOCK);
	unsigned int i;

	fake_chain(c);
	KUNIT_ASSERT_EQ(test, kho_block_set_peek(bs, page_to_phys(c->pages[0])), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 3);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 3 * PER_BLOCK);
	KUNIT_EXPECT_EQ(test, kho_block_set_claim(bs), 0);
	/* Claimed once only. */
	KUNIT_EXPECT_EQ(test, kho_block_set_claim(bs), -EINVAL);
	kho_block_set_destroy(bs);
	for (i = 0; i < c->nr; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), 0);
	KUNIT_EXPECT_EQ(test, totalram_pages(), c->totalram);

	c = build_chain(test, 3, PER_BLOCK);
	fake_chain(c);
	KUNIT_ASSERT_EQ(test, kho_block_set_peek(bs, page_to_phys(c->pages[0])), 0);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 3 * PER_BLOCK);
	kho_block_set_destroy(bs);
	expect_empty_set(test, bs);
	/* Nothing was taken: the whole chain can be restored now. */
	KUNIT_ASSERT_EQ(test, kho_block_set_restore(bs, page_to_phys(c->pages[0])), 0);
	KUNIT_EXPECT_EQ(test, read_recs(bs), 3 * PER_BLOCK);
	kho_block_set_destroy(bs);
	KUNIT_EXPECT_EQ(test, totalram_pages(), c->totalram);

	/* A claim needs a peeked-at set. */
	KUNIT_EXPECT_EQ(test, kho_block_set_claim(bs), -EINVAL);
}

/*
 * Two chains that share their tail: the second one to be claimed finds a
 * block taken, frees what it took itself and leaves the first intact.
 */
static void block_claim_shared(struct kunit *test)
{
	struct kho_block_set *a = new_set(test), *b = new_set(test);
	struct chain *ca = build_chain(test, 3, PER_BLOCK);
	struct chain *cb = build_chain(test, 2, PER_BLOCK);
	unsigned int i;

	hdr(cb, 1)->next = page_to_phys(ca->pages[1]);
	fake_chain(ca);
	fake_chain(cb);
	KUNIT_ASSERT_EQ(test, kho_block_set_peek(b, page_to_phys(cb->pages[0])), 0);
	KUNIT_EXPECT_EQ(test, b->nblocks, 4);
	KUNIT_ASSERT_EQ(test, kho_block_set_restore(a, page_to_phys(ca->pages[0])), 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_claim(b), -EINVAL);
	expect_empty_set(test, b);
	for (i = 0; i < cb->nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(cb->pages[i]), 0,
				    "block %u was taken back but not freed", i);
	KUNIT_EXPECT_EQ(test, read_recs(a), 3 * PER_BLOCK);
	kho_block_set_destroy(a);
	KUNIT_EXPECT_EQ(test, totalram_pages(), ca->totalram);
}

static struct kunit_case kho_block_cases[] = {
	KUNIT_CASE(block_init),
	KUNIT_CASE(block_grow_shrink),
	KUNIT_CASE(block_iterate),
	KUNIT_CASE(block_count_without_finalize),
	KUNIT_CASE(block_restore_valid),
	KUNIT_CASE(block_restore_bound),
	KUNIT_CASE(block_restore_cycle),
	KUNIT_CASE(block_restore_bad_count),
	KUNIT_CASE(block_restore_not_preserved),
	KUNIT_CASE(block_peek_then_claim),
	KUNIT_CASE(block_claim_shared),
	{}
};

static struct kunit_suite kho_block_suite = {
	.name = "kho_block",
	.test_cases = kho_block_cases,
};

kunit_test_suite(kho_block_suite);

MODULE_DESCRIPTION("KUnit tests for KHO serialization blocks");
MODULE_LICENSE("GPL");
