// SPDX-License-Identifier: GPL-2.0
/*
 * The memfd live update handler, incoming side: the next kernel checks a
 * handed-over memfd's description and rebuilds the memfd around its
 * pages, or frees them when nobody retrieves it. The outgoing side and
 * the handler are in memfd_luo.c.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/kho/vmalloc.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <uapi/linux/memfd.h>

#include "memfd_luo_internal.h"

/*
 * Whether the memory of extent @e waits in the handover as the previous
 * kernel recorded it: a run of pages as its run of blocks, a larger folio
 * as one block of its order.
 */
static bool memfd_luo_extent_preserved(const struct memfd_luo_extent_ser *e)
{
	u32 i;

	if (!e->order)
		return kho_pages_are_preserved(PFN_PHYS(e->pfn), e->nr_folios);
	for (i = 0; i < e->nr_folios; i++)
		if (!kho_pages_are_preserved(PFN_PHYS(memfd_luo_folio_pfn(e, i)),
					     1UL << e->order))
			return false;
	return true;
}

/**
 * memfd_luo_read_desc() - copy a memfd description the previous kernel
 *                         handed over
 * @phys: its physical address
 * @desc: where to copy it
 * @len:  its size
 *
 * Return: true, or false if it does not lie in a block the previous
 * kernel preserved; then nothing is read.
 */
bool memfd_luo_read_desc(u64 phys, void *desc, size_t len)
{
	if (!kho_block_is_preserved(phys, len))
		return false;
	memcpy(desc, phys_to_virt(phys), len);
	return true;
}

/**
 * memfd_luo_check_state() - check what a handed-over memfd description
 *                           says of the file itself
 * @phys:  the description's physical address, for the log
 * @size:  the file size it records
 * @pos:   the file position
 * @seals: the seals
 * @mode:  the permission bits
 * @why:   set to what is wrong, for -EINVAL
 *
 * Return: 0; -EOPNOTSUPP for seals this kernel does not know (logged);
 * -EINVAL for an impossible size, position or mode.
 */
int memfd_luo_check_state(u64 phys, u64 size, u64 pos, u32 seals, u32 mode,
			  const char **why)
{
	if (seals & ~MEMFD_LUO_ALL_SEALS) {
		pr_err("memfd at %#llx: unknown seals %#x\n", phys, seals);
		return -EOPNOTSUPP;
	}
	*why = "impossible size, position or permission bits";
	if (size > MAX_LFS_FILESIZE || pos > MAX_LFS_FILESIZE ||
	    mode & ~MEMFD_LUO_MODE_BITS)
		return -EINVAL;
	return 0;
}

/**
 * memfd_luo_restore_array() - take back the array a memfd description
 *                             points to
 * @area:  the vmalloc area the description records
 * @nr:    the entries it says the array has
 * @entry: the size of an entry
 * @why:   set to what is wrong, for -EINVAL
 *
 * Return: the array, to be given to vfree(); NULL when @nr is 0 (and
 * @area is all zero); ERR_PTR(-ENOMEM), after which nothing is taken;
 * ERR_PTR(-EINVAL) for an area that is not there, or too small for @nr
 * entries.
 */
void *memfd_luo_restore_array(const struct kho_vmalloc *area, u64 nr,
			      size_t entry, const char **why)
{
	void *array;

	if (!nr) {
		*why = "an array for no entries";
		return memchr_inv(area, 0, sizeof(*area)) ?
		       ERR_PTR(-EINVAL) : NULL;
	}
	*why = "the array is smaller than its entries";
	if (nr > div_u64((u64)area->total_pages * PAGE_SIZE, entry))
		return ERR_PTR(-EINVAL);
	*why = "the array cannot be restored";
	array = kho_restore_vmalloc_err(area);
	if (IS_ERR(array) && PTR_ERR(array) != -ENOMEM)
		return ERR_PTR(-EINVAL);
	return array;
}

