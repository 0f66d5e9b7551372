// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the hugetlb memfd live update handler, included by
 * memfd_luo_hugetlb.c so that they drive its callbacks directly.
 *
 * A hugetlb memfd "handed over by a previous kernel" is built by hand: a
 * description, its folio array in a vmalloc area description, two 2 MiB
 * blocks with known contents, all made to look preserved with
 * kho_test_fake_incoming(), and the hugetlb state (the FLB) the handler
 * checks it against. Retrieving it must give back a hugetlb memfd with
 * the recorded size, position, mode, seals and contents, whose huge pages
 * are the handed-over blocks, counted as surplus pages until it is
 * closed; finishing it unretrieved must free the blocks; each corruption
 * of the description must be refused without a block being taken.
 */
#include <kunit/test.h>

#include "../kernel/liveupdate/kexec_handover_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define HT_ORDER	9		/* 2 MiB pages */
#define HT_NR		2		/* huge pages handed over */
#define HT_FILE_PAGES	4		/* the file's size in huge pages */
#define HT_POS		4321
#define HT_MODE		0604
#define HT_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

static const pgoff_t ht_index[HT_NR] = { 0, 2 };
static const u8 ht_fill[HT_NR] = { 0x6b, 0xb6 };

struct fake_hugetlb {
	struct page *ser_page;
	struct page *chunk;
	struct page *array_page;
	struct page *mem[HT_NR];
	unsigned int order;
	struct hugetlb_luo_flb_in flb;
	unsigned long totalram;
};

static struct memfd_hugetlb_luo_ser *fh_ser(struct fake_hugetlb *fh)
{
	return page_address(fh->ser_page);
}

static struct memfd_hugetlb_folio_ser *fh_array(struct fake_hugetlb *fh)
{
	return page_address(fh->array_page);
}

static void fh_exit(void *unused)
{
	hugetlb_luo_kunit_flb = NULL;
}

/* A description of HT_NR huge pages of @order, and the matching FLB. */
static struct fake_hugetlb *fh_build(struct kunit *test, unsigned int order)
{
	struct fake_hugetlb *fh = kunit_kzalloc(test, sizeof(*fh), GFP_KERNEL);
	struct kho_vmalloc_chunk *chunk;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, fh);
	fh->order = order;
	fh->totalram = totalram_pages();
	fh->ser_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	fh->chunk = alloc_page(GFP_KERNEL | __GFP_ZERO);
	fh->array_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_TRUE(test, fh->ser_page && fh->chunk && fh->array_page);
	for (i = 0; i < HT_NR; i++) {
		fh->mem[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		KUNIT_ASSERT_NOT_NULL(test, fh->mem[i]);
		memset(page_address(fh->mem[i]), ht_fill[i], PAGE_SIZE << order);
		fh_array(fh)[i].pfn = page_to_pfn(fh->mem[i]);
		fh_array(fh)[i].index = ht_index[i];
	}
	chunk = page_address(fh->chunk);
	chunk->phys[0] = page_to_phys(fh->array_page);
	*fh_ser(fh) = (struct memfd_hugetlb_luo_ser) {
		.pos = HT_POS,
		.size = (u64)HT_FILE_PAGES << (PAGE_SHIFT + order),
		.seals = HT_SEALS,
		.mode = HT_MODE,
		.order = order,
		.nr_folios = HT_NR,
		.folios = {
			.first = page_to_phys(fh->chunk),
			.total_pages = 1,
			.flags = KHO_VMALLOC_ALLOC,
		},
	};
	fh->flb.ser.nr_sizes = 1;
	fh->flb.ser.sizes[0].order = order;
	fh->flb.ser.sizes[0].nr_folios = HT_NR;
	mutex_init(&fh->flb.lock);
	hugetlb_luo_kunit_flb = &fh->flb;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fh_exit, NULL), 0);
	return fh;
}

/* Each huge page as one block of its order, as kho_preserve_pages() does. */
static void fh_fake(struct fake_hugetlb *fh)
{
	unsigned int i;

	kho_test_fake_incoming(fh->ser_page, 0);
	kho_test_fake_incoming(fh->chunk, 0);
	kho_test_fake_incoming(fh->array_page, 0);
	for (i = 0; i < HT_NR; i++)
		kho_test_fake_incoming(fh->mem[i], fh->order);
}

static int fh_retrieve(struct fake_hugetlb *fh, struct file **file)
{
	struct liveupdate_file_op_args args = {
		.handler = &memfd_hugetlb_luo_handler,
		.serialized_data = page_to_phys(fh->ser_page),
	};
	int err = memfd_hugetlb_luo_ops.retrieve(&args);

	*file = args.file;
	return err;
}

