// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for vmalloc preservation with KHO.
 *
 * Preserving is tested on real vmalloc areas. Restoring is tested on
 * descriptions built by hand over pages made to look handed over by a
 * previous kernel (kho_test_fake_incoming()): valid ones, which must map
 * back with the right contents and page order, and corrupted ones, which
 * must be refused without leaking or exposing a page.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/vmalloc.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../../kernel/liveupdate/kexec_handover_internal.h"
#include "../../mm/internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define HUGE_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define MAX_CHUNKS	4

static struct kho_vmalloc_chunk *chunk_at(u64 phys)
{
	return phys_to_virt(phys);
}

static void vfree_action(void *addr)
{
	vfree(addr);
}

static void *test_vmalloc(struct kunit *test, unsigned long size, bool huge)
{
	void *addr = huge ? vmalloc_huge(size, GFP_KERNEL) : vmalloc(size);

	KUNIT_ASSERT_NOT_NULL(test, addr);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vfree_action,
							addr), 0);
	return addr;
}

/* The description lists every run of the area, in mapping order. */
static void check_description(struct kunit *test, void *addr,
			      const struct kho_vmalloc *kv,
			      unsigned long nr_pages, unsigned int order)
{
	struct kho_vmalloc_chunk *chunk = chunk_at(kv->first);
	unsigned long run, nr_runs = nr_pages >> order;
	unsigned int i = 0;

	KUNIT_EXPECT_EQ(test, kv->total_pages, nr_pages);
	KUNIT_EXPECT_EQ(test, kv->order, order);
	for (run = 0; run < nr_runs; run++, i++) {
		if (i == KHO_VMALLOC_SIZE) {
			KUNIT_ASSERT_NE(test, chunk->hdr.next, 0);
			chunk = chunk_at(chunk->hdr.next);
			i = 0;
		}
		KUNIT_ASSERT_EQ(test, chunk->phys[i],
				page_to_phys(vmalloc_to_page(addr +
						(run << order) * PAGE_SIZE)));
	}
	if (i < KHO_VMALLOC_SIZE)
		KUNIT_EXPECT_EQ(test, chunk->phys[i], 0);
	KUNIT_EXPECT_EQ(test, chunk->hdr.next, 0);
}

static void vmalloc_preserve(struct kunit *test)
{
	unsigned long many = KHO_VMALLOC_SIZE + 89;
	struct kho_vmalloc kv, zero = { };
	struct page *page;
	void *addr, *mapped;

	if (!kho_is_enabled())
		kunit_skip(test, "KHO is off (kho=, or no room for scratch)");
	addr = test_vmalloc(test, 3 * PAGE_SIZE, false);
	KUNIT_ASSERT_EQ(test, kho_preserve_vmalloc(addr, &kv), 0);
	check_description(test, addr, &kv, 3, 0);
	KUNIT_EXPECT_EQ(test, kv.flags, KHO_VMALLOC_ALLOC);
	kho_unpreserve_vmalloc(&kv);
	KUNIT_EXPECT_EQ(test, memcmp(&kv, &zero, sizeof(kv)), 0);

	/* Two descriptor pages. */
	addr = test_vmalloc(test, many * PAGE_SIZE, false);
	KUNIT_ASSERT_EQ(test, kho_preserve_vmalloc(addr, &kv), 0);
	check_description(test, addr, &kv, many, 0);
	kho_unpreserve_vmalloc(&kv);

	addr = test_vmalloc(test, 2 * PMD_SIZE, true);
	KUNIT_ASSERT_EQ(test, kho_preserve_vmalloc(addr, &kv), 0);
	check_description(test, addr, &kv, 2 * PMD_SIZE / PAGE_SIZE,
			  HUGE_ORDER);
	KUNIT_EXPECT_EQ(test, kv.flags,
			KHO_VMALLOC_ALLOC | KHO_VMALLOC_HUGE_VMAP);
	kho_unpreserve_vmalloc(&kv);

	/* Not the start of an area, not an area, not vmalloc()'s area. */
	KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(addr + PAGE_SIZE, &kv),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(&kv, &kv), -EINVAL);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	mapped = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, mapped);
	if (mapped) {
		KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(mapped, &kv),
				-EOPNOTSUPP);
		vunmap(mapped);
	}
	__free_page(page);
}

