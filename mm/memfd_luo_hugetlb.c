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
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "internal.h"
#include "memfd_luo_internal.h"

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

/* Base pages of a 1 GiB page handled between two reschedule points. */
#define MEMFD_HUGETLB_LUO_PAGES_AT_ONCE	4096

/* Tries at moving a huge page out of movable memory before giving up. */
#define HUGETLB_LUO_MOVE_TRIES	3

/* The outgoing FLB's counts, which every hugetlb file changes. */
static DEFINE_MUTEX(hugetlb_luo_flb_lock);

static struct liveupdate_flb hugetlb_luo_flb;

/*
 * Adds @delta huge pages of @order to what the outgoing FLB hands over.
 * Return: 0, or -ENOSPC when the FLB has no room for another size.
 */
static int hugetlb_luo_flb_count(unsigned int order, long delta)
{
	struct hugetlb_luo_flb_ser *ser;
	u32 i;
	int err;

	err = liveupdate_flb_get_outgoing(&hugetlb_luo_flb, (void **)&ser);
	if (err)
		return err;
	mutex_lock(&hugetlb_luo_flb_lock);
	for (i = 0; i < ser->nr_sizes; i++)
		if (ser->sizes[i].order == order)
			break;
	if (i == ser->nr_sizes) {
		if (i == HUGETLB_LUO_MAX_SIZES) {
			mutex_unlock(&hugetlb_luo_flb_lock);
			return -ENOSPC;
		}
		ser->sizes[i].order = order;
		ser->nr_sizes++;
	}
	ser->sizes[i].nr_folios += delta;
	mutex_unlock(&hugetlb_luo_flb_lock);
	return 0;
}

static int hugetlb_luo_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_flb_ser *ser = kho_alloc_preserve(sizeof(*ser));

	if (IS_ERR(ser))
		return PTR_ERR(ser);
	args->data = virt_to_phys(ser);
	args->obj = ser;
	return 0;
}

static void hugetlb_luo_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	kho_unpreserve_free(args->obj);
}

/**
 * struct hugetlb_luo_flb_in - the hugetlb state the previous kernel
 *                             handed over
 * @ser:     its record, read once and checked
 * @adopted: per entry of @ser.sizes, the huge pages adopted into files
 * @lock:    protects @adopted
 */
struct hugetlb_luo_flb_in {
	struct hugetlb_luo_flb_ser ser;
	u64 adopted[HUGETLB_LUO_MAX_SIZES];
	struct mutex lock;	/* files retrieved at once count here */
};

static int hugetlb_luo_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_flb_in *in;
	u32 i, j;

	if (!kho_block_is_preserved(args->data, sizeof(in->ser))) {
		pr_err("the hugetlb state at %#llx is not preserved memory\n",
		       args->data);
		return -EINVAL;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	memcpy(&in->ser, phys_to_virt(args->data), sizeof(in->ser));
	kho_restore_free(phys_to_virt(args->data));

	if (in->ser.nr_sizes > HUGETLB_LUO_MAX_SIZES || in->ser.reserved)
		goto err;
	for (i = 0; i < in->ser.nr_sizes; i++) {
		if (in->ser.sizes[i].order >= BITS_PER_LONG - PAGE_SHIFT ||
		    in->ser.sizes[i].reserved)
			goto err;
		for (j = 0; j < i; j++)
			if (in->ser.sizes[j].order == in->ser.sizes[i].order)
				goto err;
	}
	mutex_init(&in->lock);
	args->obj = in;
	return 0;

err:
	pr_err("the hugetlb state at %#llx is refused: impossible sizes\n",
	       args->data);
	kfree(in);
	return -EINVAL;
}

static void hugetlb_luo_flb_finish(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_flb_in *in = args->obj;
	u32 i;

	for (i = 0; i < in->ser.nr_sizes; i++)
		pr_info("%lu kB pages: %llu of %llu handed over adopted\n",
			(PAGE_SIZE << in->ser.sizes[i].order) / SZ_1K,
			in->adopted[i], in->ser.sizes[i].nr_folios);
	kfree(in);
}