/*
 * After a refusal the description and every huge page must still be
 * waiting (taken back here and freed); the metadata pages may have been
 * taken and freed. Either way the managed page count is back.
 */
static void fh_check_refused(struct kunit *test, struct fake_hugetlb *fh)
{
	struct page *meta[] = { fh->chunk, fh->array_page };
	unsigned int i;

	KUNIT_EXPECT_TRUE(test, kho_test_unfake_incoming(fh->ser_page));
	__free_page(fh->ser_page);
	for (i = 0; i < ARRAY_SIZE(meta); i++) {
		if (kho_test_unfake_incoming(meta[i]))
			__free_page(meta[i]);
		else
			KUNIT_EXPECT_EQ(test, page_ref_count(meta[i]), 0);
	}
	for (i = 0; i < HT_NR; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, kho_test_unfake_incoming(fh->mem[i]),
				      "huge page %u was taken", i);
		__free_pages(fh->mem[i], fh->order);
	}
	KUNIT_EXPECT_EQ(test, totalram_pages(), fh->totalram);
}

/* The huge pages are free again: nothing waits, no reference is left. */
static void fh_check_freed(struct kunit *test, struct fake_hugetlb *fh)
{
	unsigned int i;

	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fh->ser_page));
	for (i = 0; i < HT_NR; i++) {
		KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fh->mem[i]));
		KUNIT_EXPECT_EQ(test, page_ref_count(fh->mem[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, totalram_pages(), fh->totalram);
}

static struct hstate *ht_hstate(struct kunit *test)
{
	struct hstate *h = size_to_hstate(PAGE_SIZE << HT_ORDER);

	if (!h)
		kunit_skip(test, "no hugetlb size of 2 MiB");
	return h;
}

static void hugetlb_retrieve_valid(struct kunit *test)
{
	struct hstate *h = ht_hstate(test);
	unsigned long surplus = h->surplus_huge_pages;
	unsigned long total = h->nr_huge_pages;
	struct fake_hugetlb *fh = fh_build(test, HT_ORDER);
	u8 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct folio *folio;
	struct inode *inode;
	struct file *file;
	unsigned int i;
	loff_t pos;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	fh_fake(fh);
	KUNIT_ASSERT_EQ(test, fh_retrieve(fh, &file), 0);
	KUNIT_ASSERT_NOT_NULL(test, file);
	inode = file_inode(file);

	KUNIT_EXPECT_TRUE(test, is_file_hugepages(file));
	KUNIT_EXPECT_PTR_EQ(test, hstate_file(file), h);
	KUNIT_EXPECT_EQ(test, i_size_read(inode),
			(loff_t)HT_FILE_PAGES << (PAGE_SHIFT + HT_ORDER));
	KUNIT_EXPECT_EQ(test, file->f_pos, HT_POS);
	KUNIT_EXPECT_EQ(test, inode->i_mode & 07777, HT_MODE);
	KUNIT_EXPECT_EQ(test, memfd_get_seals(file), HT_SEALS);
	KUNIT_EXPECT_EQ(test, inode->i_blocks,
			(blkcnt_t)HT_NR << (HT_ORDER + PAGE_SHIFT - 9));
	/* Adopted as surplus pages in use. */
	KUNIT_EXPECT_EQ(test, h->surplus_huge_pages, surplus + HT_NR);
	KUNIT_EXPECT_EQ(test, h->nr_huge_pages, total + HT_NR);
	KUNIT_EXPECT_EQ(test, hugetlb_luo_kunit_flb->adopted[0], HT_NR);

	for (i = 0; i < HT_NR; i++) {
		folio = filemap_get_folio(file->f_mapping,
					  ht_index[i] << HT_ORDER);
		KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
		KUNIT_EXPECT_PTR_EQ(test, &folio->page, fh->mem[i]);
		KUNIT_EXPECT_TRUE(test, folio_test_hugetlb(folio));
		KUNIT_EXPECT_EQ(test, folio_order(folio), HT_ORDER);
		folio_put(folio);
		/* The last base page of each huge page holds its bytes. */
		pos = ((loff_t)(ht_index[i] + 1) << (PAGE_SHIFT + HT_ORDER)) -
		      PAGE_SIZE;
		KUNIT_ASSERT_EQ(test, kernel_read(file, buf, PAGE_SIZE, &pos),
				(ssize_t)PAGE_SIZE);
		KUNIT_EXPECT_NULL(test, memchr_inv(buf, ht_fill[i], PAGE_SIZE));
	}
	/* A hole reads as zeros and holds no page. */
	pos = (loff_t)1 << (PAGE_SHIFT + HT_ORDER);
	KUNIT_ASSERT_EQ(test, kernel_read(file, buf, PAGE_SIZE, &pos),
			(ssize_t)PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, IS_ERR(filemap_get_folio(file->f_mapping,
							 1 << HT_ORDER)));

	/* Closing frees the surplus pages to the page allocator. */
	fput(file);
	flush_delayed_fput();
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, h->surplus_huge_pages, surplus);
	KUNIT_EXPECT_EQ(test, h->nr_huge_pages, total);
	fh_check_freed(test, fh);
}

