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
 * folios and pages it had; the folios are described by an array of
 * &struct memfd_luo_folio_ser in a vmalloc area handed over with
 * kho_preserve_vmalloc(), hence the vmalloc module's string in the
 * compatible (see "KHO compatible strings").
 *
 * Only folios that exist are recorded, in increasing index order, so a
 * sparse file costs metadata in proportion to its pages and its holes stay
 * holes. Each folio is preserved with its order, and the next kernel puts
 * it back at its index as a folio of that order. A folio recorded without
 * ``MEMFD_LUO_FOLIO_UPTODATE`` was allocated but never written
 * (fallocate()); the previous kernel zeroed it, and the next one keeps it
 * that way unless it holds data, which means a write reached it after the
 * record was made. (Kernels based on 6.12.118 or later never write such a
 * record, since pinning zeroes those folios and marks them uptodate; they
 * still read it.)
 *
 * The layout differs from mainline's "memfd-v2" (holes, folio orders,
 * permission bits, page count), hence a base string of its own.
 */
#define MEMFD_LUO_FH_COMPAT_BASE	"memfd-sparse-v1"
#define MEMFD_LUO_FH_COMPATIBLE		KHO_COMPAT(MEMFD_LUO_FH_COMPAT_BASE, \
						   KHO_VMALLOC_COMPATIBLE)

/* The folio held data (not only fallocated) when it was recorded. */
#define MEMFD_LUO_FOLIO_UPTODATE	0x1
#define MEMFD_LUO_FOLIO_FLAGS		MEMFD_LUO_FOLIO_UPTODATE

/**
 * struct memfd_luo_ser - a preserved memfd
 * @pos:       the file position at the reboot
 * @size:      the file size in bytes
 * @seals:     F_SEAL_* bits at the reboot
 * @mode:      permission bits of the inode (07777) at the reboot
 * @nr_folios: entries in the folio array
 * @nr_pages:  pages in those folios together
 * @folios:    the vmalloc area holding the folio array; all zero when
 *             @nr_folios is 0
 */
struct memfd_luo_ser {
	__u64 pos;
	__u64 size;
	__u32 seals;
	__u32 mode;
	__u64 nr_folios;
	__u64 nr_pages;
	struct kho_vmalloc folios;
} __packed;

static_assert(sizeof(struct memfd_luo_ser) == 56);

/**
 * struct memfd_luo_folio_ser - one folio of a preserved memfd
 * @pfn:   page frame number of its first page
 * @index: its page cache index, a multiple of its number of pages
 * @order: its order, as preserved with kho_preserve_folio()
 * @flags: ``MEMFD_LUO_FOLIO_*`` bits
 */
struct memfd_luo_folio_ser {
	__u64 pfn;
	__u64 index;
	__u32 order;
	__u32 flags;
} __packed;

static_assert(sizeof(struct memfd_luo_folio_ser) == 24);

#endif /* _LINUX_KHO_ABI_MEMFD_H */
