// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the KHO preserved-memory radix tree.
 *
 * The tree records numbers, not memory, so the blocks below are arbitrary
 * physical addresses; only the tree's own nodes are real pages.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kho/radix_tree.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/sort.h>

struct block {
	phys_addr_t phys;
	unsigned int order;
};

struct collected {
	struct block *blocks;
	unsigned int nr;
	unsigned int max;
};

static int collect(phys_addr_t phys, unsigned int order, void *arg)
{
	struct collected *c = arg;

	if (c->nr == c->max)
		return -ENOSPC;
	c->blocks[c->nr].phys = phys;
	c->blocks[c->nr].order = order;
	c->nr++;
	return 0;
}

static struct collected *walk_all(struct kunit *test,
				  struct kho_radix_tree *tree,
				  unsigned int max)
{
	struct collected *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->blocks = kunit_kcalloc(test, max, sizeof(*c->blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->blocks);
	c->max = max;
	KUNIT_ASSERT_EQ(test, kho_radix_walk(virt_to_phys(tree->root), NULL,
					     collect, c), 0);
	return c;
}

static void tree_exit(void *tree)
{
	kho_radix_tree_destroy(tree);
}

static struct kho_radix_tree *new_tree(struct kunit *test)
{
	struct kho_radix_tree *tree;

	tree = kunit_kzalloc(test, sizeof(*tree), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tree);
	KUNIT_ASSERT_EQ(test, kho_radix_tree_init(tree), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, tree_exit, tree), 0);
	return tree;
}

static u64 key_of(const struct block *b)
{
	return kho_radix_encode_key(b->phys, b->order);
}

/* Largest key the tree can hold: the bits of all its levels. */
static u64 key_limit(void)
{
	return BIT_ULL(KHO_BITMAP_SIZE_LOG2 +
		       (KHO_TREE_MAX_DEPTH - 1) * KHO_TABLE_SIZE_LOG2);
}

static void check_round_trip(struct kunit *test, phys_addr_t phys,
			     unsigned int order)
{
	u64 key = kho_radix_encode_key(phys, order);
	unsigned int got_order;
	phys_addr_t got_phys;

	KUNIT_EXPECT_EQ_MSG(test, fls64(key) - 1, KHO_ORDER_0_LOG2 - order,
			    "order bit of %pa order %u", &phys, order);
	KUNIT_EXPECT_LT_MSG(test, key, key_limit(),
			    "key of %pa order %u does not fit the tree", &phys, order);
	KUNIT_ASSERT_TRUE(test, kho_radix_decode_key(key, &got_phys, &got_order));
	KUNIT_EXPECT_EQ(test, got_phys, phys);
	KUNIT_EXPECT_EQ(test, got_order, order);
}

static void kho_radix_key_every_order(struct kunit *test)
{
	unsigned int order;

	for (order = 0; order < KHO_ORDER_0_LOG2; order++) {
		phys_addr_t size = (phys_addr_t)PAGE_SIZE << order;
		phys_addr_t highest = PHYS_ADDR_MAX & ~(size - 1);

		check_round_trip(test, 0, order);
		check_round_trip(test, highest, order);
		if (order < KHO_ORDER_0_LOG2 - 1) {
			check_round_trip(test, size, order);
			check_round_trip(test, highest - size, order);
			check_round_trip(test, (0x123456789abcdefULL * size) & highest,
					 order);
		}
	}
}

static void kho_radix_key_distinct(struct kunit *test)
{
	/* Same address, different orders; neighbours of the same order. */
	KUNIT_EXPECT_NE(test, kho_radix_encode_key(0, 0), kho_radix_encode_key(0, 1));
	KUNIT_EXPECT_NE(test, kho_radix_encode_key(SZ_2M, 0),
			kho_radix_encode_key(SZ_2M, 9));
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(PAGE_SIZE, 0),
			kho_radix_encode_key(0, 0) + 1);
}

static void kho_radix_key_invalid(struct kunit *test)
{
	unsigned int order;
	phys_addr_t phys;

	KUNIT_EXPECT_FALSE(test, kho_radix_decode_key(0, &phys, &order));
	/* Order KHO_ORDER_0_LOG2: no kernel encodes it. */
	KUNIT_EXPECT_FALSE(test, kho_radix_decode_key(1, &phys, &order));
	/* An order bit above the order-0 bit. */
	KUNIT_EXPECT_FALSE(test, kho_radix_decode_key(BIT_ULL(KHO_ORDER_0_LOG2 + 1),
						      &phys, &order));
	KUNIT_EXPECT_FALSE(test, kho_radix_decode_key(~0ULL, &phys, &order));
}

