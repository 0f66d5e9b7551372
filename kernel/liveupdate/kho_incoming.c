// SPDX-License-Identifier: GPL-2.0
/*
 * KHO, incoming side: take over what the previous kernel handed over.
 *
 * Everything read here comes from the previous kernel and is untrusted.
 * Every address and size is checked before it is mapped or dereferenced;
 * anything wrong makes this boot an ordinary cold boot, with one error line
 * that says why, and never a crash.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/export.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/math64.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/clock.h>

#include "../../mm/internal.h"
#include "kexec_handover_internal.h"

/* At most one scratch region per node, plus low memory and global. */
#define KHO_SCRATCH_MAX_CNT	(MAX_NUMNODES + 2)

static struct {
	phys_addr_t fdt_phys;
	phys_addr_t scratch_phys;
	phys_addr_t map_phys;
	bool valid;
} kho_in __ro_after_init;

/*
 * Struct pages of preserved memory that this boot initialized before
 * deferred struct page init would have (never, for reserved memory); for
 * the boot log and the KHO test.
 */
unsigned long kho_in_deferred_pages __ro_after_init;

/**
 * is_kho_boot() - whether this kernel was started by a KHO kexec
 *
 * Independent of ``kho=``. Reliable from the end of mm init on: a map of
 * preserved memory that cannot be read makes it false.
 *
 * Return: true if memory and subtrees from the previous kernel are
 * available.
 */
bool is_kho_boot(void)
{
	return kho_in.valid;
}
EXPORT_SYMBOL_GPL(is_kho_boot);

/**
 * kho_in_fdt() - the root FDT of the previous kernel
 *
 * Return: the FDT, or NULL if this is not a KHO boot.
 */
const void *kho_in_fdt(void)
{
	return kho_in.valid ? phys_to_virt(kho_in.fdt_phys) : NULL;
}

/**
 * kho_in_scratch_inherited() - whether scratch came from the previous kernel
 *
 * True also when the handover was refused after kho_populate() accepted
 * the scratch regions: they are in use as scratch all the same.
 *
 * Return: true if the scratch regions were inherited, false on a cold boot.
 */
bool kho_in_scratch_inherited(void)
{
	return kho_in.scratch_phys;
}

/**
 * kho_arch_range_is_ram() - whether a range is RAM, before memblock knows
 * @phys: start of the range
 * @size: length in bytes
 *
 * kho_populate() runs so early that an architecture may not have told
 * memblock about its memory yet; it overrides this to ask its firmware map.
 *
 * Return: true if every byte of the range is usable RAM.
 */
bool __init __weak kho_arch_range_is_ram(phys_addr_t phys, u64 size)
{
	return memblock_is_region_memory(phys, size);
}

static bool __init kho_range_ok(phys_addr_t phys, u64 size)
{
	return size && phys + size > phys && kho_arch_range_is_ram(phys, size);
}

/* Checks the root FDT; returns why it is refused, or NULL. */
static const char * __init kho_check_fdt(phys_addr_t fdt_phys, u64 fdt_len,
					 phys_addr_t *map_phys)
{
	const char *why = NULL;
	const void *prop;
	void *fdt;
	int len;

	if (!PAGE_ALIGNED(fdt_phys) || fdt_len != PAGE_SIZE ||
	    !kho_range_ok(fdt_phys, fdt_len))
		return "root FDT outside RAM or of a wrong size";

	fdt = early_memremap(fdt_phys, fdt_len);
	if (!fdt)
		return "cannot map the root FDT";

	if (fdt_check_header(fdt) || fdt_totalsize(fdt) > fdt_len)
		why = "root FDT is not a valid FDT";
	else if (fdt_node_check_compatible(fdt, 0, KHO_FDT_COMPATIBLE))
		why = "root FDT is not compatible with \"" KHO_FDT_COMPATIBLE "\"";

	if (!why) {
		prop = fdt_getprop(fdt, 0, KHO_FDT_MEMORY_MAP_PROP_NAME, &len);
		if (!prop || len != sizeof(u64))
			why = "root FDT has no preserved-memory map";
		else
			memcpy(map_phys, prop, sizeof(u64));
	}
	if (!why && (!*map_phys || !PAGE_ALIGNED(*map_phys) ||
		     !kho_range_ok(*map_phys, PAGE_SIZE)))
		why = "preserved-memory map root outside RAM";

	early_memunmap(fdt, fdt_len);
	return why;
}

