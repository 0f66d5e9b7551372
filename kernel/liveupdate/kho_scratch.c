// SPDX-License-Identifier: GPL-2.0
/*
 * KHO scratch memory: where a kernel started by KHO lives until it knows
 * which memory the previous kernel preserved.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cma.h>
#include <linux/ioport.h>
#include <linux/kexec.h>
#include <linux/kmemleak.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/page-isolation.h>
#include <linux/string.h>

#include "../../mm/internal.h"
#include "../kexec_internal.h"
#include "kexec_handover_internal.h"

/**
 * DOC: KHO scratch sizing
 *
 * A cold-booted kernel sizes the scratch regions from its own early memory
 * use, the memory memblock handed out to the kernel before the page
 * allocator started (``MEMBLOCK_RSRV_KERN``), because that is what the next
 * kernel needs before it may leave scratch memory. ``kho_scratch=`` sets
 * the sizes:
 *
 * ``kho_scratch=N%``
 *   N percent of the early use, for each region: the low-memory region gets
 *   N% of the early use below ``ARCH_LOW_ADDRESS_LIMIT``, the global region
 *   N% of the whole early use minus the low-memory region, and each NUMA
 *   node N% of its own early use. The default is 200%.
 *
 * ``kho_scratch=lowmem,global,pernode``
 *   Fixed sizes with the usual ``K``, ``M``, ``G`` suffixes, for example
 *   ``kho_scratch=64M,256M,128M``.
 *
 * Every size is rounded up to the CMA alignment, since the regions are
 * lent to the page allocator as CMA pageblocks. If they cannot be
 * reserved, KHO is disabled for this boot.
 */

struct kho_scratch *kho_scratch;
unsigned int kho_scratch_cnt;

static unsigned int kho_scratch_scale __initdata = 200;
static phys_addr_t kho_scratch_size_lowmem __initdata;
static phys_addr_t kho_scratch_size_global __initdata;
static phys_addr_t kho_scratch_size_pernode __initdata;

static int __init kho_parse_scratch_size(char *p)
{
	phys_addr_t sizes[3];
	unsigned int scale;
	char *end;
	int i;

	if (!p)
		return -EINVAL;

	if (strchr(p, '%')) {
		if (kstrtouint(strsep(&p, "%"), 10, &scale) || !scale ||
		    *p)
			return -EINVAL;
		kho_scratch_scale = scale;
		return 0;
	}

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		sizes[i] = memparse(p, &end);
		if (end == p || (i < 2 && *end != ',') || (i == 2 && *end))
			return -EINVAL;
		p = end + 1;
	}
	kho_scratch_size_lowmem = sizes[0];
	kho_scratch_size_global = sizes[1];
	kho_scratch_size_pernode = sizes[2];
	kho_scratch_scale = 0;
	return 0;
}
early_param("kho_scratch", kho_parse_scratch_size);

static phys_addr_t __init kho_scratch_scaled(phys_addr_t kern)
{
	return kern / 100 * kho_scratch_scale;
}

/* Sizes from the early use, unless kho_scratch= gave them explicitly. */
static void __init kho_scratch_sizes(void)
{
	phys_addr_t low, all;

	if (!kho_scratch_scale)
		return;

	low = kho_scratch_scaled(memblock_reserved_kern_size(ARCH_LOW_ADDRESS_LIMIT,
							     NUMA_NO_NODE));
	all = kho_scratch_scaled(memblock_reserved_kern_size(MEMBLOCK_ALLOC_ANYWHERE,
							     NUMA_NO_NODE));
	kho_scratch_size_lowmem = low;
	kho_scratch_size_global = all > low ? all - low : 0;
}

static phys_addr_t __init kho_scratch_size_node(int nid)
{
	if (!kho_scratch_scale)
		return kho_scratch_size_pernode;
	return kho_scratch_scaled(memblock_reserved_kern_size(MEMBLOCK_ALLOC_ANYWHERE,
							      nid));
}

/*
 * Every size is taken before any region is reserved: a reserved region is
 * early kernel memory too, so a node holding the low-memory region would
 * otherwise get twice that region on top of its own early use.
 */
