// SPDX-License-Identifier: GPL-2.0
/*
 * luo_lockdown: a live update under kernel lockdown, as Debian enforces it
 * when it boots with UEFI Secure Boot (here forced with lockdown=integrity).
 *
 * Under lockdown, kexec_file_load() only takes an image whose signature a
 * trusted key verifies (KEXEC_SIG, KEXEC_BZIMAGE_VERIFY_SIG); /dev/liveupdate
 * itself is not restricted. The harness signs /boot/bzImage with the key the
 * kernel build generated, which the kernel trusts, and keeps the image as
 * built in /boot/bzImage.unsigned.
 *
 * 1. lockdown is "integrity"; a memfd is preserved; loading the unsigned
 *    image fails with EPERM and changes nothing; the signed one is loaded
 *    and kexeced;
 * 2. still under lockdown, the memfd comes back with every byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/kexec.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define LD_SIZE		(4 * 1024 * 1024)
#define LD_TOKEN	0x10c
#define LD_SEED		0x10cd0ULL
#define LOCKDOWN	"/sys/kernel/security/lockdown"

/* Kept open across the kexec: closing a session gives it up. */
static int luo_fd, session_fd, memfd;

/* The lockdown file reads e.g. "none [integrity] confidentiality". */
static int check_lockdown(void)
{
	char buf[128];

	if (access(LOCKDOWN, R_OK) &&
	    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL))
		return kt_fail("mount securityfs: %s", strerror(errno));
	if (kt_read_file(LOCKDOWN, buf, sizeof(buf)) < 0)
		return kt_fail("read %s: %s", LOCKDOWN, strerror(errno));
	kt_diag("lockdown: %s", buf);
	if (!strstr(buf, "[integrity]"))
		return kt_fail("lockdown is not integrity: %s", buf);
	return 0;
}

static int generation_1(void)
{
	static const char cmdline[] = "console=ttyS0";
	int fd, err;
	long ret;

	if (check_lockdown())
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	session_fd = luo_create_session(luo_fd, "lockdown");
	if (session_fd < 0)
		return kt_fail("CREATE_SESSION: %s", strerror(-session_fd));
	memfd = mfd_create("lockdown", 0, LD_SIZE);
	if (memfd < 0)
		return kt_fail("memfd_create: %s", strerror(-memfd));
	err = mfd_write(memfd, 0, LD_SIZE, LD_SEED);
	if (err)
		return kt_fail("write: %s", strerror(-err));
	err = luo_preserve_fd(session_fd, memfd, LD_TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD under lockdown: %s", strerror(-err));

	fd = open("/boot/bzImage.unsigned", O_RDONLY);
	if (fd < 0)
		return kt_fail("open /boot/bzImage.unsigned: %s", strerror(errno));
	ret = syscall(SYS_kexec_file_load, fd, -1, sizeof(cmdline), cmdline,
		      KEXEC_FILE_NO_INITRAMFS);
	close(fd);
	if (!ret) {
		syscall(SYS_kexec_file_load, -1, -1, 0, NULL, KEXEC_FILE_UNLOAD);
		return kt_fail("lockdown let an unsigned image be loaded");
	}
	if (kt_expect("errno of loading the unsigned image", errno, EPERM))
		return -1;
	kt_diag("the unsigned image is refused with EPERM; the signed one kexecs");
	return 0;
}

static int generation_2(void)
{
	off_t bad = 0;
	int err;

	if (check_lockdown())
		return -1;
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	session_fd = luo_retrieve_session(luo_fd, "lockdown");
	if (session_fd < 0)
		return kt_fail("RETRIEVE_SESSION: %s", strerror(-session_fd));
	memfd = luo_retrieve_fd(session_fd, LD_TOKEN);
	if (memfd < 0)
		return kt_fail("RETRIEVE_FD: %s", strerror(-memfd));
	err = mfd_check(memfd, 0, LD_SIZE, LD_SEED, &bad);
	if (err < 0)
		return kt_fail("read: %s", strerror(-err));
	if (err)
		return kt_fail("byte %lld differs", (long long)bad);
	err = luo_finish(session_fd);
	if (err)
		return kt_fail("FINISH: %s", strerror(-err));
	return 0;
}

static const struct kt_stage stages[] = {
	{ "under lockdown: a memfd preserved, the unsigned image refused, the signed one used",
	  generation_1 },
	{ "under lockdown: the memfd back, every byte", generation_2 },
};

int main(void)
{
	return kt_main("luo_lockdown", stages, ARRAY_SIZE(stages));
}
