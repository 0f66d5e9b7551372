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

/*
 * Takes back the chunk chain of @kv and checks it against the description;
 * returns the first chunk or NULL (logged). The chunks are this kernel's
 * from here on, so the second pass can trust what it checked.
 */
static struct kho_vmalloc_chunk *
kho_vmalloc_restore_chunks(const struct kho_vmalloc *kv)
{
	unsigned long nr_runs = kv->total_pages >> kv->order;
	unsigned long nr_chunks = DIV_ROUND_UP(nr_runs, KHO_VMALLOC_SIZE);
	unsigned long align = PAGE_SIZE << kv->order;
	struct kho_vmalloc_chunk *first = NULL;
	unsigned long restored, left = nr_runs;
	u64 phys = kv->first;
	const char *why;

	for (restored = 0; restored < nr_chunks; restored++) {
		struct kho_vmalloc_chunk *chunk;
		unsigned long i, n = min(left, KHO_VMALLOC_SIZE);

		/* A chain that loops comes back to a page taken already. */
		why = "a descriptor page is not preserved memory";
		if (!phys || !kho_restore_pages(phys, 1))
			goto err;
		chunk = phys_to_virt(phys);
		if (!first)
			first = chunk;

		why = "a run address is missing or unaligned";
		for (i = 0; i < n; i++)
			if (!chunk->phys[i] || !IS_ALIGNED(chunk->phys[i], align))
				goto err_taken;
		why = "the descriptor lists more runs than the area has";
		for (; i < KHO_VMALLOC_SIZE; i++)
			if (chunk->phys[i])
				goto err_taken;
		left -= n;
		phys = chunk->hdr.next;
	}
	why = "the descriptor chain is longer than the area needs";
	if (!phys)
		return first;
	goto err;

err_taken:
	restored++;
err:
	kho_vmalloc_free_chunks(first, restored);
	pr_err("vmalloc area of %u pages: %s\n", kv->total_pages, why);
	return NULL;
}

/**
 * kho_restore_vmalloc_err() - kho_restore_vmalloc() that says why it failed
 * @preservation: the description kho_preserve_vmalloc() wrote
 *
 * For callers that must tell userspace whether memory ran out (which a
 * later attempt may not meet) or the description is bad.
 *
 * Return: the area, to be freed with vfree(); ERR_PTR(-EINVAL) if the
 * description is refused (logged), ERR_PTR(-ENOMEM) if memory runs out.
 * When memory runs out before anything was taken back (the page array),
 * the area stays preserved and can be restored later; after that, as
 * after a refusal, runs this kernel took back are freed and runs it did
 * not reach stay reserved.
 */
void *kho_restore_vmalloc_err(const struct kho_vmalloc *preservation)
{
	struct kho_vmalloc kv = *preservation;
	struct kho_vmalloc_chunk *first, *chunk;
	unsigned long run, nr_restored = 0;
	unsigned long vm_flags = VM_ALLOC;
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
	err = -EINVAL;
	first = kho_vmalloc_restore_chunks(&kv);
	if (!first)
		goto err_free_array;

	for (chunk = first; nr_restored < kv.total_pages;
	     chunk = kho_vmalloc_chunk_at(chunk->hdr.next)) {
		unsigned int i;

		for (i = 0; i < KHO_VMALLOC_SIZE && nr_restored < kv.total_pages;
		     i++) {
			struct page *page = kho_restore_pages(chunk->phys[i], run);
			unsigned long j;

			if (!page) {
				pr_err("vmalloc area of %u pages: run at %#llx is not preserved memory\n",
				       kv.total_pages, chunk->phys[i]);
				goto err_free_pages;
			}
			for (j = 0; j < run; j++)
				pages[nr_restored++] = page + j;
		}
	}

	err = -ENOMEM;
	addr = vmalloc_adopt_pages(pages, kv.total_pages, kv.order, vm_flags,
				   __builtin_return_address(0));
	if (!addr)
		goto err_free_pages;
	kho_vmalloc_free_chunks(first, DIV_ROUND_UP(kv.total_pages >> kv.order,
						    KHO_VMALLOC_SIZE));
	return addr;

err_free_pages:
	while (nr_restored)
		__free_page(pages[--nr_restored]);
	kho_vmalloc_free_chunks(first, DIV_ROUND_UP(kv.total_pages >> kv.order,
						    KHO_VMALLOC_SIZE));
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
