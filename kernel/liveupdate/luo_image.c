// SPDX-License-Identifier: GPL-2.0
/*
 * Whether the kernel image loaded for the next kexec can read what this
 * kernel would hand it: the check before the blackout.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/debugfs.h>
#include <linux/kho/image_table.h>
#include <linux/liveupdate.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "kexec_handover_internal.h"
#include "luo_internal.h"

/**
 * DOC: the check before the blackout
 *
 * Every image built with ``CONFIG_LIVEUPDATE`` carries the table of the
 * compatible strings it reads (see "kernel image compatibility table").
 * When an image is loaded with kexec_file_load(), LUO reads its table: a
 * table it finds and checks is kept, and an image without one, or whose
 * table is malformed, is recorded as such (one line in the kernel log)
 * and its table is never used. An image loaded with kexec_load() has no
 * file to read: it counts as an image without a table.
 *
 * At ``reboot(LINUX_REBOOT_CMD_KEXEC)``, before anything is frozen, every
 * item this kernel is about to hand over is looked up in the table: the
 * handler of every file of every outgoing session and every FLB such a
 * file depends on, the KHO root, and every KHO subtree by its compatible
 * string (see "KHO subtree compatible strings"; LUO's own state is one).
 * If the image cannot read one of them, the reboot fails with ``ENOEXEC``
 * and the log has one line for each item refused, naming it (a file by
 * its session and token) and the compatible string; nothing is frozen, so
 * every session stays as it was, and a reboot after loading an image that
 * reads everything goes through. With no outgoing session nothing is
 * checked: a kexec that hands nothing over is never refused.
 *
 * An image without a table (a mainline kernel, an older build) or with a
 * malformed one is refused the same way, unless the operator accepts it
 * at their own risk with ``liveupdate.accept_unchecked_image=1`` on the
 * command line or by writing 1 to
 * ``/sys/module/liveupdate/parameters/accept_unchecked_image`` (root
 * only). A table that says the image does not read an item is never
 * overridden. A subtree registered without a compatible string cannot be
 * checked either, and is handed over only to an image accepted that way.
 *
 * ``/sys/kernel/debug/liveupdate/image`` answers the same question
 * without rebooting; its format is in
 * Documentation/userspace-api/liveupdate.rst.
 */

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "liveupdate."

static bool luo_accept_unchecked;
module_param_named(accept_unchecked_image, luo_accept_unchecked, bool, 0644);
MODULE_PARM_DESC(accept_unchecked_image,
		 "Hand live update state over to an image without a (valid) compatibility table");

/* The loaded image's table, as liveupdate_image_loaded() found it. */
static DEFINE_MUTEX(luo_image_lock);
static struct kho_image_table *luo_image_table;
static int luo_image_status = -ENODATA;	/* no image loaded */
static const char *luo_image_why;

/**
 * liveupdate_image_loaded() - read the table of the image loaded for kexec
 * @buf: the image file as kexec_file_load() read it, or NULL when the
 *       image was unloaded or loaded without a file
 * @len: its length
 *
 * Called under the kexec lock, before the image replaces the loaded one;
 * the table is copied, since @buf goes once the image is loaded.
 *
 * Return: 0, or -ENOMEM when the table cannot be kept (the load fails).
 */
int liveupdate_image_loaded(const void *buf, size_t len)
{
	const struct kho_image_table *found = NULL;
	struct kho_image_table *copy = NULL;
	const char *why = NULL;
	int status = -ENODATA;

	if (buf) {
		status = kho_image_table_find(buf, len, &found, &why);
		if (!status) {
			copy = kmemdup(found, sizeof(*found) +
				       le32_to_cpu(found->size), GFP_KERNEL);
			if (!copy)
				return -ENOMEM;
		} else if (status == -ENOENT) {
			pr_info("the loaded image has no compatibility table\n");
		} else {
			pr_warn("the loaded image's compatibility table is malformed: %s\n",
				why);
		}
	}
	mutex_lock(&luo_image_lock);
	kfree(luo_image_table);
	luo_image_table = copy;
	luo_image_status = status;
	luo_image_why = why;
	mutex_unlock(&luo_image_lock);
	return 0;
}

/* What the loaded image is, in words, for the log and the query. */
static const char *luo_image_state(void)
{
	switch (luo_image_status) {
	case 0:
		return "table";
	case -ENOENT:
		return "no table";
	case -ENODATA:
		return "no image loaded";
	default:
		return "malformed table";
	}
}

