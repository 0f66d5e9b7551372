// SPDX-License-Identifier: GPL-2.0
/*
 * A file type of LUO's own for testing: each open of /dev/liveupdate_test
 * is a file holding one 64-bit value, read and written as 8 bytes, that a
 * live update carries over. Switches in /sys/kernel/debug/liveupdate_test/
 * make freezing or retrieving a chosen file fail, and counters there show
 * which callbacks ran.
 *
 * Every test file depends on three test FLBs, each holding one preserved
 * page with a magic, its index and a generation count that goes up by one
 * per live update. The next kernel reads them at early_initcall, which is
 * what FLBs promise to subsystems that need their state early.
 *
 * Writing 1 to the switch "corrupt" makes the state handed over at the
 * next kexec lie about the sessions named bad-count* (one file more than
 * recorded), bad-chain* (file records in memory never preserved) and
 * bad-handler* (a file of a handler nobody registers), and about test FLB
 * 0 (no dependent files); 2 gives the whole state a foreign compatible
 * string. The kexec tests use it to check the refusals of the next kernel.
 */

#define pr_fmt(fmt) "liveupdate_test: " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/luo_test.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

/* A file's state: the value it carries over. */
struct luo_test_file {
	u64 value;
};

/* Fail freeze/retrieve of the file whose value is this; 0: never. */
static u64 fail_freeze, fail_retrieve;
/* How often each callback ran; finished_unretrieved counts finish() calls
 * for files never retrieved.
 */
static u64 preserves, unpreserves, freezes, unfreezes, retrieves, finishes,
	   finished_unretrieved;

/* FLB callbacks run, FLBs found at early_initcall, and mismatches seen. */
static u64 flb_preserves, flb_unpreserves, flb_retrieves, flb_finishes,
	   flb_early, flb_errors;
/* The generation the FLBs handed over by the previous kernel had. */
static u64 flb_generation;
/* What to corrupt in the state handed over; see the top of the file. */
static u64 corrupt;

static const struct file_operations luo_test_fops;

static ssize_t luo_test_read(struct file *file, char __user *buf, size_t len,
			     loff_t *ppos)
{
	struct luo_test_file *tf = file->private_data;

	if (len < sizeof(tf->value))
		return -EINVAL;
	if (copy_to_user(buf, &tf->value, sizeof(tf->value)))
		return -EFAULT;
	return sizeof(tf->value);
}

static ssize_t luo_test_write(struct file *file, const char __user *buf,
			      size_t len, loff_t *ppos)
{
	struct luo_test_file *tf = file->private_data;
	u64 value;

	if (len != sizeof(value))
		return -EINVAL;
	if (copy_from_user(&value, buf, sizeof(value)))
		return -EFAULT;
	WRITE_ONCE(tf->value, value);
	return len;
}

static int luo_test_open(struct inode *inode, struct file *file)
{
	struct luo_test_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	file->private_data = tf;
	return 0;
}

static int luo_test_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations luo_test_fops = {
	.owner = THIS_MODULE,
	.open = luo_test_open,
	.release = luo_test_release,
	.read = luo_test_read,
	.write = luo_test_write,
};

static struct miscdevice luo_test_device = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate_test",
	.fops = &luo_test_fops,
};

static bool luo_test_can_preserve(struct liveupdate_file_handler *fh,
				  struct file *file)
{
	return file->f_op == &luo_test_fops;
}

static int luo_test_preserve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf = args->file->private_data;

	args->serialized_data = READ_ONCE(tf->value);
	args->private_data = tf;
	preserves++;
	return 0;
}

static void luo_test_unpreserve(struct liveupdate_file_op_args *args)
{
	unpreserves++;
}

/* The value may have changed since PRESERVE_FD: hand over the latest. */
static int luo_test_freeze(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf = args->private_data;
	u64 value = READ_ONCE(tf->value);

	if (fail_freeze && value == fail_freeze)
		return -EAGAIN;
	args->serialized_data = value;
	freezes++;
	return 0;
}

static void luo_test_unfreeze(struct liveupdate_file_op_args *args)
{
	unfreezes++;
}

static int luo_test_retrieve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf;
	struct file *file;

	if (fail_retrieve && args->serialized_data == fail_retrieve)
		return -EIO;
	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	if (!tf)
		return -ENOMEM;
	tf->value = args->serialized_data;
	file = anon_inode_getfile("[liveupdate_test]", &luo_test_fops, tf,
				  O_RDWR);
	if (IS_ERR(file)) {
		kfree(tf);
		return PTR_ERR(file);
	}
	args->file = file;
	retrieves++;
	return 0;
}