static void hugetlb_finish_unretrieved(struct kunit *test)
{
	struct fake_hugetlb *fh = fh_build(test, HT_ORDER);
	struct liveupdate_file_op_args args = {
		.handler = &memfd_hugetlb_luo_handler,
		.serialized_data = page_to_phys(fh->ser_page),
	};

	fh_fake(fh);
	memfd_hugetlb_luo_ops.finish(&args);
	KUNIT_EXPECT_EQ(test, hugetlb_luo_kunit_flb->adopted[0], 0);
	fh_check_freed(test, fh);
}

/*
 * A size this kernel has no hugetlb pool for (4 MiB on x86) is refused
 * with -EOPNOTSUPP, and its pages are freed, not left reserved.
 */
static void hugetlb_size_unknown(struct kunit *test)
{
	struct fake_hugetlb *fh;
	struct file *file;

	if (size_to_hstate(PAGE_SIZE << MAX_PAGE_ORDER))
		kunit_skip(test, "this kernel has huge pages of the largest order");
	fh = fh_build(test, MAX_PAGE_ORDER);
	fh_fake(fh);
	KUNIT_EXPECT_EQ(test, fh_retrieve(fh, &file), -EOPNOTSUPP);
	KUNIT_EXPECT_NULL(test, file);
	fh_check_freed(test, fh);
}

struct hugetlb_corruption {
	const char *what;
	int err;
	void (*corrupt)(struct fake_hugetlb *fh);
};

static void bad_seals(struct fake_hugetlb *fh)
{
	fh_ser(fh)->seals |= 0x8000;
}

static void bad_mode(struct fake_hugetlb *fh)
{
	fh_ser(fh)->mode = 010644;
}

static void size_not_huge(struct fake_hugetlb *fh)
{
	fh_ser(fh)->size -= PAGE_SIZE;
}

static void bad_pos(struct fake_hugetlb *fh)
{
	fh_ser(fh)->pos = -1ULL;
}

static void order_zero(struct fake_hugetlb *fh)
{
	fh_ser(fh)->order = 0;
}

static void order_impossible(struct fake_hugetlb *fh)
{
	fh_ser(fh)->order = 60;
}

static void reserved_set(struct fake_hugetlb *fh)
{
	fh_ser(fh)->reserved = 1;
}

static void more_than_size(struct fake_hugetlb *fh)
{
	fh_ser(fh)->size = (u64)1 << (PAGE_SHIFT + HT_ORDER);
}

static void more_than_flb(struct fake_hugetlb *fh)
{
	fh->flb.ser.sizes[0].nr_folios = HT_NR - 1;
}

static void size_not_in_flb(struct fake_hugetlb *fh)
{
	fh->flb.ser.sizes[0].order = HT_ORDER + 1;
}

static void array_for_none(struct fake_hugetlb *fh)
{
	fh_ser(fh)->nr_folios = 0;
}

static void array_too_small(struct fake_hugetlb *fh)
{
	fh_ser(fh)->nr_folios = PAGE_SIZE / sizeof(struct memfd_hugetlb_folio_ser) + 1;
	fh_ser(fh)->size = (u64)fh_ser(fh)->nr_folios << (PAGE_SHIFT + HT_ORDER);
	fh->flb.ser.sizes[0].nr_folios = fh_ser(fh)->nr_folios;
}

static void array_not_preserved(struct fake_hugetlb *fh)
{
	fh_ser(fh)->folios.first = 0;
}

static void same_index(struct fake_hugetlb *fh)
{
	fh_array(fh)[1].index = fh_array(fh)[0].index;
}

static void index_past_eof(struct fake_hugetlb *fh)
{
	fh_array(fh)[1].index = HT_FILE_PAGES;
}

static void misaligned_pfn(struct fake_hugetlb *fh)
{
	fh_array(fh)[1].pfn += 1;
}

static void pfn_beyond_memory(struct fake_hugetlb *fh)
{
	fh_array(fh)[1].pfn = PHYS_PFN(PHYS_ADDR_MAX) & ~((1ULL << HT_ORDER) - 1);
}

static void same_page_twice(struct fake_hugetlb *fh)
{
	fh_array(fh)[1].pfn = fh_array(fh)[0].pfn;
}