/*
 * Reads the description at @phys and restores its extent array into
 * *@extents, checking everything the previous kernel wrote before it is
 * used. Nothing else is taken: on error every folio stays reserved.
 */
static int memfd_luo_read(u64 phys, struct memfd_luo_ser *ser,
			  struct memfd_luo_extent_ser **extents)
{
	struct memfd_luo_extent_ser *array = NULL;
	u64 eof, next = 0, pages = 0, i;
	const char *why;
	int err;

	*extents = NULL;
	why = "the descriptor is not preserved memory";
	if (!memfd_luo_read_desc(phys, ser, sizeof(*ser)))
		goto err;
	err = memfd_luo_check_state(phys, ser->size, ser->pos, ser->seals,
				    ser->mode, &why);
	if (err == -EOPNOTSUPP)
		return err;
	if (err)
		goto err;
	eof = DIV_ROUND_UP(ser->size, PAGE_SIZE);
	why = "more extents than pages";
	if (ser->nr_extents > ser->nr_pages)
		goto err;
	array = memfd_luo_restore_array(&ser->extents, ser->nr_extents,
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

	for (i = 0; i < ser->nr_extents; i++) {
		const struct memfd_luo_extent_ser *e = &array[i];
		u64 nr;

		why = "an extent with an impossible order, length or index";
		/* The order first: the page count shifts by it. */
		if (e->order > MEMFD_LUO_MAX_ORDER)
			goto err;
		nr = memfd_luo_extent_pages(e);
		if (!e->nr_folios || nr > MEMFD_LUO_EXTENT_PAGES ||
		    !IS_ALIGNED(e->index, 1ULL << e->order) ||
		    e->index < next || e->index >= eof || nr > eof - e->index)
			goto err;
		why = "an extent that is not preserved memory of its folios";
		if (e->pfn > PHYS_PFN(PHYS_ADDR_MAX) - nr ||
		    !IS_ALIGNED(e->pfn, 1ULL << e->order) ||
		    !memfd_luo_extent_preserved(e))
			goto err;
		next = e->index + nr;
		pages += nr;
		cond_resched();
	}
	why = "the extents do not add up to the page count";
	if (pages != ser->nr_pages)
		goto err;
	*extents = array;
	return 0;

err:
	vfree(array);
	pr_err("memfd at %#llx refused, its memory stays reserved: %s\n",
	       phys, why);
	return -EINVAL;
}

/**
 * struct memfd_luo_incoming - a memfd being rebuilt
 * @ser:     its description, read once
 * @extents: its extent array, NULL for a memfd without folios
 * @file:    the new memfd, NULL until it is allocated
 * @done:    entries of @extents that are in @file
 * @taken:   the memory of entry @done is taken back, and its first @sub
 *           parts (see memfd_luo_nr_parts()) are in @file
 * @sub:     see @taken
 *
 * A retrieve that runs out of memory keeps this as the file's private
 * data, and the next one goes on from it, so nothing is lost: everything
 * taken back is in @file or held here, the rest is still preserved.
 */
struct memfd_luo_incoming {
	struct memfd_luo_ser ser;
	struct memfd_luo_extent_ser *extents;
	struct file *file;
	u64 done;
	bool taken;
	unsigned long sub;
};

/*
 * Pages of each folio extent @e becomes in this kernel: its folios keep
 * their order, except where shmem holds no large folios (without THP),
 * where they come back page by page, so that a kernel built without THP
 * still takes memfds whose folios were large.
 */
static unsigned long memfd_luo_part_pages(const struct memfd_luo_extent_ser *e)
{
	return IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) ? 1UL << e->order : 1;
}

static unsigned long memfd_luo_nr_parts(const struct memfd_luo_extent_ser *e)
{
	return memfd_luo_extent_pages(e) / memfd_luo_part_pages(e);
}

/* Folio @i of the parts of the taken extent @e. */
static struct folio *memfd_luo_part(const struct memfd_luo_extent_ser *e,
				    unsigned long i)
{
	return pfn_folio(e->pfn + i * memfd_luo_part_pages(e));
}