static void luo_test_finish(struct liveupdate_file_op_args *args)
{
	finishes++;
	if (!args->retrieve_status)
		finished_unretrieved++;
}

static const struct liveupdate_file_ops luo_test_ops = {
	.can_preserve = luo_test_can_preserve,
	.preserve = luo_test_preserve,
	.unpreserve = luo_test_unpreserve,
	.freeze = luo_test_freeze,
	.unfreeze = luo_test_unfreeze,
	.retrieve = luo_test_retrieve,
	.finish = luo_test_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_handler = {
	.ops = &luo_test_ops,
	.compatible = LUO_TEST_COMPATIBLE,
};

#define LUO_TEST_FLB_MAGIC	0x21424c46	/* "FLB!" */

/* What a test FLB hands over, in one preserved page. */
struct luo_test_flb_state {
	u64 magic;
	u64 index;
	u64 generation;
};

static int luo_test_flb_index(struct liveupdate_flb *flb);

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_state *st = kho_alloc_preserve(sizeof(*st));

	if (IS_ERR(st))
		return PTR_ERR(st);
	st->magic = LUO_TEST_FLB_MAGIC;
	st->index = luo_test_flb_index(args->flb);
	st->generation = flb_generation + 1;
	args->data = virt_to_phys(st);
	args->obj = st;
	flb_preserves++;
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	kho_unpreserve_free(args->obj);
	flb_unpreserves++;
}

static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_state *st;
	struct folio *folio;

	folio = kho_restore_folio(args->data);
	if (!folio) {
		flb_errors++;
		return -EINVAL;
	}
	st = folio_address(folio);
	if (st->magic != LUO_TEST_FLB_MAGIC ||
	    st->index != luo_test_flb_index(args->flb)) {
		pr_err("FLB '%s' handed over the wrong data\n",
		       args->flb->compatible);
		flb_errors++;
	}
	flb_generation = st->generation;
	args->obj = st;
	flb_retrieves++;
	return 0;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *args)
{
	folio_put(virt_to_folio(args->obj));
	flb_finishes++;
}

static const struct liveupdate_flb_ops luo_test_flb_ops = {
	.preserve = luo_test_flb_preserve,
	.unpreserve = luo_test_flb_unpreserve,
	.retrieve = luo_test_flb_retrieve,
	.finish = luo_test_flb_finish,
	.owner = THIS_MODULE,
};

#define LUO_TEST_FLB(i) {						\
	.ops = &luo_test_flb_ops,					\
	.compatible = LUO_TEST_FLB_COMPATIBLE(i),			\
}

static struct liveupdate_flb luo_test_flbs[LUO_TEST_FLBS] = {
	LUO_TEST_FLB(0), LUO_TEST_FLB(1), LUO_TEST_FLB(2),
};

static int luo_test_flb_index(struct liveupdate_flb *flb)
{
	return flb - luo_test_flbs;
}

/*
 * Early in boot, before any device or file exists, each test FLB's state
 * must be there. The reference is dropped at once: the files that depend
 * on the FLBs hold theirs until they are finished.
 */
static int __init luo_test_flb_early(void)
{
	int i;

	for (i = 0; i < LUO_TEST_FLBS; i++) {
		struct luo_test_flb_state *st;
		int err;

		err = liveupdate_flb_get_incoming(&luo_test_flbs[i],
						  (void **)&st);
		if (err == -ENODATA || err == -ENOENT || err == -EOPNOTSUPP)
			continue;
		if (err) {
			pr_err("FLB %d: %pe\n", i, ERR_PTR(err));
			flb_errors++;
			continue;
		}
		pr_info("FLB %d of generation %llu found early in boot\n", i,
			st->generation);
		flb_early++;
		liveupdate_flb_put_incoming(&luo_test_flbs[i]);
	}
	return 0;
}
early_initcall(luo_test_flb_early);

/* The first record of the block chain at @pa, or NULL. */
static void *luo_test_first_record(u64 pa)
{
	struct kho_block_header_ser *hdr;

	if (!pa)
		return NULL;
	hdr = phys_to_virt(pa);
	return hdr->count ? hdr + 1 : NULL;
}

