// SPDX-License-Identifier: GPL-2.0
/*
 * Preserving vmalloc areas across kexec with KHO.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/vmalloc.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../../mm/internal.h"

/**
 * DOC: KHO vmalloc preservation
 *
 * kho_preserve_vmalloc() preserves the pages behind an area that vmalloc()
 * or vmalloc_huge() returned and writes a &struct kho_vmalloc that the
 * caller hands over in its own state, for instance in a subtree blob. The
 * area stays mapped and writable: its contents are whatever they are at
 * the kexec. kho_unpreserve_vmalloc() undoes the preservation while the
 * area stays allocated.
 *
 * In the next kernel kho_restore_vmalloc() maps the same pages, in the
 * same order and with the same page order, into a new vmalloc area that is
 * freed with vfree(). The descriptor pages are freed on the way.
 */

#define KHO_VMALLOC_VM_FLAGS	(VM_ALLOC | VM_ALLOW_HUGE_VMAP)

static struct kho_vmalloc_chunk *kho_vmalloc_chunk_at(u64 phys)
{
	return phys ? phys_to_virt(phys) : NULL;
}

/*
 * Undoes a preservation in this kernel: unpreserves every run listed and
 * every chunk, and frees the chunks.
 */
static void kho_vmalloc_unpreserve_chunks(struct kho_vmalloc_chunk *chunk,
					  unsigned int order)
{
	while (chunk) {
		struct kho_vmalloc_chunk *next;
		unsigned int i;

		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++)
			kho_unpreserve_pages(pfn_to_page(PHYS_PFN(chunk->phys[i])),
					     1UL << order);
		next = kho_vmalloc_chunk_at(chunk->hdr.next);
		kho_unpreserve_pages(virt_to_page(chunk), 1);
		free_page((unsigned long)chunk);
		chunk = next;
	}
}

/**
 * kho_preserve_vmalloc() - preserve a vmalloc area for the next kernel
 * @ptr:          start of an area from vmalloc() or vmalloc_huge()
 * @preservation: filled with the description the next kernel needs
 *
 * The caller keeps the area allocated until the kexec, or until it calls
 * kho_unpreserve_vmalloc().
 *
 * Return: 0; -EINVAL if @ptr is not the start of a vmalloc area;
 * -EOPNOTSUPP for areas vmalloc() did not allocate (vmap(), ioremap(),
 * module memory, ...); -ENOMEM; or the error of kho_preserve_pages(). On
 * error nothing stays preserved.
 */
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation)
{
	struct kho_vmalloc_chunk *first = NULL, *chunk = NULL;
	struct vm_struct *vm = find_vm_area(ptr);
	unsigned int order, run, p, i = KHO_VMALLOC_SIZE;
	int err;

	if (!vm || vm->addr != ptr)
		return -EINVAL;
	if (!(vm->flags & VM_ALLOC) || vm->flags & ~KHO_VMALLOC_VM_FLAGS)
		return -EOPNOTSUPP;
	order = vm_area_page_order(vm);
	run = 1U << order;
	if (!vm->nr_pages || vm->nr_pages % run)
		return -EINVAL;

	for (p = 0; p < vm->nr_pages; p += run) {
		if (i == KHO_VMALLOC_SIZE) {
			struct kho_vmalloc_chunk *new;

			new = (void *)get_zeroed_page(KHO_GFP);
			if (!new) {
				err = -ENOMEM;
				goto err_undo;
			}
			err = kho_preserve_pages(virt_to_page(new), 1);
			if (err) {
				free_page((unsigned long)new);
				goto err_undo;
			}
			if (chunk)
				chunk->hdr.next = virt_to_phys(new);
			else
				first = new;
			chunk = new;
			i = 0;
		}
		err = kho_preserve_pages(vm->pages[p], run);
		if (err)
			goto err_undo;
		chunk->phys[i++] = page_to_phys(vm->pages[p]);
	}

	preservation->first = virt_to_phys(first);
	preservation->total_pages = vm->nr_pages;
	preservation->flags = KHO_VMALLOC_ALLOC;
	if (vm->flags & VM_ALLOW_HUGE_VMAP)
		preservation->flags |= KHO_VMALLOC_HUGE_VMAP;
	preservation->order = order;
	return 0;

err_undo:
	kho_vmalloc_unpreserve_chunks(first, order);
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_vmalloc);

