// SPDX-License-Identifier: GPL-2.0
/*
 * The Live Update Orchestrator's file handler for hugetlb memfds: the
 * huge pages of a memfd created with MFD_HUGETLB stay where they are
 * across a kexec, and the next kernel rebuilds the memfd around them as
 * hugetlb folios of the same size.
 */

#define pr_fmt(fmt) "memfd_luo_hugetlb: " fmt

#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/kho/vmalloc.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "internal.h"
#include "memfd_luo_hugetlb_internal.h"

/**
 * DOC: hugetlb memfd preservation
 *
 * A memfd created with ``MFD_HUGETLB`` (2 MiB pages, or 1 GiB pages where
 * the CPU has them) is preserved by a handler of its own, with its huge
 * pages in place. The rules are those of a shmem memfd: size, position,
 * seals and permission bits come back, holes stay holes, and from
 * ``LIVEUPDATE_SESSION_PRESERVE_FD`` on the file is frozen
 * (hugetlb_file_freeze()): truncation, fallocate() and an mmap() that
 * would grow it fail with -EPERM and a fault on a hole of a shared
 * mapping gets SIGBUS, while the huge pages that exist stay writable
 * until the reboot. Closing the session before the kexec unpreserves the
 * file and thaws it. A file holding huge pages beyond its size
 * (fallocate() with ``FALLOC_FL_KEEP_SIZE``) gets -EOPNOTSUPP.
 *
 * Each huge page is pinned until the reboot, so that it cannot be
 * migrated away from the address recorded for it. A huge page in movable
 * memory (which the KHO scratch areas are, and where the next kernel
 * makes its early allocations) is first migrated out, to a free huge
 * page of the pool outside movable memory or, when there is none, to a
 * new one from the page allocator; when that fails PRESERVE_FD fails with
 * -ENOMEM and the file is as it was. 1 GiB pages are never in scratch and
 * are pinned where they are, in hugetlb's own CMA area (hugetlb_cma=) too.
 *
 * In the next kernel, ``LIVEUPDATE_SESSION_RETRIEVE_FD`` checks the
 * description (a bad one gets -EINVAL and its memory stays reserved),
 * needs a hugetlb size of the recorded order (-EOPNOTSUPP otherwise, and
 * the pages are freed), creates a hugetlb memfd of that size and puts
 * every huge page back at its index as a hugetlb folio (hugetlb_adopt_folio()),
 * so a mapping of it faults in PMD or PUD mappings of the same memory.
 * Adopted huge pages count as surplus pages in use of their size:
 * HugePages_Total and HugePages_Surp in /proc/meminfo and nr_hugepages
 * and surplus_hugepages in sysfs go up by them, HugePages_Free does not.
 * Freeing them (closing the memfd, truncating it) gives them back to the
 * page allocator, or keeps them in the pool if nr_hugepages was raised to
 * include them meanwhile. They are not charged to a hugetlb cgroup. When
 * memory runs out on the way, RETRIEVE_FD fails with -ENOMEM and loses
 * nothing, and the next call goes on from there. The huge pages of a
 * hugetlb memfd that is never retrieved are freed when its session
 * finishes.
 */

/* Tries at moving a huge page out of movable memory before giving up. */
#define HUGETLB_LUO_MOVE_TRIES	3

/* A preserved hugetlb memfd in this kernel, until the kexec or unpreserve. */
struct memfd_hugetlb_luo_outgoing {
	struct memfd_hugetlb_luo_ser *ser;
	struct memfd_hugetlb_folio_ser *folios;
};

/*
 * Huge pages @mapping holds below @eof (in base pages); -EOPNOTSUPP when
 * one lies at or beyond it, which only a size that is not the file's
 * could record.
 */
