// SPDX-License-Identifier: GPL-2.0
/*
 * The KHO kexec-metadata subtree: which kernel ran the kexec, and how many
 * kexecs happened since the last cold boot.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_metadata.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "kexec_handover_internal.h"

/* Kexecs since the last cold boot, counting the one that started us. */
static u32 kho_kexec_count;

/*
 * Reads the previous kernel's metadata. Its blob is restored and kept for
 * the life of this kernel (it is one page). A missing or unknown blob only
 * costs the count, so this never fails.
 */
static void __init kho_kexec_metadata_retrieve(void)
{
	struct kho_kexec_metadata *in;
	struct folio *folio;
	phys_addr_t phys;
	size_t size;

	if (kho_retrieve_subtree(KHO_METADATA_NODE_NAME, &phys, &size))
		return;

	folio = kho_restore_folio(phys);
	if (!folio || folio_size(folio) < size) {
		pr_warn("kexec metadata at %pa is not preserved memory, ignored\n",
			&phys);
		if (folio)
			folio_put(folio);
		return;
	}

	in = folio_address(folio);
	if (size < sizeof(in->version) || in->version != KHO_KEXEC_METADATA_VERSION ||
	    size < sizeof(*in)) {
		pr_warn("kexec metadata of unknown version, ignored\n");
		return;
	}
	kho_kexec_count = in->kexec_count;
	in->previous_release[sizeof(in->previous_release) - 1] = '\0';
	pr_info("kexec %u since cold boot, from Linux %s\n", kho_kexec_count,
		in->previous_release);
}

/**
 * kho_kexec_metadata_init() - read the incoming metadata, publish our own
 *
 * Return: 0, or the error that keeps this kernel from publishing it.
 */
int __init kho_kexec_metadata_init(void)
{
	struct kho_kexec_metadata *out;
	int err;

	kho_kexec_metadata_retrieve();

	out = kho_alloc_preserve(sizeof(*out));
	if (IS_ERR(out))
		return PTR_ERR(out);
	out->version = KHO_KEXEC_METADATA_VERSION;
	strscpy(out->previous_release, init_utsname()->release);
	out->kexec_count = kho_kexec_count + 1;

	err = kho_add_subtree_compatible(KHO_METADATA_NODE_NAME,
					 KHO_KEXEC_METADATA_COMPATIBLE, out,
					 sizeof(*out));
	if (err)
		kho_unpreserve_free(out);
	return err;
}
