// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the memfd live update handler, included by memfd_luo.c
 * so that they drive its callbacks directly.
 *
 * A memfd "handed over by a previous kernel" is built by hand: a
 * description, its folio array in a vmalloc area description, and folios
 * with known contents, all made to look preserved with
 * kho_test_fake_incoming(). Retrieving it must give back a memfd with the
 * recorded size, position, mode, seals, contents, holes and folio orders;
 * finishing it unretrieved must free it; and each corruption of the
 * description must be refused without exposing or freeing a data folio.
 */
#include <kunit/test.h>

#include "../kernel/liveupdate/kexec_handover_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define TEST_NR_FOLIOS	3

/* Folio 0: data at index 0; folio 1: fallocated at 5; folio 2: data at 8. */
static const unsigned int test_orders[TEST_NR_FOLIOS] = { 0, 0, 2 };
static const pgoff_t test_index[TEST_NR_FOLIOS] = { 0, 5, 8 };
static const u32 test_flags[TEST_NR_FOLIOS] = {
	MEMFD_LUO_FOLIO_UPTODATE, 0, MEMFD_LUO_FOLIO_UPTODATE
};

static const u8 test_fill[TEST_NR_FOLIOS] = { 0xa5, 0, 0x3c };

#define TEST_SIZE	(11 * PAGE_SIZE + 100)
#define TEST_POS	1234
#define TEST_MODE	0640
#define TEST_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

struct fake_memfd {
	struct page *ser_page;
	struct page *chunk;
	struct page *array_page;
	struct page *folios[TEST_NR_FOLIOS];
	unsigned long totalram;
};

static struct memfd_luo_ser *fm_ser(struct fake_memfd *fm)
{
	return page_address(fm->ser_page);
}

static struct memfd_luo_folio_ser *fm_array(struct fake_memfd *fm)
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
	for (i = 0; i < TEST_NR_FOLIOS; i++) {
		fm->folios[i] = alloc_pages(GFP_KERNEL, test_orders[i]);
		KUNIT_ASSERT_NOT_NULL(test, fm->folios[i]);
		memset(page_address(fm->folios[i]), test_fill[i],
		       PAGE_SIZE << test_orders[i]);
		fm_array(fm)[i] = (struct memfd_luo_folio_ser) {
			.pfn = page_to_pfn(fm->folios[i]),
			.index = test_index[i],
			.order = test_orders[i],
			.flags = test_flags[i],
		};
	}

	chunk = page_address(fm->chunk);
	chunk->phys[0] = page_to_phys(fm->array_page);
	ser = fm_ser(fm);
	*ser = (struct memfd_luo_ser) {
		.pos = TEST_POS,
		.size = TEST_SIZE,
		.seals = TEST_SEALS,
		.mode = TEST_MODE,
		.nr_folios = TEST_NR_FOLIOS,
		.nr_pages = 6,
		.folios = {
			.first = page_to_phys(fm->chunk),
			.total_pages = 1,
			.flags = KHO_VMALLOC_ALLOC,
		},
	};
	return fm;
}

static void fm_fake(struct fake_memfd *fm)
{
	unsigned int i;

	kho_test_fake_incoming(fm->ser_page, 0);
	kho_test_fake_incoming(fm->chunk, 0);
	kho_test_fake_incoming(fm->array_page, 0);
	for (i = 0; i < TEST_NR_FOLIOS; i++)
		kho_test_fake_incoming(fm->folios[i], test_orders[i]);
}

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
 * After a refusal the description and every data folio must still be
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
	for (i = 0; i < TEST_NR_FOLIOS; i++) {
		KUNIT_EXPECT_TRUE_MSG(test,
				      kho_test_unfake_incoming(fm->folios[i]),
				      "folio %u was taken", i);
		__free_pages(fm->folios[i], test_orders[i]);
	}
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
	KUNIT_EXPECT_EQ(test, inode->i_blocks, 6 * (PAGE_SIZE >> 9));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 6);

	/* The data, the fallocated page and a hole all read right. */
	fm_expect_page(test, file, 0, 0xa5);
	fm_expect_page(test, file, 3, 0);
	fm_expect_page(test, file, 5, 0);
	fm_expect_page(test, file, 8, 0x3c);
	fm_expect_page(test, file, 11, 0x3c);

	/* The fallocated page is a hole for SEEK_DATA, as it was. */
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 0, SEEK_HOLE), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, PAGE_SIZE, SEEK_DATA),
			8 * PAGE_SIZE);

	/*
	 * The folios are the handed-over ones, with their orders; without
	 * THP shmem holds no large folio, and the order-2 one comes back as
	 * four pages (kunit.py's x86_64 config has no THP).
	 */
	folio = filemap_get_folio(mapping, 9);
	KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)) {
		KUNIT_EXPECT_PTR_EQ(test, &folio->page, fm->folios[2]);
		KUNIT_EXPECT_EQ(test, folio_order(folio), 2);
	} else {
		KUNIT_EXPECT_PTR_EQ(test, &folio->page, fm->folios[2] + 1);
		KUNIT_EXPECT_EQ(test, folio_order(folio), 0);
	}
	folio_put(folio);
	folio = filemap_get_folio(mapping, 5);
	KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
	KUNIT_EXPECT_FALSE(test, folio_test_uptodate(folio));
	folio_put(folio);

	/* Sealed against growing, as recorded. */
	KUNIT_EXPECT_EQ(test, vfs_truncate(&file->f_path, 2 * TEST_SIZE),
			-EPERM);
	fput(file);

	/* Nothing is left waiting, and the managed count is back. */
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fm->ser_page));
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fm->folios[0]));
	KUNIT_EXPECT_EQ(test, totalram_pages(), fm->totalram);
}