static void kho_radix_add_del(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct collected *c;

	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0x1234, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0x1234, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0x4000, 10), 0);
	c = walk_all(test, tree, 8);
	KUNIT_ASSERT_EQ(test, c->nr, 2);
	KUNIT_EXPECT_EQ(test, c->blocks[0].phys, PFN_PHYS(0x4000));
	KUNIT_EXPECT_EQ(test, c->blocks[0].order, 10);
	KUNIT_EXPECT_EQ(test, c->blocks[1].phys, PFN_PHYS(0x1234));
	KUNIT_EXPECT_EQ(test, c->blocks[1].order, 0);

	/* One bit per block: added twice, gone after one delete. */
	kho_radix_del_page(tree, 0x1234, 0);
	c = walk_all(test, tree, 8);
	KUNIT_ASSERT_EQ(test, c->nr, 1);
	KUNIT_EXPECT_EQ(test, c->blocks[0].order, 10);

	/* Deleting what is not there, or with another order, changes nothing. */
	kho_radix_del_page(tree, 0x1234, 0);
	kho_radix_del_page(tree, 0x4000, 9);
	kho_radix_del_page(tree, 0x7fff0000, 0);
	c = walk_all(test, tree, 8);
	KUNIT_EXPECT_EQ(test, c->nr, 1);

	kho_radix_del_page(tree, 0x4000, 10);
	c = walk_all(test, tree, 8);
	KUNIT_EXPECT_EQ(test, c->nr, 0);
}

static int count_node(phys_addr_t phys, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static int ignore_block(phys_addr_t phys, unsigned int order, void *arg)
{
	return 0;
}

/* The nodes a walk visits: every node of the tree, the root included. */
static unsigned long nodes_walked(struct kunit *test,
				  struct kho_radix_tree *tree)
{
	unsigned long nodes = 0;

	KUNIT_EXPECT_EQ(test, kho_radix_walk(virt_to_phys(tree->root),
					     count_node, ignore_block, &nodes),
			0);
	return nodes;
}

/* The counts debugfs shows follow every add and delete exactly. */
static void kho_radix_counts(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);

	KUNIT_EXPECT_EQ(test, tree->nr_pages, 0);
	KUNIT_EXPECT_EQ(test, tree->nr_nodes, 1);
	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0x1234, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0x1234, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0x4000, 10), 0);
	KUNIT_EXPECT_EQ(test, tree->nr_pages, 1 + 1024);
	KUNIT_EXPECT_EQ(test, tree->nr_nodes, nodes_walked(test, tree));
	KUNIT_EXPECT_GT(test, tree->nr_nodes, 1);

	kho_radix_del_page(tree, 0x1234, 0);
	kho_radix_del_page(tree, 0x1234, 0);
	kho_radix_del_page(tree, 0x4000, 9);
	KUNIT_EXPECT_EQ(test, tree->nr_pages, 1024);
	kho_radix_del_page(tree, 0x4000, 10);
	KUNIT_EXPECT_EQ(test, tree->nr_pages, 0);
	/* Empty nodes stay, and are still counted. */
	KUNIT_EXPECT_EQ(test, tree->nr_nodes, nodes_walked(test, tree));
}

static int cmp_key(const void *a, const void *b)
{
	u64 ka = key_of(a), kb = key_of(b);

	return ka < kb ? -1 : ka > kb;
}

static void kho_radix_walk_order(struct kunit *test)
{
	static const struct block blocks[] = {
		{ 0x40000000, 0 }, { 0x1000, 0 }, { 0x200000, 9 },
		{ 0x80000000, 18 }, { 0x3000, 0 }, { 0x400000, 1 },
		{ 0x100000000ULL, 10 }, { 0x0, 9 }, { 0x7ff000, 0 },
		{ 0x2000, 1 }, { 0xfffff000ULL, 0 }, { 0x40000000, 18 },
	};
	struct kho_radix_tree *tree = new_tree(test);
	struct block sorted[ARRAY_SIZE(blocks)];
	struct collected *c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, PHYS_PFN(blocks[i].phys),
							 blocks[i].order), 0);
	memcpy(sorted, blocks, sizeof(blocks));
	sort(sorted, ARRAY_SIZE(sorted), sizeof(sorted[0]), cmp_key, NULL);

	c = walk_all(test, tree, ARRAY_SIZE(blocks) + 1);
	KUNIT_ASSERT_EQ(test, c->nr, ARRAY_SIZE(blocks));
	for (i = 0; i < c->nr; i++) {
		KUNIT_EXPECT_EQ(test, c->blocks[i].phys, sorted[i].phys);
		KUNIT_EXPECT_EQ(test, c->blocks[i].order, sorted[i].order);
		if (i)
			KUNIT_EXPECT_GT(test, key_of(&c->blocks[i]),
					key_of(&c->blocks[i - 1]));
	}
	/* Larger orders come first. */
	KUNIT_EXPECT_EQ(test, c->blocks[0].order, 18);
	KUNIT_EXPECT_EQ(test, c->blocks[c->nr - 1].order, 0);
}

