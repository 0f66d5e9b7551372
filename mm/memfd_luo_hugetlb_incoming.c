// SPDX-License-Identifier: GPL-2.0
/*
 * The hugetlb memfd live update handler, incoming side: the next kernel
 * checks a handed-over hugetlb memfd's description and rebuilds the memfd
 * around its huge pages, adopted as hugetlb folios, or frees them when
 * nobody retrieves it. The handler and the outgoing side are in
 * memfd_luo_hugetlb.c.
 */

#define pr_fmt(fmt) "memfd_luo_hugetlb: " fmt

#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <uapi/linux/memfd.h>

#include "internal.h"
#include "memfd_luo_hugetlb_internal.h"

/* Base pages of a 1 GiB page handled between two reschedule points. */
#define MEMFD_HUGETLB_LUO_PAGES_AT_ONCE	4096

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
	if (!memfd_luo_read_desc(phys, ser, sizeof(*ser)))
		goto err;
	err = memfd_luo_check_state(phys, ser->size, ser->pos, ser->seals,
				    ser->mode, &why);
	if (err == -EOPNOTSUPP)
		return err;
	if (err)
		goto err;
	why = "an impossible huge page order or size";
	if (ser->order < 1 || ser->order >= BITS_PER_LONG - PAGE_SHIFT ||
	    ser->reserved || !IS_ALIGNED(ser->size, PAGE_SIZE << ser->order))
		goto err;
	nr_pages = 1ULL << ser->order;
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
	array = memfd_luo_restore_array(&ser->folios, ser->nr_folios,
					sizeof(*array), &why);
	if (IS_ERR(array)) {
		err = PTR_ERR(array);
		array = NULL;
		if (err == -ENOMEM)
			return err;
		goto err;
	}
	if (!array)
		return 0;

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

/**
 * memfd_hugetlb_luo_retrieve() - the handler's retrieve: rebuild a
 *                                handed-over hugetlb memfd
 * @args: LUO's arguments; @args->serialized_data is the description's
 *        address, @args->file gets the memfd
 *
 * Return: 0; -ENOMEM, after which a later call goes on where this one
 * stopped; -EINVAL for a bad description (its memory stays reserved);
 * -EOPNOTSUPP for seals this kernel does not know, or a huge page size it
 * has no pool for (the pages are freed).
 */
int memfd_hugetlb_luo_retrieve(struct liveupdate_file_op_args *args)
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

/**
 * memfd_hugetlb_luo_finish() - the handler's finish: free what nobody
 *                              retrieved
 * @args: LUO's arguments for the file, at the end of its session
 *
 * A retrieved memfd owns its huge pages, and a failed retrieve freed or
 * left reserved what it did not take; a hugetlb memfd nobody retrieved,
 * or whose retrieve ran out of memory and was not tried again, is freed
 * here.
 */
void memfd_hugetlb_luo_finish(struct liveupdate_file_op_args *args)
{
	struct memfd_hugetlb_luo_incoming *in = args->private_data;

	if (args->retrieve_status)
		return;
	if (!in && memfd_hugetlb_luo_start(args, &in))
		return;
	memfd_hugetlb_luo_incoming_free(in, true);
	kho_restore_free(phys_to_virt(args->serialized_data));
}
