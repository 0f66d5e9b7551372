// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the memfd live update handler, included by memfd_luo.c
 * so that they drive its callbacks directly.
 *
 * A memfd "handed over by a previous kernel" is built by hand: a
 * description, its extent array in a vmalloc area description, and
 * memory with known contents, all made to look preserved with
 * kho_test_fake_incoming(). Retrieving it must give back a memfd with the
 * recorded size, position, mode, seals, contents, holes and folio orders;
 * finishing it unretrieved must free it; and each corruption of the
 * description must be refused without exposing or freeing a data folio.
 */
#include <kunit/test.h>

#include "../kernel/liveupdate/kexec_handover_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/*
 * Extent 0: a run of two pages at index 0, preserved as one order-1 block;
 * extent 1: one page at index 5; extent 2: two order-2 folios at index 8,
 * preserved one by one. Each extent's memory is one allocation.
 */
#define TEST_NR_EXTENTS	3

static const unsigned int test_alloc_order[TEST_NR_EXTENTS] = { 1, 0, 3 };
static const struct memfd_luo_extent_ser test_extents[TEST_NR_EXTENTS] = {
	{ .index = 0, .nr_folios = 2, .order = 0 },
	{ .index = 5, .nr_folios = 1, .order = 0 },
	{ .index = 8, .nr_folios = 2, .order = 2 },
};

static const u8 test_fill[TEST_NR_EXTENTS] = { 0xa5, 0x5a, 0x3c };

#define TEST_PAGES	11
#define TEST_SIZE	(17 * PAGE_SIZE + 100)
#define TEST_POS	1234
#define TEST_MODE	0640
#define TEST_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

struct fake_memfd {
	struct page *ser_page;
	struct page *chunk;
	struct page *array_page;
	struct page *mem[TEST_NR_EXTENTS];
	unsigned long totalram;
};

static struct memfd_luo_ser *fm_ser(struct fake_memfd *fm)
{
	return page_address(fm->ser_page);
}

static struct memfd_luo_extent_ser *fm_array(struct fake_memfd *fm)
{
	return page_address(fm->array_page);
}

static struct fake_memfd *fm_build(struct kunit *test)
{
	struct fake_memfd *fm = kunit_kzalloc(test, sizeof(*fm), GFP_KERNEL);
	struct kho_vmalloc_chunk *chunk;
	struct memfd_luo_ser *ser;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, fm);
	fm->totalram = totalram_pages();
	fm->ser_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	fm->chunk = alloc_page(GFP_KERNEL | __GFP_ZERO);
	fm->array_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_TRUE(test, fm->ser_page && fm->chunk && fm->array_page);
	for (i = 0; i < TEST_NR_EXTENTS; i++) {
		fm->mem[i] = alloc_pages(GFP_KERNEL, test_alloc_order[i]);
		KUNIT_ASSERT_NOT_NULL(test, fm->mem[i]);
		memset(page_address(fm->mem[i]), test_fill[i],
		       PAGE_SIZE << test_alloc_order[i]);
		fm_array(fm)[i] = test_extents[i];
		fm_array(fm)[i].pfn = page_to_pfn(fm->mem[i]);
	}

	chunk = page_address(fm->chunk);
	chunk->phys[0] = page_to_phys(fm->array_page);
	ser = fm_ser(fm);
	*ser = (struct memfd_luo_ser) {
		.pos = TEST_POS,
		.size = TEST_SIZE,
		.seals = TEST_SEALS,
		.mode = TEST_MODE,
		.nr_extents = TEST_NR_EXTENTS,
		.nr_pages = TEST_PAGES,
		.extents = {
			.first = page_to_phys(fm->chunk),
			.total_pages = 1,
			.flags = KHO_VMALLOC_ALLOC,
		},
	};
	return fm;
}

/* The blocks of the data, as kho_preserve_pages()/_folio() record them. */
static void fm_fake(struct fake_memfd *fm)
{
	kho_test_fake_incoming(fm->ser_page, 0);
	kho_test_fake_incoming(fm->chunk, 0);
	kho_test_fake_incoming(fm->array_page, 0);
	kho_test_fake_incoming(fm->mem[0], 1);
	kho_test_fake_incoming(fm->mem[1], 0);
	kho_test_fake_incoming(fm->mem[2], 2);
	kho_test_fake_incoming(fm->mem[2] + 4, 2);
}

/* The first page of every block fm_fake() made. */
static struct page *fm_block(struct fake_memfd *fm, unsigned int i)
{
	return i < TEST_NR_EXTENTS ? fm->mem[i] : fm->mem[2] + 4;
}

