// SPDX-License-Identifier: GPL-2.0
/*
 * The Live Update Orchestrator's file handler for memfds: a memfd's pages
 * stay where they are across a kexec, and the next kernel rebuilds the
 * memfd around them.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/kho/vmalloc.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "internal.h"
#include "memfd_luo_internal.h"

/**
 * DOC: memfd preservation
 *
 * A memfd given to ``LIVEUPDATE_SESSION_PRESERVE_FD`` is handed over with
 * its pages in place: nothing is copied, before or after the kexec. The
 * handler takes shmem files that have no name in any directory (memfds,
 * and ``O_TMPFILE`` files of tmpfs); hugetlb memfds have a handler of
 * their own (memfd_luo_hugetlb.c). A memfd holding pages
 * beyond its size (fallocate() with ``FALLOC_FL_KEEP_SIZE``) gets
 * -EOPNOTSUPP, whatever the size of the folio they are in: with shmem THP
 * on, such pages can share a 2 MiB folio with the last pages below the
 * size. Shrinking the file with ftruncate() drops them.
 *
 * Preserving freezes the file (shmem_freeze()): from then on its size and
 * its set of pages are fixed, so truncation, fallocate(), writes that
 * would extend the file or fill a hole fail with -EPERM, and a fault on a
 * hole gets SIGBUS. The pages that exist are pinned, which moves any that
 * sit in movable memory (where the next kernel could place its own early
 * allocations) elsewhere first. The folios are then recorded as extents,
 * runs of folios of one order that follow each other in the file and in
 * memory: a run of pages is preserved as one run of blocks, each larger
 * folio with its order, so the work and the metadata follow how
 * scattered the memory is rather than how much of it there is.
 * When the memory outside movable memory cannot take the pages that must
 * move and still keep a reserve for the kernel (1/32 of memory, at most
 * 256 MiB, above the watermarks), the memfd is refused with -ENOMEM
 * before anything moves;
 * when moving them fails anyway (memory taken meanwhile, or too fragmented
 * for a 2 MiB folio and its pages), PRESERVE_FD fails with -ENOMEM too,
 * promptly and without the OOM killer, and the file is as it was apart
 * from where some of its pages are (a 2 MiB folio may have been split to
 * move). Reads and writes of those pages go on until the reboot, and land
 * in the memory the next kernel gets. Holes are not filled: the extent
 * array records only the folios that exist. Folios allocated by
 * fallocate() but never written are zeroed when they are pinned, and from
 * then on count as data for ``SEEK_DATA``, as memfd_pin_folios() does.
 *
 * At the reboot the file position, seals and permission bits are recorded
 * again, since the process may have changed them. Closing the session
 * before the kexec unpreserves the file: pins and preservation are
 * dropped and the file is thawed.
 *
 * In the next kernel, ``LIVEUPDATE_SESSION_RETRIEVE_FD`` checks the
 * handed-over description (a bad one is refused with -EINVAL, and its
 * memory stays reserved), creates a new memfd with an empty name, gives it
 * the recorded size, permission bits and position, takes back each extent
 * at once and inserts every folio at its index with its order (a kernel
 * built without THP, whose shmem holds no large folios, inserts a large
 * one page by page), accounted and
 * charged to the caller's memory
 * cgroup as if shmem had allocated it, and adds the recorded seals. The
 * result is an ordinary memfd, which can be preserved again for the next
 * live update. When memory runs out on the way (or the cgroup's limit is
 * reached), the call fails with -ENOMEM without the OOM killer and loses
 * nothing: the memfd built so far is kept, the folios not inserted yet
 * stay preserved, and the next ``LIVEUPDATE_SESSION_RETRIEVE_FD`` goes on
 * from there. A memfd that is never retrieved, or whose retrieval ran out
 * of memory and was not tried again, is freed when its session finishes.
 */

/* A preserved memfd in this kernel, until the kexec or unpreserve. */
struct memfd_luo_outgoing {
	struct memfd_luo_ser *ser;
	struct memfd_luo_extent_ser *extents;
};

