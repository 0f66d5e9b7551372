/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table of compatible strings a kernel image can read, as the image
 * carries it for whoever loads it.
 */
#ifndef _LINUX_KHO_ABI_IMAGE_TABLE_H
#define _LINUX_KHO_ABI_IMAGE_TABLE_H

#include <linux/build_bug.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/kexec_metadata.h>
#include <linux/kho/abi/luo.h>
#include <linux/kho/abi/luo_test.h>
#include <linux/kho/abi/memfd.h>
#include <linux/types.h>

/**
 * DOC: kernel image compatibility table
 *
 * A kernel built with ``CONFIG_LIVEUPDATE`` carries the list of the
 * compatible strings it can read in the next boot: the KHO root (with the
 * radix tree), every KHO subtree it reads (kexec-metadata, LUO's state
 * with blocks, the KHO test's), and every file handler and FLB built in.
 * The list is made at build time from the ``*_COMPATIBLE`` macros of the
 * ABI headers, the same ones the code registers, so it cannot drift from
 * what the kernel reads; KUnit checks that every handler, FLB and subtree
 * registered at run time is in it.
 *
 * The table is a &struct kho_image_table header followed by @size bytes of
 * strings: @count strings, each non-empty, at most
 * ``KHO_IMAGE_TABLE_MAX_STRING`` bytes and ended by a NUL, back to back,
 * filling @size exactly. All fields are little-endian. @crc32 is the
 * CRC-32 of zlib and of the bzImage trailer (crc32_le() seeded with
 * ~0 and inverted) over the strings. A reader finds the table by its magic
 * at an 8-byte aligned offset of the image file, in a part the image
 * stores uncompressed, and trusts nothing in it: a table whose version it
 * does not know, whose sizes or count exceed the limits below, that does
 * not fit in the file, whose checksum differs or whose strings are not as
 * described is malformed, and an image that has none has no table.
 *
 * x86 ``bzImage``: the table is in the read-only data of the decompressor
 * (``arch/x86/boot/compressed``), which sits uncompressed in the file
 * after the real-mode setup; it can be read without decompressing or
 * running anything.
 *
 * arm64 ``Image`` (not built yet; the design): the ``Image`` file is the
 * kernel itself, uncompressed, so the table goes in its read-only data,
 * in a section of its own aligned to 8 bytes, and a loader finds it by the
 * same scan; an ``Image.gz`` has to be decompressed first, as every loader
 * of it does. A compressed EFI zboot image keeps the table in the
 * uncompressed EFI stub's data, as the x86 decompressor does.
 */
#define KHO_IMAGE_TABLE_MAGIC		"KHOCOMPT"
#define KHO_IMAGE_TABLE_MAGIC_LEN	8
#define KHO_IMAGE_TABLE_VERSION		1
#define KHO_IMAGE_TABLE_ALIGN		8

/* Limits a reader enforces: far above any real table. */
#define KHO_IMAGE_TABLE_MAX_COUNT	256
#define KHO_IMAGE_TABLE_MAX_SIZE	16384
#define KHO_IMAGE_TABLE_MAX_STRING	128

/**
 * struct kho_image_table - header of an image's compatibility table
 * @magic:   ``KHO_IMAGE_TABLE_MAGIC``, without a NUL
 * @version: ``KHO_IMAGE_TABLE_VERSION``
 * @count:   strings in the table
 * @size:    bytes of strings after the header, NULs included
 * @crc32:   CRC-32 of those bytes
 * @strings: the strings
 */
struct kho_image_table {
	char magic[KHO_IMAGE_TABLE_MAGIC_LEN];
	__le32 version;
	__le32 count;
	__le32 size;
	__le32 crc32;
	char strings[];
} __packed;

static_assert(sizeof(struct kho_image_table) == 24);

/*
 * The strings a kernel of this configuration reads, NUL-separated (the
 * literal's own NUL ends the list with an empty string, which is not
 * one of them).
 */
#ifdef CONFIG_KEXEC_HANDOVER
#define KHO_IMAGE_COMPAT_KHO		KHO_FDT_COMPATIBLE "\0"			\
					KHO_KEXEC_METADATA_COMPATIBLE "\0"
#else
#define KHO_IMAGE_COMPAT_KHO		""
#endif

#ifdef CONFIG_LIVEUPDATE
#define KHO_IMAGE_COMPAT_LUO		LUO_ABI_COMPATIBLE "\0"
#else
#define KHO_IMAGE_COMPAT_LUO		""
#endif

#ifdef CONFIG_LIVEUPDATE_MEMFD
#define KHO_IMAGE_COMPAT_MEMFD		MEMFD_LUO_FH_COMPATIBLE "\0"
#else
#define KHO_IMAGE_COMPAT_MEMFD		""
#endif

#ifdef CONFIG_LIVEUPDATE_MEMFD_HUGETLB
#define KHO_IMAGE_COMPAT_MEMFD_HUGETLB	MEMFD_HUGETLB_LUO_FH_COMPATIBLE "\0"	\
					HUGETLB_LUO_FLB_COMPATIBLE "\0"
#else
#define KHO_IMAGE_COMPAT_MEMFD_HUGETLB	""
#endif

#ifdef CONFIG_LIVEUPDATE_TEST
#define KHO_IMAGE_COMPAT_TEST		LUO_TEST_COMPATIBLE "\0"		\
					LUO_TEST_FLB_COMPATIBLE(0) "\0"		\
					LUO_TEST_FLB_COMPATIBLE(1) "\0"		\
					LUO_TEST_FLB_COMPATIBLE(2) "\0"
#else
#define KHO_IMAGE_COMPAT_TEST		""
#endif

#ifdef CONFIG_TEST_KEXEC_HANDOVER
#define KHO_IMAGE_COMPAT_KHO_TEST	KHO_TEST_COMPATIBLE "\0"
#else
#define KHO_IMAGE_COMPAT_KHO_TEST	""
#endif

#define KHO_IMAGE_COMPAT_STRINGS	KHO_IMAGE_COMPAT_KHO			\
					KHO_IMAGE_COMPAT_LUO			\
					KHO_IMAGE_COMPAT_MEMFD			\
					KHO_IMAGE_COMPAT_MEMFD_HUGETLB		\
					KHO_IMAGE_COMPAT_TEST			\
					KHO_IMAGE_COMPAT_KHO_TEST

#endif /* _LINUX_KHO_ABI_IMAGE_TABLE_H */
