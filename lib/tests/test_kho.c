// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver test across kexec.
 *
 * With "test_kho.enable=1" each boot first checks what the previous boot
 * preserved, if anything, then preserves a fresh set for the next boot:
 * folios of mixed orders, physically contiguous page runs that are not a
 * power of two long, memory that is preserved and then unpreserved again,
 * a run at the top of a node (where deferred struct page init starts) and
 * the subtree blob that describes all of it. Contents are generated
 * from a per-item seed, so every byte can be checked. The results are in
 * /sys/kernel/debug/kho_test/result, one "key value" pair per line; the
 * kexec selftests in tools/testing/selftests/liveupdate/ read them.
 */

#define pr_fmt(fmt) "kho_test: " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/luo_test.h>
#include <linux/kho/block.h>
#include <linux/kho/vmalloc.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../../mm/internal.h"
#include "../../kernel/liveupdate/kexec_handover_internal.h"

#define KHO_TEST_NODE_NAME	"kho_test"
#define KHO_TEST_MAGIC		0x4b484f21	/* "KHO!" */
#define KHO_TEST_NR_FOLIOS	24
#define KHO_TEST_MAX_ORDER	5
#define KHO_TEST_NR_RUNS	2
#define KHO_TEST_NR_UNPRESERVED	4
#define KHO_TEST_PAYLOAD	1024
#define KHO_TEST_VMALLOC_SIZE	(6 * SZ_1M)
#define KHO_TEST_VHUGE_SIZE	(4 * SZ_1M)
#define KHO_TEST_HIGH_PAGES	16
#define KHO_TEST_FIRST_RECS	100000
#define KHO_TEST_MORE_RECS	50000

static bool enable;
module_param(enable, bool, 0444);
MODULE_PARM_DESC(enable, "check and preserve test data across kexec");

/* One preserved item: a folio (@count = order) or a page run (@count = pages). */
struct kho_test_item {
	u64 phys;
	u32 count;
	u32 seed;
};

/* A preserved vmalloc area: [0] of single pages, [1] with huge mappings. */
struct kho_test_area {
	struct kho_vmalloc desc;
	u32 size;
	u32 seed;
};

/* A record of the block set: which generation wrote record @index. */
struct kho_test_rec {
	u32 index;
	u32 generation;
	u64 value;
};

/* The subtree blob. */
struct kho_test_state {
	u32 magic;
	u32 generation;
	struct kho_test_item folios[KHO_TEST_NR_FOLIOS];
	struct kho_test_item runs[KHO_TEST_NR_RUNS];
	struct kho_test_item unpreserved[KHO_TEST_NR_UNPRESERVED];
	struct kho_test_item high;
	u32 high_nid;
	struct kho_test_area areas[2];
	u64 recs_head;
	u64 nr_recs;
	u32 payload_seed;
	u8 payload[KHO_TEST_PAYLOAD];
};

static struct {
	u32 generation;
	const char *incoming;
	unsigned int verified_folios;
	unsigned int verified_runs;
	unsigned long verified_bytes;
	unsigned int unpreserved_free;
	unsigned int refused;
	unsigned long restored_pages;
	long accounted_pages;
	unsigned int preserved_folios;
	unsigned int preserved_runs;
	unsigned int verified_areas;
	unsigned int huge_order;
	unsigned int preserved_areas;
	unsigned long verified_recs;
	unsigned long preserved_recs;
	unsigned int verified_high;
	unsigned int high_deferred;
	unsigned int preserved_high;
	unsigned long scratch_blocks;
	unsigned long scratch_cma_blocks;
	unsigned int errors;
	int preserve_err;
} res = { .incoming = "none" };

/* Records that came in, carried into the next generation's set. */
static struct kho_block_set recs_in =
	KHO_BLOCK_SET_INIT(recs_in, sizeof(struct kho_test_rec));
static struct kho_block_set recs_out =
	KHO_BLOCK_SET_INIT(recs_out, sizeof(struct kho_test_rec));