/* A folio recorded as fallocated that holds data was written late. */
static void memfd_retrieve_late_write(struct kunit *test)
{
	struct fake_memfd *fm = fm_build(test);
	struct file *file;

	memset(page_address(fm->folios[1]) + 17, 0x77, 1);
	fm_fake(fm);
	KUNIT_ASSERT_EQ(test, fm_retrieve(fm, &file), 0);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, PAGE_SIZE, SEEK_DATA),
			5 * PAGE_SIZE);
	fput(file);
	KUNIT_EXPECT_EQ(test, totalram_pages(), fm->totalram);
}

static void memfd_finish_unretrieved(struct kunit *test)
{
	struct fake_memfd *fm = fm_build(test);
	struct liveupdate_file_op_args args = {
		.handler = &memfd_luo_handler,
		.serialized_data = page_to_phys(fm->ser_page),
	};
	unsigned int i;

	fm_fake(fm);
	memfd_luo_ops.finish(&args);
	KUNIT_EXPECT_FALSE(test, kho_test_unfake_incoming(fm->ser_page));
	KUNIT_EXPECT_EQ(test, page_ref_count(fm->ser_page), 0);
	for (i = 0; i < TEST_NR_FOLIOS; i++) {
		KUNIT_EXPECT_FALSE(test,
				   kho_test_unfake_incoming(fm->folios[i]));
		KUNIT_EXPECT_EQ(test, page_ref_count(fm->folios[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, totalram_pages(), fm->totalram);
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

static void more_folios_than_pages(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_pages = 2;
}

static void array_for_no_folios(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_folios = 0;
	fm_ser(fm)->nr_pages = 0;
}

static void array_too_small(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_folios = PAGE_SIZE / sizeof(struct memfd_luo_folio_ser) + 1;
	fm_ser(fm)->nr_pages = 1000;
}

static void array_not_preserved(struct fake_memfd *fm)
{
	/* Inside a preserved block, not at its start. */
	fm_ser(fm)->folios.first = page_to_phys(fm->folios[2]) + PAGE_SIZE;
}

static void misaligned_index(struct fake_memfd *fm)
{
	fm_array(fm)[2].index = 9;
}

static void unordered_index(struct fake_memfd *fm)
{
	fm_array(fm)[1].index = 0;
}

static void index_past_eof(struct fake_memfd *fm)
{
	fm_array(fm)[2].index = 12;
}

static void unknown_folio_flags(struct fake_memfd *fm)
{
	fm_array(fm)[0].flags = 0x10;
}

static void order_too_large(struct fake_memfd *fm)
{
	fm_array(fm)[0].order = 2;
	fm_array(fm)[0].index = 0;
	fm_ser(fm)->nr_pages = 9;
}

static void impossible_order(struct fake_memfd *fm)
{
	fm_array(fm)[0].order = 200;
}

static void folio_not_preserved(struct fake_memfd *fm)
{
	/* A tail page of the order-2 block: never a block of its own. */
	fm_array(fm)[1].pfn = page_to_pfn(fm->folios[2]) + 1;
}

static void order_smaller_than_preserved(struct fake_memfd *fm)
{
	fm_array(fm)[2].order = 0;
	fm_ser(fm)->nr_pages = 3;
}

static void pfn_beyond_memory(struct fake_memfd *fm)
{
	fm_array(fm)[1].pfn = -1ULL;
}

static void wrong_page_count(struct fake_memfd *fm)
{
	fm_ser(fm)->nr_pages = 7;
}

static const struct memfd_corruption memfd_corruptions[] = {
	{ "unknown seal", -EOPNOTSUPP, bad_seals },
	{ "mode beyond permission bits", -EINVAL, bad_mode },
	{ "size beyond MAX_LFS_FILESIZE", -EINVAL, bad_size },
	{ "negative position", -EINVAL, bad_pos },
	{ "more folios than pages", -EINVAL, more_folios_than_pages },
	{ "array described for no folios", -EINVAL, array_for_no_folios },
	{ "array smaller than its entries", -EINVAL, array_too_small },
	{ "array not preserved", -EINVAL, array_not_preserved },
	{ "misaligned index", -EINVAL, misaligned_index },
	{ "indices out of order", -EINVAL, unordered_index },
	{ "index past the end", -EINVAL, index_past_eof },
	{ "unknown folio flags", -EINVAL, unknown_folio_flags },
	{ "order larger than preserved", -EINVAL, order_too_large },
	{ "impossible order", -EINVAL, impossible_order },
	{ "order smaller than preserved", -EINVAL,
	  order_smaller_than_preserved },
	{ "folio not preserved", -EINVAL, folio_not_preserved },
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
	for (i = 0; i < TEST_NR_FOLIOS; i++)
		__free_pages(fm->folios[i], test_orders[i]);
}

static struct kunit_case memfd_luo_cases[] = {
	KUNIT_CASE(memfd_retrieve_valid),
	KUNIT_CASE(memfd_retrieve_late_write),
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