static void kho_radix_sparse(struct kunit *test)
{
	const unsigned int nr = 1024;	/* one block per GiB up to 1 TiB */
	struct kho_radix_tree *tree = new_tree(test);
	unsigned long top = PHYS_PFN(PHYS_ADDR_MAX);
	struct collected *c;
	unsigned int i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, PHYS_PFN((u64)i * SZ_1G), 0), 0);
	/* And the highest page frame there is. */
	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, top, 0), 0);

	c = walk_all(test, tree, nr + 2);
	KUNIT_ASSERT_EQ(test, c->nr, nr + 1);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, c->blocks[i].phys, (phys_addr_t)i * SZ_1G);
		KUNIT_EXPECT_EQ(test, c->blocks[i].order, 0);
	}
	KUNIT_EXPECT_EQ(test, c->blocks[nr].phys, PFN_PHYS(top));
}

static void kho_radix_dense(struct kunit *test)
{
	/* Three leaves' worth of pages, starting just before a leaf boundary. */
	const unsigned long per_leaf = 1UL << KHO_BITMAP_SIZE_LOG2;
	const unsigned long first = per_leaf - 3, nr = 2 * per_leaf + 6;
	struct kho_radix_tree *tree = new_tree(test);
	struct collected *c;
	unsigned long i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, first + i, 0), 0);
	c = walk_all(test, tree, nr + 1);
	KUNIT_ASSERT_EQ(test, c->nr, nr);
	for (i = 0; i < nr; i++)
		if (c->blocks[i].phys != PFN_PHYS(first + i) || c->blocks[i].order)
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, nr, "block %lu is wrong", i);

	/* Every other page removed: exactly the rest remains. */
	for (i = 0; i < nr; i += 2)
		kho_radix_del_page(tree, first + i, 0);
	c = walk_all(test, tree, nr + 1);
	KUNIT_ASSERT_EQ(test, c->nr, nr / 2);
	for (i = 0; i < nr / 2; i++)
		if (c->blocks[i].phys != PFN_PHYS(first + 2 * i + 1))
			break;
	KUNIT_EXPECT_EQ(test, i, nr / 2);
}

static void kho_radix_bad_arguments(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct kho_radix_tree uninit = { };
	struct collected *c;

	KUNIT_EXPECT_EQ(test, kho_radix_add_page(tree, 1, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_add_page(tree, 0x200, 10), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_add_page(tree, 0, KHO_ORDER_0_LOG2), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_add_page(tree, PHYS_PFN(PHYS_ADDR_MAX) + 1, 0),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, kho_radix_add_page(&uninit, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_walk_tree(&uninit, NULL), -EINVAL);
	kho_radix_del_page(&uninit, 0, 0);

	/* Nothing was recorded by the failed calls. */
	c = walk_all(test, tree, 4);
	KUNIT_EXPECT_EQ(test, c->nr, 0);
}

static unsigned int stop_calls;

static int stop_at_second(phys_addr_t phys, unsigned int order)
{
	return ++stop_calls == 2 ? -EIO : 0;
}

static void kho_radix_callback_stops_walk(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	unsigned int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, i, 0), 0);
	stop_calls = 0;
	KUNIT_EXPECT_EQ(test, kho_radix_walk_tree(tree, stop_at_second), -EIO);
	KUNIT_EXPECT_EQ(test, stop_calls, 2);
}

/* The root entry an order-0 block at pfn 0 goes through. */
#define ORDER0_ROOT_INDEX \
	((kho_radix_encode_key(0, 0) >> (KHO_BITMAP_SIZE_LOG2 + \
	  (KHO_TREE_MAX_DEPTH - 2) * KHO_TABLE_SIZE_LOG2)) & \
	 ((1U << KHO_TABLE_SIZE_LOG2) - 1))