/*
 * The first page cache entry of @mapping at or after *@index, a folio or a
 * swapped-out one: its first index in *@index, its pages in *@nr, and in
 * *@movable whether it is a folio that must move before it is pinned.
 * False when there is none. Entries are aligned to their size, so a walk
 * that goes on from *@index + *@nr never starts inside one.
 */
static bool memfd_luo_next_entry(struct address_space *mapping,
				 pgoff_t *index, unsigned long *nr,
				 bool *movable)
{
	XA_STATE(xas, &mapping->i_pages, *index);
	void *entry;

	rcu_read_lock();
	do {
		entry = xas_find(&xas, ULONG_MAX);
	} while (xas_retry(&xas, entry));
	if (entry) {
		*index = xas.xa_index;
		*nr = 1UL << xas_get_order(&xas);
		*movable = !xa_is_value(entry) &&
			   !folio_is_longterm_pinnable(entry);
	}
	rcu_read_unlock();
	return entry;
}

/*
 * Pages the file holds, counted from its page cache (the page set is
 * frozen). A page at or beyond the end of the file refuses the file: it
 * could only be recorded by a size that is not the file's. A large folio
 * that starts below the end and reaches past it is an ordinary large
 * folio (a 4 KiB write with shmem THP on makes one of 2 MiB), unless
 * fallocate() with FALLOC_FL_KEEP_SIZE reached past the end, which shmem
 * notes in its fallocend: then the folio holds pages beyond the end that
 * were asked for, and the file is refused as if they were folios of
 * their own.
 *
 * Pages in movable memory, such as the KHO scratch areas this kernel lends
 * to movable allocations and the next kernel boots from, are moved before
 * they are pinned. Pinned pages are memory the kernel can never get back
 * for its own allocations, which cannot use movable memory: the file is
 * refused with -ENOMEM here unless, once the pages have moved, what is
 * left outside movable memory stays above the watermarks by 1/32 of all
 * memory (at most 256 MiB). Without that reserve, preserving memfds one
 * after the other could end with only scratch memory free and the next
 * slab allocation anywhere waking the OOM killer.
 */
static int memfd_luo_count_pages(struct address_space *mapping, pgoff_t eof,
				 pgoff_t falloc_end, unsigned long *nr_pages,
				 unsigned long *to_move)
{
	XA_STATE(xas, &mapping->i_pages, 0);
	unsigned long pages = 0, reserve, nr;
	void *entry;
	long room;
	int err = 0;

	*to_move = 0;
	rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		if (xas_retry(&xas, entry))
			continue;
		nr = 1UL << xas_get_order(&xas);
		if (xas.xa_index >= eof ||
		    (xas.xa_index + nr > eof && falloc_end > eof)) {
			err = -EOPNOTSUPP;
			break;
		}
		pages += nr;
		if (!xa_is_value(entry) && !folio_is_longterm_pinnable(entry))
			*to_move += nr;
		if (need_resched()) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	*nr_pages = pages;
	if (err || !pages)
		return err;
	room = si_mem_available() - global_zone_page_state(NR_FREE_CMA_PAGES);
	reserve = min(totalram_pages() / 32, SZ_256M >> PAGE_SHIFT);
	return room > 0 && *to_move + reserve <= room ? 0 : -ENOMEM;
}

/*
 * Where a folio that must not stay in movable memory goes: memory that is
 * not movable (no __GFP_MOVABLE, so not the KHO scratch areas either),
 * preferably on its node, without waking the OOM killer, and for a large
 * folio after one attempt at compaction only. Under pressure a large
 * folio that finds no room of its size is split by migrate_pages() and
 * its pages move on their own. PRESERVE_FD so fails in bounded time with
 * -ENOMEM where pinning through memfd_pin_folios() used to loop in
 * direct compaction and reclaim throttling, or had the caller OOM-killed.
 */
