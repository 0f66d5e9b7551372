// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver: the outgoing side and the restore API.
 *
 * Preserving memory sets a bit in a live radix tree; registering a subtree
 * adds a node to a live root FDT. Both are read in place by the next kernel,
 * so nothing is serialized at kexec time and the kexec image may be loaded
 * before or after memory is preserved.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <kunit/visibility.h>
#include <linux/cleanup.h>
#include <linux/export.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/page-isolation.h>
#include <linux/sizes.h>

#include "../../mm/internal.h"
#include "../kexec_internal.h"
#include "kexec_handover_internal.h"

/**
 * DOC: KHO page stamp
 *
 * While the next kernel reserves the preserved blocks, before its memory map
 * is handed to the page allocator, it writes a stamp into ``page->private``
 * of the first page of every block: the block order and ``KHO_PAGE_MAGIC``.
 * A restore accepts an address only if its page carries the stamp, and
 * clears it atomically, so an address that was never preserved, the middle
 * of a block, and a second restore of the same block are all refused. The
 * stamp is not an ABI between kernels; only the kernel that writes it reads
 * it.
 */
#define KHO_PAGE_MAGIC	0x4b484f50U	/* "KHOP" */

union kho_page_info {
	unsigned long page_private;
	struct {
		unsigned int order;
		unsigned int magic;
	};
};

static_assert(sizeof(union kho_page_info) == sizeof(unsigned long));

bool kho_enable __ro_after_init = IS_ENABLED(CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT);

struct kho_out kho_out = {
	.tree.lock = __MUTEX_INITIALIZER(kho_out.tree.lock),
	.fdt_lock = __MUTEX_INITIALIZER(kho_out.fdt_lock),
};

static int __init kho_parse_enable(char *p)
{
	return kstrtobool(p, &kho_enable);
}
early_param("kho", kho_parse_enable);

/**
 * kho_is_enabled() - whether this kernel hands memory over
 *
 * Final only after fs_initcall: KHO turns itself off if it cannot reserve
 * scratch memory or set up its root FDT.
 *
 * Return: true if memory preserved now reaches the next kernel.
 */
bool kho_is_enabled(void)
{
	return kho_enable;
}
EXPORT_SYMBOL_GPL(kho_is_enabled);

/*
 * The order of the next block when @nr_pages pages starting at @pfn are cut
 * into naturally aligned blocks: as large as the alignment of @pfn and the
 * remaining count allow, and never larger than the page allocator's largest
 * order, so every block can be restored as a buddy block.
 */
static unsigned int kho_block_order(unsigned long pfn, unsigned long nr_pages)
{
	unsigned int order = ilog2(nr_pages);

	if (pfn)
		order = min_t(unsigned int, order, __ffs(pfn));
	return min_t(unsigned int, order, MAX_PAGE_ORDER);
}

/*
 * Records one block in the outgoing map. The next kernel refuses the whole
 * handover if a block lies in scratch or is larger than a buddy block,
 * since it cannot keep such memory for its owner: refuse it here, where
 * only the caller's preservation fails.
 */
VISIBLE_IF_KUNIT int kho_preserve_block(unsigned long pfn, unsigned int order)
{
	if (order > MAX_PAGE_ORDER ||
	    kho_scratch_overlap(PFN_PHYS(pfn), PAGE_SIZE << order)) {
		if (IS_ENABLED(CONFIG_KEXEC_HANDOVER_DEBUG))
			pr_warn_ratelimited("refused to preserve pfn %#lx order %u: %s\n",
					    pfn, order,
					    order > MAX_PAGE_ORDER ? "too large" :
					    "in scratch");
		return -EINVAL;
	}
	return kho_radix_add_page(&kho_out.tree, pfn, order);
}
EXPORT_SYMBOL_IF_KUNIT(kho_preserve_block);