static void kho_test_fill(void *buf, size_t len, u32 seed)
{
	struct rnd_state st;

	prandom_seed_state(&st, seed);
	prandom_bytes_state(&st, buf, len);
}

/* Returns the offset of the first wrong byte, or @len if all match. */
static size_t kho_test_check(const void *buf, size_t len, u32 seed)
{
	struct rnd_state st;
	u8 chunk[64];
	size_t off, n, i;

	prandom_seed_state(&st, seed);
	for (off = 0; off < len; off += n) {
		n = min(len - off, sizeof(chunk));
		prandom_bytes_state(&st, chunk, n);
		for (i = 0; i < n; i++)
			if (chunk[i] != ((const u8 *)buf)[off + i])
				return off + i;
	}
	return len;
}

#define kho_test_err(fmt, ...)				\
	do {						\
		res.errors++;				\
		pr_err(fmt, ##__VA_ARGS__);		\
	} while (0)

static void __init kho_test_verify_folio(const struct kho_test_item *it)
{
	phys_addr_t phys = it->phys;
	struct folio *folio;
	size_t bad;

	if (it->count && kho_restore_folio(phys + PAGE_SIZE)) {
		kho_test_err("folio %pa: restored from its second page\n", &phys);
		return;
	}
	folio = kho_restore_folio(phys);
	if (!folio) {
		kho_test_err("folio %pa order %u: not restored\n", &phys,
			     it->count);
		return;
	}
	res.restored_pages += folio_nr_pages(folio);
	bad = kho_test_check(folio_address(folio), folio_size(folio), it->seed);
	if (folio_order(folio) != it->count || folio_ref_count(folio) != 1) {
		kho_test_err("folio %pa: order %u refcount %d, expected order %u refcount 1\n",
			     &phys, folio_order(folio), folio_ref_count(folio),
			     it->count);
	} else if (bad != folio_size(folio)) {
		kho_test_err("folio %pa: byte %zu differs\n", &phys, bad);
	} else {
		res.verified_folios++;
		res.verified_bytes += folio_size(folio);
	}
	if (kho_restore_folio(phys))
		kho_test_err("folio %pa: restored twice\n", &phys);
	else
		res.refused++;
	folio_put(folio);
}

static void __init kho_test_verify_run(const struct kho_test_item *it)
{
	phys_addr_t phys = it->phys;
	struct page *page;
	unsigned int i;
	bool ok = true;
	size_t bad;

	page = kho_restore_pages(phys, it->count);
	if (!page) {
		kho_test_err("run %pa of %u pages: not restored\n", &phys,
			     it->count);
		return;
	}
	res.restored_pages += it->count;
	for (i = 0; i < it->count; i++)
		if (page_ref_count(page + i) != 1 || PageCompound(page + i))
			ok = false;
	bad = kho_test_check(page_address(page), it->count * PAGE_SIZE,
			     it->seed);
	if (!ok) {
		kho_test_err("run %pa: pages are not plain order-0 pages\n",
			     &phys);
	} else if (bad != it->count * PAGE_SIZE) {
		kho_test_err("run %pa: byte %zu differs\n", &phys, bad);
	} else {
		res.verified_runs++;
		res.verified_bytes += it->count * PAGE_SIZE;
	}
	for (i = 0; i < it->count; i++)
		__free_page(page + i);
}

/*
 * Where each node's deferred struct page init starts, read while it is
 * still known: deferred init forgets it when it is done, after the early
 * initcalls. The next kernel, on the same memory, defers the same range.
 */
static unsigned long kho_test_deferred_pfn[MAX_NUMNODES] __initdata;

static int __init kho_test_note_deferred(void)
{
	int n;

	for_each_online_node(n) {
#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
		kho_test_deferred_pfn[n] = NODE_DATA(n)->first_deferred_pfn;
#else
		kho_test_deferred_pfn[n] = ULONG_MAX;
#endif
	}
	return 0;
}
early_initcall(kho_test_note_deferred);

/*
 * The run from the top of a node: its pages must have their node and a
 * zone that spans them, although deferred init skipped them.
 */
static void __init kho_test_verify_high(const struct kho_test_item *it,
					u32 nid)
{
	phys_addr_t phys = it->phys;
	unsigned long pfn = PHYS_PFN(phys);
	struct page *page;
	unsigned int i;
	bool ok = true;
	size_t bad;

	if (it->count != KHO_TEST_HIGH_PAGES || nid >= MAX_NUMNODES ||
	    !node_online(nid)) {
		kho_test_err("high run %pa: %u pages on node %u\n", &phys,
			     it->count, nid);
		return;
	}
	page = kho_restore_pages(phys, it->count);
	if (!page) {
		kho_test_err("high run %pa: not restored\n", &phys);
		return;
	}
	res.restored_pages += it->count;
	for (i = 0; i < it->count; i++) {
		struct page *p = page + i;

		if (page_to_nid(p) != nid || page_ref_count(p) != 1 ||
		    !zone_spans_pfn(page_zone(p), pfn + i) || PageReserved(p))
			ok = false;
	}
	bad = kho_test_check(page_address(page), it->count * PAGE_SIZE,
			     it->seed);
	if (!ok)
		kho_test_err("high run %pa: struct pages not initialized for node %u\n",
			     &phys, nid);
	else if (bad != it->count * PAGE_SIZE)
		kho_test_err("high run %pa: byte %zu differs\n", &phys, bad);
	else
		res.verified_high++;
	if (pfn >= kho_test_deferred_pfn[nid])
		res.high_deferred = 1;
	for (i = 0; i < it->count; i++)
		__free_page(page + i);
}

/* Unpreserved memory must be ordinary memory now: refused, not reserved. */
static void __init kho_test_verify_unpreserved(const struct kho_test_item *it)
{
	phys_addr_t phys = it->phys;
	struct page *page = pfn_to_online_page(PHYS_PFN(phys));

	if (!page) {
		kho_test_err("unpreserved %pa: no such page\n", &phys);
		return;
	}
	if (kho_restore_folio(phys)) {
		kho_test_err("unpreserved %pa: was handed over anyway\n", &phys);
		return;
	}
	if (PageReserved(page)) {
		kho_test_err("unpreserved %pa: still reserved\n", &phys);
		return;
	}
	res.unpreserved_free++;
}

static u64 kho_test_rec_value(u32 index, u32 generation)
{
	return ((u64)index << 32 | generation) * 0x9e3779b97f4a7c15ULL;
}

/* Area @i must come back with its size, page order, layout and bytes. */
static void __init kho_test_verify_area(const struct kho_test_area *in,
					unsigned int i)
{
	unsigned int want = i ? PMD_SHIFT - PAGE_SHIFT : 0;
	unsigned long p, nr = in->size >> PAGE_SHIFT;
	struct vm_struct *vm;
	struct page *run = NULL;
	unsigned int order;
	void *addr;
	size_t bad;

	addr = kho_restore_vmalloc(&in->desc);
	if (!addr) {
		kho_test_err("vmalloc area %u: not restored\n", i);
		return;
	}
	res.restored_pages += nr + DIV_ROUND_UP(nr >> in->desc.order,
						KHO_VMALLOC_SIZE);
	vm = find_vm_area(addr);
	order = vm ? vm_area_page_order(vm) : 0;
	if (!vm || vm->nr_pages != nr || order != want) {
		kho_test_err("vmalloc area %u: %u pages of order %u, expected %lu of order %u\n",
			     i, vm ? vm->nr_pages : 0, order, nr, want);
		goto out;
	}
	/* Runs of 2^order pages are physically contiguous, as mapped. */
	for (p = 0; p < nr; p++) {
		struct page *page = vmalloc_to_page(addr + p * PAGE_SIZE);

		if (!(p & ((1UL << order) - 1)))
			run = page;
		if (page != run + (p & ((1UL << order) - 1))) {
			kho_test_err("vmalloc area %u: page %lu is not where its run is\n",
				     i, p);
			goto out;
		}
	}
	bad = kho_test_check(addr, in->size, in->seed);
	if (bad != in->size) {
		kho_test_err("vmalloc area %u: byte %zu differs\n", i, bad);
		goto out;
	}
	res.verified_areas++;
	res.verified_bytes += in->size;
	if (i)
		res.huge_order = order;
out:
	/* A description is good for one restore only. */
	if (kho_restore_vmalloc(&in->desc))
		kho_test_err("vmalloc area %u: restored twice\n", i);
	else
		res.refused++;
	vfree(addr);
}

/* Takes the incoming records back and checks them; keeps them to carry. */
static void __init kho_test_verify_recs(const struct kho_test_state *in)
{
	struct kho_block_set_it it;
	struct kho_test_rec *r;
	unsigned long n = 0;

	if (kho_block_set_restore(&recs_in, in->recs_head)) {
		kho_test_err("record chain at %#llx: refused\n", in->recs_head);
		return;
	}
	res.restored_pages += recs_in.nblocks;
	kho_block_set_it_init(&it, &recs_in);
	while ((r = kho_block_set_it_read_entry(&it))) {
		if (r->index != n || !r->generation ||
		    r->generation > in->generation ||
		    r->value != kho_test_rec_value(r->index, r->generation)) {
			kho_test_err("record %lu: index %u generation %u is wrong\n",
				     n, r->index, r->generation);
			kho_block_set_destroy(&recs_in);
			return;
		}
		n++;
	}
	if (n != in->nr_recs) {
		kho_test_err("%lu records came in, %llu were written\n", n,
			     in->nr_recs);
		kho_block_set_destroy(&recs_in);
		return;
	}
	res.verified_recs = n;
}

static void __init kho_test_verify(void)
{
	struct kho_test_state *in;
	unsigned long totalram;
	struct folio *folio;
	phys_addr_t phys;
	size_t size, bad;
	int i, err;

	err = kho_retrieve_subtree(KHO_TEST_NODE_NAME, &phys, &size);
	if (err == -ENOENT)
		return;
	res.incoming = "bad";
	if (err || size != sizeof(*in)) {
		kho_test_err("subtree: error %d, size %zu\n", err, size);
		return;
	}
	/* Restored pages become managed memory: count them from here on. */
	totalram = totalram_pages();
	folio = kho_restore_folio(phys);
	if (!folio || folio_size(folio) < size) {
		kho_test_err("subtree blob %pa is not preserved\n", &phys);
		return;
	}
	res.restored_pages += folio_nr_pages(folio);
	in = folio_address(folio);
	if (in->magic != KHO_TEST_MAGIC) {
		kho_test_err("subtree blob: magic %#x\n", in->magic);
		goto out;
	}
	bad = kho_test_check(in->payload, sizeof(in->payload),
			     in->payload_seed);
	if (bad != sizeof(in->payload)) {
		kho_test_err("subtree blob: payload byte %zu differs\n", bad);
		goto out;
	}
	res.verified_bytes += sizeof(in->payload);
	res.generation = in->generation;
	res.incoming = "ok";

	for (i = 0; i < KHO_TEST_NR_FOLIOS; i++)
		kho_test_verify_folio(&in->folios[i]);
	for (i = 0; i < KHO_TEST_NR_RUNS; i++)
		kho_test_verify_run(&in->runs[i]);
	for (i = 0; i < KHO_TEST_NR_UNPRESERVED; i++)
		kho_test_verify_unpreserved(&in->unpreserved[i]);
	kho_test_verify_high(&in->high, in->high_nid);
	for (i = 0; i < ARRAY_SIZE(in->areas); i++)
		kho_test_verify_area(&in->areas[i], i);
	kho_test_verify_recs(in);

	/* Memory this kernel allocated itself was never preserved. */
	if (kho_restore_folio(virt_to_phys(&res)) ||
	    kho_restore_pages(virt_to_phys(in), 1))
		kho_test_err("memory that was never preserved was restored\n");
	else
		res.refused++;

	res.accounted_pages = totalram_pages() - totalram;
	if (res.accounted_pages != res.restored_pages)
		kho_test_err("%lu pages restored, but managed memory grew by %ld\n",
			     res.restored_pages, res.accounted_pages);
out:
	folio_put(folio);
}

static int __init kho_test_preserve_folio(struct kho_test_item *it)
{
	unsigned int order = get_random_u32_below(KHO_TEST_MAX_ORDER + 1);
	struct folio *folio = folio_alloc(GFP_KERNEL, order);
	int err;

	if (!folio)
		return -ENOMEM;
	it->seed = get_random_u32();
	it->count = order;
	it->phys = PFN_PHYS(folio_pfn(folio));
	kho_test_fill(folio_address(folio), folio_size(folio), it->seed);
	err = kho_preserve_folio(folio);
	if (err)
		folio_put(folio);
	return err;
}

/*
 * Preserves @nr pages from the middle of a split higher-order allocation,
 * so the run starts unaligned and is not a power of two long. The pages
 * around it are freed.
 */
static int __init kho_test_preserve_run(struct kho_test_item *it,
					unsigned int order, unsigned int skip,
					unsigned int nr)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);
	unsigned int i;
	int err;

	if (!page)
		return -ENOMEM;
	split_page(page, order);
	for (i = 0; i < (1U << order); i++)
		if (i < skip || i >= skip + nr)
			__free_page(page + i);
	page += skip;

	it->seed = get_random_u32();
	it->count = nr;
	it->phys = PFN_PHYS(page_to_pfn(page));
	kho_test_fill(page_address(page), nr * PAGE_SIZE, it->seed);
	err = kho_preserve_pages(page, nr);
	if (err)
		for (i = 0; i < nr; i++)
			__free_page(page + i);
	return err;
}