static struct folio *memfd_luo_move_target(struct folio *src,
					   unsigned long private)
{
	unsigned int order = folio_order(src);
	gfp_t gfp = GFP_HIGHUSER | __GFP_NOWARN;

	gfp |= order ? __GFP_NORETRY : __GFP_RETRY_MAYFAIL;
	return __folio_alloc(gfp, order, folio_nid(src), NULL);
}

/* Moves the isolated folios on @list out of movable memory. */
static int memfd_luo_move(struct list_head *list)
{
	int left;

	if (list_empty(list))
		return 0;
	left = migrate_pages(list, memfd_luo_move_target, NULL, 0,
			     MIGRATE_SYNC, MR_LONGTERM_PIN, NULL);
	putback_movable_pages(list);
	return left ? -ENOMEM : 0;
}

/* Takes @folio (a reference held) off the LRU onto @list, if it can. */
static unsigned long memfd_luo_isolate(struct folio *folio,
				       struct list_head *list)
{
	if (!folio_isolate_lru(folio))
		return 0;
	list_add_tail(&folio->lru, list);
	node_stat_mod_folio(folio, NR_ISOLATED_ANON + folio_is_file_lru(folio),
			    folio_nr_pages(folio));
	return folio_nr_pages(folio);
}

#define MEMFD_LUO_MOVE_BATCH	512	/* pages migrated at a time */
#define MEMFD_LUO_MOVE_TRIES	3	/* for a folio that came back movable */

/*
 * Moves every folio of @mapping that sits in movable memory, in batches.
 * Swapped-out pages are not touched here: they come back when they are
 * pinned, and move then if they came back into movable memory.
 */
static int memfd_luo_move_all(struct address_space *mapping)
{
	unsigned long batch = 0, nr;
	bool movable, drained = false;
	LIST_HEAD(list);
	pgoff_t index;
	int err = 0;

	for (index = 0; memfd_luo_next_entry(mapping, &index, &nr, &movable);
	     index += nr) {
		struct folio *folio;

		if (!movable)
			continue;
		if (!drained) {
			/* Folios in per-CPU LRU batches cannot be isolated. */
			lru_add_drain_all();
			drained = true;
		}
		folio = filemap_get_folio(mapping, index);
		if (IS_ERR(folio))
			continue;
		if (!folio_is_longterm_pinnable(folio))
			batch += memfd_luo_isolate(folio, &list);
		folio_put(folio);
		if (batch >= MEMFD_LUO_MOVE_BATCH) {
			err = memfd_luo_move(&list);
			batch = 0;
			if (err)
				return err;
		}
		cond_resched();
	}
	return memfd_luo_move(&list);
}

/*
 * A folio fallocate() allocated but nothing wrote may hold whatever its
 * memory held before. shmem_get_folio() zeroes it and marks it uptodate
 * already, as shmem does when such a folio is first used; the check
 * stays so that no stale memory can ever be handed over whatever it
 * does, and so that every recorded folio holds data. The folio is
 * locked, which orders this against a write making it uptodate.
 */
static void memfd_luo_make_uptodate(struct folio *folio)
{
	long i;

	if (folio_test_uptodate(folio))
		return;
	for (i = 0; i < folio_nr_pages(folio); i++)
		clear_highpage(folio_page(folio, i));
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
}

/*
 * Pins the folio at @index of @inode (which exists: the page set is
 * frozen) with FOLL_PIN, as memfd_pin_folios() would: a swapped-out page
 * is read back, a folio fallocate() allocated but nothing wrote is zeroed
 * and made uptodate, a folio in movable memory is moved first.
 */
static int memfd_luo_pin_one(struct inode *inode, pgoff_t index,
			     struct folio **foliop)
{
	struct folio *folio;
	int tries, err;

