// SPDX-License-Identifier: GPL-2.0
/*
 * The KHO preserved-memory radix tree.
 *
 * The outgoing kernel keeps one tree, updated on every preserve and
 * unpreserve, so it is always ready to hand over: there is no step that
 * serializes it at kexec time. The incoming kernel walks the tree it
 * received through kho_radix_walk(), which vets every node address with a
 * callback before reading the node, because that tree is untrusted input.
 *
 * Layout: <linux/kho/abi/radix_tree.h>.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/radix_tree.h>
#include <linux/mm.h>
#include <linux/pfn.h>

#define KHO_ROOT_LEVEL	(KHO_TREE_MAX_DEPTH - 1)
#define KHO_TABLE_MASK	((1U << KHO_TABLE_SIZE_LOG2) - 1)
#define KHO_LEAF_MASK	((1U << KHO_BITMAP_SIZE_LOG2) - 1)

/* Lowest key bit that selects the entry of a table node at @level (>= 1). */
static unsigned int kho_radix_shift(unsigned int level)
{
	return KHO_BITMAP_SIZE_LOG2 + (level - 1) * KHO_TABLE_SIZE_LOG2;
}

static unsigned int kho_radix_index(u64 key, unsigned int level)
{
	return (key >> kho_radix_shift(level)) & KHO_TABLE_MASK;
}

/*
 * The leaf that holds @key: NULL when it does not exist and @alloc is
 * false, ERR_PTR(-ENOMEM) when a missing node cannot be allocated.
 */
static struct kho_radix_leaf *kho_radix_leaf(struct kho_radix_tree *tree,
					     u64 key, bool alloc)
{
	struct kho_radix_node *node = tree->root;
	unsigned int level;

	for (level = KHO_ROOT_LEVEL; level > 0; level--) {
		u64 *entry = &node->table[kho_radix_index(key, level)];

		if (!*entry) {
			void *child;

			if (!alloc)
				return NULL;
			child = (void *)get_zeroed_page(KHO_GFP);
			if (!child)
				return ERR_PTR(-ENOMEM);
			*entry = virt_to_phys(child);
			tree->nr_nodes++;
		}
		node = phys_to_virt(*entry);
	}
	return (struct kho_radix_leaf *)node;
}

/* The key of (@pfn, @order), or a negative error for an invalid block. */
static int kho_radix_key(unsigned long pfn, unsigned int order, u64 *key)
{
	if (order >= KHO_ORDER_0_LOG2 || !IS_ALIGNED(pfn, 1UL << order))
		return -EINVAL;
	if (pfn > PHYS_PFN(PHYS_ADDR_MAX))
		return -ERANGE;
	*key = kho_radix_encode_key(PFN_PHYS(pfn), order);
	return 0;
}

/**
 * kho_radix_tree_init() - prepare an empty tree
 * @tree: the tree
 *
 * Return: 0, or -ENOMEM if the root node cannot be allocated.
 */
int kho_radix_tree_init(struct kho_radix_tree *tree)
{
	tree->root = (struct kho_radix_node *)get_zeroed_page(GFP_KERNEL);
	if (!tree->root)
		return -ENOMEM;
	mutex_init(&tree->lock);
	tree->nr_nodes = 1;
	tree->nr_pages = 0;
	return 0;
}
EXPORT_SYMBOL_GPL(kho_radix_tree_init);

static void kho_radix_free_node(phys_addr_t phys, unsigned int level)
{
	struct kho_radix_node *node = phys_to_virt(phys);
	unsigned int i;

	if (level > 0) {
		for (i = 0; i <= KHO_TABLE_MASK; i++)
			if (node->table[i])
				kho_radix_free_node(node->table[i], level - 1);
	}
	free_page((unsigned long)node);
}

/**
 * kho_radix_tree_destroy() - free every node of a tree
 * @tree: a tree set up by kho_radix_tree_init()
 *
 * Frees only the tree's own nodes, not the memory its keys describe.
 */
void kho_radix_tree_destroy(struct kho_radix_tree *tree)
{
	if (!tree->root)
		return;
	kho_radix_free_node(virt_to_phys(tree->root), KHO_ROOT_LEVEL);
	tree->root = NULL;
	tree->nr_nodes = 0;
	tree->nr_pages = 0;
	mutex_destroy(&tree->lock);
}
EXPORT_SYMBOL_GPL(kho_radix_tree_destroy);

/**
 * kho_radix_add_page() - record a block as preserved
 * @tree:  the tree
 * @pfn:   first page frame of the block, aligned to ``1 << order``
 * @order: the block has ``1 << order`` pages
 *
 * Allocates the missing nodes on the way, so it may sleep. Adding a block
 * that is already recorded changes nothing.
 *
 * Return: 0; -EINVAL for an uninitialized tree, an order of
 * %KHO_ORDER_0_LOG2 or more, or a misaligned @pfn; -ERANGE for a @pfn beyond
 * the physical address space; -ENOMEM.
 */
int kho_radix_add_page(struct kho_radix_tree *tree, unsigned long pfn,
		       unsigned int order)
{
	struct kho_radix_leaf *leaf;
	u64 key;
	int err;

	if (!tree->root)
		return -EINVAL;
	err = kho_radix_key(pfn, order, &key);
	if (err)
		return err;

	guard(mutex)(&tree->lock);
	leaf = kho_radix_leaf(tree, key, true);
	if (IS_ERR(leaf))
		return PTR_ERR(leaf);
	if (!__test_and_set_bit(key & KHO_LEAF_MASK, leaf->bitmap))
		tree->nr_pages += 1UL << order;
	return 0;
}
EXPORT_SYMBOL_GPL(kho_radix_add_page);