struct luo_image_verdicts {
	struct seq_file *m;	/* the query, or NULL for the reboot's log */
	unsigned long refused;
};

/*
 * Whether the loaded image reads @compatible; NULL for a subtree whose
 * format has no name, which only an unchecked image is trusted with.
 * Called with the lock held.
 */
static bool luo_image_reads(const char *compatible)
{
	if (luo_image_table && compatible)
		return kho_image_table_has(luo_image_table, compatible);
	return luo_accept_unchecked && luo_image_status != -ENODATA;
}

/* One item, named by @item ("session S token T", "subtree N", "root"). */
static void luo_image_verdict(struct luo_image_verdicts *v, const char *item,
			      const char *compatible)
{
	bool ok = luo_image_reads(compatible);

	if (!compatible)
		compatible = "(unversioned)";
	v->refused += !ok;
	if (v->m)
		seq_printf(v->m, "%s %s: %s\n", item, compatible,
			   ok ? "ok" : "refused");
	else if (!ok)
		pr_err("%s: the loaded image does not read %s (%s)\n", item,
		       compatible, luo_image_state());
}

static void luo_image_file_verdict(const char *session, u64 token,
				   const char *compatible, void *arg)
{
	char item[LIVEUPDATE_SESSION_NAME_LENGTH + 48];
	struct luo_image_verdicts *v = arg;

	/* The reboot's check names only what it refuses: 100,000 files. */
	if (!v->m && luo_image_reads(compatible))
		return;
	snprintf(item, sizeof(item), "session %s token %llu", session, token);
	luo_image_verdict(arg, item, compatible);
}

static void luo_image_subtree_verdict(const char *name,
				      const char *compatible, void *arg)
{
	char item[80];

	snprintf(item, sizeof(item), "subtree %s", name);
	luo_image_verdict(arg, item, compatible);
}

/*
 * Looks every outgoing item up in the loaded image's table: the files
 * and FLBs of the sessions, then, if any session is outgoing, the KHO
 * root and every KHO subtree (LUO's state is one). Called with
 * luo_state_rwsem held. Return: how many sessions are outgoing.
 */
static unsigned long luo_image_judge(struct luo_image_verdicts *v)
{
	unsigned long sessions;

	mutex_lock(&luo_image_lock);
	sessions = luo_session_compatibles(luo_image_file_verdict, v);
	if (sessions) {
		luo_image_verdict(v, "root", KHO_FDT_COMPATIBLE);
		kho_subtree_compatibles(luo_image_subtree_verdict, v);
	}
	mutex_unlock(&luo_image_lock);
	return sessions;
}

/**
 * luo_image_check() - refuse a live update the loaded image cannot read
 *
 * Called by liveupdate_reboot() with luo_state_rwsem held for writing,
 * before anything is frozen.
 *
 * Return: 0, or -ENOEXEC after one log line per item refused.
 */
int luo_image_check(void)
{
	struct luo_image_verdicts v = {};

	luo_image_judge(&v);
	if (!v.refused)
		return 0;
	pr_err("live update refused: the loaded image cannot read %lu item(s); everything stays preserved\n",
	       v.refused);
	return -ENOEXEC;
}

static int luo_image_show(struct seq_file *m, void *unused)
{
	struct luo_image_verdicts v = { .m = m };
	unsigned long sessions;
	const char *s = NULL;

	down_read(&luo_state_rwsem);
	mutex_lock(&luo_image_lock);
	seq_printf(m, "image: %s", luo_image_state());
	if (luo_image_status == -EBADMSG)
		seq_printf(m, ": %s", luo_image_why);
	seq_putc(m, '\n');
	while (luo_image_table && (s = kho_image_table_next(luo_image_table, s)))
		seq_printf(m, "reads %s\n", s);
	mutex_unlock(&luo_image_lock);
	sessions = luo_image_judge(&v);
	up_read(&luo_state_rwsem);

	if (!sessions)
		seq_puts(m, "verdict: accepted (nothing to hand over)\n");
	else if (v.refused)
		seq_printf(m, "verdict: refused (%lu items)\n", v.refused);
	else if (!luo_image_table)
		seq_puts(m, "verdict: accepted (unchecked, accept_unchecked_image=1)\n");
	else
		seq_puts(m, "verdict: accepted\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luo_image);

/* Adds the query to LUO's debugfs directory @dir. */
void luo_image_debugfs(struct dentry *dir)
{
	debugfs_create_file("image", 0400, dir, NULL, &luo_image_fops);
}