/*
 * Preserves a run of pages where the next kernel's deferred struct page
 * init leaves the struct pages uninitialized until after the early
 * initcalls (the top half of a node without deferred init): KHO has to
 * initialize them itself. Ranges are tried downwards from the node's end,
 * one per pageblock, skipping scratch, until one can be allocated.
 */
static int __init kho_test_preserve_high(struct kho_test_item *it, u32 *nid)
{
	int n;

	for_each_online_node(n) {
		pg_data_t *pgdat = NODE_DATA(n);
		unsigned long low = kho_test_deferred_pfn[n];
		unsigned long pfn = ALIGN_DOWN(pgdat_end_pfn(pgdat) - 1,
					       pageblock_nr_pages);
		int err;

		if (low == ULONG_MAX)
			low = pgdat_end_pfn(pgdat) - pgdat->node_spanned_pages / 2;
		for (; pfn >= low; pfn -= pageblock_nr_pages) {
			if (!pfn_valid(pfn) ||
			    kho_scratch_overlap(PFN_PHYS(pfn),
						KHO_TEST_HIGH_PAGES * PAGE_SIZE) ||
			    alloc_contig_range(pfn, pfn + KHO_TEST_HIGH_PAGES,
					       MIGRATE_MOVABLE,
					       GFP_KERNEL | __GFP_NOWARN))
				continue;
			it->seed = get_random_u32();
			it->count = KHO_TEST_HIGH_PAGES;
			it->phys = PFN_PHYS(pfn);
			*nid = n;
			kho_test_fill(pfn_to_kaddr(pfn),
				      KHO_TEST_HIGH_PAGES * PAGE_SIZE, it->seed);
			err = kho_preserve_pages(pfn_to_page(pfn),
						 KHO_TEST_HIGH_PAGES);
			if (err)
				free_contig_range(pfn, KHO_TEST_HIGH_PAGES);
			return err;
		}
	}
	return -ENOSPC;
}

