// SPDX-License-Identifier: GPL-2.0
/*
 * The build makes the compatibility tables of its images with the
 * offline tool of tools/liveupdate/, which is also what an operator runs
 * on an image file before loading it: one program, built here as a
 * hostprog of the kernel's build.
 */
#include "../tools/liveupdate/kho_image_table.c"
