// SPDX-License-Identifier: GPL-2.0
/*
 * LUO sessions: named groups of preserved files, with a file descriptor
 * each.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "luo_internal.h"

/**
 * DOC: LUO sessions
 *
 * An outgoing session is created by CREATE_SESSION and lives as long as
 * its file descriptor: closing it before the kexec gives up every file it
 * preserved. At reboot every outgoing session still open is written, in
 * creation order, into a block chain whose capacity followed the sessions
 * as they were created and closed, so serializing allocates nothing.
 *
 * In the next kernel the session chain is checked at ``early_initcall``;
 * the sessions themselves are built when /dev/liveupdate is first opened,
 * each on its own: a session whose records are corrupted is refused with a
 * message and its preserved data stays reserved, while the others stay
 * retrievable. Building takes nothing from the previous kernel before it
 * has allocated what it needs, so an open that runs out of memory fails
 * with ENOMEM, loses nothing, and the next open goes on where it stopped.
 * RETRIEVE_SESSION hands out each incoming session once;
 * FINISH, or closing its descriptor, finishes its files.
 *
 * Names are looked up in a hash table of the outgoing sessions and one of
 * the incoming ones, so creating or retrieving a session costs the same
 * with ten sessions as with a hundred thousand, and building the incoming
 * sessions is linear in their number.
 */

/* Protects the session lists and tables and the outgoing session chain. */
static DEFINE_MUTEX(luo_session_lock);
static LIST_HEAD(luo_outgoing);
static u64 luo_outgoing_count;
static LIST_HEAD(luo_incoming_sessions);
/* The sessions on each list, by name. */
static struct rhashtable luo_outgoing_names;
static struct rhashtable luo_incoming_names;
/* Names are NUL-padded, so the whole field is the key. */
static const struct rhashtable_params luo_session_params = {
	.key_len = sizeof_field(struct luo_session, name),
	.key_offset = offsetof(struct luo_session, name),
	.head_offset = offsetof(struct luo_session, node),
	.automatic_shrinking = true,
};

static struct kho_block_set luo_session_blocks =
	KHO_BLOCK_SET_INIT(luo_session_blocks, sizeof(struct luo_session_ser));
static struct kho_block_set luo_session_in =
	KHO_BLOCK_SET_INIT(luo_session_in, sizeof(struct luo_session_ser));

static bool luo_session_name_ok(const char *name)
{
	return luo_string_ok(name, LIVEUPDATE_SESSION_NAME_LENGTH);
}

static struct luo_session *luo_session_alloc(const char *name, bool incoming)
{
	struct luo_session *s = kzalloc(sizeof(*s), KHO_GFP);

	if (!s)
		return NULL;
	strscpy_pad(s->name, name, sizeof(s->name));
	s->incoming = incoming;
	mutex_init(&s->mutex);
	luo_file_set_init(&s->file_set);
	return s;
}

static void luo_session_free(struct luo_session *s)
{
	mutex_destroy(&s->mutex);
	kfree(s);
}

/**
 * luo_session_init() - set up the lookup of sessions by name
 *
 * Return: 0 or -ENOMEM.
 */
int __init luo_session_init(void)
{
	int err = rhashtable_init(&luo_outgoing_names, &luo_session_params);

	if (err)
		return err;
	err = rhashtable_init(&luo_incoming_names, &luo_session_params);
	if (err)
		rhashtable_destroy(&luo_outgoing_names);
	return err;
}

/*
 * @name is a fixed-size field (from userspace or the previous kernel):
 * one without a NUL names no session.
 */
static struct luo_session *luo_session_find(struct rhashtable *names,
					    const char *name)
{
	char key[LIVEUPDATE_SESSION_NAME_LENGTH];

	if (strnlen(name, sizeof(key)) == sizeof(key))
		return NULL;
	strscpy_pad(key, name, sizeof(key));
	return rhashtable_lookup_fast(names, key, luo_session_params);
}

