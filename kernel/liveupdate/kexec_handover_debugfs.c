// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs view of KHO: what this kernel hands over (kho/out) and what it
 * received (kho/in).
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kexec_handover_internal.h"

/**
 * DOC: KHO debugfs
 *
 * With ``CONFIG_KEXEC_HANDOVER_DEBUGFS``, ``/sys/kernel/debug/kho/`` shows
 * the handover; every file is read-only for root:
 *
 * ``out/fdt``
 *   the root FDT this kernel hands over, live
 * ``out/scratch_phys``, ``out/scratch_len``
 *   physical address and byte size of the scratch array
 * ``out/scratch``
 *   the scratch regions, one line each: index, physical address, size
 *   (hexadecimal) and the NUMA node the region lies in (-1 if it spans
 *   nodes); 0 is the low-memory region, 1 the global one, then one per
 *   node with memory
 * ``out/preserved``
 *   what the outgoing radix tree records, one line: the number of pages in
 *   the preserved blocks and the number of page-sized radix nodes that
 *   record them; what a preservation costs in memory besides the data it
 *   hands over is the change of both, minus the data pages
 * ``out/sub_fdts/<name>``
 *   each registered subtree blob, live
 * ``in/fdt``
 *   the root FDT received from the previous kernel (only on a KHO boot)
 * ``in/sub_fdts/<name>``
 *   a copy of each received blob, taken at ``fs_initcall`` time, of the blobs
 *   no owner had restored by then; blobs above 1 MiB are not shown
 */

/* Larger incoming blobs are not copied into debugfs. */
#define KHO_DEBUGFS_IN_BLOB_MAX	SZ_1M

struct kho_debugfs_blob {
	struct list_head list;
	struct debugfs_blob_wrapper wrapper;
	struct dentry *file;
	char name[];
};

static struct {
	struct dentry *dir;
	struct dentry *out_subtrees;
	struct debugfs_blob_wrapper out_fdt;
	struct debugfs_blob_wrapper in_fdt;
	u64 scratch_phys;
	u64 scratch_len;
	struct list_head out_blobs;
	struct list_head in_blobs;
	struct mutex lock;	/* protects out_blobs */
} kho_dbg = {
	.out_blobs = LIST_HEAD_INIT(kho_dbg.out_blobs),
	.in_blobs = LIST_HEAD_INIT(kho_dbg.in_blobs),
	.lock = __MUTEX_INITIALIZER(kho_dbg.lock),
};

static struct kho_debugfs_blob *kho_debugfs_new_blob(const char *name,
						     void *data, size_t size,
						     struct dentry *dir)
{
	size_t len = strlen(name) + 1;
	struct kho_debugfs_blob *b;

	b = kzalloc(struct_size(b, name, len), GFP_KERNEL);
	if (!b)
		return NULL;
	memcpy(b->name, name, len);
	b->wrapper.data = data;
	b->wrapper.size = size;
	b->file = debugfs_create_blob(b->name, 0400, dir, &b->wrapper);
	return b;
}

/**
 * kho_debugfs_blob_add() - show a newly registered subtree blob
 * @name: its name
 * @blob: the blob
 * @size: its length
 */
void kho_debugfs_blob_add(const char *name, void *blob, size_t size)
{
	struct kho_debugfs_blob *b;

	guard(mutex)(&kho_dbg.lock);
	if (!kho_dbg.out_subtrees)
		return;
	b = kho_debugfs_new_blob(name, blob, size, kho_dbg.out_subtrees);
	if (b)
		list_add(&b->list, &kho_dbg.out_blobs);
}

/**
 * kho_debugfs_blob_remove() - stop showing a withdrawn subtree blob
 * @name: its name
 */
void kho_debugfs_blob_remove(const char *name)
{
	struct kho_debugfs_blob *b;

	guard(mutex)(&kho_dbg.lock);
	list_for_each_entry(b, &kho_dbg.out_blobs, list) {
		if (strcmp(b->name, name))
			continue;
		debugfs_remove(b->file);
		list_del(&b->list);
		kfree(b);
		return;
	}
}

/* Copies the incoming blobs that nobody restored yet into kho/in. */
static void __init kho_debugfs_in_blobs(struct dentry *dir, const void *fdt)
{
	struct kho_debugfs_blob *b;
	int off;

	fdt_for_each_subnode(off, fdt, 0) {
		const char *name = fdt_get_name(fdt, off, NULL);
		phys_addr_t phys;
		size_t size;
		void *copy;

		if (!name || kho_retrieve_subtree(name, &phys, &size) ||
		    !size || size > KHO_DEBUGFS_IN_BLOB_MAX ||
		    !kho_block_is_preserved(phys, size))
			continue;
		copy = kvmemdup(phys_to_virt(phys), size, GFP_KERNEL);
		if (!copy)
			continue;
		/* Lives as long as the file: for the rest of this boot. */
		b = kho_debugfs_new_blob(name, copy, size, dir);
		if (b)
			list_add(&b->list, &kho_dbg.in_blobs);
		else
			kvfree(copy);
	}
}