static const struct liveupdate_flb_ops hugetlb_luo_flb_ops = {
	.preserve = hugetlb_luo_flb_preserve,
	.unpreserve = hugetlb_luo_flb_unpreserve,
	.retrieve = hugetlb_luo_flb_retrieve,
	.finish = hugetlb_luo_flb_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_flb hugetlb_luo_flb = {
	.ops = &hugetlb_luo_flb_ops,
	.compatible = HUGETLB_LUO_FLB_COMPATIBLE,
};

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

static int memfd_hugetlb_luo_cmp_pfn(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Whether the @nr huge pages of @folios are all different pages: the
 * indexes were checked to grow, but two records could still name the
 * same memory, and the second would be found taken only once the first
 * is in the file. Pages of one size are aligned to it, so two either are
 * the same or do not overlap. Return: 0, -EINVAL, or -ENOMEM.
 */
static int memfd_hugetlb_luo_distinct(const struct memfd_hugetlb_folio_ser *folios,
				      u64 nr)
{
	u64 *pfns, i;
	int err = 0;

	pfns = kvmalloc_array(nr, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		pfns[i] = folios[i].pfn;
	sort(pfns, nr, sizeof(*pfns), memfd_hugetlb_luo_cmp_pfn, NULL);
	for (i = 1; i < nr; i++)
		if (pfns[i] == pfns[i - 1])
			err = -EINVAL;
	kvfree(pfns);
	return err;
}

/*
 * Reads the description at @phys and restores its folio array into
 * *@folios, checking everything the previous kernel wrote before it is
 * used, against the shared state @flb too. Nothing else is taken: on
 * error every huge page stays reserved.
 */
static int memfd_hugetlb_luo_read(u64 phys, struct memfd_hugetlb_luo_ser *ser,
				  struct memfd_hugetlb_folio_ser **folios,
				  struct hugetlb_luo_flb_in *flb)
{
	struct memfd_hugetlb_folio_ser *array = NULL;
	u64 nr_pages, eof, next = 0, i;
	const char *why;
	int err;
	u32 s;

	*folios = NULL;
	why = "the descriptor is not preserved memory";
	if (!kho_block_is_preserved(phys, sizeof(*ser)))
		goto err;
	memcpy(ser, phys_to_virt(phys), sizeof(*ser));

	if (ser->seals & ~MEMFD_LUO_ALL_SEALS) {
		pr_err("memfd at %#llx: unknown seals %#x\n", phys, ser->seals);
		return -EOPNOTSUPP;
	}
	why = "an impossible huge page order";
	if (ser->order < 1 || ser->order >= BITS_PER_LONG - PAGE_SHIFT ||
	    ser->reserved)
		goto err;
	nr_pages = 1ULL << ser->order;
	why = "impossible size, position or permission bits";
	if (ser->size > MAX_LFS_FILESIZE || ser->pos > MAX_LFS_FILESIZE ||
	    ser->mode & ~MEMFD_LUO_MODE_BITS ||
	    !IS_ALIGNED(ser->size, PAGE_SIZE << ser->order))
		goto err;
	eof = ser->size >> (PAGE_SHIFT + ser->order);
	why = "more huge pages than the size holds";
	if (ser->nr_folios > eof)
		goto err;
	why = "more huge pages than the hugetlb state hands over";
	for (s = 0; s < flb->ser.nr_sizes; s++)
		if (flb->ser.sizes[s].order == ser->order)
			break;
	if (ser->nr_folios &&
	    (s == flb->ser.nr_sizes ||
	     ser->nr_folios > flb->ser.sizes[s].nr_folios))
		goto err;
	if (!ser->nr_folios) {
		why = "a folio array for no huge pages";
		if (memchr_inv(&ser->folios, 0, sizeof(ser->folios)))
			goto err;
		return 0;
	}
	why = "the folio array is smaller than its entries";
	if (ser->nr_folios > div_u64((u64)ser->folios.total_pages * PAGE_SIZE,
				     sizeof(*array)))
		goto err;
	why = "the folio array cannot be restored";
	array = kho_restore_vmalloc_err(&ser->folios);
	if (IS_ERR(array)) {
		if (PTR_ERR(array) == -ENOMEM)
			return -ENOMEM;
		array = NULL;
		goto err;
	}
	for (i = 0; i < ser->nr_folios; i++) {
		const struct memfd_hugetlb_folio_ser *f = &array[i];

		why = "a huge page out of order or beyond the size";
		if (f->index < next || f->index >= eof)
			goto err;
		why = "a huge page that is not preserved memory of its size";
		if (f->pfn > PHYS_PFN(PHYS_ADDR_MAX) - nr_pages ||
		    !IS_ALIGNED(f->pfn, nr_pages) ||
		    !kho_pages_are_preserved(PFN_PHYS(f->pfn), nr_pages))
			goto err;
		next = f->index + 1;
		cond_resched();
	}
	why = "a huge page recorded twice";
	err = memfd_hugetlb_luo_distinct(array, ser->nr_folios);
	if (err == -ENOMEM) {
		vfree(array);
		return err;
	}
	if (err)
		goto err;
	*folios = array;
	return 0;

err:
	vfree(array);
	pr_err("memfd at %#llx refused, its memory stays reserved: %s\n",
	       phys, why);
	return -EINVAL;
}

/*
 * Takes the huge page @f of @order back as a compound folio with one
 * reference; NULL if its memory was taken already (a description naming
 * a page twice: the blocks taken before stay with nobody, never exposed).
 */
static struct folio *memfd_hugetlb_luo_take(const struct memfd_hugetlb_folio_ser *f,
					    unsigned int order)
{
	unsigned long i, nr = 1UL << order;
	struct page *page = kho_restore_pages(PFN_PHYS(f->pfn), nr);

	if (!page) {
		pr_err("huge page at pfn %#llx was taken already\n", f->pfn);
		return NULL;
	}
	for (i = 1; i < nr; i++) {
		set_page_count(page + i, 0);
		if (!(i % MEMFD_HUGETLB_LUO_PAGES_AT_ONCE))
			cond_resched();
	}
	prep_compound_page(page, order);
	return page_folio(page);
}

/* Frees the huge pages of @folios that nothing took yet. */
static void memfd_hugetlb_luo_discard(const struct memfd_hugetlb_folio_ser *folios,
				      u64 nr, unsigned int order)
{
	unsigned long j, pages = 1UL << order;
	u64 i;

	for (i = 0; i < nr; i++) {
		struct page *page = kho_restore_pages(PFN_PHYS(folios[i].pfn),
						      pages);

		if (!page)
			continue;
		for (j = 0; j < pages; j++) {
			__free_page(page + j);
			if (!(j % MEMFD_HUGETLB_LUO_PAGES_AT_ONCE))
				cond_resched();
		}
	}
}

/**
 * struct memfd_hugetlb_luo_incoming - a hugetlb memfd being rebuilt
 * @ser:     its description, read once
 * @folios:  its folio array, NULL for a memfd without huge pages
 * @flb:     the hugetlb state handed over, referenced while this lives
 * @file:    the new memfd, NULL until it is allocated
 * @done:    entries of @folios that are in @file
 * @pending: entry @done, taken back and adopted but not in @file yet
 *
 * A retrieve that runs out of memory keeps this as the file's private
 * data, and the next one goes on from it: everything taken back is in
 * @file or is @pending, the rest is still preserved.
 */
struct memfd_hugetlb_luo_incoming {
	struct memfd_hugetlb_luo_ser ser;
	struct memfd_hugetlb_folio_ser *folios;
	struct hugetlb_luo_flb_in *flb;
	struct file *file;
	u64 done;
	struct folio *pending;
};

#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
/* What KUnit hands over instead of a previous kernel's FLB. */
static struct hugetlb_luo_flb_in *hugetlb_luo_kunit_flb;
#endif

/* Takes a reference on the hugetlb state handed over, into *@flb. */
static int hugetlb_luo_flb_get(struct hugetlb_luo_flb_in **flb)
{
#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
	if (hugetlb_luo_kunit_flb) {
		*flb = hugetlb_luo_kunit_flb;
		return 0;
	}
#endif
	return liveupdate_flb_get_incoming(&hugetlb_luo_flb, (void **)flb);
}

static void hugetlb_luo_flb_put(void)
{
#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
	if (hugetlb_luo_kunit_flb)
		return;
#endif
	liveupdate_flb_put_incoming(&hugetlb_luo_flb);
}

/* Counts @nr huge pages of @order as adopted in the handed-over state. */
static void hugetlb_luo_flb_adopted(struct hugetlb_luo_flb_in *flb,
				    unsigned int order, u64 nr)
{
	u32 s;

	mutex_lock(&flb->lock);
	for (s = 0; s < flb->ser.nr_sizes; s++)
		if (flb->ser.sizes[s].order == order)
			flb->adopted[s] += nr;
	mutex_unlock(&flb->lock);
}

/* Puts the huge pages from entry @in->done on into the file. */
static int memfd_hugetlb_luo_fill(struct memfd_hugetlb_luo_incoming *in,
				  struct hstate *h)
{
	struct inode *inode = file_inode(in->file);
	u64 first = in->done;
	int err = 0;

	for (; in->done < in->ser.nr_folios; in->done++) {
		const struct memfd_hugetlb_folio_ser *f = &in->folios[in->done];

		if (!in->pending) {
			struct folio *folio = memfd_hugetlb_luo_take(f, in->ser.order);

			if (!folio) {
				err = -EINVAL;
				break;
			}
			hugetlb_adopt_folio(h, folio);
			in->pending = folio;
		}
		err = hugetlb_insert_adopted_folio(inode, in->pending, f->index);
		if (err)
			break;
		folio_put(in->pending);
		in->pending = NULL;
		cond_resched();
	}
	hugetlb_luo_flb_adopted(in->flb, in->ser.order, in->done - first);
	return err;
}

/* Builds the memfd of @in, going on from where an earlier call stopped. */
static int memfd_hugetlb_luo_build(struct memfd_hugetlb_luo_incoming *in,
				   struct hstate *h)
{
	struct inode *inode;
	int err;

	if (!in->file) {
		unsigned int flags = MFD_ALLOW_SEALING | MFD_HUGETLB |
			(huge_page_shift(h) << MFD_HUGE_SHIFT);
		struct file *file = memfd_alloc_file("memfd:", flags);

		if (IS_ERR(file)) {
			err = PTR_ERR(file);
			return err == -ENOSPC ? -ENOMEM : err;
		}
		inode = file_inode(file);
		inode_lock(inode);
		inode->i_mode = (inode->i_mode & S_IFMT) | in->ser.mode;
		i_size_write(inode, in->ser.size);
		inode_unlock(inode);
		in->file = file;
	}
	inode = file_inode(in->file);
	inode_lock(inode);
	err = memfd_hugetlb_luo_fill(in, h);
	inode_unlock(inode);
	if (err)
		return err;
	/* After the mode: F_SEAL_EXEC on an executable file implies more. */
	err = memfd_add_seals(in->file, in->ser.seals);
	if (err)
		return err;
	in->file->f_pos = in->ser.pos;
	return 0;
}

/*
 * Frees what @in holds: the file with its huge pages, the adopted one not
 * in it and, if @discard, the huge pages not taken back yet.
 */
static void memfd_hugetlb_luo_incoming_free(struct memfd_hugetlb_luo_incoming *in,
					    bool discard)
{
	u64 next = in->done + !!in->pending;

	if (in->file)
		fput(in->file);
	if (in->pending)
		folio_put(in->pending);
	if (discard && next < in->ser.nr_folios)
		memfd_hugetlb_luo_discard(in->folios + next,
					  in->ser.nr_folios - next,
					  in->ser.order);
	vfree(in->folios);
	hugetlb_luo_flb_put();
	kfree(in);
}

/* Reads the description of @args' file into a new @in. */
static int memfd_hugetlb_luo_start(struct liveupdate_file_op_args *args,
				   struct memfd_hugetlb_luo_incoming **inp)
{
	struct memfd_hugetlb_luo_incoming *in;
	int err;

	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	err = hugetlb_luo_flb_get(&in->flb);
	if (err) {
		pr_err("memfd at %#llx: no hugetlb state: %pe\n",
		       args->serialized_data, ERR_PTR(err));
		kfree(in);
		return err == -ENOMEM ? err : -EINVAL;
	}
	err = memfd_hugetlb_luo_read(args->serialized_data, &in->ser,
				     &in->folios, in->flb);
	if (err) {
		hugetlb_luo_flb_put();
		kfree(in);
		return err;
	}
	*inp = in;
	return 0;
}

static int memfd_hugetlb_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_hugetlb_luo_incoming *in = args->private_data;
	struct hstate *h;
	int err;

	if (!in) {
		/* -ENOMEM here took nothing back. */
		err = memfd_hugetlb_luo_start(args, &in);
		if (err)
			return err;
		args->private_data = in;
	}

	h = size_to_hstate(PAGE_SIZE << in->ser.order);
	if (!h) {
		pr_err("memfd at %#llx: this kernel has no %lu kB huge pages\n",
		       args->serialized_data,
		       (PAGE_SIZE << in->ser.order) / SZ_1K);
		err = -EOPNOTSUPP;
	} else {
		err = memfd_hugetlb_luo_build(in, h);
	}
	if (err == -ENOMEM) {
		pr_warn_ratelimited("memfd at %#llx: out of memory after %llu of %llu huge pages, kept for another try\n",
				    args->serialized_data, in->done,
				    in->ser.nr_folios);
		return err;
	}
	args->private_data = NULL;
	if (err) {
		memfd_hugetlb_luo_incoming_free(in, err != -EINVAL);
		kho_restore_free(phys_to_virt(args->serialized_data));
		pr_err("memfd at %#llx not retrieved: %pe\n",
		       args->serialized_data, ERR_PTR(err));
		return err;
	}
	args->file = in->file;
	in->file = NULL;
	memfd_hugetlb_luo_incoming_free(in, false);
	kho_restore_free(phys_to_virt(args->serialized_data));
	return 0;
}

/*
 * Frees a hugetlb memfd nobody retrieved, or whose retrieve ran out of
 * memory and was not tried again. A retrieved memfd owns its huge pages,
 * and a failed retrieve freed or left reserved what it did not take.
 */
static void memfd_hugetlb_luo_finish(struct liveupdate_file_op_args *args)
{
	struct memfd_hugetlb_luo_incoming *in = args->private_data;

	if (args->retrieve_status)
		return;
	if (!in && memfd_hugetlb_luo_start(args, &in))
		return;
	memfd_hugetlb_luo_incoming_free(in, true);
	kho_restore_free(phys_to_virt(args->serialized_data));
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