/* Adds @s to @names; its name is free. rhashtable's errors mean ENOMEM. */
static int luo_session_add(struct rhashtable *names, struct luo_session *s)
{
	if (rhashtable_lookup_insert_fast(names, &s->node, luo_session_params))
		return -ENOMEM;
	return 0;
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct luo_session *s = file->private_data;
	int err = 0;

	/* Never handed out: see luo_session_abandon(). */
	if (!s)
		return 0;

	down_read(&luo_state_rwsem);
	mutex_lock(&s->mutex);
	if (s->incoming && !s->finished) {
		err = luo_file_finish(&s->file_set);
		if (err) {
			/* Stays, retrieved, until the next live update. */
			pr_warn("session '%s' closed but its files cannot finish: %pe\n",
				s->name, ERR_PTR(err));
			mutex_unlock(&s->mutex);
			up_read(&luo_state_rwsem);
			return err;
		}
	}
	if (!s->incoming)
		luo_file_unpreserve_all(&s->file_set);
	mutex_unlock(&s->mutex);

	mutex_lock(&luo_session_lock);
	list_del(&s->list);
	rhashtable_remove_fast(s->incoming ? &luo_incoming_names :
			       &luo_outgoing_names, &s->node, luo_session_params);
	if (!s->incoming)
		kho_block_set_shrink(&luo_session_blocks, --luo_outgoing_count);
	mutex_unlock(&luo_session_lock);
	up_read(&luo_state_rwsem);
	luo_session_free(s);
	return 0;
}

static int luo_session_preserve_fd(struct luo_session *s, void *arg,
				   struct luo_ucmd *ucmd)
{
	struct liveupdate_session_preserve_fd *a = arg;
	struct file *file = fget(a->fd);
	int err;

	/* A bad descriptor is reported after a duplicate token. */
	err = luo_file_preserve(&s->file_set, a->token, file);
	if (file)
		fput(file);
	return err;
}

static int luo_session_retrieve_fd(struct luo_session *s, void *arg,
				   struct luo_ucmd *ucmd)
{
	struct liveupdate_session_retrieve_fd *a = arg;
	struct file *file;
	int err;

	if (s->finished)
		return -ENOENT;
	err = luo_file_retrieve(&s->file_set, a->token, &file);
	if (err)
		return err;
	return luo_ucmd_new_fd(ucmd, file, &a->fd);
}

static int luo_session_finish(struct luo_session *s, void *arg,
			      struct luo_ucmd *ucmd)
{
	struct liveupdate_session_finish *a = arg;
	int err;

	if (a->reserved)
		return -EINVAL;
	if (s->finished)
		return 0;
	err = luo_file_finish(&s->file_set);
	if (!err)
		s->finished = true;
	return err;
}

static int luo_session_get_name(struct luo_session *s, void *arg,
				struct luo_ucmd *ucmd)
{
	struct liveupdate_session_get_name *a = arg;

	if (a->reserved)
		return -EINVAL;
	memcpy(a->name, s->name, sizeof(a->name));
	return 0;
}

enum luo_session_kind { LUO_OUTGOING, LUO_INCOMING, LUO_ANY };

struct luo_session_op {
	struct luo_ioctl_op op;
	enum luo_session_kind kind;
	int (*fn)(struct luo_session *s, void *arg, struct luo_ucmd *ucmd);
};

#define LUO_SESSION_OP(_cmd, type, _last, _kind, _fn) {			\
	.op = LUO_IOCTL_OP(_cmd, type, _last),				\
	.kind = _kind,							\
	.fn = _fn,							\
}

static const struct luo_session_op luo_session_ops[] = {
	LUO_SESSION_OP(LIVEUPDATE_SESSION_PRESERVE_FD,
		       struct liveupdate_session_preserve_fd, token, LUO_OUTGOING,
		       luo_session_preserve_fd),
	LUO_SESSION_OP(LIVEUPDATE_SESSION_RETRIEVE_FD,
		       struct liveupdate_session_retrieve_fd, token, LUO_INCOMING,
		       luo_session_retrieve_fd),
	LUO_SESSION_OP(LIVEUPDATE_SESSION_FINISH,
		       struct liveupdate_session_finish, reserved, LUO_INCOMING,
		       luo_session_finish),
	LUO_SESSION_OP(LIVEUPDATE_SESSION_GET_NAME,
		       struct liveupdate_session_get_name, name, LUO_ANY,
		       luo_session_get_name),
};