/**
 * kho_unpreserve_vmalloc() - undo kho_preserve_vmalloc() in the same kernel
 * @preservation: what kho_preserve_vmalloc() filled
 *
 * The area itself stays allocated; the descriptor pages are freed and
 * @preservation is zeroed.
 */
void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation)
{
	kho_vmalloc_unpreserve_chunks(kho_vmalloc_chunk_at(preservation->first),
				      preservation->order);
	memset(preservation, 0, sizeof(*preservation));
}
EXPORT_SYMBOL_GPL(kho_unpreserve_vmalloc);

/* Frees the chunks from @first on that this kernel has taken back. */
static void kho_vmalloc_free_chunks(struct kho_vmalloc_chunk *first,
				    unsigned long nr_chunks)
{
	while (nr_chunks--) {
		struct kho_vmalloc_chunk *next;

		next = kho_vmalloc_chunk_at(first->hdr.next);
		free_page((unsigned long)first);
		first = next;
	}
}

/* Whether a preserved block of exactly 2^@order pages, not restored yet, starts at @phys. */
static bool kho_vmalloc_run_preserved(u64 phys, unsigned int order)
{
	return kho_block_is_preserved(phys, PAGE_SIZE << order) &&
	       (order == MAX_PAGE_ORDER ||
		!kho_block_is_preserved(phys, PAGE_SIZE << (order + 1)));
}

/*
 * Checks the chunk chain of @kv against the description and fills @pages
 * with the pages of its runs, taking nothing back: returns 0 or -EINVAL
 * (logged). A chain that comes back to one of its chunks never ends with
 * the link 0 after the number of chunks the area needs, so it is refused.
 */
static int kho_vmalloc_peek(const struct kho_vmalloc *kv, struct page **pages)
{
	unsigned long nr_runs = kv->total_pages >> kv->order;
	unsigned long nr_chunks = DIV_ROUND_UP(nr_runs, KHO_VMALLOC_SIZE);
	unsigned long align = PAGE_SIZE << kv->order;
	unsigned long c, p = 0, left = nr_runs;
	u64 phys = kv->first;
	const char *why;

	for (c = 0; c < nr_chunks; c++) {
		const struct kho_vmalloc_chunk *chunk;
		unsigned long i, j, n = min(left, KHO_VMALLOC_SIZE);

		why = "a descriptor page is not preserved memory";
		if (!phys || !kho_block_is_preserved(phys, PAGE_SIZE))
			goto err;
		chunk = phys_to_virt(phys);

		for (i = 0; i < n; i++) {
			u64 run = chunk->phys[i];

			why = "a run address is missing or unaligned";
			if (!run || !IS_ALIGNED(run, align))
				goto err;
			why = "a run is not preserved memory of the area's order";
			if (!kho_vmalloc_run_preserved(run, kv->order))
				goto err;
			for (j = 0; j < 1UL << kv->order; j++)
				pages[p++] = pfn_to_page(PHYS_PFN(run) + j);
		}
		why = "the descriptor lists more runs than the area has";
		for (; i < KHO_VMALLOC_SIZE; i++)
			if (chunk->phys[i])
				goto err;
		left -= n;
		phys = chunk->hdr.next;
	}
	why = "the descriptor chain is longer than the area needs";
	if (!phys)
		return 0;
err:
	pr_err("vmalloc area of %u pages: %s\n", kv->total_pages, why);
	return -EINVAL;
}

/*
 * Takes back the chunks and runs kho_vmalloc_peek() checked. This
 * allocates nothing, so it fails only if a page was taken since, for
 * example because another description names it too: then what this call
 * took is freed and the rest is left alone. Returns 0 or -EINVAL (logged).
 */