/* Checks the scratch array against RAM and the FDT; returns why, or NULL. */
static const char * __init kho_check_scratch(const struct kho_scratch *s,
					     unsigned int cnt,
					     phys_addr_t fdt_phys,
					     phys_addr_t map_phys)
{
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < cnt; i++) {
		u64 end = s[i].addr + s[i].size;

		if (!s[i].size)
			continue;
		if (!IS_ALIGNED(s[i].addr, PAGE_SIZE << pageblock_order) ||
		    !IS_ALIGNED(s[i].size, PAGE_SIZE << pageblock_order))
			return "scratch region not pageblock aligned";
		if (!kho_range_ok(s[i].addr, s[i].size))
			return "scratch region outside RAM";
		if (fdt_phys < end && s[i].addr < fdt_phys + PAGE_SIZE)
			return "root FDT inside scratch";
		if (map_phys < end && s[i].addr < map_phys + PAGE_SIZE)
			return "preserved-memory map inside scratch";
		total += s[i].size;
	}
	return total ? NULL : "no scratch memory";
}

/**
 * kho_populate() - take the handover parameters from the arch boot code
 * @fdt_phys:     physical address of the previous kernel's root FDT
 * @fdt_len:      its length
 * @scratch_phys: physical address of the scratch array
 * @scratch_len:  its length in bytes
 *
 * Called very early, before memblock allocates anything. If the parameters
 * check out, memblock learns the scratch regions and from now on allocates
 * only from them, until kho_memory_init() has reserved the preserved
 * memory. Otherwise this boot goes on as a cold boot.
 */
void __init kho_populate(phys_addr_t fdt_phys, u64 fdt_len,
			 phys_addr_t scratch_phys, u64 scratch_len)
{
	unsigned int cnt = scratch_len / sizeof(struct kho_scratch);
	struct kho_scratch *scratch = NULL;
	phys_addr_t map_phys = 0;
	const char *why;
	unsigned int i;

	why = kho_check_fdt(fdt_phys, fdt_len, &map_phys);
	if (why)
		goto out;

	if (!cnt || cnt > KHO_SCRATCH_MAX_CNT ||
	    scratch_len != cnt * sizeof(struct kho_scratch) ||
	    !IS_ALIGNED(scratch_phys, sizeof(u64)) ||
	    !kho_range_ok(scratch_phys, scratch_len)) {
		why = "scratch array outside RAM or of a wrong size";
		goto out;
	}
	scratch = early_memremap(scratch_phys, scratch_len);
	if (!scratch) {
		why = "cannot map the scratch array";
		goto out;
	}
	why = kho_check_scratch(scratch, cnt, fdt_phys, map_phys);
	if (why)
		goto out;

	for (i = 0; i < cnt; i++) {
		if (!scratch[i].size)
			continue;
		if (memblock_add(scratch[i].addr, scratch[i].size) ||
		    memblock_mark_kho_scratch(scratch[i].addr,
					      scratch[i].size)) {
			why = "cannot register scratch with memblock";
			goto out;
		}
	}
	memblock_reserve(scratch_phys, scratch_len);
	memblock_set_kho_scratch_only();

	kho_in.fdt_phys = fdt_phys;
	kho_in.scratch_phys = scratch_phys;
	kho_in.map_phys = map_phys;
	kho_scratch_cnt = cnt;
	pr_info("found kexec handover data.\n");

out:
	if (scratch)
		early_memunmap(scratch, scratch_len);
	if (why)
		pr_err("disabling KHO revival: %s\n", why);
}

/* State of the two walks of the incoming map. */
struct kho_in_walk {
	unsigned long nodes;
	unsigned long blocks;
	unsigned long max_pages;
	phys_addr_t bad;
	const char *why;
	bool fdt_preserved;
};

/* Vets a radix node before the walk reads it. */
static int __init kho_in_check_node(phys_addr_t phys, void *arg)
{
	struct kho_in_walk *w = arg;

	if (++w->nodes > w->max_pages) {
		w->why = "more radix nodes than pages of memory";
		return -E2BIG;
	}
	if (!memblock_is_region_memory(phys, PAGE_SIZE) ||
	    kho_scratch_overlap(phys, PAGE_SIZE)) {
		w->bad = phys;
		w->why = "radix node outside preservable RAM";
		return -EFAULT;
	}
	return 0;
}