/* A hand-made incoming area: runs of 2^order pages and its chunks. */
struct fake_area {
	struct kho_vmalloc kv;
	struct page **runs;
	unsigned int nr_runs;
	unsigned int order;
	struct page *chunks[MAX_CHUNKS];
	unsigned int nr_chunks;
	unsigned long totalram;
};

static u32 pattern(unsigned long word)
{
	return word * 2654435761U;
}

static struct fake_area *build_area(struct kunit *test, unsigned int nr_runs,
				    unsigned int order)
{
	struct fake_area *fa = kunit_kzalloc(test, sizeof(*fa), GFP_KERNEL);
	unsigned long words = (PAGE_SIZE << order) / sizeof(u32);
	unsigned int r, c;

	KUNIT_ASSERT_NOT_NULL(test, fa);
	fa->runs = kunit_kcalloc(test, nr_runs, sizeof(*fa->runs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fa->runs);
	fa->order = order;
	fa->totalram = totalram_pages();
	fa->nr_chunks = DIV_ROUND_UP(nr_runs, KHO_VMALLOC_SIZE);
	KUNIT_ASSERT_LE(test, fa->nr_chunks, MAX_CHUNKS);
	for (c = 0; c < fa->nr_chunks; c++) {
		fa->chunks[c] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, fa->chunks[c]);
		if (c)
			((struct kho_vmalloc_chunk *)
			 page_address(fa->chunks[c - 1]))->hdr.next =
				page_to_phys(fa->chunks[c]);
	}
	for (r = 0; r < nr_runs; r++) {
		struct kho_vmalloc_chunk *chunk;
		u32 *data;
		unsigned long w;

		fa->runs[r] = alloc_pages(GFP_KERNEL, order);
		KUNIT_ASSERT_NOT_NULL(test, fa->runs[r]);
		fa->nr_runs++;
		data = page_address(fa->runs[r]);
		for (w = 0; w < words; w++)
			data[w] = pattern(r * words + w);
		chunk = page_address(fa->chunks[r / KHO_VMALLOC_SIZE]);
		chunk->phys[r % KHO_VMALLOC_SIZE] = page_to_phys(fa->runs[r]);
	}
	fa->kv.first = page_to_phys(fa->chunks[0]);
	fa->kv.total_pages = nr_runs << order;
	fa->kv.order = order;
	fa->kv.flags = KHO_VMALLOC_ALLOC | (order ? KHO_VMALLOC_HUGE_VMAP : 0);
	return fa;
}

static struct kho_vmalloc_chunk *fa_chunk(struct fake_area *fa, unsigned int c)
{
	return page_address(fa->chunks[c]);
}

static void fake_area(struct fake_area *fa)
{
	unsigned int i;

	for (i = 0; i < fa->nr_chunks; i++)
		kho_test_fake_incoming(fa->chunks[i], 0);
	for (i = 0; i < fa->nr_runs; i++)
		kho_test_fake_incoming(fa->runs[i], fa->order);
}

/*
 * A description the checks refuse is refused before anything is taken:
 * every chunk and run must still be waiting (then it is taken back here
 * and freed), and the managed page count is back where it started.
 */
static void check_refused(struct kunit *test, struct fake_area *fa)
{
	unsigned int i;

	for (i = 0; i < fa->nr_chunks; i++) {
		bool waiting = kho_test_unfake_incoming(fa->chunks[i]);

		KUNIT_EXPECT_TRUE_MSG(test, waiting, "chunk %u was taken", i);
		if (waiting)
			__free_page(fa->chunks[i]);
	}
	for (i = 0; i < fa->nr_runs; i++) {
		bool waiting = kho_test_unfake_incoming(fa->runs[i]);

		KUNIT_EXPECT_TRUE_MSG(test, waiting, "run %u was taken", i);
		if (waiting)
			__free_pages(fa->runs[i], fa->order);
	}
	KUNIT_EXPECT_EQ(test, totalram_pages(), fa->totalram);
}

