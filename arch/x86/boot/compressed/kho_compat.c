// SPDX-License-Identifier: GPL-2.0
/*
 * The compatible strings this kernel reads after a live update, in a
 * section of their own, from which the build makes the image's table
 * (kho_image_table.S). Compiled only to be extracted, never linked.
 */
#include <linux/kho/abi/image_table.h>

const char kho_compat_strings[] __section(".kho_compat") __used =
	KHO_IMAGE_COMPAT_STRINGS;