static void page_not_preserved(struct fake_hugetlb *fh)
{
	/* The 2 MiB below the second huge page, which nothing preserved. */
	fh_array(fh)[1].pfn -= 1UL << HT_ORDER;
}

static const struct hugetlb_corruption hugetlb_corruptions[] = {
	{ "unknown seal", -EOPNOTSUPP, bad_seals },
	{ "mode beyond permission bits", -EINVAL, bad_mode },
	{ "size not a multiple of the page size", -EINVAL, size_not_huge },
	{ "negative position", -EINVAL, bad_pos },
	{ "order 0", -EINVAL, order_zero },
	{ "impossible order", -EINVAL, order_impossible },
	{ "reserved field set", -EINVAL, reserved_set },
	{ "more huge pages than the size holds", -EINVAL, more_than_size },
	{ "more huge pages than the FLB", -EINVAL, more_than_flb },
	{ "size not in the FLB", -EINVAL, size_not_in_flb },
	{ "array described for no pages", -EINVAL, array_for_none },
	{ "array smaller than its entries", -EINVAL, array_too_small },
	{ "array not preserved", -EINVAL, array_not_preserved },
	{ "the same index twice", -EINVAL, same_index },
	{ "index past the end", -EINVAL, index_past_eof },
	{ "misaligned pfn", -EINVAL, misaligned_pfn },
	{ "pfn beyond memory", -EINVAL, pfn_beyond_memory },
	{ "the same page twice", -EINVAL, same_page_twice },
	{ "page not preserved", -EINVAL, page_not_preserved },
};

static void hugetlb_corruption_desc(const struct hugetlb_corruption *c,
				    char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hugetlb_corruption, hugetlb_corruptions,
		  hugetlb_corruption_desc);

static void hugetlb_retrieve_corrupted(struct kunit *test)
{
	const struct hugetlb_corruption *c = test->param_value;
	struct fake_hugetlb *fh;
	struct file *file;

	ht_hstate(test);
	fh = fh_build(test, HT_ORDER);
	c->corrupt(fh);
	fh_fake(fh);
	KUNIT_EXPECT_EQ(test, fh_retrieve(fh, &file), c->err);
	KUNIT_EXPECT_NULL(test, file);
	fh_check_refused(test, fh);
}

/* An unretrieved memfd with a bad description is left reserved too. */
static void hugetlb_finish_corrupted(struct kunit *test)
{
	struct fake_hugetlb *fh = fh_build(test, HT_ORDER);
	struct liveupdate_file_op_args args = {
		.handler = &memfd_hugetlb_luo_handler,
		.serialized_data = page_to_phys(fh->ser_page),
	};

	same_index(fh);
	fh_fake(fh);
	memfd_hugetlb_luo_ops.finish(&args);
	fh_check_refused(test, fh);
}

/* The FLB's record: impossible counts of sizes are refused. */
static void hugetlb_flb_corrupted(struct kunit *test)
{
	struct hugetlb_luo_flb_ser bad[] = {
		{ .nr_sizes = HUGETLB_LUO_MAX_SIZES + 1 },
		{ .nr_sizes = 2, .sizes = { { .order = 9 }, { .order = 9 } } },
		{ .nr_sizes = 1, .sizes = { { .order = 64 } } },
		{ .nr_sizes = 1, .reserved = 1 },
	};
	struct liveupdate_flb_op_args args = { .flb = &hugetlb_luo_flb };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

		KUNIT_ASSERT_NOT_NULL(test, page);
		memcpy(page_address(page), &bad[i], sizeof(bad[i]));
		kho_test_fake_incoming(page, 0);
		args.data = page_to_phys(page);
		args.obj = NULL;
		KUNIT_EXPECT_EQ_MSG(test, hugetlb_luo_flb_retrieve(&args),
				    -EINVAL, "record %u", i);
		KUNIT_EXPECT_NULL(test, args.obj);
		/* Read once, then given back: nothing of it waits. */
		KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(page));
	}
}

static struct kunit_case memfd_luo_hugetlb_cases[] = {
	KUNIT_CASE(hugetlb_retrieve_valid),
	KUNIT_CASE(hugetlb_finish_unretrieved),
	KUNIT_CASE(hugetlb_size_unknown),
	KUNIT_CASE_PARAM(hugetlb_retrieve_corrupted,
			 hugetlb_corruption_gen_params),
	KUNIT_CASE(hugetlb_finish_corrupted),
	KUNIT_CASE(hugetlb_flb_corrupted),
	{}
};

static struct kunit_suite memfd_luo_hugetlb_suite = {
	.name = "memfd_luo_hugetlb",
	.test_cases = memfd_luo_hugetlb_cases,
};

kunit_test_suite(memfd_luo_hugetlb_suite);