#define TEST_NR_BLOCKS	(TEST_NR_EXTENTS + 1)

static int fm_retrieve(struct fake_memfd *fm, struct file **file)
{
	struct liveupdate_file_op_args args = {
		.handler = &memfd_luo_handler,
		.serialized_data = page_to_phys(fm->ser_page),
	};
	int err = memfd_luo_ops.retrieve(&args);

	*file = args.file;
	return err;
}

/*
 * After a refusal the description and every data block must still be
 * waiting (taken back here and freed); the metadata pages may have been
 * taken and freed. Either way the managed page count is back.
 */
static void fm_check_refused(struct kunit *test, struct fake_memfd *fm)
{
	struct page *meta[] = { fm->chunk, fm->array_page };
	unsigned int i;

	KUNIT_EXPECT_TRUE(test, kho_test_unfake_incoming(fm->ser_page));
	__free_page(fm->ser_page);
	for (i = 0; i < ARRAY_SIZE(meta); i++) {
		if (kho_test_unfake_incoming(meta[i]))
			__free_page(meta[i]);
		else
			KUNIT_EXPECT_EQ(test, page_ref_count(meta[i]), 0);
	}
	for (i = 0; i < TEST_NR_BLOCKS; i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      kho_test_unfake_incoming(fm_block(fm, i)),
				      "block %u was taken", i);
	for (i = 0; i < TEST_NR_EXTENTS; i++)
		__free_pages(fm->mem[i], test_alloc_order[i]);
	KUNIT_EXPECT_EQ(test, totalram_pages(), fm->totalram);
}

static void fm_expect_page(struct kunit *test, struct file *file,
			   pgoff_t index, u8 fill)
{
	loff_t pos = (loff_t)index << PAGE_SHIFT;
	u8 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	size_t len = min_t(loff_t, PAGE_SIZE, TEST_SIZE - pos);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kernel_read(file, buf, len, &pos), (ssize_t)len);
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(buf, fill, len),
			      "page %lu is not all %#x", index, fill);
}

/* The f_mode bits every memfd is opened with. */
#define MEMFD_FMODE (FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS)

static void memfd_retrieve_valid(struct kunit *test)
{
	struct fake_memfd *fm = fm_build(test);
	struct address_space *mapping;
	struct folio *folio;
	struct inode *inode;
	struct file *file;
	unsigned int i;

	fm_fake(fm);
	KUNIT_ASSERT_EQ(test, fm_retrieve(fm, &file), 0);
	KUNIT_ASSERT_NOT_NULL(test, file);
	inode = file_inode(file);
	mapping = file->f_mapping;

	KUNIT_EXPECT_EQ(test, i_size_read(inode), TEST_SIZE);
	KUNIT_EXPECT_EQ(test, file->f_pos, TEST_POS);
	/*
	 * Opened as memfd_create() opens its files; 6.12.118 added
	 * FMODE_ATOMIC_POS there, so reads and writes through a shared
	 * file position are serialized on a retrieved memfd too.
	 */
	KUNIT_EXPECT_EQ(test, file->f_mode & MEMFD_FMODE, MEMFD_FMODE);
	KUNIT_EXPECT_TRUE(test, file->f_flags & O_LARGEFILE);
	KUNIT_EXPECT_EQ(test, inode->i_mode & 07777, TEST_MODE);
	KUNIT_EXPECT_EQ(test, memfd_get_seals(file), TEST_SEALS);
	KUNIT_EXPECT_EQ(test, inode->i_blocks, TEST_PAGES * (PAGE_SIZE >> 9));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, TEST_PAGES);

	/* The data of every extent and the holes read right. */
	fm_expect_page(test, file, 0, 0xa5);
	fm_expect_page(test, file, 1, 0xa5);
	fm_expect_page(test, file, 3, 0);
	fm_expect_page(test, file, 5, 0x5a);
	for (i = 8; i < 16; i++)
		fm_expect_page(test, file, i, 0x3c);
	fm_expect_page(test, file, 17, 0);

	/* Every recorded folio holds data; the rest are holes. */
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 0, SEEK_HOLE), 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 2 * PAGE_SIZE, SEEK_DATA),
			5 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 6 * PAGE_SIZE, SEEK_DATA),
			8 * PAGE_SIZE);

	/*
	 * The folios are the handed-over ones: a run of pages comes back as
	 * pages, a larger folio with its order; without THP shmem holds no
	 * large folio, and each order-2 one comes back as four pages
	 * (kunit.py's x86_64 config has no THP).
	 */
	folio = filemap_get_folio(mapping, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
	KUNIT_EXPECT_PTR_EQ(test, &folio->page, fm->mem[0] + 1);
	KUNIT_EXPECT_EQ(test, folio_order(folio), 0);
	folio_put(folio);
	folio = filemap_get_folio(mapping, 13);
	KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)) {
		KUNIT_EXPECT_PTR_EQ(test, &folio->page, fm->mem[2] + 4);
		KUNIT_EXPECT_EQ(test, folio_order(folio), 2);
	} else {
		KUNIT_EXPECT_PTR_EQ(test, &folio->page, fm->mem[2] + 5);
		KUNIT_EXPECT_EQ(test, folio_order(folio), 0);
	}
	folio_put(folio);

	/* Sealed against growing, as recorded. */
	KUNIT_EXPECT_EQ(test, vfs_truncate(&file->f_path, 2 * TEST_SIZE),
			-EPERM);
	fput(file);

	/* Nothing is left waiting, and the managed count is back. */
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fm->ser_page));
	for (i = 0; i < TEST_NR_BLOCKS; i++)
		KUNIT_EXPECT_FALSE(test,
				   kho_test_unfake_incoming(fm_block(fm, i)));
	KUNIT_EXPECT_EQ(test, totalram_pages(), fm->totalram);
}