static int memfd_hugetlb_luo_count(struct address_space *mapping, pgoff_t eof,
				   unsigned long *nr)
{
	XA_STATE(xas, &mapping->i_pages, 0);
	struct folio *folio;
	int err = 0;

	*nr = 0;
	rcu_read_lock();
	xas_for_each(&xas, folio, ULONG_MAX) {
		if (xas_retry(&xas, folio))
			continue;
		if (xas.xa_index >= eof) {
			err = -EOPNOTSUPP;
			break;
		}
		(*nr)++;
		if (need_resched()) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	return err;
}

/*
 * Migrates the huge page @folio (a reference held, which this drops) out
 * of movable memory, as pinning it for long through GUP would: to a free
 * huge page that may be pinned, or to a new one from memory that is not
 * movable (memalloc_pin_save() takes __GFP_MOVABLE away).
 */
static int memfd_hugetlb_luo_move(struct folio *folio)
{
	struct migration_target_control mtc = {
		.nid = NUMA_NO_NODE,
		.gfp_mask = GFP_USER | __GFP_NOWARN,
		.reason = MR_LONGTERM_PIN,
	};
	unsigned int flags;
	LIST_HEAD(list);
	bool isolated;
	int left;

	isolated = isolate_hugetlb(folio, &list);
	folio_put(folio);
	if (!isolated)
		return -EBUSY;
	flags = memalloc_pin_save();
	left = migrate_pages(&list, alloc_migration_target, NULL,
			     (unsigned long)&mtc, MIGRATE_SYNC, MR_LONGTERM_PIN,
			     NULL);
	memalloc_pin_restore(flags);
	putback_movable_pages(&list);
	return left ? -ENOMEM : 0;
}

/*
 * Pins the huge page at @index (in base pages) of @mapping, which exists
 * since the page set is frozen, after moving it out of movable memory.
 */
static int memfd_hugetlb_luo_pin_one(struct address_space *mapping,
				     pgoff_t index, struct folio **foliop)
{
	struct folio *folio;
	int tries, err;

	for (tries = 0; ; tries++) {
		folio = filemap_get_folio(mapping, index);
		if (IS_ERR(folio))
			return -EAGAIN;
		/*
		 * A gigantic page never lies in the KHO scratch areas
		 * (alloc_contig_pages() takes no CMA pageblock, and hugetlb's
		 * own CMA areas are not scratch), and nothing could move it:
		 * it is pinned where it is, in hugetlb's CMA area too, which
		 * holds only gigantic pages. kho_preserve_pages() still
		 * refuses scratch memory.
		 */
		if (folio_is_longterm_pinnable(folio) ||
		    hstate_is_gigantic(folio_hstate(folio)))
			break;
		if (tries == HUGETLB_LUO_MOVE_TRIES) {
			folio_put(folio);
			return -ENOMEM;
		}
		err = memfd_hugetlb_luo_move(folio);
		if (err)
			return err == -EBUSY ? -ENOMEM : err;
	}
	err = try_grab_folio(folio, 1, FOLL_PIN);
	folio_put(folio);
	if (err)
		return err;
	*foliop = folio;
	return 0;
}

/*
 * Pins the huge pages of @mapping, in index order, into @folios (room for
 * @max); *@nr says how many.
 */
static int memfd_hugetlb_luo_pin(struct address_space *mapping,
				 struct folio **folios, unsigned long max,
				 unsigned long *nr)
{
	pgoff_t index = 0;
	int err = 0;

	*nr = 0;
	for (;;) {
		XA_STATE(xas, &mapping->i_pages, index);
		void *entry;

		rcu_read_lock();
		do {
			entry = xas_find(&xas, ULONG_MAX);
		} while (xas_retry(&xas, entry));
		rcu_read_unlock();
		if (!entry)
			break;
		if (*nr == max) {
			err = -EAGAIN;
			break;
		}
		err = memfd_hugetlb_luo_pin_one(mapping, xas.xa_index,
						&folios[*nr]);
		if (err)
			break;
		index = xas.xa_index + folio_nr_pages(folios[*nr]);
		(*nr)++;
		cond_resched();
	}
	if (err) {
		unpin_folios(folios, *nr);
		*nr = 0;
	}
	return err;
}

/* Takes the first @nr huge pages of @out back from the handover. */
static void memfd_hugetlb_luo_unpreserve_folios(struct memfd_hugetlb_luo_outgoing *out,
						unsigned long nr, bool unpin)
{
	unsigned long i, pages = 1UL << out->ser->order;

	for (i = 0; i < nr; i++) {
		kho_unpreserve_pages(pfn_to_page(out->folios[i].pfn), pages);
		if (unpin)
			unpin_folio(pfn_folio(out->folios[i].pfn));
		cond_resched();
	}
}

/*
 * Preserves the pinned @folios and describes them in @out, one record
 * each.
 */
static int memfd_hugetlb_luo_record(struct memfd_hugetlb_luo_outgoing *out,
				    struct folio **folios, unsigned long nr)
{
	struct memfd_hugetlb_luo_ser *ser = out->ser;
	unsigned long i;
	int err;

	if (!nr)
		return 0;
	out->folios = __vmalloc(array_size(nr, sizeof(*out->folios)), KHO_GFP);
	if (!out->folios)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		out->folios[i].pfn = folio_pfn(folios[i]);
		out->folios[i].index = folios[i]->index >> ser->order;
		err = kho_preserve_pages(&folios[i]->page,
					 folio_nr_pages(folios[i]));
		if (err)
			goto err_unpreserve;
		cond_resched();
	}
	err = kho_preserve_vmalloc(out->folios, &ser->folios);
	if (err)
		goto err_unpreserve;
	ser->nr_folios = nr;
	return 0;

err_unpreserve:
	memfd_hugetlb_luo_unpreserve_folios(out, i, false);
	vfree(out->folios);
	out->folios = NULL;
	return err;
}

/* What may change while the file is preserved, recorded again at the reboot. */
static void memfd_hugetlb_luo_record_state(struct file *file,
					   struct memfd_hugetlb_luo_ser *ser)
{
	ser->pos = READ_ONCE(file->f_pos);
	ser->seals = memfd_get_seals(file);
	ser->mode = READ_ONCE(file_inode(file)->i_mode) & MEMFD_LUO_MODE_BITS;
}