static void __init kho_scratch_size_all(void)
{
	unsigned int i = 0;
	int nid;

	kho_scratch[i++].size = kho_scratch_size_lowmem;
	kho_scratch[i++].size = kho_scratch_size_global;
	for_each_node_state(nid, N_MEMORY)
		kho_scratch[i++].size = kho_scratch_size_node(nid);
}

/* Reserves one region of s->size bytes; a region of size 0 is left empty. */
static int __init kho_scratch_alloc(struct kho_scratch *s, phys_addr_t end,
				    int nid)
{
	phys_addr_t addr, size = s->size;

	if (!size)
		return 0;
	/* Lent to the page allocator as whole CMA pageblocks later. */
	size = round_up(size, CMA_MIN_ALIGNMENT_BYTES);
	addr = memblock_alloc_range_nid(size, CMA_MIN_ALIGNMENT_BYTES, 0, end,
					nid, nid != NUMA_NO_NODE);
	if (!addr)
		return -ENOMEM;
	s->addr = addr;
	s->size = size;
	return 0;
}

/* Gives back the first @reserved regions and the table. */
static void __init kho_scratch_unreserve(unsigned int reserved)
{
	unsigned int i;

	for (i = 0; i < reserved; i++)
		if (kho_scratch[i].size)
			memblock_phys_free(kho_scratch[i].addr,
					   kho_scratch[i].size);
	memblock_free(kho_scratch, kho_scratch_cnt * sizeof(*kho_scratch));
	kho_scratch = NULL;
	kho_scratch_cnt = 0;
}

/**
 * kho_reserve_scratch() - reserve the scratch regions on a cold boot
 *
 * Called from mm init while memblock owns all memory. On failure KHO is
 * disabled for this boot.
 */
void __init kho_reserve_scratch(void)
{
	phys_addr_t kern;
	unsigned int i = 0;
	int nid, err;

	if (!kho_enable)
		return;

	kho_scratch_sizes();
	kho_scratch_cnt = num_node_state(N_MEMORY) + 2;
	kho_scratch = memblock_alloc(kho_scratch_cnt * sizeof(*kho_scratch),
				     PAGE_SIZE);
	if (!kho_scratch) {
		kho_scratch_cnt = 0;
		goto err;
	}

	kho_scratch_size_all();
	err = kho_scratch_alloc(&kho_scratch[i++], ARCH_LOW_ADDRESS_LIMIT,
				NUMA_NO_NODE);
	if (!err)
		err = kho_scratch_alloc(&kho_scratch[i++],
					MEMBLOCK_ALLOC_ACCESSIBLE,
					NUMA_NO_NODE);
	for_each_node_state(nid, N_MEMORY) {
		if (err)
			break;
		err = kho_scratch_alloc(&kho_scratch[i++],
					MEMBLOCK_ALLOC_ACCESSIBLE, nid);
	}
	if (err) {
		/* kho_scratch[i - 1] is the one that failed. */
		pr_err("no room for scratch %u of %pa\n", i - 1,
		       &kho_scratch[i - 1].size);
		kho_scratch_unreserve(i - 1);
		goto err;
	}

	for (i = 0; i < kho_scratch_cnt; i++)
		pr_info("scratch %u: %pa + %pa\n", i, &kho_scratch[i].addr,
			&kho_scratch[i].size);
	return;

err:
	pr_err("Failed to reserve scratch area, disabling kexec handover\n");
	kern = memblock_reserved_kern_size(MEMBLOCK_ALLOC_ANYWHERE, NUMA_NO_NODE);
	pr_err("wanted %pa low + %pa global + per node %pa or %u%% of its early use (%pa in all); see kho_scratch=\n",
	       &kho_scratch_size_lowmem, &kho_scratch_size_global,
	       &kho_scratch_size_pernode, kho_scratch_scale, &kern);
	kho_enable = false;
}

