/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the compatibility table of a kernel image.
 */
#ifndef _LINUX_KHO_IMAGE_TABLE_H
#define _LINUX_KHO_IMAGE_TABLE_H

#include <linux/kho/abi/image_table.h>
#include <linux/types.h>

extern const char kho_image_compat_strings[];
extern const size_t kho_image_compat_size;

int kho_image_table_find(const void *image, size_t len,
			 const struct kho_image_table **table,
			 const char **why);
const char *kho_image_table_next(const struct kho_image_table *table,
				 const char *prev);
bool kho_image_table_has(const struct kho_image_table *table,
			 const char *compatible);

#endif /* _LINUX_KHO_IMAGE_TABLE_H */