static void luo_test_corrupt_session(struct luo_session_ser *rec)
{
	struct luo_file_set_ser *fs = &rec->file_set_ser;
	struct kho_block_header_ser *hdr;
	struct luo_file_ser *file;
	struct page *page;

	if (!strncmp(rec->name, "bad-count", 9)) {
		fs->count++;
	} else if (!strncmp(rec->name, "bad-chain", 9)) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!page)
			return;
		hdr = page_address(page);
		hdr->count = 1;
		fs->files = page_to_phys(page);
	} else if (!strncmp(rec->name, "bad-handler", 11)) {
		file = luo_test_first_record(fs->files);
		if (file)
			strscpy(file->compatible, "liveupdate-test-v0");
	} else {
		return;
	}
	pr_info("corrupted session '%s' for the next kernel\n", rec->name);
}

/* Runs after liveupdate_reboot() wrote the state, before the kexec. */
static int luo_test_reboot(struct notifier_block *nb, unsigned long action,
			   void *unused)
{
	struct luo_ser *ser = luo_ser_outgoing();
	struct kho_block_header_ser *hdr;
	struct luo_flb_ser *flb;
	u64 pa, i;

	if (!ser || !corrupt)
		return NOTIFY_DONE;
	if (corrupt == 2) {
		ser->compatible[0] ^= 0x20;
		pr_info("corrupted the compatible string for the next kernel\n");
		return NOTIFY_DONE;
	}
	for (pa = ser->sessions_pa; pa; pa = hdr->next) {
		struct luo_session_ser *rec;

		hdr = phys_to_virt(pa);
		rec = (struct luo_session_ser *)(hdr + 1);
		for (i = 0; i < hdr->count; i++)
			luo_test_corrupt_session(&rec[i]);
	}
	for (pa = ser->flbs_pa; pa; pa = hdr->next) {
		hdr = phys_to_virt(pa);
		flb = (struct luo_flb_ser *)(hdr + 1);
		for (i = 0; i < hdr->count; i++)
			if (!strcmp(flb[i].name, LUO_TEST_FLB_COMPATIBLE(0)))
				flb[i].count = 0;
	}
	return NOTIFY_DONE;
}

static struct notifier_block luo_test_reboot_nb = {
	.notifier_call = luo_test_reboot,
};

static int __init luo_test_init(void)
{
	struct dentry *dir;
	int err, i;

	if (!liveupdate_enabled())
		return 0;
	err = liveupdate_register_file_handler(&luo_test_handler);
	if (err) {
		pr_err("registering the handler failed: %pe\n", ERR_PTR(err));
		return 0;
	}
	for (i = 0; i < LUO_TEST_FLBS; i++) {
		err = liveupdate_register_flb(&luo_test_handler,
					      &luo_test_flbs[i]);
		if (err)
			pr_err("registering FLB %d failed: %pe\n", i,
			       ERR_PTR(err));
	}
	/* Registering twice is refused. */
	if (liveupdate_register_flb(&luo_test_handler, &luo_test_flbs[0]) !=
	    -EEXIST)
		flb_errors++;
	err = misc_register(&luo_test_device);
	if (err) {
		pr_err("registering the device failed: %pe\n", ERR_PTR(err));
		liveupdate_unregister_file_handler(&luo_test_handler);
		return 0;
	}
	dir = debugfs_create_dir("liveupdate_test", NULL);
	debugfs_create_u64("fail_freeze", 0600, dir, &fail_freeze);
	debugfs_create_u64("fail_retrieve", 0600, dir, &fail_retrieve);
	debugfs_create_u64("corrupt", 0600, dir, &corrupt);
	register_reboot_notifier(&luo_test_reboot_nb);
	debugfs_create_u64("preserves", 0400, dir, &preserves);
	debugfs_create_u64("unpreserves", 0400, dir, &unpreserves);
	debugfs_create_u64("freezes", 0400, dir, &freezes);
	debugfs_create_u64("unfreezes", 0400, dir, &unfreezes);
	debugfs_create_u64("retrieves", 0400, dir, &retrieves);
	debugfs_create_u64("finishes", 0400, dir, &finishes);
	debugfs_create_u64("finished_unretrieved", 0400, dir,
			   &finished_unretrieved);
	debugfs_create_u64("flb_preserves", 0400, dir, &flb_preserves);
	debugfs_create_u64("flb_unpreserves", 0400, dir, &flb_unpreserves);
	debugfs_create_u64("flb_retrieves", 0400, dir, &flb_retrieves);
	debugfs_create_u64("flb_finishes", 0400, dir, &flb_finishes);
	debugfs_create_u64("flb_early", 0400, dir, &flb_early);
	debugfs_create_u64("flb_errors", 0400, dir, &flb_errors);
	debugfs_create_u64("flb_generation", 0400, dir, &flb_generation);
	return 0;
}
device_initcall(luo_test_init);
