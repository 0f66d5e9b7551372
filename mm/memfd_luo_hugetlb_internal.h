/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the hugetlb memfd live update handler share: the
 * handler and its outgoing side (memfd_luo_hugetlb.c), the incoming side
 * (memfd_luo_hugetlb_incoming.c) and the FLB of the hugetlb state
 * (memfd_luo_hugetlb_flb.c).
 */
#ifndef _MM_MEMFD_LUO_HUGETLB_INTERNAL_H
#define _MM_MEMFD_LUO_HUGETLB_INTERNAL_H

#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>

#include "memfd_luo_internal.h"

/**
 * struct hugetlb_luo_flb_in - the hugetlb state the previous kernel
 *                             handed over
 * @ser:     its record, read once and checked
 * @adopted: per entry of @ser.sizes, the huge pages adopted into files
 * @lock:    protects @adopted
 */
struct hugetlb_luo_flb_in {
	struct hugetlb_luo_flb_ser ser;
	u64 adopted[HUGETLB_LUO_MAX_SIZES];
	struct mutex lock;	/* files retrieved at once count here */
};

extern struct liveupdate_flb hugetlb_luo_flb;

int hugetlb_luo_flb_count(unsigned int order, long delta);
int hugetlb_luo_flb_retrieve(struct liveupdate_flb_op_args *args);
int hugetlb_luo_flb_get(struct hugetlb_luo_flb_in **flb);
void hugetlb_luo_flb_put(void);
void hugetlb_luo_flb_adopted(struct hugetlb_luo_flb_in *flb, unsigned int order,
			     u64 nr);

#if IS_ENABLED(CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST)
extern struct hugetlb_luo_flb_in *hugetlb_luo_kunit_flb;
#endif

int memfd_hugetlb_luo_retrieve(struct liveupdate_file_op_args *args);
void memfd_hugetlb_luo_finish(struct liveupdate_file_op_args *args);

#endif /* _MM_MEMFD_LUO_HUGETLB_INTERNAL_H */