static int __init kho_in_check_block(phys_addr_t phys, unsigned int order,
				     void *arg)
{
	struct kho_in_walk *w = arg;
	u64 size = PAGE_SIZE << order;

	if (++w->blocks > w->max_pages) {
		w->why = "more preserved blocks than pages of memory";
		return -E2BIG;
	}
	if (order > MAX_PAGE_ORDER || !memblock_is_region_memory(phys, size) ||
	    kho_scratch_overlap(phys, size)) {
		w->bad = phys;
		w->why = "preserved block outside preservable RAM";
		return -EFAULT;
	}
	/* A buddy block never spans nodes; its pages get one node below. */
	if (early_pfn_to_nid(PHYS_PFN(phys)) !=
	    early_pfn_to_nid(PHYS_PFN(phys + size - 1))) {
		w->bad = phys;
		w->why = "preserved block spans two NUMA nodes";
		return -EFAULT;
	}
	if (phys <= kho_in.fdt_phys && kho_in.fdt_phys < phys + size)
		w->fdt_preserved = true;
	return 0;
}

/*
 * With deferred struct page init, the struct pages of a node's highest zone
 * beyond its first section are initialized only after the early initcalls,
 * and those of memory reserved as NOINIT, as preserved blocks are, never.
 * Initializes the struct pages of the block at @pfn before its first page
 * is stamped, so the block has its zone and node whenever it is restored
 * and is never initialized again. Returns how many it initialized.
 */
static unsigned long __init kho_in_init_block_pages(unsigned long pfn,
						    unsigned long nr)
{
#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
	int nid = early_pfn_to_nid(pfn);
	unsigned long first = max(pfn, NODE_DATA(nid)->first_deferred_pfn);
	unsigned long end = pfn + nr, p;

	for (p = first; p < end; p++)
		init_deferred_page(p, nid);
	return first < end ? end - first : 0;
#else
	return 0;
#endif
}

static int __init kho_in_reserve_block(phys_addr_t phys, unsigned int order,
				       void *arg)
{
	unsigned long *initialized = arg;
	u64 size = PAGE_SIZE << order;
	int err;

	err = memblock_reserve(phys, size);
	if (!err)
		err = memblock_reserved_mark_noinit(phys, size);
	if (err)
		return err;
	*initialized += kho_in_init_block_pages(PHYS_PFN(phys), 1UL << order);
	kho_stamp_preserved_block(PHYS_PFN(phys), order);
	return 0;
}

/*
 * Preserved blocks are reserved in address order, adjacent ones together
 * as one run. The walk visits them order by order, and memblock keeps its
 * regions in an array: a block reserved below regions reserved before it
 * moves all of those up by one, which made early boot quadratic in the
 * blocks of memory preserved in short runs (a 4 GiB memfd in runs of ~30
 * pages: 76,700 blocks, up to 14,400 regions, 2.8 s). In address order
 * each run is appended or merged at the end.
 *
 * Blocks are collected as keys (physical address | order; the address is
 * aligned to the block's size, at least a page) into an array from scratch
 * memory, with as much room again to merge its ascending runs (one per
 * order) into one.
 */
struct kho_in_sorted {
	u64 *keys;
	unsigned long nr;
	unsigned long max;
};

static int __init kho_in_collect_block(phys_addr_t phys, unsigned int order,
				       void *arg)
{
	struct kho_in_sorted *s = arg;

	/* The checking walk counted them; the map did not change since. */
	if (s->nr >= s->max)
		return -E2BIG;
	s->keys[s->nr++] = phys | order;
	return 0;
}

static phys_addr_t __init kho_in_key_phys(u64 key)
{
	return key & PAGE_MASK;
}

static unsigned int __init kho_in_key_order(u64 key)
{
	return key & ~PAGE_MASK;
}

static phys_addr_t __init kho_in_key_end(u64 key)
{
	return kho_in_key_phys(key) + (PAGE_SIZE << kho_in_key_order(key));
}

/* The end of the ascending run of @keys that starts at @i. */
static unsigned long __init kho_in_run_end(const u64 *keys, unsigned long i,
					   unsigned long nr)
{
	for (i++; i < nr && keys[i - 1] <= keys[i]; i++)
		;
	return i;
}

/*
 * Sorts the @nr @keys by merging their ascending runs two by two into
 * @tmp and back, until one is left. Return: the array that holds them.
 */
