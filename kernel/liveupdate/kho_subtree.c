// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver subtrees: blobs the next kernel finds by name in the
 * root FDT, and what this kernel knows of their formats.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cleanup.h>
#include <linux/export.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"

/**
 * DOC: KHO subtree compatible strings
 *
 * A subtree registered with kho_add_subtree_compatible() has a compatible
 * string that names its format, as ``*_COMPATIBLE`` macros of the ABI
 * headers do for the rest of KHO and LUO. The string stays in this
 * kernel: the root FDT does not carry it, so its layout is unchanged. It
 * answers one question before a live update, whether the loaded image
 * reads the subtree (see "the check before the blackout"); a subtree
 * registered with plain kho_add_subtree() has no string, and its format
 * cannot be checked.
 */

/* The compatible string of the subtree whose blob is at @phys. */
struct kho_subtree_compat {
	struct list_head list;
	u64 phys;
	const char *compatible;
};

/* Under kho_out.fdt_lock, like the subtree nodes themselves. */
static LIST_HEAD(kho_subtree_compats);

/* A subtree name must be usable as an FDT node name of its own. */
static bool kho_subtree_name_ok(const char *name)
{
	return name && *name && !strpbrk(name, "/@:");
}

/* Adds subtree @name, and its compatible string @c unless NULL. */
static int kho_subtree_add(const char *name, void *blob, size_t size,
			   struct kho_subtree_compat *c)
{
	u64 phys = virt_to_phys(blob);
	u64 size_u64 = size;
	int off, err;

	if (!kho_subtree_name_ok(name))
		return -EINVAL;

	scoped_guard(mutex, &kho_out.fdt_lock) {
		if (!kho_out.fdt)
			return -EINVAL;
		off = fdt_add_subnode(kho_out.fdt, 0, name);
		if (off == -FDT_ERR_EXISTS)
			return -EEXIST;
		if (off < 0)
			return -ENOMEM;
		err = fdt_setprop(kho_out.fdt, off, KHO_SUB_TREE_PROP_NAME,
				  &phys, sizeof(phys));
		if (!err)
			err = fdt_setprop(kho_out.fdt, off,
					  KHO_SUB_TREE_SIZE_PROP_NAME,
					  &size_u64, sizeof(size_u64));
		if (err) {
			fdt_del_node(kho_out.fdt, off);
			return -ENOMEM;
		}
		if (c) {
			c->phys = phys;
			list_add(&c->list, &kho_subtree_compats);
		}
	}
	kho_debugfs_blob_add(name, blob, size);
	return 0;
}

/**
 * kho_add_subtree() - register a blob the next kernel finds by name
 * @name: unique name, without ``/``, ``@`` or ``:``
 * @blob: the blob; the caller preserves it (kho_alloc_preserve() does)
 * @size: its length in bytes
 *
 * The blob may change until the kexec: only its address and size are
 * recorded. Its format has no compatible string, so a live update cannot
 * check that the next kernel reads it: prefer
 * kho_add_subtree_compatible().
 *
 * Return: 0, -EEXIST if @name is taken, -EINVAL for a bad name or when KHO
 * is not set up, -ENOMEM if the root FDT is full.
 */
int kho_add_subtree(const char *name, void *blob, size_t size)
{
	return kho_subtree_add(name, blob, size, NULL);
}
EXPORT_SYMBOL_GPL(kho_add_subtree);

/**
 * kho_add_subtree_compatible() - register a blob and the name of its format
 * @name: unique name, without ``/``, ``@`` or ``:``
 * @compatible: the blob's format, as its ABI header defines it; copied
 * @blob: the blob; the caller preserves it (kho_alloc_preserve() does)
 * @size: its length in bytes
 *
 * Like kho_add_subtree(); a live update is refused before the kexec when
 * the loaded image does not list @compatible among the strings it reads.
 *
 * Return: as kho_add_subtree(), and -EINVAL for an empty @compatible.
 */
int kho_add_subtree_compatible(const char *name, const char *compatible,
			       void *blob, size_t size)
{
	struct kho_subtree_compat *c;
	int err;

	if (!compatible || !*compatible)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->compatible = kstrdup(compatible, GFP_KERNEL);
	err = c->compatible ? kho_subtree_add(name, blob, size, c) : -ENOMEM;
	if (err) {
		kfree(c->compatible);
		kfree(c);
	}
	return err;
}
EXPORT_SYMBOL_GPL(kho_add_subtree_compatible);

