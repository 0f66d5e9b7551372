// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kernel image compatibility tables: finding and reading
 * one in an image, this kernel's own list against what it registers, and
 * tables as a careless or hostile image file could carry them.
 */
#include <kunit/test.h>
#include <linux/crc32.h>
#include <linux/kexec_handover.h>
#include <linux/kho/image_table.h>
#include <linux/string.h>

#include "../../kernel/liveupdate/kexec_handover_internal.h"
#include "../../kernel/liveupdate/luo_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define IMAGE_SIZE	8192
#define TABLE_AT	1024

static const char test_strings[] = "kho-root-v1-kho-radix-v1\0memfd-x-v1\0";
#define TEST_SIZE	(sizeof(test_strings) - 1)
#define TEST_COUNT	2

/*
 * A fake image: bytes that are no table (and one misaligned magic), then
 * a table of @size bytes of @strings at TABLE_AT.
 */
static u8 *image_with(struct kunit *test, const char *strings, u32 size,
		      u32 count)
{
	u8 *image = kunit_kzalloc(test, IMAGE_SIZE, GFP_KERNEL);
	struct kho_image_table *t;

	KUNIT_ASSERT_NOT_NULL(test, image);
	memset(image, 0x5a, TABLE_AT);
	memcpy(image + 13, KHO_IMAGE_TABLE_MAGIC, KHO_IMAGE_TABLE_MAGIC_LEN);
	t = (struct kho_image_table *)(image + TABLE_AT);
	memcpy(t->magic, KHO_IMAGE_TABLE_MAGIC, KHO_IMAGE_TABLE_MAGIC_LEN);
	t->version = cpu_to_le32(KHO_IMAGE_TABLE_VERSION);
	t->count = cpu_to_le32(count);
	t->size = cpu_to_le32(size);
	memcpy(t->strings, strings, size);
	t->crc32 = cpu_to_le32(crc32_le(~0, t->strings, size) ^ ~0);
	return image;
}

static struct kho_image_table *table_of(u8 *image)
{
	return (struct kho_image_table *)(image + TABLE_AT);
}

/* The checksum is zlib's CRC-32, which host tools compute the same way. */
static void image_table_crc(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, crc32_le(~0, "123456789", 9) ^ ~0, 0xcbf43926);
}

static void image_table_found(struct kunit *test)
{
	u8 *image = image_with(test, test_strings, TEST_SIZE, TEST_COUNT);
	const struct kho_image_table *t;
	const char *why, *s;
	int n = 0;

	KUNIT_ASSERT_EQ(test, kho_image_table_find(image, IMAGE_SIZE, &t, &why),
			0);
	KUNIT_EXPECT_PTR_EQ(test, t, (const struct kho_image_table *)table_of(image));
	KUNIT_EXPECT_NULL(test, why);
	for (s = kho_image_table_next(t, NULL); s;
	     s = kho_image_table_next(t, s))
		n++;
	KUNIT_EXPECT_EQ(test, n, TEST_COUNT);
	KUNIT_EXPECT_TRUE(test, kho_image_table_has(t, "memfd-x-v1"));
	KUNIT_EXPECT_TRUE(test, kho_image_table_has(t, "kho-root-v1-kho-radix-v1"));
	/* Exact matches only. */
	KUNIT_EXPECT_FALSE(test, kho_image_table_has(t, "memfd-x-v2"));
	KUNIT_EXPECT_FALSE(test, kho_image_table_has(t, "memfd-x"));
	KUNIT_EXPECT_FALSE(test, kho_image_table_has(t, ""));
}

/* An image without a table, or whose only magic is misaligned. */
static void image_table_absent(struct kunit *test)
{
	u8 *image = image_with(test, test_strings, TEST_SIZE, TEST_COUNT);
	const struct kho_image_table *t;
	const char *why;

	memset(table_of(image)->magic, 0, KHO_IMAGE_TABLE_MAGIC_LEN);
	KUNIT_EXPECT_EQ(test, kho_image_table_find(image, IMAGE_SIZE, &t, &why),
			-ENOENT);
	KUNIT_EXPECT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, kho_image_table_find(image, 0, &t, &why), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_image_table_find(image, 20, &t, &why),
			-ENOENT);
}

/* This kernel's own list is a well formed table of what it registers. */
static int own_table_lists(const char *compatible, void *arg)
{
	const struct kho_image_table *t = arg;

	return kho_image_table_has(t, compatible) ? 0 : -ENOENT;
}

struct own_subtrees {
	const struct kho_image_table *t;
	unsigned int seen, unlisted;
};

static void own_table_subtree(const char *name, const char *compatible,
			      void *arg)
{
	struct own_subtrees *o = arg;

	o->seen++;
	if (!compatible || !kho_image_table_has(o->t, compatible))
		o->unlisted++;
}

