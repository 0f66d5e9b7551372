// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: enabling, the handed-over root, the kexec hook
 * and /dev/liveupdate.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kstrtox.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

/**
 * DOC: Live Update Orchestrator
 *
 * LUO is off unless the kernel is booted with ``liveupdate=on``, and needs
 * Kexec HandOver: with KHO off it stays off and says so. When it is on,
 * /dev/liveupdate exists, sessions can be created, and kernel_kexec()
 * calls liveupdate_reboot() before it does anything it cannot undo.
 *
 * The handed-over state is one &struct luo_ser, registered at
 * ``late_initcall`` as the KHO subtree ``LUO`` and filled in by
 * liveupdate_reboot(). The next kernel reads it at ``early_initcall``;
 * state it cannot trust is refused at the narrowest scope that is safe,
 * with one error line and no panic: a bad &struct luo_ser or session chain
 * refuses all incoming sessions, a bad session record only its session.
 * Preserved memory that is refused stays reserved.
 */

static bool luo_enable __ro_after_init;

/* Live updates since the last cold boot, as the previous kernel counted. */
u64 luo_liveupdate_num;

struct luo_incoming luo_incoming;

DECLARE_RWSEM(luo_state_rwsem);

static struct luo_ser *luo_ser_out;

static int __init luo_parse_enable(char *p)
{
	return kstrtobool(p, &luo_enable);
}
early_param("liveupdate", luo_parse_enable);

/**
 * liveupdate_enabled() - whether LUO is on in this kernel
 *
 * Return: true once ``liveupdate=on`` was given and KHO is on; final after
 * ``late_initcall``.
 */
bool liveupdate_enabled(void)
{
	return luo_enable;
}

/**
 * luo_ser_bad() - why the previous kernel's &struct luo_ser is not trusted
 * @ser:  the struct, mapped
 * @size: the size the previous kernel registered it with
 *
 * Return: NULL if it is this kernel's layout, at least as large as this
 * kernel's struct; else the reason.
 */
const char *luo_ser_bad(const struct luo_ser *ser, size_t size)
{
	if (size < sizeof(*ser))
		return "it is smaller than this kernel's struct luo_ser";
	if (!kho_compat_equal(ser->compatible, sizeof(ser->compatible),
			      LUO_ABI_COMPATIBLE))
		return "its compatible string is not \"" LUO_ABI_COMPATIBLE "\"";
	return NULL;
}

/*
 * Reads the previous kernel's root: any doubt about it refuses all of LUO's
 * state, a corrupted session or FLB chain only the sessions or the FLBs.
 */
static void __init luo_setup_incoming(void)
{
	const struct luo_ser *ser;
	struct folio *folio;
	u64 sessions_pa, flbs_pa;
	phys_addr_t phys;
	size_t size;
	int err;

	err = kho_retrieve_subtree(LUO_KHO_ENTRY_NAME, &phys, &size);
	if (err == -ENOENT)
		return;
	if (err) {
		luo_incoming.refused = "its KHO subtree is unreadable";
		goto refuse;
	}
	folio = kho_restore_folio(phys);
	if (!folio) {
		luo_incoming.refused = "it is not preserved memory";
		goto refuse;
	}
	ser = folio_address(folio);
	luo_incoming.refused = luo_ser_bad(ser, min(size, folio_size(folio)));
	if (luo_incoming.refused) {
		folio_put(folio);
		goto refuse;
	}
	luo_liveupdate_num = ser->liveupdate_num;
	sessions_pa = ser->sessions_pa;
	flbs_pa = ser->flbs_pa;
	folio_put(folio);
	luo_incoming.received = true;
	pr_info("live update %llu: state of the previous kernel received\n",
		luo_liveupdate_num);

	if (luo_session_setup_incoming(sessions_pa)) {
		luo_incoming.sessions_refused = "the session chain is corrupted";
		pr_err("refusing the previous kernel's sessions: %s\n",
		       luo_incoming.sessions_refused);
	}
	err = luo_flb_setup_incoming(flbs_pa);
	if (err) {
		luo_incoming.flbs_refused = err == -ENOMEM ? "out of memory" :
					    "the FLB chain is corrupted";
		pr_err("refusing the previous kernel's FLB data: %s\n",
		       luo_incoming.flbs_refused);
	}
	return;

refuse:
	pr_err("refusing the previous kernel's state: %s\n",
	       luo_incoming.refused);
}

/* LUO stays on only while KHO is on; KHO's state is final at fs_initcall. */
static bool __init luo_on_with_kho(void)
{
	if (luo_enable && !kho_is_enabled()) {
		pr_warn("off: Kexec HandOver is off\n");
		luo_enable = false;
	}
	return luo_enable;
}