struct node_check {
	unsigned int calls;
	phys_addr_t rejected;
};

/* What an incoming kernel does: refuse node addresses outside RAM. */
static int check_in_ram(phys_addr_t phys, void *arg)
{
	struct node_check *nc = arg;

	nc->calls++;
	if (!pfn_valid(PHYS_PFN(phys))) {
		nc->rejected = phys;
		return -EFAULT;
	}
	return 0;
}

static int count_blocks(phys_addr_t phys, unsigned int order, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

struct walk_both {
	struct node_check nc;
	unsigned int blocks;
};

static int check_both(phys_addr_t phys, void *arg)
{
	return check_in_ram(phys, &((struct walk_both *)arg)->nc);
}

static int count_both(phys_addr_t phys, unsigned int order, void *arg)
{
	return count_blocks(phys, order, &((struct walk_both *)arg)->blocks);
}

static void kho_radix_corrupt_trees(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	phys_addr_t root = virt_to_phys(tree->root);
	u64 *entry = &tree->root->table[ORDER0_ROOT_INDEX];
	struct walk_both w = { };
	u64 saved;

	KUNIT_ASSERT_EQ(test, kho_radix_add_page(tree, 0, 0), 0);
	KUNIT_ASSERT_NE(test, *entry, 0);
	saved = *entry;

	/* Intact: every node is checked once, the block is found. */
	KUNIT_EXPECT_EQ(test, kho_radix_walk(root, check_both, count_both, &w), 0);
	KUNIT_EXPECT_EQ(test, w.nc.calls, KHO_TREE_MAX_DEPTH);
	KUNIT_EXPECT_EQ(test, w.blocks, 1);

	/* A node outside RAM is refused before it is read. */
	memset(&w, 0, sizeof(w));
	*entry = 1ULL << 50;
	KUNIT_EXPECT_EQ(test, kho_radix_walk(root, check_both, count_both, &w), -EFAULT);
	KUNIT_EXPECT_EQ(test, w.nc.rejected, 1ULL << 50);
	KUNIT_EXPECT_EQ(test, w.blocks, 0);

	/* A node address that is not page aligned. */
	memset(&w, 0, sizeof(w));
	*entry = saved + 8;
	KUNIT_EXPECT_EQ(test, kho_radix_walk(root, check_both, count_both, &w), -EINVAL);
	KUNIT_EXPECT_EQ(test, w.blocks, 0);
	*entry = saved;

	/* A subtree where no valid key can be: an order bit above order 0's. */
	memset(&w, 0, sizeof(w));
	*entry = 0;
	tree->root->table[(1U << KHO_TABLE_SIZE_LOG2) - 1] = saved;
	KUNIT_EXPECT_EQ(test, kho_radix_walk(root, check_both, count_both, &w), -EINVAL);
	KUNIT_EXPECT_EQ(test, w.blocks, 0);
	tree->root->table[(1U << KHO_TABLE_SIZE_LOG2) - 1] = 0;
	*entry = saved;

	/* The root itself is checked too. */
	memset(&w, 0, sizeof(w));
	KUNIT_EXPECT_EQ(test, kho_radix_walk(1ULL << 50, check_both, count_both, &w),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, w.nc.calls, 1);
}

static struct kunit_case kho_radix_cases[] = {
	KUNIT_CASE(kho_radix_key_every_order),
	KUNIT_CASE(kho_radix_key_distinct),
	KUNIT_CASE(kho_radix_key_invalid),
	KUNIT_CASE(kho_radix_add_del),
	KUNIT_CASE(kho_radix_counts),
	KUNIT_CASE(kho_radix_walk_order),
	KUNIT_CASE(kho_radix_sparse),
	KUNIT_CASE(kho_radix_dense),
	KUNIT_CASE(kho_radix_bad_arguments),
	KUNIT_CASE(kho_radix_callback_stops_walk),
	KUNIT_CASE(kho_radix_corrupt_trees),
	{}
};

static struct kunit_suite kho_radix_suite = {
	.name = "kho_radix",
	.test_cases = kho_radix_cases,
};

kunit_test_suite(kho_radix_suite);

MODULE_DESCRIPTION("KUnit tests for the KHO radix tree");
MODULE_LICENSE("GPL");