	for (tries = 0; ; tries++) {
		LIST_HEAD(list);

		err = shmem_get_folio(inode, index, 0, &folio, SGP_NOALLOC);
		if (err)
			return err;
		if (!folio)
			return -EAGAIN;
		if (folio_is_longterm_pinnable(folio))
			break;
		folio_unlock(folio);
		if (tries == MEMFD_LUO_MOVE_TRIES) {
			folio_put(folio);
			return -ENOMEM;
		}
		if (!memfd_luo_isolate(folio, &list))
			lru_add_drain_all();
		folio_put(folio);
		err = memfd_luo_move(&list);
		if (err)
			return err;
	}
	memfd_luo_make_uptodate(folio);
	err = try_grab_folio(folio, 1, FOLL_PIN);
	folio_unlock(folio);
	folio_put(folio);
	if (err)
		return err;
	*foliop = folio;
	return 0;
}

/*
 * Pins @folio, the entry the page cache lock holds it at, if it is what
 * the handover wants: a folio (not a swap entry), uptodate and outside
 * movable memory. Under the lock it cannot leave the file or be frozen
 * by migration, so it is pinned without a reference of its own or its
 * folio lock; anything else is left to memfd_luo_pin_one().
 */
static bool memfd_luo_pin_locked(struct folio *folio)
{
	return !xa_is_value(folio) && folio_test_uptodate(folio) &&
	       folio_is_longterm_pinnable(folio) &&
	       !try_grab_folio(folio, 1, FOLL_PIN);
}

#define MEMFD_LUO_PIN_BATCH	64	/* folios pinned under the lock at once */

/*
 * Pins every folio of @file, in index order, into @folios (room for
 * @max). The folios in movable memory move first, in batches, when
 * there are any (@move); holes get no page. The page cache is walked
 * under its lock, a batch of entries at a time, and only an entry that
 * is not ready to pin as it is goes the one-by-one way.
 */
static int memfd_luo_pin(struct file *file, struct folio **folios,
			 unsigned long max, unsigned long *nr, bool move)
{
	struct address_space *mapping = file->f_mapping;
	XA_STATE(xas, &mapping->i_pages, 0);
	struct inode *inode = file_inode(file);
	unsigned int batch = 0;
	struct folio *folio;
	int err = 0;

	*nr = 0;
	if (move) {
		err = memfd_luo_move_all(mapping);
		if (err)
			return err;
	}
	xas_lock_irq(&xas);
	xas_for_each(&xas, folio, ULONG_MAX) {
		pgoff_t index = xas.xa_index;

		if (*nr >= max) {
			err = -EAGAIN;
			break;
		}
		if (!memfd_luo_pin_locked(folio)) {
			xas_pause(&xas);
			xas_unlock_irq(&xas);
			err = memfd_luo_pin_one(inode, index, &folio);
			xas_lock_irq(&xas);
			if (err)
				break;
		}
		folios[(*nr)++] = folio;
		if (++batch == MEMFD_LUO_PIN_BATCH) {
			batch = 0;
			xas_pause(&xas);
			xas_unlock_irq(&xas);
			cond_resched();
			xas_lock_irq(&xas);
		}
	}
	xas_unlock_irq(&xas);
	if (err) {
		unpin_folios(folios, *nr);
		*nr = 0;
	}
	return err;
}

/* Folio @i of an extent of this kernel. */
static struct folio *memfd_luo_extent_folio(const struct memfd_luo_extent_ser *e,
					    u32 i)
{
	return pfn_folio(memfd_luo_folio_pfn(e, i));
}

/*
 * Whether a folio of @order at @pfn and @index goes on extent @e: it
 * follows the extent's last folio in the file and in memory, has the same
 * order, and does not start a new run of MEMFD_LUO_EXTENT_PAGES pages (a
 * folio is aligned to its size, so it never crosses one).
 */
static bool memfd_luo_extends(const struct memfd_luo_extent_ser *e,
			      unsigned long pfn, pgoff_t index,
			      unsigned int order)
{
	u64 pages = memfd_luo_extent_pages(e);

	return e->order == order && e->pfn + pages == pfn &&
	       e->index + pages == index &&
	       !IS_ALIGNED(pfn, MEMFD_LUO_EXTENT_PAGES);
}