/**
 * kho_preserve_folio() - hand a folio over to the next kernel
 * @folio: the folio; the caller keeps it allocated and unmovable until the
 *         kexec or kho_unpreserve_folio()
 *
 * Takes no reference. The next kernel gets the folio back, with the same
 * order, through kho_restore_folio().
 *
 * Return: 0, -ENOMEM, or -EINVAL when KHO is not set up (disabled, or
 * called before fs_initcall), when the folio lies in KHO scratch memory
 * (movable memory may: migrate it out first) or when it is larger than
 * the page allocator's largest block.
 */
int kho_preserve_folio(struct folio *folio)
{
	return kho_preserve_block(folio_pfn(folio), folio_order(folio));
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio() - take a folio back from the handover
 * @folio: a folio given to kho_preserve_folio(), with the same order
 *
 * Preserving is not counted: one unpreserve undoes any number of preserves.
 */
void kho_unpreserve_folio(struct folio *folio)
{
	kho_radix_del_page(&kho_out.tree, folio_pfn(folio), folio_order(folio));
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/**
 * kho_unpreserve_pages() - take a run of pages back from the handover
 * @page:     first page given to kho_preserve_pages()
 * @nr_pages: the same count
 */
void kho_unpreserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long end = pfn + nr_pages;

	while (pfn < end) {
		unsigned int order = kho_block_order(pfn, end - pfn);

		kho_radix_del_page(&kho_out.tree, pfn, order);
		pfn += 1UL << order;
	}
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/**
 * kho_preserve_pages() - hand a physically contiguous run of pages over
 * @page:     first page of the run
 * @nr_pages: number of pages; need not be a power of two
 *
 * The run is recorded as naturally aligned blocks. The pages need not come
 * from one allocation; the next kernel gets them back as order-0 pages with
 * kho_restore_pages() and the same arguments.
 *
 * Return: 0, or the error of kho_preserve_folio(); on error nothing stays
 * preserved.
 */
int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long start = page_to_pfn(page);
	unsigned long end = start + nr_pages;
	unsigned long pfn = start;
	int err;

	while (pfn < end) {
		unsigned int order = kho_block_order(pfn, end - pfn);

		err = kho_preserve_block(pfn, order);
		if (err) {
			kho_unpreserve_pages(page, pfn - start);
			return err;
		}
		pfn += 1UL << order;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_stamp_preserved_block() - mark the first page of an incoming block
 * @pfn:   first page frame of the block
 * @order: order of the block
 *
 * Called while the incoming map is read, before the memory map goes to the
 * page allocator.
 */
void __init kho_stamp_preserved_block(unsigned long pfn, unsigned int order)
{
	union kho_page_info info = {
		.order = order,
		.magic = KHO_PAGE_MAGIC,
	};

	pfn_to_page(pfn)->private = info.page_private;
}

#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
/*
 * Until deferred struct page init is done, the struct page of free memory
 * may not be initialized yet and hold anything, a stamp included. Memory
 * memblock has reserved has initialized struct pages (preserved blocks got
 * theirs in kho_in_reserve_block()), and memblock is still there to ask.
 */
static bool __ref kho_struct_page_trusted(phys_addr_t phys)
{
	if (!static_branch_unlikely(&deferred_pages))
		return true;
	return memblock_is_region_reserved(phys, PAGE_SIZE);
}
#else
static bool kho_struct_page_trusted(phys_addr_t phys)
{
	return true;
}
#endif

/*
 * The first page of the incoming block at @phys and its stamp in @info;
 * NULL if @phys does not start a preserved block still waiting for its
 * owner.
 */
static struct page *kho_stamped_page(phys_addr_t phys,
				     union kho_page_info *info)
{
	struct page *page;

	if (!PAGE_ALIGNED(phys))
		return NULL;
	page = pfn_to_online_page(PHYS_PFN(phys));
	if (!page || !kho_struct_page_trusted(phys))
		return NULL;
	info->page_private = READ_ONCE(page->private);
	if (info->magic != KHO_PAGE_MAGIC || info->order > MAX_PAGE_ORDER)
		return NULL;
	return page;
}

/**
 * kho_block_is_preserved() - whether an incoming block awaits its owner
 * @phys: physical address of the block
 * @size: bytes the caller wants to read from it
 *
 * Return: true if a preserved block that is not restored yet starts at
 * @phys and holds at least @size bytes.
 */
bool kho_block_is_preserved(phys_addr_t phys, size_t size)
{
	union kho_page_info info;

	return kho_stamped_page(phys, &info) && size <= PAGE_SIZE << info.order;
}

/**
 * kho_pages_are_preserved() - whether an incoming run awaits its owner
 * @phys:     physical address of the first page
 * @nr_pages: pages in the run
 *
 * Checks without taking anything what kho_restore_pages() with the same
 * arguments would take: every block kho_preserve_pages() records for the
 * run is preserved with that order and not restored yet. A naturally
 * aligned run of 2^order pages is one block, so this also checks a folio
 * given to kho_preserve_folio().
 *
 * Return: true if kho_restore_pages(@phys, @nr_pages) would succeed now.
 */
bool kho_pages_are_preserved(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long pfn = PHYS_PFN(phys);
	unsigned long end = pfn + nr_pages;
	union kho_page_info info;

	if (!PAGE_ALIGNED(phys) || !nr_pages || end < pfn)
		return false;
	while (pfn < end) {
		unsigned int order = kho_block_order(pfn, end - pfn);

		if (!kho_stamped_page(PFN_PHYS(pfn), &info) ||
		    info.order != order)
			return false;
		pfn += 1UL << order;
	}
	return true;
}
EXPORT_SYMBOL_GPL(kho_pages_are_preserved);

/*
 * Claims the incoming block whose first page is at @phys: NULL if @phys is
 * not the start of a preserved block still waiting to be restored. The
 * stamp is cleared atomically, so only one of two racing restores wins.
 */
static struct page *kho_claim_block(phys_addr_t phys, unsigned int *order)
{
	union kho_page_info info;
	struct page *page = kho_stamped_page(phys, &info);

	if (!page ||
	    cmpxchg(&page->private, info.page_private, 0) != info.page_private)
		return NULL;
	*order = info.order;
	return page;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * kho_test_fake_incoming() - make allocated pages look handed over
 * @page:  first page of an allocated, non-compound block
 * @order: order of the block
 *
 * For KUnit suites that test restore paths without a kexec: the block gets
 * the stamp and loses the managed-page accounting a block the previous
 * kernel preserved has, so that a restore takes it like one. Undo with
 * kho_test_unfake_incoming() whatever no restore took.
 */
void kho_test_fake_incoming(struct page *page, unsigned int order)
{
	union kho_page_info info = {
		.order = order,
		.magic = KHO_PAGE_MAGIC,
	};

	adjust_managed_page_count(page, -(1L << order));
	page->private = info.page_private;
}
EXPORT_SYMBOL_IF_KUNIT(kho_test_fake_incoming);

/**
 * kho_test_unfake_incoming() - undo kho_test_fake_incoming()
 * @page: first page of the block
 *
 * Return: true if the block was still waiting to be restored; then it is
 * an ordinary allocated block again. False if a restore took it.
 */
bool kho_test_unfake_incoming(struct page *page)
{
	unsigned int order;

	if (!kho_claim_block(page_to_phys(page), &order))
		return false;
	adjust_managed_page_count(page, 1L << order);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kho_test_unfake_incoming);
#endif

/* Gives the pages of a claimed block their owners' state and accounting. */
static void kho_init_block_pages(struct page *page, unsigned int order,
				 bool folio)
{
	unsigned long nr = 1UL << order;
	unsigned long i;

	for (i = 0; i < nr; i++)
		set_page_count(page + i, folio && i ? 0 : 1);
	if (folio && order)
		prep_compound_page(page, order);
	adjust_managed_page_count(page, nr);
}

/**
 * kho_restore_folio() - take back a folio the previous kernel preserved
 * @phys: physical address of the folio
 *
 * Return: the folio, with a reference held by the caller and the order it
 * was preserved with; NULL if @phys is not a preserved block or it was
 * restored already.
 */
struct folio *kho_restore_folio(phys_addr_t phys)
{
	unsigned int order;
	struct page *page = kho_claim_block(phys, &order);

	if (!page)
		return NULL;
	kho_init_block_pages(page, order, true);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_pages() - take back a run given to kho_preserve_pages()
 * @phys:     physical address of the first page
 * @nr_pages: the count given to kho_preserve_pages()
 *
 * Every page comes back as an order-0 page with one reference.
 *
 * Return: the first page, or NULL if any block of the run is not a
 * preserved block of the expected order (blocks before it stay restored).
 */
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long start = PHYS_PFN(phys);
	unsigned long end = start + nr_pages;
	unsigned long pfn = start;

	if (!PAGE_ALIGNED(phys) || !nr_pages)
		return NULL;

	while (pfn < end) {
		unsigned int expected = kho_block_order(pfn, end - pfn);
		unsigned int order;
		struct page *page = kho_claim_block(PFN_PHYS(pfn), &order);

		if (!page)
			return NULL;
		if (order != expected) {
			pr_err("block at %pa has order %u, expected %u\n",
			       &phys, order, expected);
			return NULL;
		}
		kho_init_block_pages(page, order, false);
		pfn += 1UL << order;
	}
	return pfn_to_page(start);
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_alloc_preserve() - allocate zeroed memory that the next kernel gets
 * @size: bytes; rounded up to a power-of-two number of pages
 *
 * Return: the memory, physically contiguous and preserved as one folio;
 * ERR_PTR(-EINVAL) for @size 0, ERR_PTR(-E2BIG) beyond the largest folio,
 * ERR_PTR(-ENOMEM), or the error of kho_preserve_folio().
 */
void *kho_alloc_preserve(size_t size)
{
	struct folio *folio;
	unsigned int order;
	int err;

	if (!size)
		return ERR_PTR(-EINVAL);
	order = get_order(size);
	if (order > MAX_PAGE_ORDER)
		return ERR_PTR(-E2BIG);

	folio = folio_alloc(KHO_GFP | __GFP_ZERO, order);
	if (!folio)
		return ERR_PTR(-ENOMEM);
	err = kho_preserve_folio(folio);
	if (err) {
		folio_put(folio);
		return ERR_PTR(err);
	}
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_alloc_preserve);

/**
 * kho_unpreserve_free() - undo kho_alloc_preserve() in the same kernel
 * @mem: what kho_alloc_preserve() returned, or NULL
 */
void kho_unpreserve_free(void *mem)
{
	struct folio *folio;

	if (!mem)
		return;
	folio = virt_to_folio(mem);
	kho_unpreserve_folio(folio);
	folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_free);

/**
 * kho_restore_free() - free memory the previous kernel got from
 *                      kho_alloc_preserve()
 * @mem: its address in this kernel's direct map, or NULL
 */
void kho_restore_free(void *mem)
{
	struct folio *folio;

	if (!mem)
		return;
	folio = kho_restore_folio(__pa(mem));
	if (!WARN_ON(!folio))
		folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_free);

/* Writes an empty root FDT, with room for subtrees, into @fdt. */
static int __init kho_out_fdt_setup(void *fdt)
{
	u64 map = virt_to_phys(kho_out.tree.root);
	int err;

	err = fdt_create(fdt, PAGE_SIZE);
	err |= fdt_finish_reservemap(fdt);
	err |= fdt_begin_node(fdt, "");
	err |= fdt_property_string(fdt, "compatible", KHO_FDT_COMPATIBLE);
	err |= fdt_property(fdt, KHO_FDT_MEMORY_MAP_PROP_NAME, &map,
			    sizeof(map));
	err |= fdt_end_node(fdt);
	err |= fdt_finish(fdt);
	if (!err)
		err = fdt_open_into(fdt, fdt, PAGE_SIZE);
	return err ? -ENOMEM : 0;
}

static int __init kho_out_init(void)
{
	void *fdt;
	int err;

	err = kho_radix_tree_init(&kho_out.tree);
	if (err)
		return err;

	fdt = kho_alloc_preserve(PAGE_SIZE);
	if (IS_ERR(fdt)) {
		err = PTR_ERR(fdt);
		goto err_tree;
	}
	err = kho_out_fdt_setup(fdt);
	if (err)
		goto err_fdt;
	scoped_guard(mutex, &kho_out.fdt_lock)
		kho_out.fdt = fdt;
	return 0;

err_fdt:
	kho_unpreserve_free(fdt);
err_tree:
	kho_radix_tree_destroy(&kho_out.tree);
	return err;
}

static void __init kho_out_destroy(void)
{
	void *fdt;

	scoped_guard(mutex, &kho_out.fdt_lock) {
		fdt = kho_out.fdt;
		kho_out.fdt = NULL;
	}
	kho_unpreserve_free(fdt);
	kho_radix_tree_destroy(&kho_out.tree);
}

static int __init kho_init(void)
{
	int err;

	if (!kho_enable)
		return 0;

	err = kho_out_init();
	if (err)
		goto err_disable;
	err = kho_debugfs_init();
	if (err)
		goto err_out;
	err = kho_kexec_metadata_init();
	if (err)
		goto err_debugfs;

	/*
	 * Inherited scratch (even from a handover that was then refused) was
	 * marked CMA before buddy init and is free memory already; only
	 * scratch reserved on a cold boot is still to be released.
	 */
	if (!kho_in_scratch_inherited())
		kho_scratch_release_to_cma();
	kho_scratch_count_cma();
	return 0;

err_debugfs:
	kho_debugfs_remove();
err_out:
	kho_out_destroy();
err_disable:
	pr_err("failed to set up the handover (%d), disabling kexec handover\n",
	       err);
	if (!kho_in_scratch_inherited())
		kho_scratch_free();
	kho_enable = false;
	return err;
}
fs_initcall(kho_init);

/**
 * kho_memory_init() - KHO's part of mm init
 *
 * Runs while memblock still owns all memory, just before the page allocator
 * takes it. On a KHO boot it reserves everything the previous kernel
 * preserved; on a cold boot it reserves the scratch regions.
 */
void __init kho_memory_init(void)
{
	if (kho_in_scratch_inherited())
		kho_in_memory_init();
	else
		kho_reserve_scratch();
}

/**
 * kho_fill_kimage() - hand this kernel's KHO state to a kexec image
 * @image: the image being loaded
 *
 * Records the root FDT address and adds the scratch array as a segment.
 * Crash kernels get nothing: they must not depend on the crashed kernel.
 *
 * Return: 0 or the error of kexec_add_buffer().
 */
int kho_fill_kimage(struct kimage *image)
{
	struct kexec_buf kbuf = {
		.image = image,
		.buf_max = ULONG_MAX,
		.buf_align = SZ_64K,
		.top_down = true,
		.mem = KEXEC_BUF_MEM_UNKNOWN,
	};
	int err;

	if (!kho_enable || image->type == KEXEC_TYPE_CRASH)
		return 0;

	kbuf.buffer = kho_scratch;
	kbuf.bufsz = kho_scratch_cnt * sizeof(*kho_scratch);
	kbuf.memsz = kbuf.bufsz;
	err = kexec_add_buffer(&kbuf);
	if (err)
		return err;

	image->kho.scratch = &image->segment[image->nr_segments - 1];
	image->kho.fdt = virt_to_phys(kho_out.fdt);
	return 0;
}