static void memfd_finish_unretrieved(struct kunit *test)
{
	struct fake_memfd *fm = fm_build(test);
	struct liveupdate_file_op_args args = {
		.handler = &memfd_luo_handler,
		.serialized_data = page_to_phys(fm->ser_page),
	};
	unsigned int i, j;

	fm_fake(fm);
	memfd_luo_ops.finish(&args);
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fm->ser_page));
	KUNIT_EXPECT_EQ(test, page_ref_count(fm->ser_page), 0);
	for (i = 0; i < TEST_NR_BLOCKS; i++)
		KUNIT_EXPECT_FALSE(test,
				   kho_test_unfake_incoming(fm_block(fm, i)));
	for (i = 0; i < TEST_NR_EXTENTS; i++)
		for (j = 0; j < 1U << test_alloc_order[i]; j++)
			KUNIT_EXPECT_EQ(test, page_ref_count(fm->mem[i] + j), 0);
	KUNIT_EXPECT_EQ(test, totalram_pages(), fm->totalram);
}

/*
 * The writer's side: folios that follow each other in the file and in
 * memory with one order make one extent, and an extent ends at a gap in
 * either, at a change of order, and at a run of MEMFD_LUO_EXTENT_PAGES.
 */
static void memfd_extents_of_folios(struct kunit *test)
{
	const unsigned long end = 3 * MEMFD_LUO_EXTENT_PAGES;
	const struct memfd_luo_extent_ser e = {
		.pfn = end - 8, .index = 16, .nr_folios = 2, .order = 2,
	};
	const struct memfd_luo_extent_ser f = {
		.pfn = end - 16, .index = 16, .nr_folios = 2, .order = 2,
	};
	static const pgoff_t index[] = { 10, 11, 12, 13, 20 };
	static const unsigned int page_of[] = { 0, 1, 2, 4, 5 };
	struct memfd_luo_extent_ser out[4];
	struct folio *folios[ARRAY_SIZE(index) + 1];
	unsigned long nr_pages;
	struct folio *large;
	struct page *pages;
	unsigned int i;

	/* e covers the last 8 pages below a run boundary, f the 8 before. */
	KUNIT_EXPECT_TRUE(test, memfd_luo_extends(&f, end - 8, 24, 2));
	KUNIT_EXPECT_FALSE(test, memfd_luo_extends(&f, end - 8, 24, 1));
	KUNIT_EXPECT_FALSE(test, memfd_luo_extends(&f, end - 4, 24, 2));
	KUNIT_EXPECT_FALSE(test, memfd_luo_extends(&f, end - 8, 25, 2));
	KUNIT_EXPECT_FALSE(test, memfd_luo_extends(&e, end, 24, 2));

	pages = alloc_pages(GFP_KERNEL, 3);
	large = folio_alloc(GFP_KERNEL, 2);
	KUNIT_ASSERT_TRUE(test, pages && large);
	for (i = 0; i < ARRAY_SIZE(index); i++) {
		folios[i] = page_folio(pages + page_of[i]);
		folios[i]->index = index[i];
	}
	large->index = 24;
	folios[i] = large;

	KUNIT_EXPECT_EQ(test, memfd_luo_fill_extents(folios, i + 1, NULL,
						     &nr_pages), 4);
	KUNIT_EXPECT_EQ(test, nr_pages, 9);
	KUNIT_ASSERT_EQ(test, memfd_luo_fill_extents(folios, i + 1, out,
						     &nr_pages), 4);
	/* Pages 0-2 at 10-12; page 4 at 13 (a gap in memory); 20; large. */
	KUNIT_EXPECT_EQ(test, out[0].pfn, page_to_pfn(pages));
	KUNIT_EXPECT_EQ(test, out[0].index, 10);
	KUNIT_EXPECT_EQ(test, out[0].nr_folios, 3);
	KUNIT_EXPECT_EQ(test, out[0].order, 0);
	KUNIT_EXPECT_EQ(test, out[1].pfn, page_to_pfn(pages + 4));
	KUNIT_EXPECT_EQ(test, out[1].index, 13);
	KUNIT_EXPECT_EQ(test, out[1].nr_folios, 1);
	KUNIT_EXPECT_EQ(test, out[2].index, 20);
	KUNIT_EXPECT_EQ(test, out[2].nr_folios, 1);
	KUNIT_EXPECT_EQ(test, out[3].pfn, folio_pfn(large));
	KUNIT_EXPECT_EQ(test, out[3].index, 24);
	KUNIT_EXPECT_EQ(test, out[3].order, 2);

	for (i = 0; i < ARRAY_SIZE(index); i++)
		folios[i]->index = 0;
	large->index = 0;
	folio_put(large);
	__free_pages(pages, 3);
}

