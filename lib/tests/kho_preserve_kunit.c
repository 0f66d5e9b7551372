// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for preserving memory with KHO: what the next kernel would
 * refuse, and refuse the whole handover for, must be refused at once.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>

#include "../../kernel/liveupdate/kexec_handover_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static void need_kho(struct kunit *test)
{
	if (!kho_is_enabled())
		kunit_skip(test, "KHO is off (kho=, or no room for scratch)");
}

/*
 * A page of KHO scratch: the next kernel boots in scratch and discards a
 * handover that holds any of it. Whoever owns the page now is not
 * disturbed, since nothing is recorded.
 */
static void preserve_in_scratch_refused(struct kunit *test)
{
	struct page *page = NULL;
	unsigned int i;

	need_kho(test);
	for (i = 0; i < kho_scratch_cnt && !page; i++)
		if (kho_scratch[i].size)
			page = pfn_to_page(PHYS_PFN(kho_scratch[i].addr +
						    kho_scratch[i].size / 2));
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_preserve_block(page_to_pfn(page), 0),
			-EINVAL);
}

/*
 * A block larger than the page allocator's largest, as a gigantic folio
 * would be: the next kernel cannot hand it back as a buddy block, and
 * refuses the handover.
 */
static void preserve_too_large_refused(struct kunit *test)
{
	unsigned long pfn = 1UL << (MAX_PAGE_ORDER + 1);
	int err;

	need_kho(test);
	err = kho_preserve_block(pfn, MAX_PAGE_ORDER + 1);
	if (!err)	/* Do not hand the bogus block over. */
		kho_radix_del_page(&kho_out.tree, pfn, MAX_PAGE_ORDER + 1);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
}

/* An ordinary allocation, outside scratch, is preserved and given back. */
static void preserve_outside_scratch(struct kunit *test)
{
	struct page *page;

	need_kho(test);
	page = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, kho_scratch_overlap(page_to_phys(page),
						     PAGE_SIZE << 2));
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page, 4), 0);
	kho_unpreserve_pages(page, 4);
	__free_pages(page, 2);
}

static struct kunit_case kho_preserve_cases[] = {
	KUNIT_CASE(preserve_in_scratch_refused),
	KUNIT_CASE(preserve_too_large_refused),
	KUNIT_CASE(preserve_outside_scratch),
	{}
};

static struct kunit_suite kho_preserve_suite = {
	.name = "kho_preserve",
	.test_cases = kho_preserve_cases,
};

kunit_test_suite(kho_preserve_suite);

MODULE_DESCRIPTION("KUnit tests for preserving memory with KHO");
MODULE_LICENSE("GPL");