static void image_table_own(struct kunit *test)
{
	const char *own = kho_image_compat_strings, *why, *s;
	u32 size = kho_image_compat_size, count = 0, i;
	const struct kho_image_table *t;
	u8 *image;

	for (i = 0; i < size; i++)
		count += !own[i];
	image = image_with(test, own, size, count);
	KUNIT_ASSERT_EQ(test, kho_image_table_find(image, IMAGE_SIZE, &t, &why),
			0);
	KUNIT_EXPECT_TRUE(test, kho_image_table_has(t, KHO_FDT_COMPATIBLE));
	KUNIT_EXPECT_TRUE(test, kho_image_table_has(t, LUO_ABI_COMPATIBLE));
	if (IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD))
		KUNIT_EXPECT_TRUE(test,
				  kho_image_table_has(t, MEMFD_LUO_FH_COMPATIBLE));
	/* Registered only with liveupdate=on: then each must be listed. */
	KUNIT_EXPECT_EQ(test, luo_handler_compatibles(own_table_lists,
						      (void *)t), 0);
	KUNIT_EXPECT_EQ(test, luo_flb_compatibles(own_table_lists, (void *)t),
			0);
	/* Every KHO subtree of this boot (kexec-metadata at least). */
	if (kho_is_enabled()) {
		struct own_subtrees o = { .t = t };

		kho_subtree_compatibles(own_table_subtree, &o);
		KUNIT_EXPECT_GE(test, o.seen, 1);
		KUNIT_EXPECT_EQ(test, o.unlisted, 0);
	}
	for (s = kho_image_table_next(t, NULL); s;
	     s = kho_image_table_next(t, s))
		kunit_info(test, "reads %s\n", s);
}

/* One way an image file could carry a bad table. */
struct bad_table {
	const char *what;
	const char *why;
	void (*corrupt)(u8 *image, size_t *len);
};

static void bad_version(u8 *image, size_t *len)
{
	table_of(image)->version = cpu_to_le32(2);
}

static void absurd_count(u8 *image, size_t *len)
{
	table_of(image)->count = cpu_to_le32(0x7fffffff);
}

static void absurd_size(u8 *image, size_t *len)
{
	table_of(image)->size = cpu_to_le32(0xfffffff0);
}

static void truncated(u8 *image, size_t *len)
{
	*len = TABLE_AT + sizeof(struct kho_image_table) + TEST_SIZE - 1;
}

static void header_truncated(u8 *image, size_t *len)
{
	/* The magic is there, the header is not whole: no table at all. */
	*len = TABLE_AT + sizeof(struct kho_image_table) - 1;
}

static void bad_checksum(u8 *image, size_t *len)
{
	table_of(image)->strings[3] ^= 0x20;
}

static void refresh_crc(u8 *image)
{
	struct kho_image_table *t = table_of(image);

	t->crc32 = cpu_to_le32(crc32_le(~0, t->strings, le32_to_cpu(t->size)) ^
			       ~0);
}

static void empty_string(u8 *image, size_t *len)
{
	table_of(image)->strings[0] = 0;
	refresh_crc(image);
}

static void string_without_nul(u8 *image, size_t *len)
{
	table_of(image)->strings[TEST_SIZE - 1] = 'x';
	refresh_crc(image);
}

static void string_too_long(u8 *image, size_t *len)
{
	struct kho_image_table *t = table_of(image);

	memset(t->strings, 'a', KHO_IMAGE_TABLE_MAX_STRING + 1);
	t->strings[KHO_IMAGE_TABLE_MAX_STRING + 1] = 0;
	t->size = cpu_to_le32(KHO_IMAGE_TABLE_MAX_STRING + 2);
	t->count = cpu_to_le32(1);
	refresh_crc(image);
}

static void count_off(u8 *image, size_t *len)
{
	table_of(image)->count = cpu_to_le32(TEST_COUNT + 1);
}

static const struct bad_table bad_tables[] = {
	{ "unknown version", "unknown version", bad_version },
	{ "absurd count", "count or size beyond the limits", absurd_count },
	{ "absurd size", "count or size beyond the limits", absurd_size },
	{ "truncated", "strings beyond the end of the image", truncated },
	{ "header truncated", NULL, header_truncated },
	{ "bad checksum", "checksum mismatch", bad_checksum },
	{ "empty string", "an empty string", empty_string },
	{ "string without NUL", "a string without NUL", string_without_nul },
	{ "string too long", "a string too long", string_too_long },
	{ "count off", "count does not match the strings", count_off },
};

static void bad_table_desc(const struct bad_table *b, char *desc)
{
	strscpy(desc, b->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_table, bad_tables, bad_table_desc);

static void image_table_malformed(struct kunit *test)
{
	const struct bad_table *b = test->param_value;
	u8 *image = image_with(test, test_strings, TEST_SIZE, TEST_COUNT);
	const struct kho_image_table *t;
	size_t len = IMAGE_SIZE;
	const char *why;

	b->corrupt(image, &len);
	if (!b->why) {
		KUNIT_EXPECT_EQ(test, kho_image_table_find(image, len, &t, &why),
				-ENOENT);
		return;
	}
	KUNIT_EXPECT_EQ(test, kho_image_table_find(image, len, &t, &why),
			-EBADMSG);
	KUNIT_EXPECT_NULL(test, t);
	KUNIT_EXPECT_STREQ(test, why, b->why);
}

static struct kunit_case kho_image_table_cases[] = {
	KUNIT_CASE(image_table_crc),
	KUNIT_CASE(image_table_found),
	KUNIT_CASE(image_table_absent),
	KUNIT_CASE(image_table_own),
	KUNIT_CASE_PARAM(image_table_malformed, bad_table_gen_params),
	{}
};

static struct kunit_suite kho_image_table_suite = {
	.name = "kho_image_table",
	.test_cases = kho_image_table_cases,
};

kunit_test_suite(kho_image_table_suite);

MODULE_DESCRIPTION("KUnit tests for kernel image compatibility tables");
MODULE_LICENSE("GPL");