static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long uarg)
{
	struct luo_session *s = file->private_data;
	unsigned int nr = _IOC_NR(cmd) - LIVEUPDATE_CMD_SESSION_BASE;
	const struct luo_session_op *sop;
	struct luo_ucmd ucmd;
	int err;

	if (nr >= ARRAY_SIZE(luo_session_ops))
		return -EINVAL;
	sop = &luo_session_ops[nr];
	err = luo_ucmd_begin(&ucmd, &sop->op, cmd, (void __user *)uarg);
	if (err)
		return err;
	if (sop->kind != LUO_ANY && sop->kind != (s->incoming ? LUO_INCOMING :
						  LUO_OUTGOING))
		return -EINVAL;
	err = luo_ucmd_read(&ucmd);
	if (err)
		return err;

	down_read(&luo_state_rwsem);
	mutex_lock(&s->mutex);
	err = sop->fn(s, ucmd.arg, &ucmd);
	mutex_unlock(&s->mutex);
	up_read(&luo_state_rwsem);
	return luo_ucmd_end(&ucmd, err);
}

static const struct file_operations luo_session_fops = {
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * Session files live on a pseudo file system of their own rather than on
 * anon_inodefs, whose link text ("anon_inode:" and the dentry name) must
 * fit in 64 bytes: "[luo_session] " and a name of 39 bytes or more do not,
 * and readlink() of /proc/<pid>/fd/N would fail with -ENAMETOOLONG. The
 * text is the same, the magic is anon_inodefs' so that tools classifying
 * descriptors by f_type see what they saw before.
 */
static struct vfsmount *luo_session_mnt __ro_after_init;
static struct inode *luo_session_inode __ro_after_init;

#define LUO_SESSION_LINK_PREFIX	"anon_inode:"

static char *luo_session_dname(struct dentry *dentry, char *buf, int buflen)
{
	/* Session dentries are never renamed: d_name is stable. */
	int len = sizeof(LUO_SESSION_LINK_PREFIX) + dentry->d_name.len;

	if (len > buflen)
		return ERR_PTR(-ENAMETOOLONG);
	buf += buflen - len;
	snprintf(buf, len, LUO_SESSION_LINK_PREFIX "%s", dentry->d_name.name);
	return buf;
}

static const struct dentry_operations luo_session_dops = {
	.d_dname = luo_session_dname,
};

static int luo_session_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, ANON_INODE_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &luo_session_dops;
	return 0;
}

static struct file_system_type luo_session_fs_type = {
	.name = "luo_session",
	.init_fs_context = luo_session_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int __init luo_session_fs_init(void)
{
	struct vfsmount *mnt = kern_mount(&luo_session_fs_type);
	struct inode *inode;

	if (IS_ERR(mnt)) {
		pr_err("no file system for session files: %pe\n", mnt);
		return 0;
	}
	inode = alloc_anon_inode(mnt->mnt_sb);
	if (IS_ERR(inode)) {
		pr_err("no inode for session files: %pe\n", inode);
		kern_unmount(mnt);
		return 0;
	}
	luo_session_mnt = mnt;
	luo_session_inode = inode;
	return 0;
}
fs_initcall(luo_session_fs_init);

/* The session's file, "anon_inode:[luo_session] <name>" in /proc. */
static struct file *luo_session_file(struct luo_session *s)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH + 16];
	struct file *file;

	if (!luo_session_inode)
		return ERR_PTR(-ENODEV);
	snprintf(name, sizeof(name), "[luo_session] %s", s->name);
	/* All session files share one inode, as anon_inode_getfile() does. */
	ihold(luo_session_inode);
	file = alloc_file_pseudo(luo_session_inode, luo_session_mnt, name,
				 O_RDWR, &luo_session_fops);
	if (IS_ERR(file)) {
		iput(luo_session_inode);
		return file;
	}
	file->private_data = s;
	return file;
}

/**
 * luo_session_create() - a new outgoing session
 * @name:  its name, from userspace
 * @filep: its file
 *
 * Called with luo_state_rwsem held for reading.
 *
 * Return: 0, -EINVAL for an empty or unterminated name, -EEXIST for a name
 * in use, -ENOSPC, -ENOMEM.
 */