static int __init luo_early_init(void)
{
	int err;

	if (!luo_on_with_kho())
		return 0;
	/* Tables set up before a failure stay, unused. */
	err = luo_session_init() ?: luo_file_init();
	if (err) {
		pr_err("off: no lookup tables: %pe\n", ERR_PTR(err));
		luo_enable = false;
		return 0;
	}
	luo_setup_incoming();
	return 0;
}
early_initcall(luo_early_init);

#if IS_ENABLED(CONFIG_LIVEUPDATE_TEST)
/* The state the next kernel gets, for the test file type to corrupt. */
struct luo_ser *luo_ser_outgoing(void)
{
	return luo_ser_out;
}
#endif

/**
 * liveupdate_reboot() - hand every outgoing session over to the next kernel
 *
 * Called by kernel_kexec() before anything it cannot undo. On success
 * nothing may change the sessions any more: the state lock stays taken,
 * since the machine is about to kexec.
 *
 * Return: 0, also when LUO is off; or the error of the file that failed to
 * freeze, with every session exactly as before.
 */
int liveupdate_reboot(void)
{
	u64 sessions_pa = 0;
	int err;

	/* Set up at late_initcall only when LUO is on. */
	if (!luo_ser_out)
		return 0;

	down_write(&luo_state_rwsem);
	/* Nothing is frozen yet: a refusal leaves every session as it was. */
	err = luo_image_check();
	if (err) {
		up_write(&luo_state_rwsem);
		return err;
	}
	err = luo_session_serialize(&sessions_pa);
	if (err) {
		up_write(&luo_state_rwsem);
		pr_err("live update aborted: %pe\n", ERR_PTR(err));
		return err;
	}
	luo_ser_out->liveupdate_num = luo_liveupdate_num + 1;
	luo_ser_out->sessions_pa = sessions_pa;
	luo_ser_out->flbs_pa = luo_flb_serialize();
	return 0;
}

int luo_ucmd_begin(struct luo_ucmd *ucmd, const struct luo_ioctl_op *op,
		   unsigned int cmd, void __user *ubuf)
{
	*ucmd = (struct luo_ucmd) {
		.op = op,
		.ubuf = ubuf,
		.arg = &ucmd->buf,
		.new_fd = -1,
	};
	if (get_user(ucmd->user_size, (u32 __user *)ubuf))
		return -EFAULT;
	if (cmd != op->cmd)
		return -ENOIOCTLCMD;
	return 0;
}

int luo_ucmd_read(struct luo_ucmd *ucmd)
{
	if (ucmd->user_size < ucmd->op->min_size)
		return -EINVAL;
	return copy_struct_from_user(ucmd->arg, ucmd->op->size, ucmd->ubuf,
				     ucmd->user_size);
}

/* Reserves a close-on-exec descriptor for @file, installed by end. */
int luo_ucmd_new_fd(struct luo_ucmd *ucmd, struct file *file, __s32 *fdp)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd < 0) {
		if (ucmd->abandon)
			ucmd->abandon(file);
		fput(file);
		return fd;
	}
	ucmd->new_file = file;
	ucmd->new_fd = fd;
	*fdp = fd;
	return 0;
}

/*
 * Replies with as much of the argument as both sides know and installs a
 * new descriptor only if the reply got out.
 */
long luo_ucmd_end(struct luo_ucmd *ucmd, int err)
{
	if (!err && copy_to_user(ucmd->ubuf, ucmd->arg,
				 min_t(size_t, ucmd->user_size, ucmd->op->size)))
		err = -EFAULT;
	if (ucmd->new_file) {
		if (err) {
			put_unused_fd(ucmd->new_fd);
			if (ucmd->abandon)
				ucmd->abandon(ucmd->new_file);
			fput(ucmd->new_file);
		} else {
			fd_install(ucmd->new_fd, ucmd->new_file);
		}
	}
	return err;
}

static const struct luo_ioctl_op luo_device_ops[] = {
	LUO_IOCTL_OP(LIVEUPDATE_IOCTL_CREATE_SESSION,
		     struct liveupdate_ioctl_create_session, name),
	LUO_IOCTL_OP(LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
		     struct liveupdate_ioctl_retrieve_session, name),
};