/**
 * kho_scratch_mark_cma() - make inherited scratch movable-only on a KHO boot
 *
 * Runs before the page allocator gets the memory, so free scratch pages go
 * straight to the CMA free lists: the next handover can then use the same
 * regions, since no unmovable page can be in them. Scratch usually lies at
 * the top of a node, where deferred struct page init has not reached yet:
 * the first struct page of each pageblock is initialized here, since
 * setting the migratetype looks at its zone, and deferred init keeps the
 * CMA type when it frees the rest.
 */
void __init kho_scratch_mark_cma(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		unsigned long pfn = PHYS_PFN(kho_scratch[i].addr);
		unsigned long end = pfn + PHYS_PFN(kho_scratch[i].size);

		for (; pfn < end; pfn += pageblock_nr_pages) {
			init_deferred_page(pfn, early_pfn_to_nid(pfn));
			set_pageblock_migratetype(pfn_to_page(pfn), MIGRATE_CMA);
		}
	}
}

/**
 * kho_scratch_release_to_cma() - lend reserved scratch to the page allocator
 *
 * Cold boot only: the regions become CMA pageblocks, usable for movable
 * allocations, which kexec can always move out of the way.
 */
void __init kho_scratch_release_to_cma(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		unsigned long pfn = PHYS_PFN(kho_scratch[i].addr);
		unsigned long end = pfn + PHYS_PFN(kho_scratch[i].size);

		if (!kho_scratch[i].size)
			continue;
		kmemleak_free_part_phys(kho_scratch[i].addr,
					kho_scratch[i].size);
		for (; pfn < end; pfn += pageblock_nr_pages)
			init_cma_reserved_pageblock(pfn_to_page(pfn));
	}
}

/**
 * kho_scratch_count_cma() - account the scratch regions as CMA memory
 *
 * Scratch pageblocks are CMA, so their free pages show in CmaFree; count
 * them in totalcma_pages too, or /proc/meminfo shows CmaTotal below
 * CmaFree. Called once KHO is set up, after the boot-time memory report,
 * which counts inherited scratch (free by then) as available memory and
 * would otherwise subtract it a second time as CMA-reserved.
 */
void __init kho_scratch_count_cma(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		totalcma_pages += PHYS_PFN(kho_scratch[i].size);
}

/**
 * kho_scratch_free() - give reserved scratch back after KHO failed to start
 */
void __init kho_scratch_free(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		phys_addr_t addr = kho_scratch[i].addr;
		phys_addr_t end = addr + kho_scratch[i].size;

		if (!kho_scratch[i].size)
			continue;
		kmemleak_free_part_phys(addr, kho_scratch[i].size);
		free_reserved_area(phys_to_virt(addr), phys_to_virt(end), -1,
				   NULL);
	}
}

/**
 * kho_scratch_overlap() - whether a range touches a scratch region
 * @phys: start of the range
 * @size: length of the range in bytes
 *
 * Return: true if [@phys, @phys + @size) intersects any scratch region.
 */
bool kho_scratch_overlap(phys_addr_t phys, u64 size)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		u64 start = kho_scratch[i].addr;
		u64 end = start + kho_scratch[i].size;

		if (phys < end && start < phys + size)
			return true;
	}
	return false;
}

/**
 * kho_locate_mem_hole() - place a kexec segment inside scratch memory
 * @kbuf: the segment
 * @func: the generic placement callback, tried on each scratch region
 *
 * The next kernel may only use scratch memory until it has reserved what
 * this kernel preserved, so every segment of a KHO kexec goes there.
 *
 * Return: 0 when placed, -EADDRNOTAVAIL when no region fits, 1 when KHO
 * does not apply (disabled, or a crash kernel) and the caller places the
 * segment as usual.
 */
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *))
{
	unsigned int i;

	if (!kho_enable || kbuf->image->type == KEXEC_TYPE_CRASH)
		return 1;

	for (i = 0; i < kho_scratch_cnt; i++) {
		struct resource res = {
			.start = kho_scratch[i].addr,
			.end = kho_scratch[i].addr + kho_scratch[i].size - 1,
			.flags = IORESOURCE_SYSTEM_RAM,
		};

		if (!kho_scratch[i].size)
			continue;
		if (func(&res, kbuf))
			return 0;
	}
	return -EADDRNOTAVAIL;
}
