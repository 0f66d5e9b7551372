/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building and comparing the compatible strings of data that crosses a
 * kexec.
 */
#ifndef _LINUX_KHO_ABI_COMPAT_H
#define _LINUX_KHO_ABI_COMPAT_H

#include <linux/align.h>
#include <linux/string.h>
#include <linux/types.h>

/**
 * DOC: KHO compatible strings
 *
 * Every layout that one kernel writes for the next has a compatible string
 * of the form ``<name>-v<N>``, defined next to the layout in its header
 * under ``include/linux/kho/abi/``. A change to the layout must bump ``N``.
 *
 * A user that keeps its data in structures of other modules (a chain of
 * serialization blocks, a preserved vmalloc area) depends on their layouts
 * too. Its compatible string is therefore a composite: its own base string
 * followed by the strings of the modules it stores data through, each
 * appended with KHO_COMPAT()::
 *
 *   #define LUO_COMPAT_BASE	"luo-v1"
 *   #define LUO_ABI_COMPATIBLE	KHO_COMPAT(LUO_COMPAT_BASE, KHO_BLOCK_COMPATIBLE)
 *
 * which reads ``"luo-v1-kho-block-v1"``; a second dependency nests:
 * ``KHO_COMPAT(KHO_COMPAT(base, a), b)``. When any module bumps its
 * version, the string of every user changes with it, so a kernel never
 * misreads data laid out by a different version of a module it depends
 * on. A composite names each component once, the base first and the
 * dependencies after it in ``strcmp()`` order, so that one set of
 * components has exactly one spelling; a KUnit suite checks every
 * composite in the tree.
 *
 * Two kernels agree only if the strings are equal, byte for byte and in
 * length: ``"x-v1"`` is not ``"x-v10"``. Strings stored inside a structure
 * are compared with kho_compat_equal(), which never reads past the field,
 * whatever the previous kernel left in it.
 */

/**
 * KHO_COMPAT() - a compatible string with one more dependency
 * @compat: a string literal: a base string or a composite
 * @dep:    the string literal of a module @compat's layout stores data
 *          through
 */
#define KHO_COMPAT(compat, dep)	compat "-" dep

/**
 * KHO_COMPAT_SIZE() - bytes of a structure field that stores @compat
 * @compat: a compatible string literal
 *
 * The string, its terminating NUL and padding to the next 8 bytes, so that
 * the fields after it stay naturally aligned.
 */
#define KHO_COMPAT_SIZE(compat)	ALIGN(sizeof(compat), 8)

/**
 * kho_compat_equal() - compare a stored compatible string with this kernel's
 * @stored:      the field the previous kernel filled; need not hold a NUL
 * @stored_size: size of that field in bytes
 * @expected:    this kernel's string
 *
 * Return: true if @stored holds exactly @expected followed by a NUL within
 * @stored_size bytes.
 */
static inline bool kho_compat_equal(const char *stored, size_t stored_size,
				    const char *expected)
{
	size_t len = strlen(expected);

	return len < stored_size && !memcmp(stored, expected, len + 1);
}

/**
 * kho_compat_store() - write this kernel's compatible string into a field
 * @field: the structure field
 * @size:  size of @field in bytes
 * @compat: the string; must fit with its NUL
 *
 * The rest of @field is zeroed, so no stale bytes cross the kexec.
 */
static inline void kho_compat_store(char *field, size_t size,
				    const char *compat)
{
	strscpy_pad(field, compat, size);
}

#endif /* _LINUX_KHO_ABI_COMPAT_H */