static long luo_device_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long uarg)
{
	unsigned int nr = _IOC_NR(cmd) - LIVEUPDATE_CMD_BASE;
	struct luo_ucmd ucmd;
	struct file *file;
	__u8 *name;
	__s32 *fdp;
	int err;

	if (nr >= ARRAY_SIZE(luo_device_ops))
		return -EINVAL;
	err = luo_ucmd_begin(&ucmd, &luo_device_ops[nr], cmd,
			     (void __user *)uarg);
	if (!err)
		err = luo_ucmd_read(&ucmd);
	if (err)
		return err;

	/* The two arguments have the same layout. */
	name = ucmd.buf.create.name;
	fdp = &ucmd.buf.create.fd;

	down_read(&luo_state_rwsem);
	if (cmd == LIVEUPDATE_IOCTL_CREATE_SESSION) {
		err = luo_session_create(name, &file);
	} else {
		err = luo_session_retrieve(name, &file);
		/* A session not handed out stays retrievable. */
		ucmd.abandon = luo_session_abandon;
	}
	up_read(&luo_state_rwsem);
	if (!err)
		err = luo_ucmd_new_fd(&ucmd, file, fdp);
	return luo_ucmd_end(&ucmd, err);
}

static atomic_t luo_device_busy = ATOMIC_INIT(0);

/*
 * The incoming sessions are built on the first open that gets the memory
 * for them; an open that does not fails with -ENOMEM and the next one goes
 * on from there.
 */
static int luo_device_open(struct inode *inode, struct file *file)
{
	int err;

	if (atomic_cmpxchg(&luo_device_busy, 0, 1))
		return -EBUSY;
	err = luo_session_deserialize();
	if (err)
		atomic_set(&luo_device_busy, 0);
	return err;
}

static int luo_device_release(struct inode *inode, struct file *file)
{
	atomic_set(&luo_device_busy, 0);
	return 0;
}

static const struct file_operations luo_device_fops = {
	.owner = THIS_MODULE,
	.open = luo_device_open,
	.release = luo_device_release,
	.unlocked_ioctl = luo_device_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice luo_device = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate",
	.fops = &luo_device_fops,
};

/* What became of the previous kernel's state, one "key: value" a line. */
static int luo_status_show(struct seq_file *m, void *unused)
{
	const struct luo_incoming *in = &luo_incoming;

	seq_printf(m, "liveupdate_num: %llu\n", luo_liveupdate_num);
	if (in->refused) {
		seq_printf(m, "state: refused: %s\n", in->refused);
		return 0;
	}
	seq_printf(m, "state: %s\n", in->received ? "received" : "none");
	if (!in->received)
		return 0;
	if (in->sessions_refused)
		seq_printf(m, "sessions: refused: %s\n", in->sessions_refused);
	else if (!in->built)
		seq_puts(m, "sessions: built at the first open of /dev/liveupdate\n");
	else
		seq_printf(m, "sessions: %llu received, %llu refused\n",
			   in->sessions, in->sessions_bad);
	if (in->flbs_refused)
		seq_printf(m, "flbs: refused: %s\n", in->flbs_refused);
	else
		seq_printf(m, "flbs: %llu received, %llu refused\n", in->flbs,
			   in->flbs_bad);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luo_status);

/* The outgoing root and the device; LUO turns off if either fails. */
static int __init luo_late_init(void)
{
	struct dentry *dir;
	int err;

	if (!luo_on_with_kho())
		return 0;

	luo_ser_out = kho_alloc_preserve(sizeof(*luo_ser_out));
	if (IS_ERR(luo_ser_out)) {
		err = PTR_ERR(luo_ser_out);
		luo_ser_out = NULL;
		goto err_off;
	}
	kho_compat_store(luo_ser_out->compatible,
			 sizeof(luo_ser_out->compatible), LUO_ABI_COMPATIBLE);
	luo_ser_out->liveupdate_num = luo_liveupdate_num + 1;
	err = kho_add_subtree_compatible(LUO_KHO_ENTRY_NAME, LUO_ABI_COMPATIBLE,
					 luo_ser_out, sizeof(*luo_ser_out));
	if (err)
		goto err_free;
	err = misc_register(&luo_device);
	if (err)
		goto err_remove;
	dir = debugfs_create_dir("liveupdate", NULL);
	debugfs_create_file("status", 0400, dir, NULL, &luo_status_fops);
	luo_image_debugfs(dir);
	return 0;

err_remove:
	kho_remove_subtree(luo_ser_out);
err_free:
	kho_unpreserve_free(luo_ser_out);
	luo_ser_out = NULL;
err_off:
	pr_err("off: setting up failed: %pe\n", ERR_PTR(err));
	luo_enable = false;
	return 0;
}
late_initcall(luo_late_init);