static void restore_and_check(struct kunit *test, unsigned int nr_runs,
			      unsigned int order)
{
	struct fake_area *fa = build_area(test, nr_runs, order);
	unsigned long w, words = (unsigned long)nr_runs << order <<
				 PAGE_SHIFT >> 2;
	struct vm_struct *vm;
	u32 *data;

	fake_area(fa);
	data = kho_restore_vmalloc(&fa->kv);
	KUNIT_ASSERT_NOT_NULL(test, data);
	vm = find_vm_area(data);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	KUNIT_EXPECT_EQ(test, vm->nr_pages, nr_runs << order);
	KUNIT_EXPECT_EQ(test, vm_area_page_order(vm), order);
	KUNIT_EXPECT_TRUE(test, vm->flags & VM_ALLOC);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(data), fa->runs[0]);
	for (w = 0; w < words; w++)
		if (data[w] != pattern(w))
			break;
	KUNIT_EXPECT_EQ(test, w, words);
	/* The chunks went back to the allocator; the runs are the area's. */
	KUNIT_EXPECT_EQ(test, page_ref_count(fa->chunks[0]), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(fa->runs[0]), 1);
	/* A second restore finds nothing waiting. */
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	vfree(data);
	KUNIT_EXPECT_EQ(test, totalram_pages(), fa->totalram);
}

static void vmalloc_restore_valid(struct kunit *test)
{
	restore_and_check(test, 5, 0);
	restore_and_check(test, KHO_VMALLOC_SIZE + 40, 0);
	restore_and_check(test, 2, HUGE_ORDER);
}

static void vmalloc_restore_bad_description(struct kunit *test)
{
	static const struct {
		unsigned int total_pages;
		u16 flags;
		u16 order;
	} bad[] = {
		{ 0, KHO_VMALLOC_ALLOC, 0 },
		{ 4, 0, 0 },
		{ 4, KHO_VMALLOC_ALLOC | 0x4, 0 },
		{ 4, KHO_VMALLOC_ALLOC, MAX_PAGE_ORDER + 1 },
		{ 4, KHO_VMALLOC_ALLOC, 64 },
		{ 513, KHO_VMALLOC_ALLOC, HUGE_ORDER },
		{ U32_MAX, KHO_VMALLOC_ALLOC, 0 },
	};
	struct fake_area *fa = build_area(test, 4, 0);
	struct kho_vmalloc kv = fa->kv;
	unsigned int i;

	fake_area(fa);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		kv.total_pages = bad[i].total_pages;
		kv.flags = bad[i].flags;
		kv.order = bad[i].order;
		KUNIT_EXPECT_NULL_MSG(test, kho_restore_vmalloc(&kv),
				      "description %u accepted", i);
	}
	/* Fewer pages than the chain lists. */
	kv = fa->kv;
	kv.total_pages = 3;
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&kv));
	check_refused(test, fa);

	fa = build_area(test, 4, 0);
	fake_area(fa);
	kv = fa->kv;
	kv.first = 0;
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&kv));
	check_refused(test, fa);
}