int luo_session_create(const char *name, struct file **filep)
{
	struct luo_session *s;
	struct file *file;
	int err;

	if (!luo_session_name_ok(name))
		return -EINVAL;
	mutex_lock(&luo_session_lock);
	err = kho_block_set_grow(&luo_session_blocks, luo_outgoing_count + 1);
	if (err)
		goto out;
	err = -EEXIST;
	if (luo_session_find(&luo_outgoing_names, name))
		goto out_shrink;
	err = -ENOMEM;
	s = luo_session_alloc(name, false);
	if (!s)
		goto out_shrink;
	err = luo_session_add(&luo_outgoing_names, s);
	if (err)
		goto out_free;
	file = luo_session_file(s);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		rhashtable_remove_fast(&luo_outgoing_names, &s->node,
				       luo_session_params);
		goto out_free;
	}
	list_add_tail(&s->list, &luo_outgoing);
	luo_outgoing_count++;
	mutex_unlock(&luo_session_lock);
	*filep = file;
	return 0;

out_free:
	luo_session_free(s);
out_shrink:
	kho_block_set_shrink(&luo_session_blocks, luo_outgoing_count);
out:
	mutex_unlock(&luo_session_lock);
	return err;
}

/**
 * luo_session_retrieve() - hand out an incoming session
 * @name:  the name it had in the previous kernel
 * @filep: its file
 *
 * Called with luo_state_rwsem held for reading.
 *
 * Return: 0, -ENOENT if there is no such session, -EINVAL if it was handed
 * out already, -ENOMEM.
 */
int luo_session_retrieve(const char *name, struct file **filep)
{
	struct luo_session *s;
	struct file *file;
	int err = 0;

	mutex_lock(&luo_session_lock);
	s = luo_session_find(&luo_incoming_names, name);
	if (!s) {
		err = -ENOENT;
	} else if (s->retrieved) {
		err = -EINVAL;
	} else {
		file = luo_session_file(s);
		if (IS_ERR(file)) {
			err = PTR_ERR(file);
		} else {
			s->retrieved = true;
			*filep = file;
		}
	}
	mutex_unlock(&luo_session_lock);
	return err;
}

/**
 * luo_session_abandon() - a retrieved session's file could not be handed out
 * @file: the file luo_session_retrieve() made, about to be put
 *
 * RETRIEVE_SESSION failed after the file was made (no free descriptor, or
 * the reply did not get out): the session becomes retrievable again and
 * putting the file neither finishes nor frees it.
 */
void luo_session_abandon(struct file *file)
{
	struct luo_session *s = file->private_data;

	mutex_lock(&luo_session_lock);
	s->retrieved = false;
	file->private_data = NULL;
	mutex_unlock(&luo_session_lock);
}

/* Unfreezes the sessions before @s, newest first. */
static void luo_session_unfreeze_before(struct luo_session *s)
{
	list_for_each_entry_continue_reverse(s, &luo_outgoing, list) {
		luo_file_unfreeze(&s->file_set);
		cond_resched();
	}
}

/**
 * luo_session_compatibles() - what the next kernel must read of the sessions
 * @fn:  called for every file of every outgoing session, see
 *       luo_file_set_compatibles()
 * @arg: passed to @fn
 *
 * Called with luo_state_rwsem held.
 *
 * Return: how many outgoing sessions there are.
 */
unsigned long luo_session_compatibles(luo_compat_fn fn, void *arg)
{
	unsigned long n = 0;
	struct luo_session *s;

	mutex_lock(&luo_session_lock);
	list_for_each_entry(s, &luo_outgoing, list) {
		luo_file_set_compatibles(&s->file_set, s->name, fn, arg);
		n++;
	}
	mutex_unlock(&luo_session_lock);
	return n;
}

/**
 * luo_session_serialize() - write every outgoing session for the next kernel
 * @sessions_pa: where the head of the session chain goes
 *
 * Called with luo_state_rwsem held for writing, so no session or file
 * changes meanwhile. On failure every file frozen is unfrozen again and
 * the sessions are as before.
 *
 * Return: 0 or the error of the first file that failed to freeze.
 */
