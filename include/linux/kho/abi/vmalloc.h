/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of vmalloc areas preserved with KHO.
 */
#ifndef _LINUX_KHO_ABI_VMALLOC_H
#define _LINUX_KHO_ABI_VMALLOC_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <asm/page.h>

/**
 * DOC: KHO vmalloc ABI
 *
 * A preserved vmalloc area is described by a &struct kho_vmalloc, which
 * its user embeds in its own handed-over state; the user's compatible
 * string therefore includes ``KHO_VMALLOC_COMPATIBLE`` (see "KHO
 * compatible strings").
 *
 * The area's pages are preserved in runs of ``2^order`` pages, the page
 * order the area was mapped with: 0 for an area of single pages, the PMD
 * order for an area mapped with huge pages. Each run is physically
 * contiguous and aligned to its size. The physical addresses of the runs,
 * in the order they are mapped, are listed in a chain of descriptor pages,
 * each a &struct kho_vmalloc_chunk: a header with the physical address of
 * the next chunk (0 in the last), then up to ``KHO_VMALLOC_SIZE`` run
 * addresses. Unused entries of the last chunk are 0. Every chunk page is
 * preserved as a single page, every run as one block of its order.
 *
 * The next kernel accepts a description only if @total_pages is a
 * non-zero multiple of the run size, the flags are known and include
 * ``KHO_VMALLOC_ALLOC``, the chain holds exactly ``@total_pages >> @order``
 * run addresses in as many chunks as that takes, every chunk and run is
 * preserved memory not restored yet, and every run is aligned.
 */
#define KHO_VMALLOC_COMPATIBLE	"kho-vmalloc-v1"

/* The area came from vmalloc(). */
#define KHO_VMALLOC_ALLOC	0x0001
/* The area may be mapped with huge pages (vmalloc_huge()). */
#define KHO_VMALLOC_HUGE_VMAP	0x0002

/**
 * struct kho_vmalloc - a preserved vmalloc area
 * @first:       physical address of the first &struct kho_vmalloc_chunk
 * @total_pages: size of the area in pages
 * @flags:       ``KHO_VMALLOC_*`` flags of the area
 * @order:       page order of the area's runs and mappings
 */
struct kho_vmalloc {
	__u64 first;
	__u32 total_pages;
	__u16 flags;
	__u16 order;
};

static_assert(sizeof(struct kho_vmalloc) == 16);

/**
 * struct kho_vmalloc_hdr - header of a descriptor page
 * @next: physical address of the next chunk, 0 in the last
 */
struct kho_vmalloc_hdr {
	__u64 next;
};

#define KHO_VMALLOC_SIZE \
	((PAGE_SIZE - sizeof(struct kho_vmalloc_hdr)) / sizeof(__u64))

/**
 * struct kho_vmalloc_chunk - one descriptor page
 * @hdr:  link to the next chunk
 * @phys: physical addresses of runs, in mapping order; 0 after the last
 */
struct kho_vmalloc_chunk {
	struct kho_vmalloc_hdr hdr;
	__u64 phys[KHO_VMALLOC_SIZE];
};

static_assert(sizeof(struct kho_vmalloc_chunk) == PAGE_SIZE);

#endif /* _LINUX_KHO_ABI_VMALLOC_H */
