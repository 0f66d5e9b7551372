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

/**
 * DOC: hugetlb memfd preservation ABI
 *
 * A memfd created with ``MFD_HUGETLB`` is handed over by a handler of its
 * own, ``MEMFD_HUGETLB_LUO_FH_COMPATIBLE``, whose handle is the physical
 * address of a &struct memfd_hugetlb_luo_ser in a preserved block. The
 * descriptor says what the file was at the reboot and the order of its
 * huge pages (9 for 2 MiB, 18 for 1 GiB on x86), which the next kernel
 * must have a hugetlb size for; its huge pages are listed, in increasing
 * index order and only those that exist, by an array of &struct
 * memfd_hugetlb_folio_ser in a vmalloc area handed over with
 * kho_preserve_vmalloc(), one record of 16 bytes per huge page. Every
 * huge page is preserved with kho_preserve_pages() (one block for a page
 * up to the page allocator's largest order, naturally aligned blocks of
 * that order for a larger one), and comes back as a hugetlb folio of the
 * recorded order.
 *
 * All hugetlb memfds share one FLB, ``HUGETLB_LUO_FLB_COMPATIBLE``, whose
 * data is a &struct hugetlb_luo_flb_ser in a preserved block: for each
 * huge page size the handover holds, how many huge pages of that size the
 * preserved files hold together. The next kernel reads it before any file
 * is retrieved, refuses the sizes it has no hugetlb pool for, and counts
 * what it adopts against it.
 */
#define MEMFD_HUGETLB_LUO_FH_COMPAT_BASE	"memfd-hugetlb-v1"
#define MEMFD_HUGETLB_LUO_FH_COMPATIBLE					\
	KHO_COMPAT(MEMFD_HUGETLB_LUO_FH_COMPAT_BASE, KHO_VMALLOC_COMPATIBLE)
#define HUGETLB_LUO_FLB_COMPATIBLE		"hugetlb-v1"

/* Huge page sizes the FLB describes at most. */
#define HUGETLB_LUO_MAX_SIZES			8

/**
 * struct memfd_hugetlb_luo_ser - a preserved hugetlb memfd
 * @pos:       the file position at the reboot
 * @size:      the file size in bytes, a multiple of the huge page size
 * @seals:     F_SEAL_* bits at the reboot
 * @mode:      permission bits of the inode (07777) at the reboot
 * @order:     order of the file's huge pages, in base pages
 * @reserved:  zero
 * @nr_folios: entries in the folio array
 * @folios:    the vmalloc area holding the folio array; all zero when
 *             @nr_folios is 0
 */
struct memfd_hugetlb_luo_ser {
	__u64 pos;
	__u64 size;
	__u32 seals;
	__u32 mode;
	__u32 order;
	__u32 reserved;
	__u64 nr_folios;
	struct kho_vmalloc folios;
} __packed;

static_assert(sizeof(struct memfd_hugetlb_luo_ser) == 56);

/**
 * struct memfd_hugetlb_folio_ser - a huge page of a preserved hugetlb memfd
 * @pfn:   page frame number of its first base page, aligned to its size
 * @index: its index in the file, in huge pages
 */
struct memfd_hugetlb_folio_ser {
	__u64 pfn;
	__u64 index;
} __packed;

static_assert(sizeof(struct memfd_hugetlb_folio_ser) == 16);

/**
 * struct hugetlb_luo_size_ser - the huge pages of one size in the handover
 * @order:     the size's order, in base pages
 * @reserved:  zero
 * @nr_folios: huge pages of this size the preserved hugetlb memfds hold
 */
struct hugetlb_luo_size_ser {
	__u32 order;
	__u32 reserved;
	__u64 nr_folios;
} __packed;

static_assert(sizeof(struct hugetlb_luo_size_ser) == 16);

/**
 * struct hugetlb_luo_flb_ser - the hugetlb state shared by preserved
 *                              hugetlb memfds
 * @nr_sizes: entries of @sizes in use, each with a different order
 * @reserved: zero
 * @sizes:    per huge page size, how many huge pages are handed over
 */
struct hugetlb_luo_flb_ser {
	__u32 nr_sizes;
	__u32 reserved;
	struct hugetlb_luo_size_ser sizes[HUGETLB_LUO_MAX_SIZES];
} __packed;

static_assert(sizeof(struct hugetlb_luo_flb_ser) == 136);

#endif /* _LINUX_KHO_ABI_MEMFD_H */