/*
 * Describes the pinned @folios, in index order, as extents into @extents
 * (when not NULL), and counts their pages into *@pages. Return: the
 * number of extents.
 */
static unsigned long memfd_luo_fill_extents(struct folio **folios,
					    unsigned long nr,
					    struct memfd_luo_extent_ser *extents,
					    unsigned long *pages)
{
	struct memfd_luo_extent_ser cur = {};
	unsigned long n = 0, i;

	*pages = 0;
	for (i = 0; i < nr; i++) {
		struct folio *folio = folios[i];
		unsigned long pfn = folio_pfn(folio);
		unsigned int order = folio_order(folio);

		*pages += 1UL << order;
		if (n && memfd_luo_extends(&cur, pfn, folio->index, order)) {
			cur.nr_folios++;
			continue;
		}
		if (n && extents)
			extents[n - 1] = cur;
		cur = (struct memfd_luo_extent_ser) {
			.pfn = pfn,
			.index = folio->index,
			.nr_folios = 1,
			.order = order,
		};
		n++;
		cond_resched();
	}
	if (n && extents)
		extents[n - 1] = cur;
	return n;
}

/*
 * Hands extent @e over: a run of pages as one run of blocks, larger
 * folios one by one, since each must come back as a folio of its order.
 */
static int memfd_luo_preserve_extent(const struct memfd_luo_extent_ser *e)
{
	u32 i;
	int err;

	if (!e->order)
		return kho_preserve_pages(pfn_to_page(e->pfn), e->nr_folios);
	for (i = 0; i < e->nr_folios; i++) {
		err = kho_preserve_folio(memfd_luo_extent_folio(e, i));
		if (err) {
			while (i--)
				kho_unpreserve_folio(memfd_luo_extent_folio(e, i));
			return err;
		}
	}
	return 0;
}

/* Takes extent @e back from the handover, and unpins it if @unpin. */
static void memfd_luo_unpreserve_extent(const struct memfd_luo_extent_ser *e,
					bool unpin)
{
	u32 i;

	if (!e->order)
		kho_unpreserve_pages(pfn_to_page(e->pfn), e->nr_folios);
	for (i = 0; i < e->nr_folios; i++) {
		struct folio *folio = memfd_luo_extent_folio(e, i);

		if (e->order)
			kho_unpreserve_folio(folio);
		if (unpin)
			unpin_folio(folio);
	}
}

/*
 * Preserves the pinned @folios and describes them in @out: the extents are
 * counted first, so that the array handed over is no larger than they are.
 */
static int memfd_luo_record(struct memfd_luo_outgoing *out,
			    struct folio **folios, unsigned long nr)
{
	struct memfd_luo_ser *ser = out->ser;
	unsigned long i, nr_extents, pages = 0;
	int err;

	if (!nr)
		return 0;
	nr_extents = memfd_luo_fill_extents(folios, nr, NULL, &pages);
	out->extents = __vmalloc(array_size(nr_extents, sizeof(*out->extents)),
				 KHO_GFP);
	if (!out->extents)
		return -ENOMEM;
	memfd_luo_fill_extents(folios, nr, out->extents, &pages);

	for (i = 0; i < nr_extents; i++) {
		err = memfd_luo_preserve_extent(&out->extents[i]);
		if (err)
			goto err_unpreserve;
		cond_resched();
	}
	err = kho_preserve_vmalloc(out->extents, &ser->extents);
	if (err)
		goto err_unpreserve;
	ser->nr_extents = nr_extents;
	ser->nr_pages = pages;
	return 0;

err_unpreserve:
	while (i--)
		memfd_luo_unpreserve_extent(&out->extents[i], false);
	vfree(out->extents);
	out->extents = NULL;
	return err;
}

/* What may change while the file is preserved, recorded again at the reboot. */
static void memfd_luo_record_state(struct file *file, struct memfd_luo_ser *ser)
{
	struct inode *inode = file_inode(file);

	ser->pos = READ_ONCE(file->f_pos);
	ser->seals = memfd_get_seals(file);
	ser->mode = READ_ONCE(inode->i_mode) & MEMFD_LUO_MODE_BITS;
}