static int kho_vmalloc_claim(const struct kho_vmalloc *kv)
{
	unsigned long nr_runs = kv->total_pages >> kv->order;
	unsigned long run = 1UL << kv->order;
	unsigned long c = 0, r = 0, i;
	struct kho_vmalloc_chunk *first = kho_vmalloc_chunk_at(kv->first);
	struct kho_vmalloc_chunk *chunk = first;

	while (r < nr_runs) {
		if (!kho_restore_pages(virt_to_phys(chunk), 1))
			goto err;
		c++;
		for (i = 0; i < KHO_VMALLOC_SIZE && r < nr_runs; i++, r++)
			if (!kho_restore_pages(chunk->phys[i], run))
				goto err;
		chunk = kho_vmalloc_chunk_at(chunk->hdr.next);
	}
	return 0;

err:
	pr_err("vmalloc area of %u pages: a page of it was taken already\n",
	       kv->total_pages);
	for (chunk = first, i = 0; r; r--, i++) {
		unsigned long j;

		if (i == KHO_VMALLOC_SIZE) {
			chunk = kho_vmalloc_chunk_at(chunk->hdr.next);
			i = 0;
		}
		for (j = 0; j < run; j++)
			__free_page(pfn_to_page(PHYS_PFN(chunk->phys[i]) + j));
	}
	kho_vmalloc_free_chunks(first, c);
	return -EINVAL;
}

/**
 * kho_restore_vmalloc_err() - kho_restore_vmalloc() that says why it failed
 * @preservation: the description kho_preserve_vmalloc() wrote
 *
 * For callers that must tell userspace whether memory ran out (which a
 * later attempt may not meet) or the description is bad. Everything that
 * can run out of memory (the page array, the area and its page tables) is
 * allocated before any page is taken back, so -ENOMEM leaves the area
 * preserved, to be restored later.
 *
 * Return: the area, to be freed with vfree(); ERR_PTR(-EINVAL) if the
 * description is refused (logged), ERR_PTR(-ENOMEM) if memory runs out.
 * A refused description leaves its pages reserved, except in one case: a
 * page it names that something else took back already is found only
 * while the area's pages are taken, and then the pages taken are freed.
 */
void *kho_restore_vmalloc_err(const struct kho_vmalloc *preservation)
{
	struct kho_vmalloc kv = *preservation;
	unsigned long vm_flags = VM_ALLOC;
	unsigned long run;
	struct page **pages;
	void *addr;
	int err;

	run = kv.order <= MAX_PAGE_ORDER ? 1UL << kv.order : 0;
	if (!run || !kv.total_pages || kv.total_pages % run ||
	    kv.total_pages > totalram_pages() ||
	    !(kv.flags & KHO_VMALLOC_ALLOC) ||
	    kv.flags & ~(KHO_VMALLOC_ALLOC | KHO_VMALLOC_HUGE_VMAP)) {
		pr_err("vmalloc area: impossible description (%u pages, order %u, flags %#x)\n",
		       kv.total_pages, kv.order, kv.flags);
		return ERR_PTR(-EINVAL);
	}
	if (kv.flags & KHO_VMALLOC_HUGE_VMAP)
		vm_flags |= VM_ALLOW_HUGE_VMAP;

	pages = kvmalloc_array(kv.total_pages, sizeof(*pages), KHO_GFP);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	err = kho_vmalloc_peek(&kv, pages);
	if (err)
		goto err_free_array;
	/* Mapping needs only the struct pages, not their ownership. */
	err = -ENOMEM;
	addr = vmalloc_adopt_pages(pages, kv.total_pages, kv.order, vm_flags,
				   __builtin_return_address(0));
	if (!addr)
		goto err_free_array;
	err = kho_vmalloc_claim(&kv);
	if (err) {
		vmalloc_unadopt_pages(addr);
		goto err_free_array;
	}
	kho_vmalloc_free_chunks(kho_vmalloc_chunk_at(kv.first),
				DIV_ROUND_UP(kv.total_pages >> kv.order,
					     KHO_VMALLOC_SIZE));
	return addr;

err_free_array:
	kvfree(pages);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc_err);

/**
 * kho_restore_vmalloc() - map a vmalloc area the previous kernel preserved
 * @preservation: the description kho_preserve_vmalloc() wrote
 *
 * Checks the description and its descriptor pages before it trusts them,
 * takes back every run, maps them into a new vmalloc area with the
 * original page order and frees the descriptor pages.
 *
 * Return: the area, to be freed with vfree(); NULL if the description is
 * refused (logged) or memory runs out; see kho_restore_vmalloc_err().
 */
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	void *addr = kho_restore_vmalloc_err(preservation);

	return IS_ERR(addr) ? NULL : addr;
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc);