static int memfd_hugetlb_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct hstate *h = hstate_inode(inode);
	struct memfd_hugetlb_luo_outgoing *out;
	unsigned long nr_folios, nr;
	struct folio **folios = NULL;
	int seals, err;

	out = kzalloc(sizeof(*out), KHO_GFP);
	if (!out)
		return -ENOMEM;
	out->ser = kho_alloc_preserve(sizeof(*out->ser));
	if (IS_ERR(out->ser)) {
		err = PTR_ERR(out->ser);
		goto err_free;
	}
	out->ser->order = huge_page_order(h);

	inode_lock(inode);
	seals = memfd_get_seals(file);
	if (seals < 0 || (seals & ~MEMFD_LUO_ALL_SEALS)) {
		err = seals < 0 ? seals : -EOPNOTSUPP;
		goto err_unlock;
	}
	hugetlb_file_freeze(inode, true);

	err = memfd_hugetlb_luo_count(file->f_mapping,
				      DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE),
				      &nr_folios);
	if (err)
		goto err_thaw;
	if (nr_folios) {
		folios = kvmalloc_array(nr_folios, sizeof(*folios), KHO_GFP);
		if (!folios) {
			err = -ENOMEM;
			goto err_thaw;
		}
	}
	err = memfd_hugetlb_luo_pin(file->f_mapping, folios, nr_folios, &nr);
	if (err)
		goto err_thaw;
	err = memfd_hugetlb_luo_record(out, folios, nr);
	if (err)
		goto err_unpin;
	err = hugetlb_luo_flb_count(out->ser->order, nr);
	if (err)
		goto err_unrecord;
	kvfree(folios);

	out->ser->size = i_size_read(inode);
	memfd_hugetlb_luo_record_state(file, out->ser);
	inode_unlock(inode);

	args->serialized_data = virt_to_phys(out->ser);
	args->private_data = out;
	return 0;

err_unrecord:
	memfd_hugetlb_luo_unpreserve_folios(out, nr, false);
	kho_unpreserve_vmalloc(&out->ser->folios);
	vfree(out->folios);
err_unpin:
	unpin_folios(folios, nr);
err_thaw:
	kvfree(folios);
	hugetlb_file_freeze(inode, false);
err_unlock:
	inode_unlock(inode);
	kho_unpreserve_free(out->ser);
err_free:
	kfree(out);
	return err;
}

static void memfd_hugetlb_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct memfd_hugetlb_luo_outgoing *out = args->private_data;
	struct inode *inode = file_inode(args->file);

	inode_lock(inode);
	memfd_hugetlb_luo_unpreserve_folios(out, out->ser->nr_folios, true);
	if (out->folios) {
		kho_unpreserve_vmalloc(&out->ser->folios);
		vfree(out->folios);
	}
	hugetlb_luo_flb_count(out->ser->order, -(long)out->ser->nr_folios);
	hugetlb_file_freeze(inode, false);
	inode_unlock(inode);
	kho_unpreserve_free(out->ser);
	kfree(out);
}

static int memfd_hugetlb_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct memfd_hugetlb_luo_outgoing *out = args->private_data;

	memfd_hugetlb_luo_record_state(args->file, out->ser);
	return 0;
}

/*
 * hugetlb memfds, and files of the same kind: hugetlbfs files with no
 * name in any directory, but not SysV shared memory segments (S_PRIVATE).
 */
static bool memfd_hugetlb_luo_can_preserve(struct liveupdate_file_handler *handler,
					   struct file *file)
{
	struct inode *inode = file_inode(file);

	return is_file_hugepages(file) && S_ISREG(inode->i_mode) &&
	       !(inode->i_flags & S_PRIVATE) && !inode->i_nlink &&
	       memfd_get_seals(file) >= 0;
}

/* Every fd of a memfd is the same memfd: preserve it once. */
static unsigned long memfd_hugetlb_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

static const struct liveupdate_file_ops memfd_hugetlb_luo_ops = {
	.can_preserve = memfd_hugetlb_luo_can_preserve,
	.preserve = memfd_hugetlb_luo_preserve,
	.unpreserve = memfd_hugetlb_luo_unpreserve,
	.freeze = memfd_hugetlb_luo_freeze,
	.retrieve = memfd_hugetlb_luo_retrieve,
	.finish = memfd_hugetlb_luo_finish,
	.get_id = memfd_hugetlb_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler memfd_hugetlb_luo_handler = {
	.ops = &memfd_hugetlb_luo_ops,
	.compatible = MEMFD_HUGETLB_LUO_FH_COMPATIBLE,
};

static int __init memfd_hugetlb_luo_init(void)
{
	int err = liveupdate_register_file_handler(&memfd_hugetlb_luo_handler);

	if (!err) {
		err = liveupdate_register_flb(&memfd_hugetlb_luo_handler,
					      &hugetlb_luo_flb);
		if (err)
			liveupdate_unregister_file_handler(&memfd_hugetlb_luo_handler);
	}
	if (err && err != -EOPNOTSUPP)
		pr_err("registering the hugetlb memfd handler failed: %pe\n",
		       ERR_PTR(err));
	return 0;
}
late_initcall(memfd_hugetlb_luo_init);

#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
#include "memfd_luo_hugetlb_kunit.c"
#endif