/* Takes back folio @i of extent @e, as one folio or as its pages. */
static bool memfd_luo_take_folio(const struct memfd_luo_extent_ser *e, u32 i)
{
	phys_addr_t phys = PFN_PHYS(memfd_luo_folio_pfn(e, i));

	if (memfd_luo_part_pages(e) == 1)
		return kho_restore_pages(phys, 1UL << e->order);
	return kho_restore_folio(phys);
}

/*
 * Takes back the memory of extent @e as memfd_luo_nr_parts() folios, each
 * with one reference and uptodate: a run of pages at once, larger folios
 * one by one.
 */
static int memfd_luo_take(const struct memfd_luo_extent_ser *e)
{
	unsigned long nr = memfd_luo_nr_parts(e), i;
	u32 f;

	/*
	 * memfd_luo_read() checked that the memory is preserved, but two
	 * extents can still name the same folios. The blocks of a run taken
	 * before the one found taken stay with nobody: never exposed.
	 */
	if (!e->order) {
		if (!kho_restore_pages(PFN_PHYS(e->pfn), e->nr_folios))
			goto taken;
	} else {
		for (f = 0; f < e->nr_folios; f++) {
			if (memfd_luo_take_folio(e, f))
				continue;
			/* Give back the folios of this extent taken so far. */
			nr = ((u64)f << e->order) / memfd_luo_part_pages(e);
			for (i = 0; i < nr; i++)
				folio_put(memfd_luo_part(e, i));
			goto taken;
		}
	}
	for (i = 0; i < nr; i++)
		folio_mark_uptodate(memfd_luo_part(e, i));
	return 0;

taken:
	pr_err("extent at pfn %#llx was taken already\n", e->pfn);
	return -EINVAL;
}

/* Frees the handed-over extents of @extents that nothing took yet. */
static void memfd_luo_discard(const struct memfd_luo_extent_ser *extents,
			      u64 nr)
{
	unsigned long j;
	u64 i;

	for (i = 0; i < nr; i++) {
		const struct memfd_luo_extent_ser *e = &extents[i];

		if (memfd_luo_take(e))
			continue;
		for (j = 0; j < memfd_luo_nr_parts(e); j++)
			folio_put(memfd_luo_part(e, j));
		cond_resched();
	}
}

#define MEMFD_LUO_INSERT_BATCH	64	/* folios put into the file at a time */

/*
 * Puts parts of the taken extent @e from part @first on into the file, a
 * batch at a time; *@done says how many went in, which the file now owns.
 */
static int memfd_luo_insert(struct inode *inode,
			    const struct memfd_luo_extent_ser *e,
			    unsigned long first, unsigned int *done)
{
	struct folio *batch[MEMFD_LUO_INSERT_BATCH];
	unsigned int n, i;
	int err;

	n = min_t(unsigned long, memfd_luo_nr_parts(e) - first, ARRAY_SIZE(batch));
	for (i = 0; i < n; i++)
		batch[i] = memfd_luo_part(e, first + i);
	err = shmem_insert_folios(inode, batch, n,
				  e->index + first * memfd_luo_part_pages(e),
				  done);
	for (i = 0; i < *done; i++)
		folio_put(batch[i]);
	return err;
}

/* Puts the extents from entry @in->done on into the file at their index. */
static int memfd_luo_fill(struct memfd_luo_incoming *in)
{
	struct inode *inode = file_inode(in->file);
	unsigned int done;
	int err;

	for (; in->done < in->ser.nr_extents; in->done++) {
		const struct memfd_luo_extent_ser *e = &in->extents[in->done];
		unsigned long nr = memfd_luo_nr_parts(e);

		if (!in->taken) {
			err = memfd_luo_take(e);
			if (err)
				return err;
			in->taken = true;
			in->sub = 0;
		}
		while (in->sub < nr) {
			err = memfd_luo_insert(inode, e, in->sub, &done);
			in->sub += done;
			if (err)
				return err;
		}
		in->taken = false;
		cond_resched();
	}
	return 0;
}