/* Preserves and unpreserves a folio, which stays allocated here. */
static int __init kho_test_unpreserve(struct kho_test_item *it)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, 1);
	int err;

	if (!folio)
		return -ENOMEM;
	err = kho_preserve_folio(folio);
	if (err) {
		folio_put(folio);
		return err;
	}
	kho_unpreserve_folio(folio);
	it->phys = PFN_PHYS(folio_pfn(folio));
	it->count = 1;
	return 0;
}

/* Kept referenced until the kexec, so kmemleak does not report them. */
static void *kho_test_area_addr[2];

static int __init kho_test_preserve_area(struct kho_test_area *a,
					 unsigned int i)
{
	void *addr;
	int err;

	a->size = i ? KHO_TEST_VHUGE_SIZE : KHO_TEST_VMALLOC_SIZE;
	addr = i ? vmalloc_huge(a->size, GFP_KERNEL) : vmalloc(a->size);
	if (!addr)
		return -ENOMEM;
	a->seed = get_random_u32();
	kho_test_fill(addr, a->size, a->seed);
	err = kho_preserve_vmalloc(addr, &a->desc);
	if (err) {
		vfree(addr);
		return err;
	}
	if (a->desc.order != (i ? PMD_SHIFT - PAGE_SHIFT : 0))
		kho_test_err("vmalloc area %u is mapped with order %u\n", i,
			     a->desc.order);
	kho_test_area_addr[i] = addr;
	res.preserved_areas++;
	return 0;
}