/* One way a previous kernel could get the description wrong. */
struct memfd_corruption {
	const char *what;
	int err;
	void (*corrupt)(struct fake_memfd *fm);
};

static void bad_seals(struct fake_memfd *fm)
{
	fm_ser(fm)->seals |= 0x8000;
}

static void bad_mode(struct fake_memfd *fm)
{
	fm_ser(fm)->mode = 010644;
}

static void bad_size(struct fake_memfd *fm)
{
	fm_ser(fm)->size = (u64)MAX_LFS_FILESIZE + 1;
}

static void bad_pos(struct fake_memfd *fm)
{
	fm_ser(fm)->pos = -1ULL;
}

static void more_extents_than_pages(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_pages = 2;
}

static void array_for_no_extents(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_extents = 0;
	fm_ser(fm)->nr_pages = 0;
}

static void array_too_small(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_extents =
		PAGE_SIZE / sizeof(struct memfd_luo_extent_ser) + 1;
	fm_ser(fm)->nr_pages = 10000;
}

static void array_not_preserved(struct fake_memfd *fm)
{
	/* Inside a preserved block, not at its start. */
	fm_ser(fm)->extents.first = page_to_phys(fm->mem[2]) + PAGE_SIZE;
}

static void misaligned_index(struct fake_memfd *fm)
{
	fm_array(fm)[2].index = 9;
}

static void unordered_index(struct fake_memfd *fm)
{
	fm_array(fm)[1].index = 0;
}

static void overlapping_extents(struct fake_memfd *fm)
{
	/* Starts on the second page of extent 0. */
	fm_array(fm)[1].index = 1;
}

static void extent_past_eof(struct fake_memfd *fm)
{
	/* Starts below the end, reaches past it. */
	fm_array(fm)[2].index = 16;
}

static void empty_extent(struct fake_memfd *fm)
{
	fm_array(fm)[1].nr_folios = 0;
	fm_ser(fm)->nr_pages = TEST_PAGES - 1;
}

static void extent_too_long(struct fake_memfd *fm)
{
	fm_array(fm)[1].nr_folios = MEMFD_LUO_EXTENT_PAGES + 1;
	fm_ser(fm)->nr_pages = TEST_PAGES + MEMFD_LUO_EXTENT_PAGES;
	fm_ser(fm)->size = (u64)SZ_1G;
}

static void order_too_large(struct fake_memfd *fm)
{
	fm_array(fm)[2].order = 3;
	fm_array(fm)[2].nr_folios = 1;
}

static void impossible_order(struct fake_memfd *fm)
{
	fm_array(fm)[0].order = 200;
}

static void folio_not_preserved(struct fake_memfd *fm)
{
	/* A tail page of an order-2 block: never a block of its own. */
	fm_array(fm)[1].pfn = page_to_pfn(fm->mem[2]) + 1;
}