int luo_session_serialize(u64 *sessions_pa)
{
	struct kho_block_set_it it;
	struct luo_session *s;
	int err = 0;

	mutex_lock(&luo_session_lock);
	kho_block_set_clear(&luo_session_blocks);
	kho_block_set_it_init(&it, &luo_session_blocks);
	list_for_each_entry(s, &luo_outgoing, list) {
		struct luo_session_ser *rec = kho_block_set_it_reserve_entry(&it);

		/* Capacity follows the sessions; running out is a LUO bug. */
		if (WARN_ON_ONCE(!rec)) {
			err = -ENOSPC;
			break;
		}
		err = luo_file_freeze(&s->file_set, &rec->file_set_ser);
		if (err) {
			pr_err("session '%s' failed to freeze: %pe\n", s->name,
			       ERR_PTR(err));
			break;
		}
		memcpy(rec->name, s->name, sizeof(rec->name));
		cond_resched();
	}
	if (err) {
		luo_session_unfreeze_before(s);
		kho_block_set_clear(&luo_session_blocks);
	} else {
		*sessions_pa = kho_block_set_head_pa(&luo_session_blocks);
	}
	mutex_unlock(&luo_session_lock);
	return err;
}

/**
 * luo_session_setup_incoming() - take back the previous kernel's session chain
 * @sessions_pa: its head, from &struct luo_ser
 *
 * Only the chain is checked here; the sessions are built when userspace
 * first opens /dev/liveupdate, when every file handler is registered.
 *
 * Return: 0 or the error of kho_block_set_restore().
 */
int luo_session_setup_incoming(u64 sessions_pa)
{
	return kho_block_set_restore(&luo_session_in, sessions_pa);
}

/**
 * luo_session_deserialize() - build the incoming sessions
 *
 * Each session record is checked on its own; a refused one is logged and
 * skipped, its preserved data left reserved. When memory runs out, the
 * session being built is dropped with nothing of it taken, and the next
 * call goes on from that record.
 *
 * Return: 0, or -ENOMEM (then call again).
 */
int luo_session_deserialize(void)
{
	/*
	 * Where the last call stopped (a cursor does not allocate); set up
	 * by the first call, until which it.bs is NULL.
	 */
	static struct kho_block_set_it it;
	struct luo_session_ser *rec;
	int err = 0;

	mutex_lock(&luo_session_lock);
	if (luo_incoming.built)
		goto out;
	if (!it.bs)
		kho_block_set_it_init(&it, &luo_session_in);
	while ((rec = kho_block_set_it_read_entry(&it))) {
		struct luo_session *s;

		if (!luo_session_name_ok(rec->name)) {
			pr_err("a session without a valid name is refused\n");
			luo_incoming.sessions_bad++;
			continue;
		}
		if (luo_session_find(&luo_incoming_names, rec->name)) {
			pr_err("session '%s' appears twice; the second is refused\n",
			       rec->name);
			luo_incoming.sessions_bad++;
			continue;
		}
		/* In the table first: once its files are built, nothing fails. */
		s = luo_session_alloc(rec->name, true);
		err = s ? luo_session_add(&luo_incoming_names, s) : -ENOMEM;
		if (!err) {
			err = luo_file_deserialize(&s->file_set,
						   &rec->file_set_ser);
			if (err)
				rhashtable_remove_fast(&luo_incoming_names,
						       &s->node,
						       luo_session_params);
		}
		if (err == -ENOMEM) {
			if (s)
				luo_session_free(s);
			/* This record again, next time. */
			kho_block_set_it_prev(&it);
			goto out;
		}
		if (err) {
			pr_err("session '%s' is refused; its files stay preserved\n",
			       s->name);
			luo_incoming.sessions_bad++;
			luo_session_free(s);
			err = 0;
			continue;
		}
		list_add_tail(&s->list, &luo_incoming_sessions);
		luo_incoming.sessions++;
		cond_resched();
	}
	luo_incoming.built = true;
	kho_block_set_destroy(&luo_session_in);
out:
	mutex_unlock(&luo_session_lock);
	return err;
}