static u64 * __init kho_in_sort(u64 *keys, u64 *tmp, unsigned long nr)
{
	unsigned long runs;

	do {
		unsigned long i = 0, out = 0;

		for (runs = 0; i < nr; runs++) {
			unsigned long a = i, a_end = kho_in_run_end(keys, i, nr);
			unsigned long b = a_end;
			unsigned long b_end = b < nr ? kho_in_run_end(keys, b, nr) : nr;

			while (a < a_end && b < b_end)
				tmp[out++] = keys[a] <= keys[b] ? keys[a++] : keys[b++];
			while (a < a_end)
				tmp[out++] = keys[a++];
			while (b < b_end)
				tmp[out++] = keys[b++];
			i = b_end;
		}
		swap(keys, tmp);
	} while (runs > 1);
	return keys;
}

/*
 * Reserves the sorted @keys as runs of blocks that touch or overlap, and
 * initializes and stamps each block. Return: how many runs, or an error.
 */
static long __init kho_in_reserve_sorted(const u64 *keys, unsigned long nr)
{
	unsigned long i = 0, j, runs = 0;
	int err;

	while (i < nr) {
		phys_addr_t start = kho_in_key_phys(keys[i]);
		phys_addr_t end = kho_in_key_end(keys[i]);

		for (j = i + 1; j < nr && kho_in_key_phys(keys[j]) <= end; j++)
			end = max(end, kho_in_key_end(keys[j]));
		err = memblock_reserve(start, end - start);
		if (!err)
			err = memblock_reserved_mark_noinit(start, end - start);
		if (err)
			return err;
		for (; i < j; i++) {
			unsigned long pfn = PHYS_PFN(kho_in_key_phys(keys[i]));
			unsigned int order = kho_in_key_order(keys[i]);

			kho_in_deferred_pages +=
				kho_in_init_block_pages(pfn, 1UL << order);
			kho_stamp_preserved_block(pfn, order);
		}
		runs++;
	}
	return runs;
}

/*
 * Reserves the @nr_blocks blocks of the incoming map, in address order when
 * scratch has room to sort them, block by block in the walk's order if
 * not. Return: how many memblock_reserve() calls it took, or an error.
 */
static long __init kho_in_reserve_all(unsigned long nr_blocks)
{
	struct kho_in_sorted s = { .max = nr_blocks };
	size_t bytes = array_size(2 * nr_blocks, sizeof(*s.keys));
	long ret;

	if (nr_blocks)
		s.keys = memblock_alloc_raw(bytes, SMP_CACHE_BYTES);
	if (!s.keys) {
		ret = kho_radix_walk(kho_in.map_phys, NULL, kho_in_reserve_block,
				     &kho_in_deferred_pages);
		return ret ?: nr_blocks;
	}
	ret = kho_radix_walk(kho_in.map_phys, NULL, kho_in_collect_block, &s);
	if (!ret)
		ret = kho_in_reserve_sorted(kho_in_sort(s.keys,
							s.keys + nr_blocks,
							s.nr), s.nr);
	memblock_free(s.keys, bytes);
	return ret;
}

/**
 * kho_in_memory_init() - reserve what the previous kernel preserved
 *
 * The map is walked twice: once to check every node and block, then to
 * reserve. So a corrupted map reserves nothing and this boot goes on as a
 * cold boot; memblock then stops allocating from scratch only.
 */
void __init kho_in_memory_init(void)
{
	struct kho_in_walk w = {
		.max_pages = PHYS_PFN(memblock_phys_mem_size()),
	};
	long runs;
	u64 t0;
	int err;

	kho_scratch = phys_to_virt(kho_in.scratch_phys);
	kho_scratch_mark_cma();

	err = kho_radix_walk(kho_in.map_phys, kho_in_check_node,
			     kho_in_check_block, &w);
	if (!err && !w.fdt_preserved) {
		w.why = "root FDT is not preserved memory";
		w.bad = kho_in.fdt_phys;
		err = -EFAULT;
	}
	if (err) {
		pr_err("disabling KHO revival: %s (%pa, error %d)\n",
		       w.why ?: "invalid preserved-memory map", &w.bad, err);
		goto out;
	}

	t0 = local_clock();
	runs = kho_in_reserve_all(w.blocks);
	if (runs < 0) {
		pr_err("failed to reserve preserved memory (%ld); it is lost\n",
		       runs);
		goto out;
	}
	kho_in.valid = true;
	/* Runs and regions tell how scattered the blocks were. */
	pr_info("reserved %lu preserved blocks as %ld runs (%lu radix nodes; %lu memblock regions reserved in all) in %llu us, %lu struct pages initialized ahead of deferred init\n",
		w.blocks, runs, w.nodes, memblock.reserved.cnt,
		div_u64(local_clock() - t0, NSEC_PER_USEC),
		kho_in_deferred_pages);
out:
	memblock_clear_kho_scratch_only();
}
