/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of memfds handed over by the Live Update Orchestrator.
 */
#ifndef _LINUX_KHO_ABI_MEMFD_H
#define _LINUX_KHO_ABI_MEMFD_H

#include <linux/build_bug.h>
#include <linux/kho/abi/compat.h>
#include <linux/kho/abi/vmalloc.h>
#include <linux/types.h>

/**
 * DOC: memfd preservation ABI
 *
 * The file record of a preserved memfd carries ``MEMFD_LUO_FH_COMPATIBLE``
 * and, as its handle, the physical address of a &struct memfd_luo_ser in a
 * block the previous kernel preserved. The descriptor holds what the file
 * was at the reboot (size, position, seals, permission bits) and how many
 * extents and pages it had; its contents are described by an array of
 * &struct memfd_luo_extent_ser in a vmalloc area handed over with
 * kho_preserve_vmalloc(), hence the vmalloc module's string in the
 * compatible (see "KHO compatible strings").
 *
 * An extent is a run of folios of one order that follow each other both in
 * the file and in physical memory, so a memfd whose memory is contiguous
 * costs one record per extent instead of one per page. Extents never
 * cross a physical boundary of ``MEMFD_LUO_EXTENT_PAGES`` pages (4 MiB of
 * 4 KiB pages), which bounds the work on one record in the next kernel
 * and keeps each run within the largest block KHO records. They are
 * recorded in increasing index order; only folios that exist are
 * recorded, so a sparse file costs metadata in proportion to its pages,
 * and its holes stay holes. Every recorded folio holds data: folios
 * fallocate() allocated but nothing wrote are zeroed and marked uptodate
 * before they are recorded.
 *
 * An extent of order-0 folios is preserved as one run with
 * kho_preserve_pages() (naturally aligned blocks), and the next kernel
 * takes it back with kho_restore_pages(); a folio of a larger order is
 * preserved on its own with kho_preserve_folio() and comes back as a
 * folio of that order (or as pages, in a kernel whose shmem holds no
 * large folios).
 *
 * The layout differs from mainline's "memfd-v2" (extents, holes, folio
 * orders, permission bits, page count), hence a base string of its own;
 * "memfd-sparse-v1" described each folio with a record of its own.
 */
#define MEMFD_LUO_FH_COMPAT_BASE	"memfd-sparse-v2"
#define MEMFD_LUO_FH_COMPATIBLE		KHO_COMPAT(MEMFD_LUO_FH_COMPAT_BASE, \
						   KHO_VMALLOC_COMPATIBLE)

/* Extents stay within naturally aligned runs of this many pages. */
#define MEMFD_LUO_EXTENT_PAGES		1024

/**
 * struct memfd_luo_ser - a preserved memfd
 * @pos:        the file position at the reboot
 * @size:       the file size in bytes
 * @seals:      F_SEAL_* bits at the reboot
 * @mode:       permission bits of the inode (07777) at the reboot
 * @nr_extents: entries in the extent array
 * @nr_pages:   pages in those extents together
 * @extents:    the vmalloc area holding the extent array; all zero when
 *              @nr_extents is 0
 */
struct memfd_luo_ser {
	__u64 pos;
	__u64 size;
	__u32 seals;
	__u32 mode;
	__u64 nr_extents;
	__u64 nr_pages;
	struct kho_vmalloc extents;
} __packed;

static_assert(sizeof(struct memfd_luo_ser) == 56);

/**
 * struct memfd_luo_extent_ser - folios of a preserved memfd that follow
 *                               each other in the file and in memory
 * @pfn:       page frame number of the first page of the first folio,
 *             a multiple of the folio's number of pages
 * @index:     page cache index of that page, a multiple of the same
 * @nr_folios: folios in the extent, at least one; the extent holds
 *             @nr_folios << @order pages, all in one naturally aligned
 *             run of ``MEMFD_LUO_EXTENT_PAGES`` pages
 * @order:     the order of every folio of the extent
 */
struct memfd_luo_extent_ser {
	__u64 pfn;
	__u64 index;
	__u32 nr_folios;
	__u32 order;
} __packed;

static_assert(sizeof(struct memfd_luo_extent_ser) == 24);

#endif /* _LINUX_KHO_ABI_MEMFD_H */