/* Builds the memfd of @in, going on from where an earlier call stopped. */
static int memfd_luo_build(struct memfd_luo_incoming *in)
{
	struct inode *inode;
	int err;

	if (!in->file) {
		struct file *file = memfd_alloc_file("memfd:", MFD_ALLOW_SEALING);

		if (IS_ERR(file)) {
			/*
			 * shmem says -ENOSPC when it gets no inode; memfds
			 * have no inode limit, so that is memory running out.
			 */
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
	err = memfd_luo_fill(in);
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
 * Frees what @in holds: the file with the folios in it, the folios taken
 * back but not in it and, if @discard, the folios not taken back yet (a
 * description that names a folio twice leaves them reserved instead).
 */
static void memfd_luo_incoming_free(struct memfd_luo_incoming *in,
				    bool discard)
{
	u64 next = in->done + in->taken;

	if (in->file)
		fput(in->file);
	if (in->taken) {
		const struct memfd_luo_extent_ser *e = &in->extents[in->done];

		for (; in->sub < memfd_luo_nr_parts(e); in->sub++)
			folio_put(memfd_luo_part(e, in->sub));
	}
	if (discard && next < in->ser.nr_extents)
		memfd_luo_discard(in->extents + next, in->ser.nr_extents - next);
	vfree(in->extents);
	kfree(in);
}

/**
 * memfd_luo_retrieve() - the handler's retrieve: rebuild a handed-over memfd
 * @args: LUO's arguments; @args->serialized_data is the description's
 *        address, @args->file gets the memfd
 *
 * Return: 0; -ENOMEM, after which a later call goes on where this one
 * stopped; -EINVAL for a bad description (its memory stays reserved);
 * -EOPNOTSUPP for seals this kernel does not know.
 */
int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_incoming *in = args->private_data;
	int err;

	if (!in) {
		in = kzalloc(sizeof(*in), GFP_KERNEL);
		if (!in)
			return -ENOMEM;
		/* -ENOMEM here took nothing back. */
		err = memfd_luo_read(args->serialized_data, &in->ser,
				     &in->extents);
		if (err) {
			kfree(in);
			return err;
		}
		args->private_data = in;
	}

	err = memfd_luo_build(in);
	if (err == -ENOMEM) {
		pr_warn("memfd at %#llx: out of memory after %llu of %llu extents, kept for another try\n",
			args->serialized_data, in->done, in->ser.nr_extents);
		return err;
	}
	args->private_data = NULL;
	if (err) {
		memfd_luo_incoming_free(in, err != -EINVAL);
		kho_restore_free(phys_to_virt(args->serialized_data));
		pr_err("memfd at %#llx not retrieved: %pe\n",
		       args->serialized_data, ERR_PTR(err));
		return err;
	}
	args->file = in->file;
	in->file = NULL;
	memfd_luo_incoming_free(in, false);
	kho_restore_free(phys_to_virt(args->serialized_data));
	return 0;
}

/**
 * memfd_luo_finish() - the handler's finish: free what nobody retrieved
 * @args: LUO's arguments for the file, at the end of its session
 *
 * A retrieved memfd owns its folios, and a failed retrieve freed or left
 * reserved what it did not take; a memfd nobody retrieved, or whose
 * retrieve ran out of memory and was not tried again, is freed here.
 */
void memfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_incoming *in = args->private_data;
	struct memfd_luo_extent_ser *extents;
	struct memfd_luo_ser ser;

	if (args->retrieve_status)
		return;
	if (in) {
		memfd_luo_incoming_free(in, true);
	} else {
		if (memfd_luo_read(args->serialized_data, &ser, &extents))
			return;
		memfd_luo_discard(extents, ser.nr_extents);
		vfree(extents);
	}
	kho_restore_free(phys_to_virt(args->serialized_data));
}
