// SPDX-License-Identifier: GPL-2.0
/*
 * A file type of LUO's own for testing: each open of /dev/liveupdate_test
 * is a file holding one 64-bit value, read and written as 8 bytes, that a
 * live update carries over. Switches in /sys/kernel/debug/liveupdate_test/
 * make freezing or retrieving a chosen file fail, and counters there show
 * which callbacks ran.
 */

#define pr_fmt(fmt) "liveupdate_test: " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/liveupdate.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define LUO_TEST_COMPATIBLE	"liveupdate-test-v1"

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

static int __init luo_test_init(void)
{
	struct dentry *dir;
	int err;

	if (!liveupdate_enabled())
		return 0;
	err = liveupdate_register_file_handler(&luo_test_handler);
	if (err) {
		pr_err("registering the handler failed: %pe\n", ERR_PTR(err));
		return 0;
	}
	err = misc_register(&luo_test_device);
	if (err) {
		pr_err("registering the device failed: %pe\n", ERR_PTR(err));
		liveupdate_unregister_file_handler(&luo_test_handler);
		return 0;
	}
	dir = debugfs_create_dir("liveupdate_test", NULL);
	debugfs_create_u64("fail_freeze", 0600, dir, &fail_freeze);
	debugfs_create_u64("fail_retrieve", 0600, dir, &fail_retrieve);
	debugfs_create_u64("preserves", 0400, dir, &preserves);
	debugfs_create_u64("unpreserves", 0400, dir, &unpreserves);
	debugfs_create_u64("freezes", 0400, dir, &freezes);
	debugfs_create_u64("unfreezes", 0400, dir, &unfreezes);
	debugfs_create_u64("retrieves", 0400, dir, &retrieves);
	debugfs_create_u64("finishes", 0400, dir, &finishes);
	debugfs_create_u64("finished_unretrieved", 0400, dir,
			   &finished_unretrieved);
	return 0;
}
device_initcall(luo_test_init);