static void vmalloc_restore_bad_chain(struct kunit *test)
{
	struct fake_area *fa;
	struct page *stray;

	/* A run address that is not aligned to the run size. */
	fa = build_area(test, 2, HUGE_ORDER);
	fa_chunk(fa, 0)->phys[1] += PAGE_SIZE;
	fake_area(fa);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	check_refused(test, fa);

	/*
	 * The same with pages that are preserved, as single pages, at the
	 * unaligned address: the run must still be refused, not assembled
	 * from blocks that belong to someone else.
	 */
	fa = build_area(test, 2, 1);
	stray = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, stray);
	fa_chunk(fa, 0)->phys[1] = page_to_phys(stray + 1);
	fake_area(fa);
	kho_test_fake_incoming(stray + 1, 0);
	kho_test_fake_incoming(stray + 2, 0);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	KUNIT_EXPECT_TRUE(test, kho_test_unfake_incoming(stray + 1));
	KUNIT_EXPECT_TRUE(test, kho_test_unfake_incoming(stray + 2));
	__free_pages(stray, 2);
	check_refused(test, fa);

	/* A hole in the list of runs. */
	fa = build_area(test, 3, 0);
	fa_chunk(fa, 0)->phys[1] = 0;
	fake_area(fa);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	check_refused(test, fa);

	/* More runs than the area has, then more chunks than it needs. */
	fa = build_area(test, 3, 0);
	fa->kv.total_pages = 2;
	fake_area(fa);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	check_refused(test, fa);

	fa = build_area(test, KHO_VMALLOC_SIZE + 1, 0);
	fa->kv.total_pages = KHO_VMALLOC_SIZE;
	fake_area(fa);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	check_refused(test, fa);

	/* A chain that loops back to its first chunk. */
	fa = build_area(test, 2 * KHO_VMALLOC_SIZE + 1, 0);
	fa_chunk(fa, 1)->hdr.next = page_to_phys(fa->chunks[0]);
	fake_area(fa);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	check_refused(test, fa);

	/* A run no kernel preserved: nothing is taken, not even the others. */
	fa = build_area(test, 4, 0);
	stray = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stray);
	fa_chunk(fa, 0)->phys[2] = page_to_phys(stray);
	fake_area(fa);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&fa->kv));
	KUNIT_EXPECT_EQ(test, page_ref_count(stray), 1);
	__free_page(stray);
	check_refused(test, fa);
}

/*
 * A run named twice passes every check made before the pages are taken,
 * and is found only when the second entry is taken: then the runs and the
 * chunk taken are freed, the area that mapped them goes away, and what the
 * description did not reach stays reserved.
 */
static void vmalloc_restore_run_twice(struct kunit *test)
{
	struct fake_area *fa = build_area(test, 4, 0);
	unsigned long vmalloc_pages = vmalloc_nr_pages();

	fa_chunk(fa, 0)->phys[2] = fa_chunk(fa, 0)->phys[1];
	fake_area(fa);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_vmalloc_err(&fa->kv)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmalloc_nr_pages(), vmalloc_pages);
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fa->chunks[0]));
	KUNIT_EXPECT_EQ(test, page_ref_count(fa->chunks[0]), 0);
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fa->runs[0]));
	KUNIT_EXPECT_EQ(test, page_ref_count(fa->runs[0]), 0);
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fa->runs[1]));
	KUNIT_EXPECT_EQ(test, page_ref_count(fa->runs[1]), 0);
	/* Run 2 is named by no entry; run 3 comes after the bad one. */
	KUNIT_EXPECT_TRUE(test, kho_test_unfake_incoming(fa->runs[2]));
	__free_page(fa->runs[2]);
	KUNIT_EXPECT_TRUE(test, kho_test_unfake_incoming(fa->runs[3]));
	__free_page(fa->runs[3]);
	KUNIT_EXPECT_EQ(test, totalram_pages(), fa->totalram);
}

static struct kunit_case kho_vmalloc_cases[] = {
	KUNIT_CASE(vmalloc_preserve),
	KUNIT_CASE(vmalloc_restore_valid),
	KUNIT_CASE(vmalloc_restore_bad_description),
	KUNIT_CASE(vmalloc_restore_bad_chain),
	KUNIT_CASE(vmalloc_restore_run_twice),
	{}
};

static struct kunit_suite kho_vmalloc_suite = {
	.name = "kho_vmalloc",
	.test_cases = kho_vmalloc_cases,
};

kunit_test_suite(kho_vmalloc_suite);

MODULE_DESCRIPTION("KUnit tests for KHO vmalloc preservation");
MODULE_LICENSE("GPL");