/*
 * The records that came in, then new ones: KHO_TEST_FIRST_RECS on a cold
 * boot, KHO_TEST_MORE_RECS after a handover.
 */
static int __init kho_test_preserve_recs(struct kho_test_state *out)
{
	unsigned long carried = res.verified_recs;
	unsigned long total, i;
	struct kho_block_set_it in, it;
	struct kho_test_rec *r, *from;
	int err;

	total = carried + (carried ? KHO_TEST_MORE_RECS : KHO_TEST_FIRST_RECS);
	err = kho_block_set_grow(&recs_out, total);
	if (err)
		return err;
	kho_block_set_clear(&recs_out);
	kho_block_set_it_init(&it, &recs_out);
	kho_block_set_it_init(&in, &recs_in);
	for (i = 0; i < total; i++) {
		r = kho_block_set_it_reserve_entry(&it);
		if (!r)
			return -ENOSPC;
		from = i < carried ? kho_block_set_it_read_entry(&in) : NULL;
		if (from) {
			*r = *from;
		} else {
			r->index = i;
			r->generation = out->generation;
			r->value = kho_test_rec_value(i, out->generation);
		}
	}
	kho_block_set_destroy(&recs_in);
	out->recs_head = kho_block_set_head_pa(&recs_out);
	out->nr_recs = kho_block_set_count(&recs_out);
	res.preserved_recs = out->nr_recs;
	return 0;
}