static void run_not_its_blocks(struct fake_memfd *fm)
{
	/* Eight pages would be one order-3 block, not two of order 2. */
	fm_array(fm)[2].order = 0;
	fm_array(fm)[2].nr_folios = 8;
}

static void run_longer_than_preserved(struct fake_memfd *fm)
{
	/* The order-1 block holds two pages, not three. */
	fm_array(fm)[0].nr_folios = 3;
	fm_ser(fm)->nr_pages = TEST_PAGES + 1;
}

static void misaligned_pfn(struct fake_memfd *fm)
{
	fm_array(fm)[2].pfn += 2;
}

static void pfn_beyond_memory(struct fake_memfd *fm)
{
	fm_array(fm)[1].pfn = -1ULL;
}

static void wrong_page_count(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_pages = TEST_PAGES + 1;
}

static const struct memfd_corruption memfd_corruptions[] = {
	{ "unknown seal", -EOPNOTSUPP, bad_seals },
	{ "mode beyond permission bits", -EINVAL, bad_mode },
	{ "size beyond MAX_LFS_FILESIZE", -EINVAL, bad_size },
	{ "negative position", -EINVAL, bad_pos },
	{ "more extents than pages", -EINVAL, more_extents_than_pages },
	{ "array described for no extents", -EINVAL, array_for_no_extents },
	{ "array smaller than its entries", -EINVAL, array_too_small },
	{ "array not preserved", -EINVAL, array_not_preserved },
	{ "misaligned index", -EINVAL, misaligned_index },
	{ "indices out of order", -EINVAL, unordered_index },
	{ "extents overlap", -EINVAL, overlapping_extents },
	{ "extent past the end", -EINVAL, extent_past_eof },
	{ "empty extent", -EINVAL, empty_extent },
	{ "extent too long", -EINVAL, extent_too_long },
	{ "order larger than preserved", -EINVAL, order_too_large },
	{ "impossible order", -EINVAL, impossible_order },
	{ "folio not preserved", -EINVAL, folio_not_preserved },
	{ "run not preserved as its blocks", -EINVAL, run_not_its_blocks },
	{ "run longer than preserved", -EINVAL, run_longer_than_preserved },
	{ "misaligned pfn", -EINVAL, misaligned_pfn },
	{ "pfn beyond memory", -EINVAL, pfn_beyond_memory },
	{ "page count off", -EINVAL, wrong_page_count },
};

static void memfd_corruption_desc(const struct memfd_corruption *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(memfd_corruption, memfd_corruptions, memfd_corruption_desc);

static void memfd_retrieve_corrupted(struct kunit *test)
{
	const struct memfd_corruption *c = test->param_value;
	struct fake_memfd *fm = fm_build(test);
	struct file *file;

	c->corrupt(fm);
	fm_fake(fm);
	KUNIT_EXPECT_EQ(test, fm_retrieve(fm, &file), c->err);
	KUNIT_EXPECT_NULL(test, file);
	fm_check_refused(test, fm);
}

/* An unretrieved memfd with a bad description is left reserved too. */
static void memfd_finish_corrupted(struct kunit *test)
{
	struct fake_memfd *fm = fm_build(test);
	struct liveupdate_file_op_args args = {
		.handler = &memfd_luo_handler,
		.serialized_data = page_to_phys(fm->ser_page),
	};

	wrong_page_count(fm);
	fm_fake(fm);
	memfd_luo_ops.finish(&args);
	fm_check_refused(test, fm);
}

/* The description of an unreserved address is never read. */
static void memfd_retrieve_unpreserved(struct kunit *test)
{
	struct fake_memfd *fm = fm_build(test);
	struct file *file;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, fm_retrieve(fm, &file), -EINVAL);
	__free_page(fm->ser_page);
	__free_page(fm->chunk);
	__free_page(fm->array_page);
	for (i = 0; i < TEST_NR_EXTENTS; i++)
		__free_pages(fm->mem[i], test_alloc_order[i]);
}

static struct kunit_case memfd_luo_cases[] = {
	KUNIT_CASE(memfd_retrieve_valid),
	KUNIT_CASE(memfd_extents_of_folios),
	KUNIT_CASE(memfd_finish_unretrieved),
	KUNIT_CASE_PARAM(memfd_retrieve_corrupted, memfd_corruption_gen_params),
	KUNIT_CASE(memfd_finish_corrupted),
	KUNIT_CASE(memfd_retrieve_unpreserved),
	{}
};

static struct kunit_suite memfd_luo_suite = {
	.name = "memfd_luo",
	.test_cases = memfd_luo_cases,
};

kunit_test_suite(memfd_luo_suite);