static int memfd_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct memfd_luo_outgoing *out;
	unsigned long nr_pages, to_move, nr;
	struct folio **folios = NULL;
	int seals, err;
	pgoff_t eof;

	out = kzalloc(sizeof(*out), KHO_GFP);
	if (!out)
		return -ENOMEM;
	out->ser = kho_alloc_preserve(sizeof(*out->ser));
	if (IS_ERR(out->ser)) {
		err = PTR_ERR(out->ser);
		goto err_free;
	}

	inode_lock(inode);
	seals = memfd_get_seals(file);
	if (seals < 0 || (seals & ~MEMFD_LUO_ALL_SEALS)) {
		err = seals < 0 ? seals : -EOPNOTSUPP;
		goto err_unlock;
	}
	shmem_freeze(inode, true);

	eof = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	err = memfd_luo_count_pages(file->f_mapping, eof,
				    shmem_fallocend(inode, eof), &nr_pages,
				    &to_move);
	if (err)
		goto err_thaw;
	if (nr_pages) {
		folios = kvmalloc_array(nr_pages, sizeof(*folios), KHO_GFP);
		if (!folios) {
			err = -ENOMEM;
			goto err_thaw;
		}
	}
	err = memfd_luo_pin(file, folios, nr_pages, &nr, to_move);
	if (err)
		goto err_thaw;
	err = memfd_luo_record(out, folios, nr);
	if (err)
		goto err_unpin;
	kvfree(folios);

	out->ser->size = i_size_read(inode);
	memfd_luo_record_state(file, out->ser);
	inode_unlock(inode);

	args->serialized_data = virt_to_phys(out->ser);
	args->private_data = out;
	return 0;

err_unpin:
	unpin_folios(folios, nr);
err_thaw:
	kvfree(folios);
	shmem_freeze(inode, false);
err_unlock:
	inode_unlock(inode);
	kho_unpreserve_free(out->ser);
err_free:
	kfree(out);
	return err;
}

static void memfd_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_outgoing *out = args->private_data;
	struct inode *inode = file_inode(args->file);
	u64 i;

	inode_lock(inode);
	for (i = 0; i < out->ser->nr_extents; i++) {
		memfd_luo_unpreserve_extent(&out->extents[i], true);
		cond_resched();
	}
	if (out->extents) {
		kho_unpreserve_vmalloc(&out->ser->extents);
		vfree(out->extents);
	}
	shmem_freeze(inode, false);
	inode_unlock(inode);
	kho_unpreserve_free(out->ser);
	kfree(out);
}

static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_outgoing *out = args->private_data;

	memfd_luo_record_state(args->file, out->ser);
	return 0;
}

static bool memfd_luo_can_preserve(struct liveupdate_file_handler *handler,
				   struct file *file)
{
	return shmem_file(file) && !file_inode(file)->i_nlink;
}

/* Every fd of a memfd is the same memfd: preserve it once. */
static unsigned long memfd_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

static const struct liveupdate_file_ops memfd_luo_ops = {
	.can_preserve = memfd_luo_can_preserve,
	.preserve = memfd_luo_preserve,
	.unpreserve = memfd_luo_unpreserve,
	.freeze = memfd_luo_freeze,
	.retrieve = memfd_luo_retrieve,
	.finish = memfd_luo_finish,
	.get_id = memfd_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler memfd_luo_handler = {
	.ops = &memfd_luo_ops,
	.compatible = MEMFD_LUO_FH_COMPATIBLE,
};

static int __init memfd_luo_init(void)
{
	int err = liveupdate_register_file_handler(&memfd_luo_handler);

	if (err && err != -EOPNOTSUPP)
		pr_err("registering the memfd handler failed: %pe\n",
		       ERR_PTR(err));
	return 0;
}
late_initcall(memfd_luo_init);

#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
#include "memfd_luo_kunit.c"
#endif
