// SPDX-License-Identifier: GPL-2.0
/*
 * The compatibility table of a kernel image: this kernel's own list of the
 * compatible strings it reads, and the reader of another image's table.
 *
 * An image comes from userspace (kexec_file_load()), so its table is
 * untrusted: it is found and checked here before anything reads a string
 * of it, and a malformed one is reported as such, never used.
 */

#include <linux/crc32.h>
#include <linux/export.h>
#include <linux/kho/image_table.h>
#include <linux/minmax.h>
#include <linux/string.h>

/*
 * What this kernel reads, in the table's string format; the image carries
 * the same list (built from the same ABI headers) in its table.
 */
const char kho_image_compat_strings[] = KHO_IMAGE_COMPAT_STRINGS;
/* Without the literal's own NUL, which would be an empty last string. */
const size_t kho_image_compat_size = sizeof(kho_image_compat_strings) - 1;

/*
 * Checks the table at @table, with @avail bytes of the image from its
 * start. Returns NULL if it is well formed, or what is wrong with it.
 */
static const char *kho_image_table_check(const struct kho_image_table *table,
					 size_t avail)
{
	u32 count, size, n = 0, off = 0;
	size_t len;

	if (le32_to_cpu(table->version) != KHO_IMAGE_TABLE_VERSION)
		return "unknown version";
	count = le32_to_cpu(table->count);
	size = le32_to_cpu(table->size);
	if (count > KHO_IMAGE_TABLE_MAX_COUNT ||
	    size > KHO_IMAGE_TABLE_MAX_SIZE)
		return "count or size beyond the limits";
	if (size > avail - sizeof(*table))
		return "strings beyond the end of the image";
	if ((crc32_le(~0, table->strings, size) ^ ~0) !=
	    le32_to_cpu(table->crc32))
		return "checksum mismatch";
	while (off < size) {
		len = strnlen(table->strings + off,
			      min_t(u32, size - off,
				    KHO_IMAGE_TABLE_MAX_STRING + 1));
		if (!len)
			return "an empty string";
		if (len > KHO_IMAGE_TABLE_MAX_STRING)
			return "a string too long";
		if (off + len == size)
			return "a string without NUL";
		off += len + 1;
		n++;
	}
	if (n != count)
		return "count does not match the strings";
	return NULL;
}

/**
 * kho_image_table_find() - find and check the compatibility table of an image
 * @image: the image file, as kexec_file_load() read it
 * @len:   its length in bytes
 * @table: set to the table inside @image when it is well formed
 * @why:   set to what is wrong when the table is malformed
 *
 * The table is the first ``KHO_IMAGE_TABLE_MAGIC`` at an 8-byte aligned
 * offset; see "kernel image compatibility table" for what a well formed
 * one is. @table points into @image and lives as long as it.
 *
 * Return: 0 with *@table set; -ENOENT if the image has no table;
 * -EBADMSG if its table is malformed, with *@why set.
 */
int kho_image_table_find(const void *image, size_t len,
			 const struct kho_image_table **table,
			 const char **why)
{
	size_t off;

	*table = NULL;
	*why = NULL;
	for (off = 0; len >= sizeof(**table) && off <= len - sizeof(**table);
	     off += KHO_IMAGE_TABLE_ALIGN) {
		const struct kho_image_table *t = image + off;

		if (memcmp(t->magic, KHO_IMAGE_TABLE_MAGIC,
			   KHO_IMAGE_TABLE_MAGIC_LEN))
			continue;
		*why = kho_image_table_check(t, len - off);
		if (*why)
			return -EBADMSG;
		*table = t;
		return 0;
	}
	return -ENOENT;
}
EXPORT_SYMBOL_GPL(kho_image_table_find);

/**
 * kho_image_table_next() - the string of a checked table after another
 * @table: a table kho_image_table_find() returned
 * @prev:  a string of @table, or NULL for its first
 *
 * Return: the next string, or NULL after the last.
 */
const char *kho_image_table_next(const struct kho_image_table *table,
				 const char *prev)
{
	const char *next = prev ? prev + strlen(prev) + 1 : table->strings;

	return next < table->strings + le32_to_cpu(table->size) ? next : NULL;
}
EXPORT_SYMBOL_GPL(kho_image_table_next);

/**
 * kho_image_table_has() - whether a checked table lists a compatible string
 * @table:      a table kho_image_table_find() returned
 * @compatible: the string, compared exactly
 *
 * Return: true if the image the table belongs to reads @compatible.
 */
bool kho_image_table_has(const struct kho_image_table *table,
			 const char *compatible)
{
	const char *s = NULL;

	while ((s = kho_image_table_next(table, s)))
		if (!strcmp(s, compatible))
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(kho_image_table_has);
