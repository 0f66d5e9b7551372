// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the compatible strings of data handed over with KHO:
 * every composite string in the tree is well formed, and comparisons
 * accept exactly the same string.
 */
#include <kunit/test.h>
#include <linux/ctype.h>
#include <linux/kho/abi/block.h>
#include <linux/kho/abi/compat.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/luo.h>
#include <linux/kho/abi/memfd.h>
#include <linux/kho/abi/radix_tree.h>
#include <linux/kho/abi/vmalloc.h>
#include <linux/string.h>

/* Layouts of modules that others store data through. */
static const char * const kho_modules[] = {
	KHO_BLOCK_COMPATIBLE,
	KHO_RADIX_TREE_COMPATIBLE,
	KHO_VMALLOC_COMPATIBLE,
};

/* Every compatible string a kernel of this tree writes. */
static const char * const kho_compatibles[] = {
	KHO_FDT_COMPATIBLE,
	LUO_ABI_COMPATIBLE,
	MEMFD_LUO_FH_COMPATIBLE,
	KHO_BLOCK_COMPATIBLE,
	KHO_RADIX_TREE_COMPATIBLE,
	KHO_VMALLOC_COMPATIBLE,
};

#define MAX_COMPONENTS	8
#define MAX_LEN		64

struct composite {
	unsigned int nr;
	char comp[MAX_COMPONENTS][MAX_LEN];	/* "name-vN" */
	size_t name_len[MAX_COMPONENTS];	/* of "name" */
	size_t start[MAX_COMPONENTS];		/* offset in the string */
};

static bool is_version(const char *tok, size_t len)
{
	size_t i;

	if (len < 2 || tok[0] != 'v')
		return false;
	for (i = 1; i < len; i++)
		if (!isdigit(tok[i]))
			return false;
	return true;
}

/*
 * Splits @s into components, each "name-vN" with a name of one or more
 * lowercase words. Returns NULL if @s is well formed, or what is wrong.
 */
static const char *split(const char *s, struct composite *c)
{
	size_t pos = 0, start = 0, len = strlen(s);
	bool named = false;

	memset(c, 0, sizeof(*c));
	while (pos <= len) {
		size_t end = pos, i;

		while (end < len && s[end] != '-')
			end++;
		if (end == pos)
			return "empty word";
		for (i = pos; i < end; i++)
			if (!islower(s[i]) && !isdigit(s[i]))
				return "character outside [a-z0-9-]";
		if (is_version(s + pos, end - pos) && named) {
			if (c->nr == MAX_COMPONENTS || end - start >= MAX_LEN)
				return "too many or too long components";
			memcpy(c->comp[c->nr], s + start, end - start);
			c->name_len[c->nr] = pos - 1 - start;
			c->start[c->nr] = start;
			c->nr++;
			named = false;
			start = end + 1;
		} else {
			named = true;
		}
		pos = end + 1;
	}
	return named ? "component without a version" : NULL;
}

/* The rules of a composite: see "KHO compatible strings". */
static const char *check_composite(const char *s, struct composite *c)
{
	const char *why = split(s, c);
	unsigned int i, j, k;

	if (why)
		return why;
	for (i = 0; i < c->nr; i++)
		for (j = 0; j < i; j++)
			if (c->name_len[i] == c->name_len[j] &&
			    !memcmp(c->comp[i], c->comp[j], c->name_len[i]))
				return "a component appears twice";
	for (i = 2; i < c->nr; i++)
		if (strcmp(c->comp[i - 1], c->comp[i]) >= 0)
			return "dependencies are not in strcmp() order";
	for (i = 1; i < c->nr; i++) {
		for (k = 0; k < ARRAY_SIZE(kho_modules); k++)
			if (!strcmp(c->comp[i], kho_modules[k]))
				break;
		if (k == ARRAY_SIZE(kho_modules))
			return "a dependency is not a module's string";
	}
	return NULL;
}

static void compat_tree_strings(struct kunit *test)
{
	struct composite c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kho_compatibles); i++) {
		const char *why = check_composite(kho_compatibles[i], &c);

		KUNIT_EXPECT_NULL_MSG(test, why, "\"%s\": %s",
				      kho_compatibles[i], why);
		KUNIT_EXPECT_LT(test, strlen(kho_compatibles[i]), MAX_LEN);
	}
	/* A module's own string is a single component. */
	for (i = 0; i < ARRAY_SIZE(kho_modules); i++) {
		KUNIT_EXPECT_NULL(test, split(kho_modules[i], &c));
		KUNIT_EXPECT_EQ_MSG(test, c.nr, 1, "\"%s\"", kho_modules[i]);
	}
	/* The root names the layout of the memory map it points to. */
	KUNIT_EXPECT_STREQ(test, KHO_FDT_COMPATIBLE, "kho-root-v1-kho-radix-v1");
}