static void __init kho_debugfs_in_init(void)
{
	const void *fdt = kho_in_fdt();
	struct dentry *in;

	if (!fdt)
		return;
	in = debugfs_create_dir("in", kho_dbg.dir);
	kho_dbg.in_fdt.data = (void *)fdt;
	kho_dbg.in_fdt.size = fdt_totalsize(fdt);
	debugfs_create_blob("fdt", 0400, in, &kho_dbg.in_fdt);
	kho_debugfs_in_blobs(debugfs_create_dir("sub_fdts", in), fdt);
}

#ifdef CONFIG_TEST_KEXEC_HANDOVER
/*
 * Test hook: break the outgoing state on purpose, so that a test can check
 * how the next kernel copes. Write "compatible" for a root FDT of a foreign
 * layout, or "radix-node" for a radix node address outside RAM.
 */
static ssize_t kho_test_corrupt_write(struct file *file, const char __user *ubuf,
				      size_t len, loff_t *ppos)
{
	char buf[16];
	int err = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	if (!strcmp(buf, "compatible")) {
		guard(mutex)(&kho_out.fdt_lock);
		err = fdt_setprop_string(kho_out.fdt, 0, "compatible",
					 "kho-corrupted-v0") ? -ENOSPC : 0;
	} else if (!strcmp(buf, "radix-node")) {
		u64 bogus = PFN_PHYS(max_pfn) + SZ_1G;

		guard(mutex)(&kho_out.tree.lock);
		/* The last root entry: no valid key ever reaches it. */
		kho_out.tree.root->table[(1 << KHO_TABLE_SIZE_LOG2) - 1] =
			ALIGN(bogus, PAGE_SIZE);
	} else {
		return -EINVAL;
	}
	if (err)
		return err;
	pr_warn("test hook: outgoing state corrupted (%s)\n", buf);
	return len;
}

static const struct file_operations kho_test_corrupt_fops = {
	.owner = THIS_MODULE,
	.write = kho_test_corrupt_write,
};
#endif

static int kho_scratch_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		const struct kho_scratch *s = &kho_scratch[i];
		int nid = -1;

		if (s->size) {
			nid = pfn_to_nid(PHYS_PFN(s->addr));
			if (pfn_to_nid(PHYS_PFN(s->addr + s->size - 1)) != nid)
				nid = -1;
		}
		seq_printf(m, "%u %#llx %#llx %d\n", i, (u64)s->addr,
			   (u64)s->size, nid);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kho_scratch);

/*
 * What the outgoing tree holds, so that the cost of a preservation in
 * memory is measured, not computed: "<pages> <radix nodes>", the pages in
 * the blocks recorded and the page-sized nodes that record them.
 */
static int kho_preserved_show(struct seq_file *m, void *v)
{
	scoped_guard(mutex, &kho_out.tree.lock)
		seq_printf(m, "%lu %lu\n", kho_out.tree.nr_pages,
			   kho_out.tree.nr_nodes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kho_preserved);

/**
 * kho_debugfs_init() - create /sys/kernel/debug/kho
 *
 * Return: 0; debugfs problems do not stop KHO.
 */
int __init kho_debugfs_init(void)
{
	struct dentry *out;

	kho_dbg.dir = debugfs_create_dir("kho", NULL);
	out = debugfs_create_dir("out", kho_dbg.dir);

	kho_dbg.out_fdt.data = kho_out.fdt;
	kho_dbg.out_fdt.size = PAGE_SIZE;
	debugfs_create_blob("fdt", 0400, out, &kho_dbg.out_fdt);

	kho_dbg.scratch_phys = virt_to_phys(kho_scratch);
	kho_dbg.scratch_len = kho_scratch_cnt * sizeof(*kho_scratch);
	debugfs_create_x64("scratch_phys", 0400, out, &kho_dbg.scratch_phys);
	debugfs_create_x64("scratch_len", 0400, out, &kho_dbg.scratch_len);
	debugfs_create_file("scratch", 0400, out, NULL, &kho_scratch_fops);
	debugfs_create_file("preserved", 0400, out, NULL, &kho_preserved_fops);
#ifdef CONFIG_TEST_KEXEC_HANDOVER
	debugfs_create_file("test_corrupt", 0200, out, NULL,
			    &kho_test_corrupt_fops);
#endif

	scoped_guard(mutex, &kho_dbg.lock)
		kho_dbg.out_subtrees = debugfs_create_dir("sub_fdts", out);

	kho_debugfs_in_init();
	return 0;
}

/**
 * kho_debugfs_remove() - remove /sys/kernel/debug/kho when KHO gives up
 *
 * The files point at the root FDT and blobs that are freed then.
 */
void __init kho_debugfs_remove(void)
{
	struct kho_debugfs_blob *b, *tmp;

	scoped_guard(mutex, &kho_dbg.lock) {
		debugfs_remove(kho_dbg.dir);
		kho_dbg.dir = NULL;
		kho_dbg.out_subtrees = NULL;
		list_for_each_entry_safe(b, tmp, &kho_dbg.out_blobs, list) {
			list_del(&b->list);
			kfree(b);
		}
	}
	list_for_each_entry_safe(b, tmp, &kho_dbg.in_blobs, list) {
		list_del(&b->list);
		kvfree(b->wrapper.data);
		kfree(b);
	}
}
