/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table of the compatible strings this kernel reads after a live
 * update (include/linux/kho/abi/image_table.h), in the read-only data of
 * the decompressor: uncompressed in the bzImage, where kexec_file_load()
 * and kho_image_table(1) find it by its magic without running anything.
 */
	.section ".rodata.kho_image_table", "a"
	.balign 8
	.incbin "arch/x86/boot/compressed/kho_image_table.bin"