/* The checker itself refuses what it must refuse. */
static void compat_checker(struct kunit *test)
{
	static const char * const bad[] = {
		"kho-root-v1-kho-radix",	/* no version */
		"kho-root-v1-kho-vmalloc-v1-kho-block-v1",	/* unsorted */
		"kho-root-v1-kho-block-v1-kho-block-v1",	/* twice */
		"kho-block-v1-kho-block-v2",	/* one module twice */
		"kho-root-v1-kho-frob-v1",	/* unknown dependency */
		"v1", "-v1", "kho--v1", "kho-v1-", "Kho-v1", "kho_v1", "",
	};
	static const char * const good[] = {
		"kho-root-v1",
		"a-v12-kho-block-v1-kho-radix-v1-kho-vmalloc-v1",
		"memfd-v2-kho-vmalloc-v1",
	};
	struct composite c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, check_composite(bad[i], &c),
					  "\"%s\" accepted", bad[i]);
	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_NULL_MSG(test, check_composite(good[i], &c),
				      "\"%s\" refused", good[i]);
	KUNIT_EXPECT_NULL(test, check_composite(good[1], &c));
	KUNIT_EXPECT_EQ(test, c.nr, 4);
	KUNIT_EXPECT_STREQ(test, c.comp[0], "a-v12");
	KUNIT_EXPECT_STREQ(test, c.comp[3], "kho-vmalloc-v1");
}

/*
 * @s with the version of component @k changed: its last digit stepped
 * ("v1" becomes "v2"), or with a digit appended ("v1" becomes "v19").
 */
static void other_version(char *out, const char *s, const struct composite *c,
			  unsigned int k, bool append)
{
	size_t end = c->start[k] + strlen(c->comp[k]);

	strscpy(out, s, 2 * MAX_LEN);
	if (append) {
		out[end] = '9';
		strscpy(out + end + 1, s + end, 2 * MAX_LEN - end - 1);
	} else {
		out[end - 1] = out[end - 1] == '9' ? '0' : out[end - 1] + 1;
	}
}

static void compat_equal(struct kunit *test)
{
	char field[MAX_LEN], other[2 * MAX_LEN];
	struct composite c;
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(kho_compatibles); i++) {
		const char *s = kho_compatibles[i];
		size_t len = strlen(s);

		kho_compat_store(field, sizeof(field), s);
		KUNIT_EXPECT_TRUE(test, kho_compat_equal(field, sizeof(field), s));
		/* Padding is zeroed, and what follows the NUL is ignored. */
		KUNIT_EXPECT_EQ(test, field[sizeof(field) - 1], 0);
		field[len + 1] = 'x';
		KUNIT_EXPECT_TRUE(test, kho_compat_equal(field, len + 2, s));
		/* No NUL within the field: not equal, and nothing read past. */
		KUNIT_EXPECT_FALSE(test, kho_compat_equal(field, len, s));
		/* Shorter and longer strings. */
		field[len - 1] = 0;
		KUNIT_EXPECT_FALSE(test, kho_compat_equal(field, sizeof(field), s));
		kho_compat_store(field, sizeof(field), s);
		field[len] = '0';
		field[len + 1] = 0;
		KUNIT_EXPECT_FALSE(test, kho_compat_equal(field, sizeof(field), s));

		/* Another version of any one component is refused. */
		KUNIT_ASSERT_NULL(test, check_composite(s, &c));
		for (k = 0; k < 2 * c.nr; k++) {
			bool same;

			other_version(other, s, &c, k / 2, k % 2);
			same = kho_compat_equal(other, sizeof(other), s);
			KUNIT_EXPECT_FALSE_MSG(test, same, "\"%s\" taken for \"%s\"",
					       other, s);
		}
	}
}

static struct kunit_case kho_compat_cases[] = {
	KUNIT_CASE(compat_tree_strings),
	KUNIT_CASE(compat_checker),
	KUNIT_CASE(compat_equal),
	{}
};

static struct kunit_suite kho_compat_suite = {
	.name = "kho_compat",
	.test_cases = kho_compat_cases,
};

kunit_test_suite(kho_compat_suite);

MODULE_DESCRIPTION("KUnit tests for KHO compatible strings");
MODULE_LICENSE("GPL");
