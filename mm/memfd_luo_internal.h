/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two halves of the memfd live update handler share: the
 * outgoing side (memfd_luo.c) and the incoming one (memfd_luo_incoming.c),
 * which also reads descriptions for the hugetlb handler.
 */
#ifndef _MM_MEMFD_LUO_INTERNAL_H
#define _MM_MEMFD_LUO_INTERNAL_H

#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/mmzone.h>
#include <linux/pagemap.h>
#include <uapi/linux/fcntl.h>

#define MEMFD_LUO_ALL_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
				 F_SEAL_EXEC)

#define MEMFD_LUO_MODE_BITS	07777

/*
 * The largest folio order taken back: what the page cache holds, or with
 * no THP (where large folios are split into pages) what the buddy does.
 */
#define MEMFD_LUO_MAX_ORDER	(IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) ? \
				 MAX_PAGECACHE_ORDER : MAX_PAGE_ORDER)

/* Pages in extent @e. */
static inline u64 memfd_luo_extent_pages(const struct memfd_luo_extent_ser *e)
{
	return (u64)e->nr_folios << e->order;
}

/* The first page frame of folio @i of extent @e. */
static inline u64 memfd_luo_folio_pfn(const struct memfd_luo_extent_ser *e, u32 i)
{
	return e->pfn + ((u64)i << e->order);
}

int memfd_luo_retrieve(struct liveupdate_file_op_args *args);
void memfd_luo_finish(struct liveupdate_file_op_args *args);

/* Reading a description, for the shmem and the hugetlb handler alike. */
bool memfd_luo_read_desc(u64 phys, void *desc, size_t len);
int memfd_luo_check_state(u64 phys, u64 size, u64 pos, u32 seals, u32 mode,
			  const char **why);
void *memfd_luo_restore_array(const struct kho_vmalloc *area, u64 nr,
			      size_t entry, const char **why);

#endif /* _MM_MEMFD_LUO_INTERNAL_H */