/**
 * kho_radix_del_page() - forget a block
 * @tree:  the tree
 * @pfn:   first page frame of the block, as given to kho_radix_add_page()
 * @order: order of the block, as given to kho_radix_add_page()
 *
 * There is one bit per block: a block added twice is gone after one delete.
 * Deleting a block that is not recorded, or an invalid one, changes nothing.
 * Nodes left empty stay allocated; they cost the next kernel a few reads.
 */
void kho_radix_del_page(struct kho_radix_tree *tree, unsigned long pfn,
			unsigned int order)
{
	struct kho_radix_leaf *leaf;
	u64 key;

	if (!tree->root || kho_radix_key(pfn, order, &key))
		return;

	guard(mutex)(&tree->lock);
	leaf = kho_radix_leaf(tree, key, false);
	if (leaf && __test_and_clear_bit(key & KHO_LEAF_MASK, leaf->bitmap))
		tree->nr_pages -= 1UL << order;
}
EXPORT_SYMBOL_GPL(kho_radix_del_page);

struct kho_radix_walk_ctx {
	kho_radix_node_check_t check;
	kho_radix_walk_fn_t fn;
	void *arg;
};

static int kho_radix_walk_leaf(const struct kho_radix_leaf *leaf, u64 prefix,
			       const struct kho_radix_walk_ctx *ctx)
{
	unsigned long bit;
	unsigned int order;
	phys_addr_t phys;
	int err;

	for_each_set_bit(bit, leaf->bitmap, 1U << KHO_BITMAP_SIZE_LOG2) {
		if (!kho_radix_decode_key(prefix | bit, &phys, &order)) {
			pr_err("radix tree: invalid key %#llx\n", prefix | bit);
			return -EINVAL;
		}
		err = ctx->fn(phys, order, ctx->arg);
		if (err)
			return err;
	}
	return 0;
}

static int kho_radix_walk_node(phys_addr_t phys, unsigned int level,
			       u64 prefix,
			       const struct kho_radix_walk_ctx *ctx)
{
	const struct kho_radix_node *node;
	unsigned int i;
	int err;

	if (!PAGE_ALIGNED(phys)) {
		pr_err("radix tree: node address %pa is not page aligned\n",
		       &phys);
		return -EINVAL;
	}
	if (ctx->check) {
		err = ctx->check(phys, ctx->arg);
		if (err)
			return err;
	}

	node = phys_to_virt(phys);
	if (!level)
		return kho_radix_walk_leaf((const struct kho_radix_leaf *)node,
					   prefix, ctx);

	for (i = 0; i <= KHO_TABLE_MASK; i++) {
		u64 child = READ_ONCE(node->table[i]);

		if (!child)
			continue;
		err = kho_radix_walk_node(child, level - 1,
					  prefix | (u64)i << kho_radix_shift(level),
					  ctx);
		if (err)
			return err;
	}
	return 0;
}

/**
 * kho_radix_walk() - call @fn for every block of a tree given by address
 * @root:  physical address of the root node
 * @check: if not NULL, called for every node address (root included) before
 *         the node is read; for trees received from the previous kernel
 * @fn:    called for every recorded block, in ascending key order: larger
 *         orders first, then ascending address
 * @arg:   passed to @check and @fn
 *
 * Takes no lock: for a live tree use kho_radix_walk_tree(). Every node must
 * be in the direct map; @check is where a caller makes sure of that.
 *
 * Return: 0 after a full walk; the first non-zero value @check or @fn
 * returned; -EINVAL for a misaligned node address or an invalid key.
 */
int kho_radix_walk(phys_addr_t root, kho_radix_node_check_t check,
		   kho_radix_walk_fn_t fn, void *arg)
{
	const struct kho_radix_walk_ctx ctx = {
		.check = check,
		.fn = fn,
		.arg = arg,
	};

	return kho_radix_walk_node(root, KHO_ROOT_LEVEL, 0, &ctx);
}
EXPORT_SYMBOL_GPL(kho_radix_walk);

struct kho_radix_tree_cb {
	kho_radix_tree_walk_callback_t cb;
};

static int kho_radix_call_tree_cb(phys_addr_t phys, unsigned int order,
				  void *arg)
{
	const struct kho_radix_tree_cb *tree_cb = arg;

	return tree_cb->cb(phys, order);
}

/**
 * kho_radix_walk_tree() - call @cb for every block of a live tree
 * @tree: the tree
 * @cb:   called for every recorded block, in ascending key order, with the
 *        tree lock held (it must not change the tree)
 *
 * Return: 0, -EINVAL for an uninitialized tree, or the first non-zero value
 * @cb returned.
 */
int kho_radix_walk_tree(struct kho_radix_tree *tree,
			kho_radix_tree_walk_callback_t cb)
{
	struct kho_radix_tree_cb tree_cb = { .cb = cb };

	if (!tree->root)
		return -EINVAL;

	guard(mutex)(&tree->lock);
	return kho_radix_walk(virt_to_phys(tree->root), NULL,
			      kho_radix_call_tree_cb, &tree_cb);
}
EXPORT_SYMBOL_GPL(kho_radix_walk_tree);