static int __init kho_test_preserve(void)
{
	struct kho_test_state *out;
	int i, err = 0;

	out = kho_alloc_preserve(sizeof(*out));
	if (IS_ERR(out))
		return PTR_ERR(out);
	out->magic = KHO_TEST_MAGIC;
	out->generation = res.generation + 1;
	out->payload_seed = get_random_u32();
	kho_test_fill(out->payload, sizeof(out->payload), out->payload_seed);

	for (i = 0; i < KHO_TEST_NR_FOLIOS && !err; i++) {
		err = kho_test_preserve_folio(&out->folios[i]);
		if (!err)
			res.preserved_folios++;
	}
	if (!err)
		err = kho_test_preserve_run(&out->runs[0], 6, 3, 37);
	if (!err)
		err = kho_test_preserve_run(&out->runs[1], 3, 1, 5);
	if (!err)
		res.preserved_runs = KHO_TEST_NR_RUNS;
	for (i = 0; i < KHO_TEST_NR_UNPRESERVED && !err; i++)
		err = kho_test_unpreserve(&out->unpreserved[i]);
	if (!err)
		err = kho_test_preserve_high(&out->high, &out->high_nid);
	if (!err)
		res.preserved_high = 1;
	for (i = 0; i < ARRAY_SIZE(out->areas) && !err; i++)
		err = kho_test_preserve_area(&out->areas[i], i);
	if (!err)
		err = kho_test_preserve_recs(out);
	if (!err)
		err = kho_add_subtree_compatible(KHO_TEST_NODE_NAME,
						 KHO_TEST_COMPATIBLE, out,
						 sizeof(*out));
	/* On error the items preserved so far simply stay preserved. */
	return err;
}

