// SPDX-License-Identifier: GPL-2.0
/*
 * The FLB of hugetlb memfds: the hugetlb state every preserved hugetlb
 * memfd depends on, how many huge pages of each size are handed over,
 * preserved with the first such file and read by the next kernel before
 * any of them is retrieved.
 */

#define pr_fmt(fmt) "memfd_luo_hugetlb: " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "memfd_luo_hugetlb_internal.h"

/* The outgoing FLB's counts, which every hugetlb file changes. */
static DEFINE_MUTEX(hugetlb_luo_flb_lock);

/**
 * hugetlb_luo_flb_count() - count huge pages into the outgoing FLB
 * @order: their order
 * @delta: how many more (or, negative, fewer) are handed over
 *
 * Return: 0, -ENOSPC when the FLB has no room for another size, or the
 * error of liveupdate_flb_get_outgoing().
 */
int hugetlb_luo_flb_count(unsigned int order, long delta)
{
	struct hugetlb_luo_flb_ser *ser;
	u32 i;
	int err;

	err = liveupdate_flb_get_outgoing(&hugetlb_luo_flb, (void **)&ser);
	if (err)
		return err;
	mutex_lock(&hugetlb_luo_flb_lock);
	for (i = 0; i < ser->nr_sizes; i++)
		if (ser->sizes[i].order == order)
			break;
	if (i == ser->nr_sizes) {
		if (i == HUGETLB_LUO_MAX_SIZES) {
			mutex_unlock(&hugetlb_luo_flb_lock);
			return -ENOSPC;
		}
		ser->sizes[i].order = order;
		ser->nr_sizes++;
	}
	ser->sizes[i].nr_folios += delta;
	mutex_unlock(&hugetlb_luo_flb_lock);
	return 0;
}

static int hugetlb_luo_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_flb_ser *ser = kho_alloc_preserve(sizeof(*ser));

	if (IS_ERR(ser))
		return PTR_ERR(ser);
	args->data = virt_to_phys(ser);
	args->obj = ser;
	return 0;
}

static void hugetlb_luo_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	kho_unpreserve_free(args->obj);
}

/**
 * hugetlb_luo_flb_retrieve() - the FLB's retrieve: read the hugetlb state
 * @args: LUO's arguments; @args->data is the record's address, @args->obj
 *        gets a &struct hugetlb_luo_flb_in
 *
 * The record is copied and given back to the page allocator at once.
 *
 * Return: 0, -ENOMEM, or -EINVAL for a record that is not preserved memory
 * or describes impossible sizes.
 */
int hugetlb_luo_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_flb_in *in;
	u32 i, j;

	if (!kho_block_is_preserved(args->data, sizeof(in->ser))) {
		pr_err("the hugetlb state at %#llx is not preserved memory\n",
		       args->data);
		return -EINVAL;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	memcpy(&in->ser, phys_to_virt(args->data), sizeof(in->ser));
	kho_restore_free(phys_to_virt(args->data));

	if (in->ser.nr_sizes > HUGETLB_LUO_MAX_SIZES || in->ser.reserved)
		goto err;
	for (i = 0; i < in->ser.nr_sizes; i++) {
		if (in->ser.sizes[i].order >= BITS_PER_LONG - PAGE_SHIFT ||
		    in->ser.sizes[i].reserved)
			goto err;
		for (j = 0; j < i; j++)
			if (in->ser.sizes[j].order == in->ser.sizes[i].order)
				goto err;
	}
	mutex_init(&in->lock);
	args->obj = in;
	return 0;

err:
	pr_err("the hugetlb state at %#llx is refused: impossible sizes\n",
	       args->data);
	kfree(in);
	return -EINVAL;
}

static void hugetlb_luo_flb_finish(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_flb_in *in = args->obj;
	u32 i;

	for (i = 0; i < in->ser.nr_sizes; i++)
		pr_info("%lu kB pages: %llu of %llu handed over adopted\n",
			(PAGE_SIZE << in->ser.sizes[i].order) / SZ_1K,
			in->adopted[i], in->ser.sizes[i].nr_folios);
	kfree(in);
}

static const struct liveupdate_flb_ops hugetlb_luo_flb_ops = {
	.preserve = hugetlb_luo_flb_preserve,
	.unpreserve = hugetlb_luo_flb_unpreserve,
	.retrieve = hugetlb_luo_flb_retrieve,
	.finish = hugetlb_luo_flb_finish,
	.owner = THIS_MODULE,
};

struct liveupdate_flb hugetlb_luo_flb = {
	.ops = &hugetlb_luo_flb_ops,
	.compatible = HUGETLB_LUO_FLB_COMPATIBLE,
};

#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
/* What KUnit hands over instead of a previous kernel's FLB. */
struct hugetlb_luo_flb_in *hugetlb_luo_kunit_flb;
#endif

/**
 * hugetlb_luo_flb_get() - take a reference on the hugetlb state handed over
 * @flb: gets the state
 *
 * Return: 0, or the error of liveupdate_flb_get_incoming().
 */
int hugetlb_luo_flb_get(struct hugetlb_luo_flb_in **flb)
{
#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
	if (hugetlb_luo_kunit_flb) {
		*flb = hugetlb_luo_kunit_flb;
		return 0;
	}
#endif
	return liveupdate_flb_get_incoming(&hugetlb_luo_flb, (void **)flb);
}

/**
 * hugetlb_luo_flb_put() - drop a reference hugetlb_luo_flb_get() took
 */
void hugetlb_luo_flb_put(void)
{
#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
	if (hugetlb_luo_kunit_flb)
		return;
#endif
	liveupdate_flb_put_incoming(&hugetlb_luo_flb);
}

/**
 * hugetlb_luo_flb_adopted() - count huge pages adopted into files
 * @flb:   the hugetlb state handed over
 * @order: their order
 * @nr:    how many
 */
void hugetlb_luo_flb_adopted(struct hugetlb_luo_flb_in *flb, unsigned int order,
			     u64 nr)
{
	u32 s;

	mutex_lock(&flb->lock);
	for (s = 0; s < flb->ser.nr_sizes; s++)
		if (flb->ser.sizes[s].order == order)
			flb->adopted[s] += nr;
	mutex_unlock(&flb->lock);
}