/* Drops the compatible string of the blob at @phys. Under fdt_lock. */
static void kho_subtree_compat_drop(u64 phys)
{
	struct kho_subtree_compat *c;

	list_for_each_entry(c, &kho_subtree_compats, list) {
		if (c->phys != phys)
			continue;
		list_del(&c->list);
		kfree(c->compatible);
		kfree(c);
		return;
	}
}

/* The compatible string of the blob at @phys, or NULL. Under fdt_lock. */
static const char *kho_subtree_compat_of(u64 phys)
{
	struct kho_subtree_compat *c;

	list_for_each_entry(c, &kho_subtree_compats, list)
		if (c->phys == phys)
			return c->compatible;
	return NULL;
}

/* The u64 property @prop of node @off, or false if it is missing or short. */
static bool kho_fdt_get_u64(const void *fdt, int off, const char *prop,
			    u64 *val)
{
	const void *p;
	int len;

	p = fdt_getprop(fdt, off, prop, &len);
	if (!p || len != sizeof(u64))
		return false;
	memcpy(val, p, sizeof(u64));
	return true;
}

/**
 * kho_remove_subtree() - withdraw a blob given to kho_add_subtree()
 * @blob: the blob; nothing happens if it is not registered
 */
void kho_remove_subtree(void *blob)
{
	u64 phys = virt_to_phys(blob);
	char name[64] = "";
	int off;

	scoped_guard(mutex, &kho_out.fdt_lock) {
		if (!kho_out.fdt)
			return;
		fdt_for_each_subnode(off, kho_out.fdt, 0) {
			u64 val;

			if (!kho_fdt_get_u64(kho_out.fdt, off,
					     KHO_SUB_TREE_PROP_NAME, &val) ||
			    val != phys)
				continue;
			strscpy(name, fdt_get_name(kho_out.fdt, off, NULL));
			fdt_del_node(kho_out.fdt, off);
			kho_subtree_compat_drop(phys);
			break;
		}
	}
	if (*name)
		kho_debugfs_blob_remove(name);
}
EXPORT_SYMBOL_GPL(kho_remove_subtree);

/**
 * kho_retrieve_subtree() - find a blob the previous kernel registered
 * @name: the name it was registered with
 * @phys: where to store its physical address
 * @size: where to store its length in bytes; may be NULL
 *
 * The blob is still preserved memory: its owner restores it (for example
 * with kho_restore_free() once done with it), and treats its contents as
 * untrusted input.
 *
 * Return: 0; -ENOENT if this is not a KHO boot or there is no such blob;
 * -EINVAL if @phys is NULL or the blob's node is malformed.
 */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size)
{
	const void *fdt = kho_in_fdt();
	u64 blob_phys, blob_size;
	int off;

	if (!fdt)
		return -ENOENT;
	if (!phys)
		return -EINVAL;
	off = fdt_subnode_offset(fdt, 0, name);
	if (off < 0)
		return -ENOENT;
	if (!kho_fdt_get_u64(fdt, off, KHO_SUB_TREE_PROP_NAME, &blob_phys) ||
	    !kho_fdt_get_u64(fdt, off, KHO_SUB_TREE_SIZE_PROP_NAME, &blob_size))
		return -EINVAL;
	*phys = blob_phys;
	if (size)
		*size = blob_size;
	return 0;
}
EXPORT_SYMBOL_GPL(kho_retrieve_subtree);

/**
 * kho_subtree_compatibles() - the outgoing subtrees and their formats
 * @fn:  called for each subtree with its name and compatible string (NULL
 *       for a subtree registered without one); must not register or
 *       remove subtrees
 * @arg: passed to @fn
 */
void kho_subtree_compatibles(void (*fn)(const char *name,
					const char *compatible, void *arg),
			     void *arg)
{
	int off;

	guard(mutex)(&kho_out.fdt_lock);
	if (!kho_out.fdt)
		return;
	fdt_for_each_subnode(off, kho_out.fdt, 0) {
		u64 phys;

		if (!kho_fdt_get_u64(kho_out.fdt, off, KHO_SUB_TREE_PROP_NAME,
				     &phys))
			continue;
		fn(fdt_get_name(kho_out.fdt, off, NULL),
		   kho_subtree_compat_of(phys), arg);
	}
}