/*
 * On a KHO boot every pageblock of the inherited scratch must be CMA, so
 * that no unmovable page lands where the next kernel boots, also where
 * deferred init freed the scratch pages.
 */
static void __init kho_test_count_scratch(void)
{
	unsigned int i;

	if (!is_kho_boot())
		return;
	for (i = 0; i < kho_scratch_cnt; i++) {
		unsigned long pfn = PHYS_PFN(kho_scratch[i].addr);
		unsigned long end = pfn + PHYS_PFN(kho_scratch[i].size);

		for (; pfn < end; pfn += pageblock_nr_pages) {
			res.scratch_blocks++;
			if (is_migrate_cma_page(pfn_to_page(pfn)))
				res.scratch_cma_blocks++;
		}
	}
}

static int kho_test_result_show(struct seq_file *m, void *v)
{
	seq_printf(m, "generation %u\n", res.generation + 1);
	seq_printf(m, "kho_enabled %d\n", kho_is_enabled());
	seq_printf(m, "kho_boot %d\n", is_kho_boot());
	seq_printf(m, "incoming %s\n", res.incoming);
	seq_printf(m, "verified_folios %u\n", res.verified_folios);
	seq_printf(m, "verified_runs %u\n", res.verified_runs);
	seq_printf(m, "verified_bytes %lu\n", res.verified_bytes);
	seq_printf(m, "unpreserved_free %u\n", res.unpreserved_free);
	seq_printf(m, "refused %u\n", res.refused);
	seq_printf(m, "restored_pages %lu\n", res.restored_pages);
	seq_printf(m, "accounted_pages %ld\n", res.accounted_pages);
	seq_printf(m, "preserve_err %d\n", res.preserve_err);
	seq_printf(m, "preserved_folios %u\n", res.preserved_folios);
	seq_printf(m, "preserved_runs %u\n", res.preserved_runs);
	seq_printf(m, "verified_areas %u\n", res.verified_areas);
	seq_printf(m, "huge_order %u\n", res.huge_order);
	seq_printf(m, "preserved_areas %u\n", res.preserved_areas);
	seq_printf(m, "verified_recs %lu\n", res.verified_recs);
	seq_printf(m, "preserved_recs %lu\n", res.preserved_recs);
	seq_printf(m, "preserved_high %u\n", res.preserved_high);
	seq_printf(m, "verified_high %u\n", res.verified_high);
	seq_printf(m, "high_deferred %u\n", res.high_deferred);
	seq_printf(m, "deferred_init %d\n",
		   IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT));
	seq_printf(m, "deferred_pages %lu\n", kho_in_deferred_pages);
	seq_printf(m, "scratch_blocks %lu\n", res.scratch_blocks);
	seq_printf(m, "scratch_cma_blocks %lu\n", res.scratch_cma_blocks);
	seq_printf(m, "errors %u\n", res.errors);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kho_test_result);

static int __init kho_test_init(void)
{
	if (!enable)
		return 0;

	kho_test_verify();
	kho_test_count_scratch();
	res.preserve_err = kho_test_preserve();
	if (res.preserve_err && kho_is_enabled())
		kho_test_err("preserving failed: %d\n", res.preserve_err);
	pr_info("generation %u: incoming %s, %u folios, %u runs, %u vmalloc areas and %lu records verified, %u errors\n",
		res.generation + 1, res.incoming, res.verified_folios,
		res.verified_runs, res.verified_areas, res.verified_recs,
		res.errors);

	debugfs_create_file("result", 0400,
			    debugfs_create_dir("kho_test", NULL), NULL,
			    &kho_test_result_fops);
	return 0;
}
late_initcall(kho_test_init);
